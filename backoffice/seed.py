"""Building blocks of `seed_demo`: each ensures one thing exists, so re-running changes nothing."""

from datetime import timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.bank.sandbox import sandbox_card_number, sandbox_link_verified
from accounts.models import Bank, LinkedAccount, User
from accounts.services import totp_secret_base32
from promotions import referrals as referral_services
from promotions import services as promotion_services
from promotions.models import Campaign, PointsAccount, PointsEntry, PointsMultiplier
from wallet import services as wallet_services
from wallet.models import Biller, FxRate, Merchant, Transaction, Wallet

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105  (demo data only, printed on purpose)


def verified_email_ensure(user: User) -> None:
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


def demo_customer_ensure(
    *, email: str, password: str, full_name: str, phone: str | None = None
) -> User:
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=password, full_name=full_name, phone=phone
        )
    verified_email_ensure(user)
    return user


def demo_staff_totp_ensure(*, user: User) -> str:
    """Give a demo staff member a confirmed authenticator and return its key for the printout."""
    verified_email_ensure(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="demo authenticator", confirmed=True)
    return totp_secret_base32(device)


DEMO_OPENING_BALANCE = Decimal("1000.00")


def demo_wallet_ensure(*, user: User) -> Wallet:
    """An active wallet funded once with the demo opening balance, through the ledger."""
    wallet = Wallet.objects.filter(user=user).first()
    if wallet is None or wallet.status == Wallet.Status.INACTIVE:
        wallet = wallet_services.wallet_activate(user=user)
    # else: open already, or frozen by the four-eyes demo (re-seeding must not unfreeze it)
    already_funded = Transaction.objects.filter(
        kind=Transaction.Kind.TOP_UP, metadata__demo_opening=True, metadata__to_wallet=wallet.handle
    ).exists()
    if not already_funded:
        wallet_services.wallet_fund_from_clearing(
            wallet=wallet,
            amount=DEMO_OPENING_BALANCE,
            currency="CNY",
            description="Demo opening balance",
            metadata={"demo_opening": True},
        )
    return wallet


def demo_funding_sources_ensure(*, user: User) -> None:
    """A verified sandbox debit card (ICBC) and bank account (CCB), linked as the customer
    would: tokenized by the sandbox bank and verified with its micro-deposits."""
    if LinkedAccount.objects.filter(user=user).exclude(status=LinkedAccount.Status.REMOVED):
        return
    # Endings of 1000 and above: never the sandbox's refusing endings (0002, 0069).
    ending = f"{1000 + user.pk % 9000}"
    sandbox_link_verified(
        user=user,
        kind=LinkedAccount.Kind.DEBIT_CARD,
        holder_name=user.full_name or user.email,
        number=sandbox_card_number(prefix="622202", ending=ending),
    )
    sandbox_link_verified(
        user=user,
        kind=LinkedAccount.Kind.BANK_ACCOUNT,
        holder_name=user.full_name or user.email,
        number=f"621700{user.pk:010d}{ending}",
        bank=Bank.CCB,
    )


DEMO_MERCHANTS = [
    ("LUCKIN01", "瑞幸咖啡 陆家嘴店", Merchant.Category.FOOD),
    ("METRO01", "上海地铁", Merchant.Category.TRANSPORT),
    ("FAMILY01", "全家便利店", Merchant.Category.SHOPPING),
    ("CINEMA01", "百丽宫影城", Merchant.Category.ENTERTAINMENT),
    ("PHARM01", "老百姓大药房", Merchant.Category.HEALTH),
]


def demo_merchants_ensure() -> list[Merchant]:
    return [
        Merchant.objects.update_or_create(code=code, defaults={"name": name, "category": category})[
            0
        ]
        for code, name, category in DEMO_MERCHANTS
    ]


DEMO_BILLERS = [
    (
        "SH-POWER",
        "国网上海电力",
        Biller.Kind.ELECTRICITY,
        r"\d{10}",
        "10 位户号 / 10-digit account number",
    ),
    ("SH-WATER", "上海城投水务", Biller.Kind.WATER, r"\d{8}", "8 位户号 / 8-digit account number"),
    ("SH-GAS", "上海燃气", Biller.Kind.GAS, r"\d{9}", "9 位户号 / 9-digit account number"),
    ("CN-MOBILE", "中国移动话费充值", Biller.Kind.MOBILE, r".*", ""),
]


