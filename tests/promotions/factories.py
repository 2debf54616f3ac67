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
