from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from tests.accounts.factories import UserFactory
from tests.wallet.factories import funded_wallet
from wealth import services
from wealth.models import FundProduct, RiskLevel, SuitabilityAssessment, YieldDeclaration


class FundProductFactory(factory.django.DjangoModelFactory):
    """余额宝-like: R1, minimum 1.00, instant redemption up to 10,000.00 a day."""

    class Meta:
        model = FundProduct

    code = factory.Sequence(lambda n: f"MMF{n:03d}")
    name = factory.Sequence(lambda n: f"货币基金 {n}")
    name_en = factory.Sequence(lambda n: f"Money fund {n}")
    risk_level = RiskLevel.R1
    minimum_amount = Decimal("1.00")
    instant_quota_per_day = Decimal("10000.00")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.product_save(product=model_class(*args, **kwargs))


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SuitabilityAssessment

    user = factory.SubFactory(UserFactory)
    answers = factory.LazyFunction(dict)
    score = 12
    risk_tolerance = RiskLevel.R3
    assessed_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=365))


def declare(product, day, per_10k="0.5000", annualised="1.8500") -> YieldDeclaration:
    return YieldDeclaration.objects.create(
        product=product, date=day, per_10k=Decimal(per_10k), annualised_7d=Decimal(annualised)
    )


def investor(amount="50000.00", tolerance=RiskLevel.R3):
    """A customer with a funded wallet and a valid assessment."""
    wallet = funded_wallet(amount=amount)
    AssessmentFactory(user=wallet.user, risk_tolerance=tolerance)
    return wallet.user


_keys = iter(range(10**9))


def subscribe(user, product, amount):
    return services.fund_subscribe(
        user=user, product=product, amount=amount, idempotency_key=f"k{next(_keys)}"
    ).order
