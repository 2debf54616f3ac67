import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from accounts.models import User
from backoffice import roles
from backoffice.models import Branch, StaffProfile

pytestmark = pytest.mark.django_db


def _counts():
    return (User.objects.count(), Branch.objects.count(), StaffProfile.objects.count())


def test_seed_demo_is_idempotent_and_covers_every_role(capsys):
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first

    for role in roles.ALL_ROLES:
        group = Group.objects.get(name=role)
        assert group.user_set.filter(is_staff=True).exists(), role
    out = capsys.readouterr().out
    assert "teller@demo.example" in out
    assert "TOTP key" in out


def test_seed_demo_makes_load_test_customers_who_can_log_in(client):
    call_command("seed_demo", customers=3, password="load-test-pass-1", quiet=True)
    assert User.objects.filter(email__startswith="customer").count() == 3
    response = client.post(
        "/accounts/login/", {"login": "customer2@demo.example", "password": "load-test-pass-1"}
    )
    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_tellers_belong_to_a_branch_and_risk_officers_to_none():
    call_command("seed_demo", quiet=True)
    teller = StaffProfile.objects.get(user__email="teller@demo.example")
    risk = StaffProfile.objects.get(user__email="risk@demo.example")
    assert teller.branch is not None
    assert risk.branch is None


def test_every_demo_customer_has_an_active_wallet_funded_once_through_the_ledger():
    from decimal import Decimal

    from wallet.audit import ledger_breaches
    from wallet.models import LedgerAccount, Transaction, Wallet

    call_command("seed_demo", customers=2, password="load-test-pass-1", quiet=True)
    call_command("seed_demo", customers=2, password="load-test-pass-1", quiet=True)
    for email in ("zhang.san@demo.example", "customer1@demo.example", "customer2@demo.example"):
        wallet = Wallet.objects.get(user__email=email)
        assert wallet.status == Wallet.Status.ACTIVE
        assert wallet.accounts.get(currency="CNY").balance == Decimal("1000.00")
    # The four demo customers (three at SH001, one at BJ001) and the two load-test ones.
    assert Transaction.objects.filter(kind="top_up", metadata__demo_opening=True).count() == 6
    clearing = LedgerAccount.objects.get(kind="bank_clearing", currency="CNY")
    # and the bank reconciliation demo (seed_reconciliation.py): once, however often it runs,
    # 赵磊 topped up 200.00 and withdrew 80.00 and 50.00 through the sandbox bank.
    # (the KPI history's customers, six months of top-ups and withdrawals, move it too)
    from django.db.models import Sum

    from backoffice.seed_kpi_history import HISTORY_DOMAIN

    history = Transaction.objects.filter(
        entries__account__wallet__user__email__endswith=f"@{HISTORY_DOMAIN}"
    )
    history_net = clearing.entries.filter(transaction__in=history).aggregate(net=Sum("amount"))
    assert clearing.balance - (history_net["net"] or 0) == (
        Decimal("-6000.00") - Decimal("200.00") + Decimal("130.00")
    )
    assert ledger_breaches() == []


def test_every_demo_customer_has_a_verified_sandbox_card_and_bank_account():
    from accounts.models import LinkedAccount

    call_command("seed_demo", customers=2, password="load-test-pass-1", quiet=True)
    call_command("seed_demo", customers=2, password="load-test-pass-1", quiet=True)
    for email in ("zhang.san@demo.example", "li.si@demo.example", "customer2@demo.example"):
        sources = LinkedAccount.objects.filter(user__email=email)
        assert sorted(sources.values_list("kind", "status")) == [
            ("bank_account", "verified"),
            ("debit_card", "verified"),
        ]
        assert sources.filter(is_default=True).count() == 1


def test_demo_customers_belong_to_two_branches_each_with_its_own_teller():
    from backoffice.models import CustomerBranch

    call_command("seed_demo", quiet=True)
    call_command("seed_demo", quiet=True)
    assert CustomerBranch.objects.get(user__email="zhang.san@demo.example").branch.code == "SH001"
    assert CustomerBranch.objects.get(user__email="zhao.lei@demo.example").branch.code == "BJ001"
    assert StaffProfile.objects.get(user__email="teller.bj@demo.example").branch.code == "BJ001"
    # The crawler logs in as the first teller: still the SH001 one.
    first_teller = User.objects.filter(groups__name=roles.TELLER).order_by("pk").first()
    assert first_teller.email == "teller@demo.example"


def test_each_branch_has_an_onboarded_customer_and_the_teller_a_draft_to_resume():
    from backoffice.models import CustomerBranch, Onboarding

    call_command("seed_demo", quiet=True)
    call_command("seed_demo", quiet=True)
    for branch_code, teller in (
        ("SH001", "teller@demo.example"),
        ("BJ001", "teller.bj@demo.example"),
    ):
        onboarded = CustomerBranch.objects.filter(
            branch__code=branch_code, onboarded_by__email=teller
        ).exclude(user__email__endswith="@history.demo.example")  # the KPI history's customers
        assert onboarded.count() == 1
    drafts = Onboarding.objects.filter(teller__email="teller@demo.example").exclude(
        step=Onboarding.Step.DONE
    )
    assert drafts.count() == 1
    assert drafts.get().step == Onboarding.Step.IDENTITY


def test_seed_demo_reconciles_two_bank_days_once_so_exceptions_wait_for_risk_officers():
    from wallet.models import BankStatement, ReconciliationException, ReconciliationMatch

    call_command("seed_demo", quiet=True)
    first = (
        list(BankStatement.objects.values_list("date", "matched_count", "exception_count")),
        ReconciliationMatch.objects.count(),
        ReconciliationException.objects.count(),
    )
    call_command("seed_demo", quiet=True)
    assert first == (
        list(BankStatement.objects.values_list("date", "matched_count", "exception_count")),
        ReconciliationMatch.objects.count(),
        ReconciliationException.objects.count(),
    )
    assert sorted(row[1:] for row in first[0]) == [(0, 2), (3, 1)]
    assert sorted(ReconciliationException.objects.values_list("line__kind", flat=True)) == [
        "fee",
        "fee",
        "return",
    ]
