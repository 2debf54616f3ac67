"""Notices (风险提示): a risk officer or campaign admin publishes a security or service notice;
it shows as a dismissible banner on customer pages and lands in every customer's inbox.

The inbox fan-out never loads all customers: publishing queues one outbox row for the first
batch; each batch reads the next NOTICE_FANOUT_BATCH_SIZE customer ids above the last one done
(an id range, by the primary key index), adds their inbox messages in one insert, and queues
the next batch. Each batch is its own outbox row (a Celery task), idempotent by its dedupe key
and by the inbox's one-message-per-event constraint, so a retried batch adds nothing twice.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.api_errors import ApplicationError
from notifications.models import Notification
from notifications.services import inbox_bulk_add, outbox_enqueue

from .models_kb import Notice, NoticeDismissal

FANOUT_TOPIC = "support.notice_fanout"
PUBLISH_PERMISSION = "support.change_notice"


def batch_size() -> int:
    return getattr(settings, "NOTICE_FANOUT_BATCH_SIZE", 1000)


def active_notices(*, now=None) -> QuerySet[Notice]:
    now = now or timezone.now()
    return Notice.objects.filter(status=Notice.Status.PUBLISHED).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def notices_for_banner(*, user=None, dismissed_ids=()) -> list[Notice]:
    """Active notices the reader has not dismissed (one query)."""
    notices = active_notices().exclude(pk__in=list(dismissed_ids))
    if user is not None and user.is_authenticated:
        notices = notices.exclude(dismissals__user=user)
    return list(notices[:3])


@transaction.atomic
def notice_publish(*, notice: Notice, acting_user) -> Notice:
    """Publish a draft notice and start its inbox fan-out (after commit, in batches)."""
    if not acting_user.has_perm(PUBLISH_PERMISSION):
        raise ApplicationError(
            _("Only risk officers and campaign admins publish notices."),
            code="forbidden",
            status_code=403,
        )
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if notice.status == Notice.Status.PUBLISHED:
        return notice
    notice.status = Notice.Status.PUBLISHED
    notice.published_at = timezone.now()
    notice.published_by = acting_user
    notice.save(update_fields=["status", "published_at", "published_by"])
    _enqueue_batch(notice_id=notice.pk, after_id=0)
    return notice


def _enqueue_batch(*, notice_id: int, after_id: int) -> None:
    outbox_enqueue(
        topic=FANOUT_TOPIC,
        payload={"notice_id": notice_id, "after_id": after_id},
        dedupe_key=f"notice:{notice_id}:after:{after_id}",
    )


def notice_fanout_batch(*, notice_id: int, after_id: int) -> int:
    """Add the notice to the inboxes of the next batch of customers with ids above `after_id`.
    Runs as an outbox handler, inside the row's transaction. Returns how many it reached."""
    notice = Notice.objects.select_for_update().filter(pk=notice_id).first()
    if notice is None or notice.status != Notice.Status.PUBLISHED:
        return 0
    size = batch_size()
    user_ids = list(
        get_user_model()
        .objects.filter(pk__gt=after_id, is_staff=False, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:size]
    )
    if user_ids:
        inbox_bulk_add(
            user_ids=user_ids,
            kind=Notification.Kind.SECURITY
            if notice.kind == Notice.Kind.SECURITY
            else Notification.Kind.TRANSACTION,
            title=_inbox_title(notice),
            body=_inbox_body(notice),
            link=reverse("kb:notice", args=[notice.pk]),
            dedupe_key=f"notice:{notice.pk}",
        )
    last = user_ids[-1] if user_ids else after_id
    if len(user_ids) == size:
        Notice.objects.filter(pk=notice.pk).update(fanout_after_id=last)
        _enqueue_batch(notice_id=notice.pk, after_id=last)
    else:
        Notice.objects.filter(pk=notice.pk).update(
            fanout_after_id=last, fanout_finished_at=timezone.now()
        )
    return len(user_ids)


def _inbox_title(notice: Notice) -> str:
    # The inbox keeps one text per message and customers have no stored language: the default
    # language's, with a link to the notice's page, which reads in the customer's language.
    return (notice.title_zh_hans or notice.title_en)[:200]


def _inbox_body(notice: Notice) -> str:
    return notice.body_zh_hans or notice.body_en


def notice_dismiss(*, notice: Notice, user) -> None:
    NoticeDismissal.objects.get_or_create(notice=notice, user=user)
