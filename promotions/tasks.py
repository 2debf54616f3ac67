"""Celery tasks of promotions: thin, and harmless when run twice."""

from celery import shared_task

from . import points, vouchers


@shared_task(name="promotions.expire_vouchers", ignore_result=True)
def expire_vouchers() -> int:
    """Vouchers past their date show as expired (payment refuses them whether or not this ran)."""
    return vouchers.vouchers_expire()


@shared_task(name="promotions.expire_points", acks_late=True)
def expire_points() -> int:
    """Points past their programme's validity expire once (the service is idempotent)."""
    return points.points_expire()
