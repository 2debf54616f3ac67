"""Celery tasks of support: thin, and harmless when run twice."""

from celery import shared_task

from . import classes


@shared_task(name="support.class_reminders", acks_late=True, ignore_result=True)
def class_reminders() -> int:
    """Queue the reminders of tomorrow's classes (each registration once; the outbox sends)."""
    return classes.class_reminders_queue()
