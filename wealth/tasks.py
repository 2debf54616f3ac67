"""Celery tasks of the wealth app: thin, and harmless when run twice."""

from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

from . import accrual, services


@shared_task(
    name="wealth.accrue_yield",
    acks_late=True,
    soft_time_limit=1800,
    time_limit=1900,
)
def accrue_yield(day: str | None = None) -> int:
    """Pay the yield declared for `day` (default yesterday, bank time); 0 when already paid."""
    when = date.fromisoformat(day) if day else timezone.localdate() - timedelta(days=1)
    return sum(result.paid for result in accrual.yield_accrue_all(day=when))


@shared_task(name="wealth.settle_redemptions", acks_late=True, soft_time_limit=600, time_limit=660)
def settle_redemptions() -> int:
    """Pay the pending redemptions due today (each order settles once)."""
    return services.redemptions_settle_due()
