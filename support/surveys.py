"""Writes (and the reads pages and the API share) of satisfaction surveys.

- CSAT: `csat_invite` is called once by the ticket state machine when a ticket becomes resolved;
  a ticket gets at most one invitation (a reopened and re-resolved ticket is not asked twice).
- NPS: `nps_invite_sample` (a periodic task) invites a random sample of the customers active in
  the last NPS_ACTIVE_DAYS, skipping anyone invited in the last NPS_QUIET_DAYS. Runs never
  overlap: two at once (beat fired twice, or a slow run still going when the next starts) would
  each see the same customers not yet invited and invite them twice, so each run first takes a
  transaction-scoped advisory lock (see `_nps_sampling_lock`).
- Both reach the customer through the notifications outbox: the handler `invitation_send` makes
  the link's token (only its hash is stored) and puts the link in the inbox and the email.
- Admin-built surveys: `survey_response_create`, one response per customer (a DB constraint).

"Active" is defined once, in `active_customers`: a customer who initiated a completed ledger
transaction in the window. Logins are not used: a session kept alive is not activity.
"""

import hashlib
import secrets
import zlib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError
from notifications.models import Notification
from notifications.services import notify, outbox_enqueue, register_handler

from .models_surveys import (
    Channel,
    Survey,
    SurveyAnswer,
    SurveyChoice,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
    SurveyResponseItem,
)

User = get_user_model()
Kind = SurveyInvitation.Kind

INVITATION_TOPIC = "support.survey_invitation"
COMMENT_MAX_LENGTH = 2000
TEXT_MAX_LENGTH = 2000


