"""Demo data of segments and offers for you: 李四 often pays for coffee, 赵磊 for the metro; both
accepted personalised offers, so their "offers for you" start differently (a coffee voucher for
李四, a metro voucher for 赵磊). The two vouchers are sold for points, never taken off at checkout
by themselves. Idempotent: payments carry fixed idempotency keys (a replay posts nothing), a
consent already given is not recorded again, and segments are recomputed to the same rows."""

from decimal import Decimal

from accounts.consent import consents_record
from accounts.models import Consent, User
from config.api_errors import ApplicationError
from wallet.models import Merchant
from wallet.services.payments import payment_create

from .models import Campaign
from .seed import _campaign_ensure
from .segments import segments_compute

# (customer, merchant code, amount, how many payments)
DEMO_SPENDING = [
    ("li.si@demo.example", "LUCKIN01", Decimal("28.00"), 3),
    ("zhao.lei@demo.example", "METRO01", Decimal("6.00"), 4),
]
DEMO_CATEGORY_VOUCHERS = [
    ("瑞幸咖啡 · 满30减8 券", "LUCKIN01", Decimal("8.00"), Decimal("30.00"), 300),
    ("地铁出行 · 满5减2 券", "METRO01", Decimal("2.00"), Decimal("5.00"), 200),
]


def _vouchers_for_points_ensure() -> None:
    for name, code, amount, min_spend, price in DEMO_CATEGORY_VOUCHERS:
        campaign = _campaign_ensure(
            name,
            reward_type=Campaign.RewardType.VOUCHER,
            reward_amount=amount,
            min_spend=min_spend,
            points_price=price,
            per_customer_cap=5,
        )
        merchant = Merchant.objects.filter(code=code).first()
        if merchant is not None and not campaign.merchants.exists():
            campaign.merchants.set([merchant])


def demo_segments_ensure() -> None:
    _vouchers_for_points_ensure()
    for email, code, amount, times in DEMO_SPENDING:
        user = User.objects.filter(email=email).first()
        if user is None or not Merchant.objects.filter(code=code).exists():
            continue
        consents_record(user=user, choices={Consent.Kind.PERSONALISATION: True})
        for i in range(times):
            try:
                payment_create(
                    payer_user=user,
                    merchant_code=code,
                    amount=amount,
                    currency="CNY",
                    idempotency_key=f"demo-offers-{code}-{i}",
                )
            except ApplicationError:
                break  # a frozen or empty demo wallet: that customer pays nothing
    segments_compute()
