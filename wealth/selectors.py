"""Reads of the wealth app shared by pages and the API, each a fixed number of queries."""

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import FundOrder, FundProduct, Holding, YieldAccrual, YieldDeclaration

MONEY = DecimalField(max_digits=20, decimal_places=4)


def products_on_sale():
    """Products with their latest declared yield (date, per 10,000, 7-day rate)."""
    latest = YieldDeclaration.objects.filter(product=OuterRef("pk")).order_by("-date")
    return (
        FundProduct.objects.filter(is_active=True)
        .annotate(
            latest_date=Subquery(latest.values("date")[:1]),
            latest_per_10k=Subquery(latest.values("per_10k")[:1]),
            latest_annualised_7d=Subquery(latest.values("annualised_7d")[:1]),
        )
        .order_by("risk_level", "pk")
    )


def _sum_of(queryset, field="amount"):
    return Coalesce(
        Subquery(
            queryset.order_by().values("holding").annotate(total=Sum(field)).values("total")[:1],
            output_field=MONEY,
        ),
        Value(Decimal(0)),
        output_field=MONEY,
    )


def holdings_of(user, *, today: date | None = None):
    """The customer's holdings with balance, yesterday's yield, total yield and today's instant
    redemptions (for the quota left), in one query."""
    today = today or timezone.localdate()
    from .services import day_start

    accruals = YieldAccrual.objects.filter(holding=OuterRef("pk"))
    instant_today = FundOrder.objects.filter(
        holding=OuterRef("pk"),
        kind=FundOrder.Kind.REDEEM,
        mode=FundOrder.Mode.INSTANT,
        created_at__gte=day_start(today),
    )
    return (
        Holding.objects.filter(user=user)
        .select_related("product", "account")
        .annotate(
            yesterday_yield=_sum_of(accruals.filter(date=today - timedelta(days=1))),
            total_yield=_sum_of(accruals),
            instant_redeemed_today=_sum_of(instant_today),
        )
        .order_by("pk")
    )


def orders_of(user):
    return FundOrder.objects.filter(user=user).select_related("holding__product")


def yield_histories(holdings, *, days: int = 30) -> dict[int, list[tuple[date, Decimal]]]:
    """Each holding's daily yield over the last `days` days, oldest first (0 where none), in
    one query whatever the number of holdings."""
    today = timezone.localdate()
    start = today - timedelta(days=days)
    paid: dict[int, dict[date, Decimal]] = {h.pk: {} for h in holdings}
    rows = YieldAccrual.objects.filter(
        holding__in=[h.pk for h in holdings], date__gte=start, date__lt=today
    ).values_list("holding_id", "date", "amount")
    for holding_id, day, amount in rows:
        paid[holding_id][day] = amount
    return {
        holding_id: [
            (start + timedelta(days=i), by_day.get(start + timedelta(days=i), Decimal(0)))
            for i in range(days)
        ]
        for holding_id, by_day in paid.items()
    }


def declared_history(product: FundProduct, *, days: int = 30):
    return list(
        YieldDeclaration.objects.filter(product=product)
        .order_by("-date")[:days]
        .values("date", "per_10k", "annualised_7d")
    )[::-1]
