"""Celery tasks of promotions: thin, and harmless when run twice."""

from celery import shared_task

from . import vouchers


@shared_task(name="promotions.expire_vouchers", ignore_result=True)
def expire_vouchers() -> int:
    """Vouchers past their date show as expired (payment refuses them whether or not this ran)."""
    return vouchers.vouchers_expire()
