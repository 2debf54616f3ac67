"""Idempotent demo data. Each app adds its part; running it twice changes nothing."""

from django.core.management.base import BaseCommand

from accounts.models import User
from backoffice import roles
from backoffice.models import Branch
from backoffice.seed import (
    DEMO_PASSWORD,
    demo_billers_ensure,
    demo_campaigns_ensure,
    demo_customer_ensure,
    demo_funding_sources_ensure,
    demo_fx_rates_ensure,
    demo_merchants_ensure,
    demo_onboardings_ensure,
    demo_pending_unfreeze_ensure,
    demo_referrals_and_points_ensure,
    demo_staff_totp_ensure,
    demo_till_ensure,
    demo_wallet_ensure,
)
from backoffice.services import customer_branch_assign, role_groups_ensure, staff_member_upsert
from promotions.models import ReferralCode
from promotions.seed import demo_discounts_ensure
from wallet.chain import ledger_seal_pending
from wealth.seed import demo_wealth_ensure

DEMO_CUSTOMERS = [
    ("zhang.san@demo.example", "张三", "+8613800138001"),
    ("li.si@demo.example", "李四", "+8613800138002"),
    ("wang.fang@demo.example", "王芳", "+8613800138003"),
]

DEMO_STAFF = [
    ("teller@demo.example", "柜员 陈静", roles.TELLER, "E1001"),
    ("manager@demo.example", "网点经理 刘强", roles.BRANCH_MANAGER, "E1002"),
    ("risk@demo.example", "风控 赵敏", roles.RISK_OFFICER, "E2001"),
    ("agent@demo.example", "客服 孙丽", roles.SUPPORT_AGENT, "E3001"),
    ("lead@demo.example", "客服主管 周杰", roles.SUPPORT_LEAD, "E3002"),
    ("campaigns@demo.example", "活动管理 吴敏", roles.CAMPAIGN_ADMIN, "E4001"),
]

# The second branch: its own teller and customer. Listed after DEMO_STAFF so that the first
# staff user of each role (whom the guardrails crawler logs in as) stays the SH001 one.
SECOND_BRANCH = ("BJ001", "北京国贸支行", "北京市朝阳区建国门外大街 1 号")
SECOND_BRANCH_STAFF = [("teller.bj@demo.example", "柜员 高远", roles.TELLER, "E1101")]
# Whose wallet the demo freezes, with an unfreeze waiting for the branch manager's approval.
FOUR_EYES_DEMO_CUSTOMER = "wang.fang@demo.example"
SECOND_BRANCH_CUSTOMERS = [("zhao.lei@demo.example", "赵磊", "+8613800138004")]


