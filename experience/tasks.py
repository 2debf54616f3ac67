"""Periodic work of experience mode (thin: call a service)."""

from celery import shared_task

from .services import experience_sessions_delete_expired


@shared_task(name="experience.sessions_delete_expired", ignore_result=True)
def sessions_delete_expired_task() -> int:
    return experience_sessions_delete_expired()
