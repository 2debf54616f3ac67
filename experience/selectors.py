"""Reads of experience mode: the device's session from its signed cookie, its history, and how
many demos each staff member started (from the audit trail, which outlives the sessions)."""

from django.core import signing
from django.db.models import Count, QuerySet
from django.utils import timezone

from backoffice.models import AuditEvent

from .models import ExperienceEntry, ExperienceSession

COOKIE_NAME = "wallet_experience"
COOKIE_SALT = "experience.session"
COOKIE_PATH = "/experience/"


def session_token_of(request) -> str | None:
    try:
        return request.get_signed_cookie(COOKIE_NAME, default=None, salt=COOKIE_SALT)
    except signing.BadSignature:
        return None


def session_of(request) -> ExperienceSession | None:
    """The device's demo session, expired or not (the caller decides); None without one."""
    token = session_token_of(request)
    if not token:
        return None
    return ExperienceSession.objects.filter(token=token).first()


def history_of(session: ExperienceSession) -> QuerySet[ExperienceEntry]:
    return session.entries.order_by("-created_at", "-pk")


def experience_starts(*, staff_ids=None, branch_id=None, since=None) -> QuerySet:
    """{actor_id, started} rows: demos started per staff member, for KPIs."""
    events = AuditEvent.objects.filter(
        action=AuditEvent.Action.EXPERIENCE_START, outcome=AuditEvent.Outcome.OK
    )
    if staff_ids is not None:
        events = events.filter(actor_id__in=staff_ids)
    if branch_id is not None:
        events = events.filter(detail__branch_id=branch_id)
    if since is not None:
        events = events.filter(created_at__gte=since)
    return events.values("actor_id").annotate(started=Count("pk")).order_by("actor_id")


def month_start(now=None):
    local = timezone.localtime(now or timezone.now())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
