"""Writes of the notifications app: the outbox, the inbox, and deliveries.

The outbox row is written in the transaction of the change that causes it and handed to
Celery after commit; processing it is idempotent (a locked row that is already done is left
alone), so a task run twice, or re-dispatched after an outage, does its work once.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.utils import timezone

from .models import ChannelPreference, Delivery, Notification, OutboxMessage
from .sms import sms_backend

logger = logging.getLogger(__name__)

_handlers: dict = {}
# Topics whose handler talks to something slow outside the database (a bank): it runs outside
# the row's transaction and must be idempotent itself (see outbox_process).
_outside_handlers: set[str] = set()
DEFAULT_CHANNELS = {
    Notification.Kind.TRANSACTION: {Delivery.Channel.EMAIL},
    Notification.Kind.SECURITY: {Delivery.Channel.EMAIL, Delivery.Channel.SMS},
    Notification.Kind.BUDGET: {Delivery.Channel.EMAIL},
    Notification.Kind.MARKETING: set(),
    Notification.Kind.SUPPORT: {Delivery.Channel.EMAIL},
}


def register_handler(topic: str, handler, *, in_row_transaction: bool = True) -> None:
    """`handler(**payload)` does a row's work. By default it runs inside the transaction that
    holds the row locked and marks it done, which is what makes it happen once. A handler that
    waits on another system passes `in_row_transaction=False`: it then runs with no transaction
    open (holding no locks while it waits) and must make a second run harmless itself."""
    _handlers[topic] = handler
    (_outside_handlers.add if not in_row_transaction else _outside_handlers.discard)(topic)


# Apps above this one decide some channels: accounts knows who consented to offers, per channel.
_channel_deciders: dict[str, object] = {}


def register_channel_decider(kind: str, decider) -> None:
    """`decider(user) -> set of channels` replaces defaults and preferences for `kind`."""
    _channel_deciders[kind] = decider


# --- outbox ----------------------------------------------------------------------------


def outbox_enqueue(*, topic: str, payload: dict, dedupe_key: str) -> OutboxMessage | None:
    """Queue work for after the current transaction commits; a repeated key is ignored."""
    message, created = OutboxMessage.objects.get_or_create(
        dedupe_key=dedupe_key, defaults={"topic": topic, "payload": payload}
    )
    if not created:
        return None
    transaction.on_commit(lambda: outbox_dispatch(message_id=message.pk))
    return message


def outbox_enqueue_many(*, topic: str, items: list[tuple[dict, str]]) -> int:
    """`outbox_enqueue` for a batch of (payload, dedupe_key) in two queries whatever its size;
    keys already queued are ignored. Returns how many rows were new."""
    if not items:
        return 0
    keys = [key for _payload, key in items]
    known = set(
        OutboxMessage.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    rows = [
        OutboxMessage(topic=topic, payload=payload, dedupe_key=key)
        for payload, key in items
        if key not in known
    ]
    OutboxMessage.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    new_keys = [row.dedupe_key for row in rows]

    def dispatch() -> None:
        ids = OutboxMessage.objects.filter(
            dedupe_key__in=new_keys, status=OutboxMessage.Status.PENDING
        ).values_list("pk", flat=True)
        for message_id in ids:
            outbox_dispatch(message_id=message_id)

    if rows:
        transaction.on_commit(dispatch)
    return len(rows)


def outbox_dispatch(*, message_id: int) -> None:
    """Hand a row to Celery. If the broker is down, the periodic re-dispatch will catch up."""
    from .tasks import process_outbox_message

    try:
        process_outbox_message.delay(message_id)
    except Exception:  # noqa: BLE001  any broker failure: the row stays pending, nothing is lost
        logger.warning(
            "outbox %s: broker unavailable, left for re-dispatch", message_id, exc_info=True
        )


def outbox_process(*, message_id: int) -> bool:
    """Do one row's work once. Returns whether it did anything.

    A failure is recorded on the row (committed) and then raised, for the task to retry.
    """
    topic = OutboxMessage.objects.filter(pk=message_id).values_list("topic", flat=True).first()
    if topic in _outside_handlers:
        return _process_outside_row_transaction(message_id)
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != OutboxMessage.Status.PENDING:
            return False
        message.attempts += 1
        try:
            with transaction.atomic():  # the handler's writes go, or stay, together
                _handlers[message.topic](**message.payload)
        except Exception as exc:
            failure = exc
            _record_failure(message, exc)
        else:
            message.status = OutboxMessage.Status.DONE
            message.processed_at = timezone.now()
            message.save(update_fields=["attempts", "status", "processed_at"])
            logger.info("outbox %s (%s) done", message.pk, message.topic)
            return True
    raise failure


def _record_failure(message: OutboxMessage, exc: Exception) -> None:
    message.last_error = repr(exc)[:2000]
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        message.status = OutboxMessage.Status.FAILED
    message.save(update_fields=["attempts", "last_error", "status"])
    logger.warning(
        "outbox %s (%s) failed, attempt %s: %r", message.pk, message.topic, message.attempts, exc
    )


def _process_outside_row_transaction(message_id: int) -> bool:
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != OutboxMessage.Status.PENDING:
            return False
        message.attempts += 1
        message.save(update_fields=["attempts"])
    try:
        _handlers[message.topic](**message.payload)
    except Exception as exc:
        with transaction.atomic():
            message = OutboxMessage.objects.select_for_update().get(pk=message_id)
            _record_failure(message, exc)
        raise
    with transaction.atomic():
        done = OutboxMessage.objects.filter(pk=message_id, status=OutboxMessage.Status.PENDING)
        marked = done.update(status=OutboxMessage.Status.DONE, processed_at=timezone.now())
    logger.info("outbox %s (%s) done", message_id, message.topic)
    return bool(marked)


def outbox_redispatch_pending() -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.OUTBOX_REDISPATCH_AFTER_SECONDS)
    ids = list(
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
    for message_id in ids:
        outbox_dispatch(message_id=message_id)
    return len(ids)


# --- inbox and channels ----------------------------------------------------------------


def channels_for(user, kind: str) -> set[str]:
    if kind in _channel_deciders:
        return set(_channel_deciders[kind](user))
    chosen = set(DEFAULT_CHANNELS[kind])
    for pref in ChannelPreference.objects.filter(user=user, kind=kind):
        (chosen.add if pref.enabled else chosen.discard)(pref.channel)
    if kind in Notification.MANDATORY_KINDS:
        chosen |= DEFAULT_CHANNELS[kind]
    return chosen


# Kinds a customer chooses channels for here (security is mandatory; marketing comes with consent).
CONFIGURABLE_KINDS = (Notification.Kind.TRANSACTION, Notification.Kind.BUDGET)


def channel_preferences_set(*, user, choices: dict[tuple[str, str], bool]) -> None:
    """Save the customer's channel choices: {(kind, channel): enabled}."""
    for (kind, channel), enabled in choices.items():
        if kind not in CONFIGURABLE_KINDS or channel not in Delivery.Channel.values:
            raise ValueError(f"not a configurable preference: {kind}/{channel}")
        ChannelPreference.objects.update_or_create(
            user=user, kind=kind, channel=channel, defaults={"enabled": enabled}
        )


