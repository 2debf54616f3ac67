from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from promotions import services
from promotions.models import Campaign


class CampaignFactory(factory.django.DjangoModelFactory):
    """An activation bonus of 8.88 CNY running now (started an hour ago, for thirty days)."""

    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"开户礼 {n}")
    kind = Campaign.Kind.ACTIVATION_BONUS
    reward_amount = Decimal("8.88")
    budget = Decimal("10000.00")
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


def funded_campaign(funding="10000.00", **kwargs) -> Campaign:
    campaign = CampaignFactory(**kwargs)
    services.campaign_fund(campaign=campaign, amount=Decimal(funding), funded_by=None)
    return campaign


# --- vouchers and discounts ----------------------------------------------------------------


def discount_campaign(funding="1000.00", merchants=(), **kwargs) -> Campaign:
    """A funded 满100减10 at the given merchants, applied at checkout."""
    defaults = {
        "name": "满100减10",
        "kind": Campaign.Kind.MERCHANT_DISCOUNT,
        "reward_amount": Decimal("10.00"),
        "min_spend": Decimal("100.00"),
        "budget": Decimal("1000.00"),
        "per_customer_cap": 100,
    }
    campaign = funded_campaign(funding=funding, **{**defaults, **kwargs})
    if merchants:
        campaign.merchants.set(merchants)
    return campaign


def voucher_for(user, campaign=None, **terms):
    """A voucher worth 20 CNY off 50 or more (its campaign funded with 1,000)."""
    from promotions.vouchers import voucher_issue

    campaign = campaign or funded_campaign(
        funding="1000.00",
        name="代金券",
        kind=Campaign.Kind.MERCHANT_DISCOUNT,
        reward_type=Campaign.RewardType.VOUCHER,
        reward_amount=Decimal("20.00"),
        min_spend=Decimal("50.00"),
        budget=Decimal("1000.00"),
    )
    voucher = voucher_issue(campaign=campaign, user=user)
    if terms:
        for name, value in terms.items():
            setattr(voucher, name, value)
        voucher.save()
    return voucher


# --- referrals and points (issue 5) ---------------------------------------------------------


def funded_referral_campaign(funding="10000.00", **kwargs) -> Campaign:
    """Referrer gets 20.00, referee 10.00, after a first shop payment of at least 10.00."""
    defaults = {
        "kind": Campaign.Kind.REFERRAL,
        "reward_amount": Decimal("10.00"),
        "referrer_reward": Decimal("20.00"),
        "referral_min_payment": Decimal("10.00"),
        "referrals_per_referrer": 5,
    }
    return funded_campaign(funding, **{**defaults, **kwargs})


def funded_points_programme(funding="10000.00", multipliers=None, **kwargs) -> Campaign:
    """1 point per CNY, 100 points = 1.00 CNY, valid 365 days."""
    from promotions.models import PointsMultiplier

    defaults = {
        "kind": Campaign.Kind.POINTS,
        "reward_amount": Decimal("1.00"),
        "points_per_cny": 1,
        "points_per_unit": 100,
        "points_valid_days": 365,
    }
    campaign = funded_campaign(funding, **{**defaults, **kwargs})
    for category, multiplier in (multipliers or {}).items():
        PointsMultiplier.objects.create(
            campaign=campaign, category=category, multiplier=Decimal(multiplier)
        )
    return campaign
