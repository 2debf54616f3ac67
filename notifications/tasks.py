"""Celery tasks: thin, idempotent (the service checks the row's state under lock)."""

from celery import shared_task

from . import services


@shared_task(
    name="notifications.process_outbox_message",
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=2,
    retry_backoff_max=300,
    max_retries=7,
)
def process_outbox_message(message_id: int) -> bool:
    return services.outbox_process(message_id=message_id)


@shared_task(name="notifications.redispatch_pending_outbox")
def redispatch_pending_outbox() -> int:
    return services.outbox_redispatch_pending()