def notify(
    *, user, kind: str, title: str, body: str, dedupe_key: str, link: str = ""
) -> Notification | None:
    """Put a message in the user's inbox (once per event) and send it on their channels.

    Marketing reaches nobody who has not consented: not even their inbox.
    """
    channels = channels_for(user, kind)
    if kind == Notification.Kind.MARKETING and not channels:
        return None
    notification, _created = Notification.objects.get_or_create(
        user=user,
        dedupe_key=dedupe_key,
        defaults={"kind": kind, "title": title, "body": body, "link": link},
    )
    for channel in channels:
        _deliver(notification, channel)
    return notification


def _deliver(notification: Notification, channel: str) -> None:
    if notification.deliveries.filter(channel=channel, status=Delivery.Status.SENT).exists():
        return  # sent before: a second run sends nothing
    user = notification.user
    if channel == Delivery.Channel.EMAIL:
        send_mail(notification.title, notification.body, None, [user.email])
        detail = _masked_address(user.email)
    else:
        if not user.phone:
            return
        sms_backend().send(user.phone, f"{notification.title} {notification.body}")
        detail = "*" * 4 + user.phone[-4:]
    # A channel that raises is not logged here: the outbox row keeps the error and is retried.
    Delivery.objects.create(
        notification=notification, channel=channel, status=Delivery.Status.SENT, detail=detail
    )


def email_document_send(
    *,
    user,
    title: str,
    body: str,
    dedupe_key: str,
    filename: str,
    content: bytes,
    mimetype: str,
    link: str = "",
) -> Notification:
    """A document the customer asked to receive by email (an e-invoice), attached to the mail.

    They asked for it, so it goes by email whatever their alert channels; it is also noted in
    their inbox. Once per dedupe key: a second run sends nothing.
    """
    notification, _created = Notification.objects.get_or_create(
        user=user,
        dedupe_key=dedupe_key,
        defaults={
            "kind": Notification.Kind.TRANSACTION,
            "title": title,
            "body": body,
            "link": link,
        },
    )
    channel = Delivery.Channel.EMAIL
    if notification.deliveries.filter(channel=channel, status=Delivery.Status.SENT).exists():
        return notification
    message = EmailMessage(title, body, None, [user.email])
    message.attach(filename, content, mimetype)
    message.send()
    Delivery.objects.create(
        notification=notification,
        channel=channel,
        status=Delivery.Status.SENT,
        detail=_masked_address(user.email),
    )
    return notification


def sms_send(*, to: str, body: str) -> None:
    """One SMS to a number that is not (yet) a customer's, e.g. a code proving it is theirs.

    Not in the inbox and not logged with its text: such messages carry secrets."""
    sms_backend().send(to, body)


def _masked_address(email: str) -> str:
    local, _at, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def notifications_mark_read(*, user, ids=None) -> int:
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def inbox_bulk_add(
    *, user_ids: list[int], kind: str, title: str, body: str, dedupe_key: str, link: str = ""
) -> int:
    """The same message into many inboxes at once (a bank-wide notice), inbox only: no email or
    SMS to every customer. A user who already has it (same dedupe key) is skipped, so a batch
    run twice adds nothing. Returns how many rows were attempted."""
    rows = [
        Notification(
            user_id=user_id, kind=kind, title=title, body=body, link=link, dedupe_key=dedupe_key
        )
        for user_id in user_ids
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
