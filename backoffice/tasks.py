"""Periodic work of the back office (thin: call a service)."""

from celery import shared_task

from .approvals import approvals_expire


@shared_task(name="backoffice.approvals_expire", ignore_result=True)
def approvals_expire_task() -> int:
    return approvals_expire()


@shared_task(name="backoffice.kpi_refresh", ignore_result=True)
def kpi_refresh_task() -> int:
    from .kpi.rollups import refresh

    return refresh()
