"""Celery tasks of the support app: thin, and harmless when run twice."""

from celery import shared_task

from . import attachments, chat, classes, sla, surveys, tickets


@shared_task(name="support.sla_check", acks_late=True, soft_time_limit=240, time_limit=270)
def sla_check() -> dict:
    """Warn 15 minutes before an SLA breach, record breaches and escalate them (once each)."""
    result = sla.sla_check()
    return {"warned": result.warned, "breached": result.breached, "escalated": result.escalated}


@shared_task(name="support.tickets_autoclose", acks_late=True, soft_time_limit=600, time_limit=660)
def tickets_autoclose() -> int:
    """Close tickets resolved more than 7 days ago (the end of their reopen window)."""
    return tickets.tickets_autoclose()


@shared_task(name="support.nps_invite_sample", acks_late=True, soft_time_limit=600, time_limit=660)
def nps_invite_sample() -> int:
    """Invite this run's random sample of active customers to the NPS survey."""
    return surveys.nps_invite_sample()


@shared_task(name="support.class_reminders", acks_late=True, ignore_result=True)
def class_reminders() -> int:
    """Queue the reminders of tomorrow's classes (each registration once; the outbox sends)."""
    return classes.class_reminders_queue()


@shared_task(name="support.attachments_sweep", acks_late=True, ignore_result=True)
def attachments_sweep() -> int:
    """Delete attachment files left behind by messages whose transaction rolled back."""
    return attachments.orphan_attachments_sweep()


@shared_task(name="support.chats_end_idle", acks_late=True, ignore_result=True)
def chats_end_idle() -> int:
    """End the live chats nobody wrote in for SUPPORT_CHAT_IDLE_MINUTES (each once)."""
    return chat.chats_end_idle()
