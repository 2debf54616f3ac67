"""Celery tasks of the support app: thin, harmless when run twice."""

from celery import shared_task

from . import surveys


@shared_task(name="support.nps_invite_sample", acks_late=True, soft_time_limit=600, time_limit=660)
def nps_invite_sample() -> int:
    """Invite this run's random sample of active customers to the NPS survey."""
    return surveys.nps_invite_sample()
