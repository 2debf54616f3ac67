"""Operational tasks of the project as a whole."""

from celery import shared_task
from django.core.cache import cache


@shared_task(name="config.healthcheck", ignore_result=True)
def healthcheck(token: str) -> None:
    """Proves a worker is consuming: leaves a marker in the cache that the caller looks for."""
    cache.set(f"celery-healthcheck:{token}", "ok", timeout=300)