class Command(BaseCommand):
    help = "Create demo customers, a branch and one staff user per role (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--customers", type=int, default=0, help="Also make N load-test customers."
        )
        parser.add_argument(
            "--password", default=DEMO_PASSWORD, help="Password of the load-test customers."
        )
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")

    def handle(self, *args, customers, password, quiet, **options):
        role_groups_ensure()
        branch, _ = Branch.objects.get_or_create(
            code="SH001",
            defaults={"name": "上海陆家嘴支行", "address": "上海市浦东新区陆家嘴环路 1000 号"},
        )
        merchants = demo_merchants_ensure()
        demo_billers_ensure()
        demo_fx_rates_ensure()
        code, name, address = SECOND_BRANCH
        second_branch, _ = Branch.objects.get_or_create(
            code=code, defaults={"name": name, "address": address}
        )
        for customers_of, at_branch in (
            (DEMO_CUSTOMERS, branch),
            (SECOND_BRANCH_CUSTOMERS, second_branch),
        ):
            for email, name, phone in customers_of:
                customer = demo_customer_ensure(
                    email=email, password=DEMO_PASSWORD, full_name=name, phone=phone
                )
                demo_wallet_ensure(user=customer)
                demo_funding_sources_ensure(user=customer)
                customer_branch_assign(customer=customer, branch=at_branch)

        staff_secrets = []
        for email, name, role, number in DEMO_STAFF:
            scoped = role in roles.BRANCH_SCOPED_ROLES
            user = staff_member_upsert(
                email=email,
                password=DEMO_PASSWORD,
                full_name=name,
                role=role,
                branch=branch if scoped else None,
                employee_number=number,
            )
            staff_secrets.append((email, role, demo_staff_totp_ensure(user=user)))
        for email, name, role, number in SECOND_BRANCH_STAFF:
            user = staff_member_upsert(
                email=email,
                password=DEMO_PASSWORD,
                full_name=name,
                role=role,
                branch=second_branch,
                employee_number=number,
            )
            staff_secrets.append((email, role, demo_staff_totp_ensure(user=user)))

        # Four eyes: 王芳's wallet frozen by the SH001 teller, an unfreeze waiting for the SH001
        # branch manager (manager@demo.example) in /backoffice/approvals/.
        demo_pending_unfreeze_ensure(
            customer=User.objects.get(email=FOUR_EYES_DEMO_CUSTOMER),
            teller=User.objects.get(email=DEMO_STAFF[0][0]),
        )
        # The SH001 teller's till: open today with a float, a deposit and a withdrawal (李四).
        demo_till_ensure(
            teller=User.objects.get(email="teller@demo.example"),
            customer=User.objects.get(email="li.si@demo.example"),
        )
        # Counter onboarding: the first customer of each branch was onboarded by its teller,
        # and the SH001 teller has one onboarding to resume.
        demo_onboardings_ensure(
            onboarded=[
                (
                    User.objects.get(email=DEMO_CUSTOMERS[0][0]),
                    User.objects.get(email=DEMO_STAFF[0][0]),
                ),
                (
                    User.objects.get(email=SECOND_BRANCH_CUSTOMERS[0][0]),
                    User.objects.get(email=SECOND_BRANCH_STAFF[0][0]),
                ),
            ],
            draft_teller=User.objects.get(email=DEMO_STAFF[0][0]),
        )

        admin = User.objects.filter(email="admin@demo.example").first()
        if admin is None:
            admin = User.objects.create_superuser(
                email="admin@demo.example", password=DEMO_PASSWORD, full_name="系统管理员"
            )
        staff_secrets.append((admin.email, "superuser", demo_staff_totp_ensure(user=admin)))

        for i in range(1, customers + 1):
            customer = demo_customer_ensure(
                email=f"customer{i}@demo.example", password=password, full_name=f"测试客户{i}"
            )
            demo_wallet_ensure(user=customer)
            demo_funding_sources_ensure(user=customer)

        from backoffice.seed_training import demo_training_ensure, demo_training_progress_ensure

        demo_training_progress_ensure(
            courses=demo_training_ensure(),
            teller=User.objects.get(email="teller@demo.example"),
            manager=User.objects.get(email="manager@demo.example"),
        )

        # The audit trail's history: weeks of searches, views with reasons, reveals and cash
        # movements, and today's real ones with a limit override asked and approved (issue 8).
        from backoffice.seed_history import demo_staff_history_ensure

        demo_staff_history_ensure(
            staff={
                key: User.objects.get(email=email)
                for key, email in (
                    ("teller", "teller@demo.example"),
                    ("manager", "manager@demo.example"),
                    ("risk", "risk@demo.example"),
                    ("teller_bj", "teller.bj@demo.example"),
                )
            },
            customers=[
                User.objects.get(email=email)
                for email, _name, _phone in (*DEMO_CUSTOMERS, *SECOND_BRANCH_CUSTOMERS)
            ],
        )

        # Support tickets in every state, worked by the demo agent (issue 7).
        from support.seed_tickets import demo_tickets_ensure

        demo_tickets_ensure(
            customers=list(
                User.objects.filter(email__in=[c[0] for c in DEMO_CUSTOMERS]).order_by("pk")
            ),
            agent=User.objects.get(email="agent@demo.example"),
        )
        # Live chat (issue 7): a finished chat with its ticket, a callback due, the agent online.
        from support.seed_chat import demo_chat_ensure

        demo_chat_ensure(
            customers=list(
                User.objects.filter(email__in=[c[0] for c in DEMO_CUSTOMERS]).order_by("pk")
            ),
            agent=User.objects.get(email="agent@demo.example"),
        )

        # Support SLAs: the calendar and policies, and weeks of met and breached clocks for the
        # lead's attainment page (issue 7).
        from support.seed_sla import demo_sla_history_ensure, sla_defaults_ensure

        sla_defaults_ensure()
        demo_sla_history_ensure(
            customers=list(
                User.objects.filter(email__in=[c[0] for c in DEMO_CUSTOMERS]).order_by("pk")
            ),
            agents=list(
                User.objects.filter(email__in=["agent@demo.example", "lead@demo.example"]).order_by(
                    "email"
                )
            ),
        )

        # Last, so the demo and load-test customers keep their round opening balance; everyone
        # who signs up and activates from now on gets the bonus.
        demo_campaigns_ensure()
        demo_discounts_ensure(
            customers=list(User.objects.filter(email__in=[c[0] for c in DEMO_CUSTOMERS]))
        )
        demo_referrals_and_points_ensure()
        # Bank reconciliation (issue 11): 赵磊 tops up and withdraws through the sandbox bank, and
        # the days the bank books them are reconciled: exceptions wait in the staff portal.
        from backoffice.seed_reconciliation import demo_reconciliation_ensure

        demo_reconciliation_ensure(customer=User.objects.get(email=SECOND_BRANCH_CUSTOMERS[0][0]))
        # Six months of customers and their movements for the KPI dashboards (issue 9): after
        # the campaigns (activations earn the bonus), before sealing (it dates transactions back),
        # and after the demo's bank days are reconciled (their statements hold today's activity,
        # not history's).
        from backoffice.seed_kpi_history import demo_kpi_history_ensure

        demo_kpi_history_ensure(
            tellers={
                "SH001": User.objects.get(email=DEMO_STAFF[0][0]),
                "BJ001": User.objects.get(email=SECOND_BRANCH_STAFF[0][0]),
            },
            reverser=User.objects.get(email="manager@demo.example"),
        )
        demo_wealth_ensure(
            customers=list(User.objects.filter(email__in=[c[0] for c in DEMO_CUSTOMERS]))
        )
        # E-invoices (issue 10): every demo customer has invoice titles; 李四 paid for a coffee
        # and has its issued e-invoice (the others keep their round opening balance).
        from wallet.seed_invoices import demo_invoices_ensure

        demo_invoices_ensure(
            customers=list(
                User.objects.filter(email__in=[c[0] for c in DEMO_CUSTOMERS]).order_by("pk")
            ),
            payers=[User.objects.get(email="li.si@demo.example")],
        )
        # Segments and offers for you (issue 10): 李四 (coffee) and 赵磊 (metro) accepted
        # personalised offers and see different first offers.
        from promotions.seed_segments import demo_segments_ensure

        demo_segments_ensure()
        from support.seed_kb import demo_kb_ensure, demo_notice_ensure

        demo_kb_ensure()  # FAQ, tutorials and the security guide (issue 7)
        # Classes at the demo branches and online, registrations, a past class's attendance,
        # and some in-app feedback (issue 7).
        from support.seed_classes import demo_classes_ensure, demo_feedback_ensure

        demo_customers = list(
            User.objects.filter(email__in=[c[0] for c in DEMO_CUSTOMERS]).order_by("pk")
        )
        demo_classes_ensure(
            branches={b.code: b for b in (branch, second_branch)},
            customers=demo_customers,
            teller=User.objects.get(email="teller@demo.example"),
        )
        demo_feedback_ensure(customers=demo_customers)
        demo_notice_ensure()  # a security notice: banner and every customer's inbox
        # Surveys (issue 7): six months of CSAT and NPS answers, a survey open now.
        from support.seed_surveys import demo_survey_answers_ensure, demo_survey_ensure

        demo_survey_answers_ensure(
            customers=list(
                User.objects.filter(
                    email__in=[c[0] for c in (*DEMO_CUSTOMERS, *SECOND_BRANCH_CUSTOMERS)]
                ).order_by("pk")
            )
        )
        demo_survey_ensure()
        # Risk review: the default rules and suspicious transfers held in the review queue.
        from backoffice.seed_risk import demo_risk_ensure

        demo_risk_ensure()
        # KPI dashboards (issue 9): roll-ups of everything seeded above; keep this last.
        from backoffice.seed_kpi import demo_kpi_rollups_ensure

        demo_kpi_rollups_ensure()
        # Seal what the demo posted, so `ledger_audit` shows a verified chain from the start.
        chain_head = ledger_seal_pending()

        if not quiet:
            self._print_logins(staff_secrets, merchants, customers, password)
            self.stdout.write(
                "  Bank reconciliation: risk@demo.example sees the exceptions at "
                "/backoffice/reconciliation/ (see README, `reconcile_bank`)."
            )
            self.stdout.write(
                f"  Ledger sealed up to #{chain_head.sequence} ({chain_head.hash[:16]}…); "
                "check it with `python manage.py ledger_audit`."
            )

    def _print_logins(self, staff_secrets, merchants, customers, password):
        out = self.stdout
        out.write(
            self.style.SUCCESS(f"Demo data ready. Logins (password for all: {DEMO_PASSWORD})")
        )
        out.write(
            "  Customers (wallet active with 1,000.00 CNY, a sandbox card and bank account linked;"
            " no second factor yet):"
        )
        for email, name, _phone in DEMO_CUSTOMERS:
            frozen = " — wallet frozen" if email == FOUR_EYES_DEMO_CUSTOMER else ""
            out.write(f"    {email:<28} {name} (branch SH001){frozen}")
        for email, name, _phone in SECOND_BRANCH_CUSTOMERS:
            out.write(f"    {email:<28} {name} (branch BJ001)")
        out.write(
            "  Cash desk: teller@demo.example has a till open today (float 5,000.00) with a"
            " deposit of 300.00 and a withdrawal of 100.00 for li.si (so 李四 holds 1,200.00)."
        )
        out.write("  Staff (second factor required: add the TOTP key to an authenticator app,")
        out.write("  or compute a code with `python manage.py demo_totp EMAIL`):")
        for email, role, secret in staff_secrets:
            out.write(f"    {email:<28} {role:<15} TOTP key {secret}")
        out.write(
            "  Four eyes: log in as manager@demo.example and open /backoffice/approvals/ to"
            " approve the teller's request to unfreeze 王芳's wallet."
        )
        out.write(
            "  Audit trail: log in as risk@demo.example and open /backoffice/audit/ for three"
            " weeks of staff activity; li.si has a 3-day limit override (50,000.00 per payment)"
            " asked by the teller and approved by the branch manager."
        )
        out.write(
            "  Experience mode (体验区): log in as teller@demo.example, open /backoffice/experience/"
            " (or the home card) and start a demo wallet on this device: 1,000.00 of demo money,"
            " sample shops and contacts, never the real ledger; it logs the teller out."
        )
        out.write("  Merchants (pay by code at /wallet/pay/, or open /wallet/pay/m/CODE/qr.svg):")
        for merchant in merchants:
            out.write(f"    {merchant.code:<12} {merchant.name}")
        referral = ReferralCode.objects.filter(user__email="zhang.san@demo.example").first()
        if referral:
            out.write(
                f"  Referral: sign up through /r/{referral.code}/ (张三's link), record an ID,"
                " activate and pay a shop 10.00 or more: 张三 gets 20.00, the friend 10.00."
                " 张三 also has points to redeem at /rewards/."
            )
        if customers:
            out.write(
                f"  Load-test customers: customer1..customer{customers}@demo.example, password {password}"
            )