def demo_billers_ensure() -> list[Biller]:
    billers = []
    for code, name, kind, pattern, hint in DEMO_BILLERS:
        merchant, _created = Merchant.objects.update_or_create(
            code=f"BILL-{code}", defaults={"name": name, "category": Merchant.Category.UTILITIES}
        )
        biller, _created = Biller.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "merchant": merchant,
                "reference_pattern": pattern,
                "reference_hint": hint,
            },
        )
        billers.append(biller)
    return billers


DEMO_FX_RATES = {"USD": "7.10", "EUR": "7.70", "HKD": "0.91", "JPY": "0.048"}


def demo_fx_rates_ensure() -> None:
    for currency, rate in DEMO_FX_RATES.items():
        FxRate.objects.get_or_create(
            currency=currency, defaults={"cny_per_unit": Decimal(rate), "spread_bps": 50}
        )


DEMO_CAMPAIGN_NAME = "开户礼 · 激活钱包送 8.88 元"
DEMO_CAMPAIGN_FUNDING = Decimal("10000.00")


def demo_campaigns_ensure() -> Campaign:
    """An activation bonus running for a year from the first seeding, its pool funded once
    through the ledger: every customer who activates after that gets 8.88 CNY."""
    now = timezone.now()
    campaign, _created = Campaign.objects.get_or_create(
        name=DEMO_CAMPAIGN_NAME,
        kind=Campaign.Kind.ACTIVATION_BONUS,
        defaults={
            "reward_amount": Decimal("8.88"),
            "budget": DEMO_CAMPAIGN_FUNDING,
            "starts_at": now,
            "ends_at": now + timedelta(days=365),
        },
    )
    if not Transaction.objects.filter(metadata__campaign_funding=campaign.pk).exists():
        promotion_services.campaign_fund(
            campaign=campaign, amount=DEMO_CAMPAIGN_FUNDING, funded_by=None
        )
    return campaign


DEMO_FREEZE_REASON = "客户来电挂失手机，临时冻结钱包"
DEMO_UNFREEZE_REASON = "客户持身份证到柜台，已找回手机"


def demo_pending_unfreeze_ensure(*, customer: User, teller: User):
    """The four-eyes demo: the teller froze the customer's wallet and asked to unfreeze it; the
    branch manager of the same branch approves it in /backoffice/approvals/. Made once: after
    it is decided (or withdrawn, or expired) re-seeding leaves it as it is."""
    from .models import ApprovalRequest
    from .staff_actions import unfreeze_request, wallet_freeze_by_staff

    asked = ApprovalRequest.objects.filter(
        customer=customer, action=ApprovalRequest.Action.UNFREEZE_WALLET
    )
    if asked.exists():
        return asked.first()
    if customer.wallet.status == Wallet.Status.ACTIVE:
        wallet_freeze_by_staff(actor=teller, customer_id=customer.pk, reason=DEMO_FREEZE_REASON)
    return unfreeze_request(actor=teller, customer_id=customer.pk, reason=DEMO_UNFREEZE_REASON)


DEMO_TILL_FLOAT = Decimal("5000.00")
DEMO_CASH_IN = Decimal("300.00")
DEMO_CASH_OUT = Decimal("100.00")


def demo_till_ensure(*, teller: User, customer: User) -> None:
    """The demo teller's till open today with a float, a cash deposit and a cash withdrawal
    (authorised by a code the customer issued), each posted once whatever the re-runs."""
    from backoffice import cash_services
    from backoffice.models import Till
    from wallet.services.cash import cash_code_issue

    today = timezone.localdate()
    if (
        Till.objects.filter(teller=teller, status=Till.Status.OPEN)
        .exclude(business_date=today)
        .exists()
    ):
        return  # an earlier day's till is still open: the teller closes it in the demo
    if not Till.objects.filter(teller=teller, business_date=today).exists():
        cash_services.till_open(teller=teller, opening_float=DEMO_TILL_FLOAT)
    if Till.objects.get(teller=teller, business_date=today).status != Till.Status.OPEN:
        return
    cash_services.cash_in(
        teller=teller,
        customer_pk=customer.pk,
        amount=DEMO_CASH_IN,
        idempotency_key=f"demo-cash-in-{today.isoformat()}",
    )
    out_key = f"demo-cash-out-{today.isoformat()}"
    if not Transaction.objects.filter(initiated_by=teller, idempotency_key=out_key).exists():
        _row, code = cash_code_issue(user=customer, amount=DEMO_CASH_OUT)
        cash_services.cash_out(
            teller=teller,
            customer_pk=customer.pk,
            amount=DEMO_CASH_OUT,
            idempotency_key=out_key,
            code=code,
        )