def _refuse(message, *, field: str | None = None, code: str = "invalid", status_code=None):
    raise ApplicationError(
        message, code=code, fields={field: [message]} if field else {}, status_code=status_code
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_ttl() -> timedelta:
    return timedelta(days=settings.SURVEY_LINK_TTL_DAYS)


# --- invitations ----------------------------------------------------------------------------


def _invitation_create(*, kind: str, customer_id: int, ticket=None, now=None) -> SurveyInvitation:
    now = now or timezone.now()
    invitation = SurveyInvitation.objects.create(
        kind=kind,
        customer_id=customer_id,
        ticket=ticket,
        created_at=now,
        expires_at=now + link_ttl(),
    )
    outbox_enqueue(
        topic=INVITATION_TOPIC,
        payload={"invitation_id": invitation.pk},
        dedupe_key=f"survey-invitation:{invitation.pk}",
    )
    return invitation


def csat_invite(*, ticket) -> SurveyInvitation | None:
    """The ticket was just resolved (called inside its transaction): ask its customer, once per
    ticket, how satisfied they are. The link goes out after commit."""
    if SurveyInvitation.objects.filter(ticket=ticket).exists():
        return None
    return _invitation_create(kind=Kind.CSAT, customer_id=ticket.customer_id, ticket=ticket)


def invitation_token_issue(*, invitation: SurveyInvitation) -> str:
    """A fresh token for the invitation's link (the previous one stops working)."""
    token = secrets.token_urlsafe(32)
    invitation.token_hash = token_hash(token)
    invitation.save(update_fields=["token_hash"])
    return token


def invitation_send(*, invitation_id: int) -> None:
    """Outbox handler: make the link and tell the customer (inbox and email). Runs in the outbox
    row's transaction, once; a link of a survey already answered or expired is not sent."""
    invitation = (
        SurveyInvitation.objects.select_for_update(of=("self",))
        .select_related("customer", "ticket")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None or invitation.answered_at or invitation.expires_at <= timezone.now():
        return
    token = invitation_token_issue(invitation=invitation)
    path = reverse("surveys:answer", kwargs={"token": token})
    if invitation.kind == Kind.CSAT:
        # The subject, not the random reference: Latin letters would read as stray English in
        # a Chinese sentence (and the subject is what the customer remembers).
        title = _("How did we do with “%(subject)s”?") % {"subject": invitation.ticket.subject}
        question = _("Rate our help from 1 to 5, in one click.")
    else:
        title = _("Would you recommend our wallet?")
        question = _("Tell us from 0 to 10 how likely you are to recommend us to a friend.")
    body = _("%(question)s This link works once, for %(days)s days: %(url)s") % {
        "question": question,
        "days": settings.SURVEY_LINK_TTL_DAYS,
        "url": settings.SITE_URL.rstrip("/") + path,
    }
    notify(
        user=invitation.customer,
        kind=Notification.Kind.SUPPORT,
        title=title,
        body=body,
        dedupe_key=f"survey-invitation:{invitation.pk}",
        link=f"{path}?via=inbox",
    )


def connect() -> None:
    register_handler(INVITATION_TOPIC, invitation_send)


def invitation_by_token_or_none(token: str) -> SurveyInvitation | None:
    if not token or len(token) > 100:
        return None
    return (
        SurveyInvitation.objects.select_related("ticket")
        .filter(token_hash=token_hash(token))
        .first()
    )


def invitation_state(invitation: SurveyInvitation | None, *, now=None) -> str:
    """ "open", or why the link no longer works: "unknown", "answered", "expired"."""
    if invitation is None:
        return "unknown"
    if invitation.answered_at:
        return "answered"
    if invitation.expires_at <= (now or timezone.now()):
        return "expired"
    return "open"


def pending_invitations_of(customer) -> QuerySet[SurveyInvitation]:
    return (
        SurveyInvitation.objects.filter(
            customer=customer, answered_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("ticket")
        .order_by("-created_at", "-pk")
    )


def invitation_of_customer_or_none(*, customer, pk: int) -> SurveyInvitation | None:
    return SurveyInvitation.objects.filter(customer=customer, pk=pk).first()


def _as_int(raw) -> int | None:
    """An integer given as a JSON integer or a string of digits; anything else is None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    return None


def _clean_score(invitation: SurveyInvitation, score) -> int:
    low, high = invitation.scale_min, invitation.scale_max
    value = _as_int(score)
    if value is None or not low <= value <= high:
        _refuse(
            _("Choose a score from %(low)s to %(high)s.") % {"low": low, "high": high},
            field="score",
        )
    return value


def _clean_comment(comment) -> str:
    comment = (comment or "").replace("\x00", "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        _refuse(
            _("A comment has at most %(n)s characters.") % {"n": COMMENT_MAX_LENGTH},
            field="comment",
        )
    return comment


def _refuse_state(state: str) -> None:
    if state == "answered":
        _refuse(_("This survey has already been answered. Thank you!"), code="survey_answered")
    if state == "expired":
        _refuse(_("This survey link has expired."), code="survey_expired")
    if state == "unknown":
        _refuse(_("This survey link is not valid."), code="survey_unknown", status_code=404)


@transaction.atomic
def _answer(*, invitation_pk: int, score, comment, channel: str, customer=None) -> SurveyAnswer:
    rows = SurveyInvitation.objects.select_for_update().filter(pk=invitation_pk)
    if customer is not None:
        rows = rows.filter(customer=customer)
    invitation = rows.first()
    _refuse_state(invitation_state(invitation))
    value = _clean_score(invitation, score)
    text = _clean_comment(comment)
    now = timezone.now()
    answer = SurveyAnswer.objects.create(
        invitation=invitation,
        kind=invitation.kind,
        customer_id=invitation.customer_id,
        score=value,
        comment=text,
        channel=channel,
        created_at=now,
    )
    invitation.answered_at = now
    invitation.save(update_fields=["answered_at"])
    return answer


def survey_answer_by_token(*, token: str, score, comment: str = "", channel: str) -> SurveyAnswer:
    """Answer by the one-time link (no login needed): the token is the credential."""
    invitation = invitation_by_token_or_none(token)
    _refuse_state("unknown" if invitation is None else "open")
    return _answer(invitation_pk=invitation.pk, score=score, comment=comment, channel=channel)


def survey_answer_by_customer(
    *, customer, invitation_pk: int, score, comment: str = "", channel: str = Channel.APP
) -> SurveyAnswer:
    """Answer one's own invitation while logged in (the app's API, the inbox)."""
    return _answer(
        invitation_pk=invitation_pk,
        score=score,
        comment=comment,
        channel=channel,
        customer=customer,
    )


# --- NPS sampling ---------------------------------------------------------------------------


def active_customers(*, now=None) -> QuerySet:
    """Customers who initiated a completed ledger transaction in the last NPS_ACTIVE_DAYS."""
    from wallet.models import Transaction

    now = now or timezone.now()
    recent = Transaction.objects.filter(
        initiated_by=OuterRef("pk"),
        status=Transaction.Status.COMPLETED,
        created_at__gte=now - timedelta(days=settings.NPS_ACTIVE_DAYS),
    )
    return User.objects.filter(is_active=True, is_staff=False).filter(Exists(recent))


def nps_invite_sample(*, now=None, size: int | None = None) -> int:
    """Invite a random sample of the active customers not invited within NPS_QUIET_DAYS.

    The database draws the sample (ORDER BY random() LIMIT size) and only ids come back, so no
    run holds more than `size` customers in memory. Returns how many were invited."""
    now = now or timezone.now()
    size = settings.NPS_SAMPLE_SIZE if size is None else size
    invited_lately = SurveyInvitation.objects.filter(
        customer=OuterRef("pk"),
        kind=Kind.NPS,
        created_at__gt=now - timedelta(days=settings.NPS_QUIET_DAYS),
    )
    with transaction.atomic():
        _nps_sampling_lock()
        ids = list(
            active_customers(now=now)
            .exclude(Exists(invited_lately))
            .order_by("?")
            .values_list("pk", flat=True)[:size]
        )
        for customer_id in ids:
            _invitation_create(kind=Kind.NPS, customer_id=customer_id, now=now)
    return len(ids)


# Any constant 64-bit number not used by another advisory lock of the project (there is none).
NPS_SAMPLING_LOCK_KEY = zlib.crc32(b"support.nps_invite_sample")


def _nps_sampling_lock() -> None:
    """Wait until no other NPS sampling run is in progress; held until this one commits.

    Why a lock and not a unique key: the rule is a sliding window ("nobody invited within the
    last NPS_QUIET_DAYS"), which a unique (customer, period) key could only approximate with
    calendar periods: two overlapping runs on either side of a period boundary would both pass
    it, and a customer invited on a period's last day could be asked again the next day. The
    lock makes runs take turns; the waiting run's sampling query starts after the first run has
    committed (PostgreSQL's READ COMMITTED gives each statement a fresh snapshot), so it sees
    those invitations and applies the window exactly. A transaction-scoped advisory lock is the
    standard PostgreSQL tool for "one run at a time": no table, released at commit or rollback,
    and a crashed worker cannot leave it behind. It waits rather than skips, so each run still
    invites its sample. SQLite (the demo's default, with eager tasks and no concurrent runs)
    has no such lock; it serializes writers anyway, so an overlapping run fails instead of
    inviting twice."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [NPS_SAMPLING_LOCK_KEY])


# --- admin-built surveys --------------------------------------------------------------------


def open_surveys(*, now=None) -> QuerySet[Survey]:
    now = now or timezone.now()
    return Survey.objects.filter(opens_at__lte=now, closes_at__gt=now).order_by("closes_at", "pk")


def open_surveys_for(customer, *, now=None) -> QuerySet[Survey]:
    """Open surveys, each marked `answered` for this customer (one query)."""
    mine = SurveyResponse.objects.filter(survey=OuterRef("pk"), customer=customer)
    return open_surveys(now=now).annotate(answered=Exists(mine))


def survey_with_questions(queryset: QuerySet[Survey]) -> QuerySet[Survey]:
    return queryset.prefetch_related(
        Prefetch(
            "questions",
            queryset=SurveyQuestion.objects.order_by("position", "pk").prefetch_related(
                Prefetch("choices", queryset=SurveyChoice.objects.order_by("position", "pk"))
            ),
        )
    )


def open_survey_or_none(*, customer, pk: int) -> Survey | None:
    return survey_with_questions(open_surveys_for(customer).filter(pk=pk)).first()


def field_name(question: SurveyQuestion) -> str:
    return f"q{question.pk}"


def _clean_item(question: SurveyQuestion, raw, errors: dict) -> dict | None:
    """The value for one question, or None when left empty (errors collected per field)."""
    name = field_name(question)
    kind = SurveyQuestion.Kind
    empty = raw in (None, "", [], ())
    if empty:
        if question.required:
            errors[name] = [_("Answer this question.")]
        return None
    if question.kind == kind.RATING:
        value = _as_int(raw)
        if value is None or not 1 <= value <= 5:
            errors[name] = [_("Choose a rating from 1 to 5.")]
            return None
        return {"rating": value}
    if question.kind == kind.TEXT:
        if not isinstance(raw, str) or "\x00" in raw:
            errors[name] = [_("Write your answer as text.")]
            return None
        text = raw.strip()
        if not text:
            if question.required:
                errors[name] = [_("Answer this question.")]
            return None
        if len(text) > TEXT_MAX_LENGTH:
            errors[name] = [_("An answer has at most %(n)s characters.") % {"n": TEXT_MAX_LENGTH}]
            return None
        return {"text": text}
    values = raw if isinstance(raw, list | tuple) else [raw]
    allowed = {choice.pk for choice in question.choices.all()}
    chosen = {_as_int(v) for v in values}
    if not chosen or None in chosen or not chosen <= allowed or len(chosen) != len(values):
        errors[name] = [_("Choose from the answers offered.")]
        return None
    if question.kind == kind.SINGLE and len(chosen) > 1:
        errors[name] = [_("Choose one answer.")]
        return None
    return {"choices": sorted(chosen)}


def survey_response_create(
    *, survey: Survey, customer, answers: dict, channel: str
) -> SurveyResponse:
    """Record a customer's answers to an open survey, once. `answers` maps each question's field
    name ("q<id>") to a rating, a text, or choice ids. Nothing is stored unless all is valid."""
    if not survey.is_open():
        _refuse(_("This survey is closed."), code="survey_closed")
    questions = list(survey.questions.all())
    errors: dict[str, list[str]] = {}
    cleaned = [(q, _clean_item(q, answers.get(field_name(q)), errors)) for q in questions]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ApplicationError(first, code="invalid", fields=errors)
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                survey=survey, customer=customer, channel=channel
            )
            for question, value in cleaned:
                if value is None:
                    continue
                item = SurveyResponseItem.objects.create(
                    response=response,
                    question=question,
                    rating=value.get("rating"),
                    text=value.get("text", ""),
                )
                if value.get("choices"):
                    item.choices.set(value["choices"])
    except IntegrityError:
        _refuse(_("You have already answered this survey. Thank you!"), code="survey_answered")
    return response
