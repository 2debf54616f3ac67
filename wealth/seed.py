"""Demo data of the wealth app: a money-market fund with 60 days of declared yields and holdings
for the demo customers. Idempotent: seeding again changes nothing."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from config.api_errors import ApplicationError

from . import services
from .models import FundProduct, RiskLevel, SuitabilityAssessment, YieldDeclaration

DEMO_FUND_CODE = "MMF001"
DEMO_DAYS = 60
DEMO_HOLDING = Decimal("2000.00")
# A balanced answer sheet (R3): enough for the R1 fund.
DEMO_ANSWERS = {"age": "c", "experience": "b", "horizon": "c", "loss": "b", "share": "b"}


def demo_fund_ensure() -> FundProduct:
    product = FundProduct.objects.filter(code=DEMO_FUND_CODE).first()
    if product is None:
        product = services.product_save(
            product=FundProduct(
                code=DEMO_FUND_CODE,
                name="天天利货币基金",
                name_en="Daily Interest Money Market Fund",
                risk_level=RiskLevel.R1,
                minimum_amount=Decimal("1.00"),
                instant_quota_per_day=Decimal("10000.00"),
            )
        )
    today = timezone.localdate()
    for back in range(DEMO_DAYS, 0, -1):
        day = today - timedelta(days=back)
        # A gently moving yield around 0.52 per 10,000 (about 1.9 % a year), the same each seed.
        per_10k = Decimal("0.5200") + Decimal((day.toordinal() * 37) % 23 - 11) / 1000
        YieldDeclaration.objects.get_or_create(
            product=product,
            date=day,
            defaults={
                "per_10k": per_10k,
                "annualised_7d": (per_10k * 365 / 100).quantize(Decimal("0.0001")),
            },
        )
    return product


def demo_wealth_ensure(*, customers) -> FundProduct:
    product = demo_fund_ensure()
    for customer in customers:
        if not SuitabilityAssessment.objects.filter(user=customer).exists():
            services.suitability_assess(user=customer, answers=DEMO_ANSWERS)
        try:
            services.fund_subscribe(
                user=customer,
                product=product,
                amount=DEMO_HOLDING,
                idempotency_key=f"seed-wealth-{product.code}",
            )
        except ApplicationError:
            continue  # a frozen or empty demo wallet: that customer holds nothing
    return product
