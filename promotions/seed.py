"""Demo data of promotions' discounts: a funded 满100减10 at a demo shop and a voucher for the
demo customers. Idempotent: seeding again changes nothing (a used voucher is not replaced)."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from wallet.models import Merchant, Transaction

from . import services
from .models import Campaign, Voucher
from .vouchers import voucher_issue

DEMO_DISCOUNT_NAME = "全家便利店 · 满100减10"
DEMO_DISCOUNT_MERCHANT = "FAMILY01"
DEMO_VOUCHER_NAME = "新客代金券 · 满50减20"
DEMO_FUNDING = Decimal("5000.00")


def _campaign_ensure(name: str, **defaults) -> Campaign:
    now = timezone.now()
    campaign, _created = Campaign.objects.get_or_create(
        name=name,
        kind=Campaign.Kind.MERCHANT_DISCOUNT,
        defaults={
            "budget": DEMO_FUNDING,
            "starts_at": now,
            "ends_at": now + timedelta(days=365),
            **defaults,
        },
    )
    if not Transaction.objects.filter(metadata__campaign_funding=campaign.pk).exists():
        services.campaign_fund(campaign=campaign, amount=DEMO_FUNDING, funded_by=None)
    return campaign


def demo_discounts_ensure(*, customers: list[User]) -> None:
    shop = Merchant.objects.filter(code=DEMO_DISCOUNT_MERCHANT).first()
    discount = _campaign_ensure(
        DEMO_DISCOUNT_NAME,
        reward_amount=Decimal("10.00"),
        min_spend=Decimal("100.00"),
        per_customer_cap=20,
    )
    if shop is not None and not discount.merchants.exists():
        discount.merchants.set([shop])
    vouchers = _campaign_ensure(
        DEMO_VOUCHER_NAME,
        reward_type=Campaign.RewardType.VOUCHER,
        reward_amount=Decimal("20.00"),
        min_spend=Decimal("50.00"),
        voucher_valid_days=90,
    )
    for customer in customers:
        if not Voucher.objects.filter(campaign=vouchers, user=customer).exists():
            voucher_issue(campaign=vouchers, user=customer)
