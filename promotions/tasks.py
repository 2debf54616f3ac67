"""Celery tasks: thin; the service is idempotent (expired points are expired once)."""

from celery import shared_task

from . import points


@shared_task(name="promotions.expire_points", acks_late=True)
def expire_points() -> int:
    return points.points_expire()