DEMO_DRAFT_PHONE = "+8613800138009"


def demo_onboardings_ensure(*, onboarded: list[tuple[User, User]], draft_teller: User) -> None:
    """Who onboarded whom (one customer per branch, by that branch's teller), and one
    unfinished onboarding the demo teller can resume at the identity step."""
    from .models import CustomerBranch, Onboarding, StaffProfile

    for customer, teller in onboarded:
        CustomerBranch.objects.filter(user=customer).update(onboarded_by=teller)
    branch_id = StaffProfile.objects.get(user=draft_teller).branch_id
    if not Onboarding.objects.filter(teller=draft_teller, phone=DEMO_DRAFT_PHONE).exists():
        now = timezone.now()
        Onboarding.objects.create(
            branch_id=branch_id,
            teller=draft_teller,
            step=Onboarding.Step.IDENTITY,
            phone=DEMO_DRAFT_PHONE,
            phone_verified_at=now,
            full_name="钱七",
        )


# --- referrals and points (issue 5) ---------------------------------------------------------

DEMO_REFERRAL_CAMPAIGN_NAME = "邀请有礼 · 好友首笔消费双方得奖励"
DEMO_POINTS_PROGRAMME_NAME = "消费积分 · 每消费 1 元得 1 分"
DEMO_PROMOTION_FUNDING = Decimal("10000.00")
DEMO_POINTS_CUSTOMER = "zhang.san@demo.example"
DEMO_POINTS = 1280


def _demo_campaign_funded(name: str, kind: str, **settings) -> Campaign:
    now = timezone.now()
    campaign, _created = Campaign.objects.get_or_create(
        name=name,
        kind=kind,
        defaults={
            "budget": DEMO_PROMOTION_FUNDING,
            "starts_at": now,
            "ends_at": now + timedelta(days=365),
            **settings,
        },
    )
    if not Transaction.objects.filter(metadata__campaign_funding=campaign.pk).exists():
        promotion_services.campaign_fund(
            campaign=campaign, amount=DEMO_PROMOTION_FUNDING, funded_by=None
        )
    return campaign


def demo_referrals_and_points_ensure() -> None:
    """A referral campaign (20.00 to the referrer, 10.00 to the friend after a first shop
    payment of 10.00 or more) and a points programme (1 point per CNY, food ×2, 100 points =
    1.00 CNY, valid a year), both funded once; 张三 has a referral code and some points."""
    _demo_campaign_funded(
        DEMO_REFERRAL_CAMPAIGN_NAME,
        Campaign.Kind.REFERRAL,
        reward_amount=Decimal("10.00"),
        referrer_reward=Decimal("20.00"),
        referral_min_payment=Decimal("10.00"),
        referrals_per_referrer=10,
    )
    programme = _demo_campaign_funded(
        DEMO_POINTS_PROGRAMME_NAME,
        Campaign.Kind.POINTS,
        reward_amount=Decimal("1.00"),
        points_per_cny=1,
        points_per_unit=100,
        points_valid_days=365,
    )
    PointsMultiplier.objects.get_or_create(
        campaign=programme, category=Merchant.Category.FOOD, defaults={"multiplier": Decimal("2")}
    )
    customer = User.objects.filter(email=DEMO_POINTS_CUSTOMER).first()
    if customer is None:
        return
    referral_services.referral_code_ensure(user=customer)
    # Demo data, like the merchants above: points as if earned earlier, without a payment that
    # would change the customer's round opening balance.
    account, created = PointsAccount.objects.get_or_create(
        user=customer, defaults={"balance": DEMO_POINTS}
    )
    if created:
        PointsEntry.objects.create(
            account=account,
            campaign=programme,
            kind=PointsEntry.Kind.EARNED,
            points=DEMO_POINTS,
            balance_after=DEMO_POINTS,
            remaining=DEMO_POINTS,
            expires_at=timezone.now() + timedelta(days=programme.points_valid_days),
            description="演示积分",
        )
