"""Live chat (在线客服) and callback requests: every write, and the reads the pages share.

A chat is waiting → active → ended. Agents say when they are available; a customer may start a
chat only within service hours (SUPPORT_CHAT_HOURS) while at least one agent is available, and
otherwise is offered a ticket, the hotline and a callback. Exactly one agent picks a waiting
chat up: the pick-up is one conditional UPDATE (state still waiting), so of two agents racing,
the database lets one row change and the other sees nothing to change. When a chat ends its
transcript becomes a ticket with the messages as its thread, linked from the chat.

A chat nobody writes in ends by itself: `chats_end_idle` (a periodic task, every minute) ends a
waiting or active chat with no message from either side (nor a pick-up) for
SUPPORT_CHAT_IDLE_MINUTES exactly as "End the chat" ends it (transcript ticket, clocks, CSAT),
and tells the customer why in the chat, once, in the language they started the chat in.

Rate limits are the tickets' (support/tickets.py `_rate_limit`), per customer and minute.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.phone import normalize_phone
from notifications.models import Notification
from notifications.services import notify, outbox_enqueue, register_handler

from . import sla, surveys, tickets
from .languages import language_now, speaking
from .models_chat import AgentPresence, Callback, Chat, ChatMessage
from .models_tickets import Ticket, TicketEvent, TicketMessage

State = Chat.State
CALLBACK_CONFIRM = "support.callback_confirm"
CHAT_MESSAGE_MAX_LENGTH = 2000
# A poll answers at most this many messages; the next poll takes the rest.
POLL_LIMIT = 100
# The category of a chat's ticket when nobody chose one (the customer ended it).
DEFAULT_CATEGORY = Ticket.Category.ACCOUNT

_refuse = tickets._refuse
_rate_limit = tickets._rate_limit


# --- service hours --------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceHours:
    opens: time
    closes: time | None  # None: midnight at the end of the day
    zone: ZoneInfo

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone).time()
        return self.opens <= local and (self.closes is None or local < self.closes)

    @property
    def label(self) -> str:
        closes = self.closes.strftime("%H:%M") if self.closes else "24:00"
        return f"{self.opens:%H:%M}–{closes}"


def service_hours() -> ServiceHours:
    opens_raw, closes_raw = settings.SUPPORT_CHAT_HOURS.split("-")
    opens = time.fromisoformat(opens_raw.strip())
    closes_raw = closes_raw.strip()
    closes = None if closes_raw == "24:00" else time.fromisoformat(closes_raw)
    return ServiceHours(opens=opens, closes=closes, zone=ZoneInfo(settings.SUPPORT_CHAT_TIME_ZONE))


def within_service_hours(moment: datetime | None = None) -> bool:
    return service_hours().contains(moment or timezone.now())


def agents_available() -> bool:
    return AgentPresence.objects.filter(
        available=True, agent__is_active=True, agent__is_staff=True
    ).exists()


def chat_open_now() -> bool:
    """A customer may start a chat: within service hours and some agent is available."""
    return within_service_hours() and agents_available()


# --- agents' availability -------------------------------------------------------------------


def _require_agent(user) -> None:
    if not tickets.is_support_staff(user):
        _refuse(_("Only support agents work chats."), status_code=403, code="not_an_agent")


@transaction.atomic
def agent_availability_set(*, agent, available: bool) -> AgentPresence:
    _require_agent(agent)
    presence, _created = AgentPresence.objects.select_for_update().get_or_create(agent=agent)
    presence.available = bool(available)
    presence.changed_at = timezone.now()
    presence.save(update_fields=["available", "changed_at"])
    return presence


def agent_is_available(agent) -> bool:
    return AgentPresence.objects.filter(agent=agent, available=True).exists()


# --- chats ----------------------------------------------------------------------------------


def _clean_message(body: str) -> str:
    body = (body or "").strip()
    if not body:
        _refuse(_("Write a message."), field="body")
    if len(body) > CHAT_MESSAGE_MAX_LENGTH:
        _refuse(
            _("A message has at most %(n)s characters.") % {"n": CHAT_MESSAGE_MAX_LENGTH},
            field="body",
        )
    return body


def open_chat_of(customer) -> Chat | None:
    return (
        Chat.objects.filter(customer=customer, state__in=(State.WAITING, State.ACTIVE))
        .order_by("-pk")
        .first()
    )


@transaction.atomic
def chat_start(*, customer, message: str = "") -> Chat:
    """A customer starts a chat (or is sent back to the one they have open). Refused outside
    service hours and while no agent is available: the page offers the alternatives then."""
    existing = open_chat_of(customer)
    if existing is not None:
        return existing
    body = (message or "").strip()
    if body:
        body = _clean_message(body)
    if not within_service_hours():
        _refuse(
            _(
                "The chat is open %(hours)s (Beijing time). Please leave a ticket or ask us to call you back."
            )
            % {"hours": service_hours().label},
            code="chat_closed",
        )
    if not agents_available():
        _refuse(
            _("No agent is free at the moment. Please leave a ticket or ask us to call you back."),
            code="chat_no_agent",
        )
    _rate_limit(user=customer, what="chat", per_minute=settings.SUPPORT_CHATS_PER_MINUTE)
    chat = Chat.objects.create(customer=customer, language=language_now())
    if body:
        ChatMessage.objects.create(chat=chat, author=customer, body=body)
    return chat


def chat_pick_up(*, chat: Chat, agent) -> Chat:
    """An available agent takes a waiting chat. One conditional UPDATE decides: of two agents
    at once, exactly one changes the row; the other is told someone else has it."""
    _require_agent(agent)
    if not agent_is_available(agent):
        _refuse(_("Mark yourself available before you pick up a chat."), code="agent_unavailable")
    with transaction.atomic():
        won = Chat.objects.filter(pk=chat.pk, state=State.WAITING).update(
            state=State.ACTIVE, agent=agent, picked_up_at=timezone.now()
        )
    chat.refresh_from_db()
    if not won:
        if chat.state == State.ENDED:
            _refuse(_("This chat has ended."), code="chat_ended")
        if chat.agent_id != agent.pk:
            _refuse(_("Another agent has already picked up this chat."), code="chat_taken")
    return chat


def _locked(chat: Chat) -> Chat:
    return Chat.objects.select_for_update().get(pk=chat.pk)


@transaction.atomic
def chat_message_by_customer(*, chat: Chat, customer, body: str) -> ChatMessage:
    chat = _locked(chat)
    if chat.customer_id != customer.pk:
        _refuse(_("No such chat."), status_code=404, code="not_found")
    body = _clean_message(body)
    if chat.state == State.ENDED:
        _refuse(_("This chat has ended."), field="body", code="chat_ended")
    _rate_limit(
        user=customer, what="chat_message", per_minute=settings.SUPPORT_CHAT_MESSAGES_PER_MINUTE
    )
    return ChatMessage.objects.create(chat=chat, author=customer, body=body)


@transaction.atomic
def chat_message_by_agent(*, chat: Chat, agent, body: str) -> ChatMessage:
    chat = _locked(chat)
    body = _clean_message(body)
    if chat.state != State.ACTIVE:
        _refuse(
            _("This chat has ended.")
            if chat.state == State.ENDED
            else _("Pick the chat up before you answer."),
            field="body",
            code="chat_not_active",
        )
    if chat.agent_id != agent.pk:
        _refuse(_("Another agent has this chat."), field="body", code="chat_taken")
    return ChatMessage.objects.create(chat=chat, author=agent, from_staff=True, body=body)


@transaction.atomic
def chat_end(*, chat: Chat, actor, as_customer: bool, category: str = "") -> Chat:
    """Either side ends the chat; its transcript becomes a ticket (the agent's category, or
    DEFAULT_CATEGORY), the messages its thread. A chat that had an agent gives a resolved
    ticket (the customer may reopen it); one nobody answered gives an open ticket in the queue.
    A chat without a single message leaves no ticket."""
    chat = _locked(chat)
    if as_customer and chat.customer_id != actor.pk:
        _refuse(_("No such chat."), status_code=404, code="not_found")
    if not as_customer:
        _require_agent(actor)
        if chat.agent_id != actor.pk:
            _refuse(_("Only the agent of this chat can end it."), code="chat_taken")
    if category and category not in Ticket.Category.values:
        _refuse(_("Choose a category."), field="category")
    if chat.state == State.ENDED:
        _refuse(_("This chat has ended."), code="chat_ended")
    return _end(chat, actor=actor, category=category or DEFAULT_CATEGORY)


def _end(chat: Chat, *, actor, category: str, idle: bool = False) -> Chat:
    """End a locked, open chat; `actor` None when the system ends it."""
    chat.state = State.ENDED
    chat.ended_at = timezone.now()
    chat.ended_by = actor
    chat.ended_idle = idle
    chat.ticket = _transcript_ticket(chat, category=category, actor=actor)
    chat.save(update_fields=["state", "ended_at", "ended_by", "ended_idle", "ticket"])
    return chat


# --- chats nobody writes in -----------------------------------------------------------------

# At most this many chats are ended per run; the next run (a minute later) takes the rest.
IDLE_BATCH = 200


def _idle_after() -> timedelta:
    return timedelta(minutes=settings.SUPPORT_CHAT_IDLE_MINUTES)


def _with_last_activity(queryset):
    """Annotate `last_activity`: the latest of the chat's start, its pick-up and its last
    message. A pick-up counts: the agent who just took a chat has the full time to answer."""
    last_message = (
        ChatMessage.objects.filter(chat=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )
    return queryset.annotate(
        last_activity=Greatest(
            "created_at",
            Coalesce("picked_up_at", "created_at"),
            Coalesce(Subquery(last_message), "created_at"),
        )
    )


def idle_chats(*, now: datetime | None = None):
    """Open chats (waiting or active) with no activity for SUPPORT_CHAT_IDLE_MINUTES."""
    cutoff = (now or timezone.now()) - _idle_after()
    return (
        _with_last_activity(Chat.objects.filter(state__in=(State.WAITING, State.ACTIVE)))
        .filter(Q(last_activity__lte=cutoff))
        .order_by("pk")
    )


def chats_end_idle() -> int:
    """End every chat idle for SUPPORT_CHAT_IDLE_MINUTES (each in its own transaction, so one
    failure leaves the others ended). Run by a periodic task; a second run finds nothing."""
    ids = list(idle_chats().values_list("pk", flat=True)[:IDLE_BATCH])
    return sum(1 for chat_id in ids if chat_end_idle(chat_id=chat_id))


@transaction.atomic
def chat_end_idle(*, chat_id: int) -> Chat | None:
    """End one chat for inactivity, the way "End the chat" does, and tell the customer in the
    chat why and where the conversation went. Re-checked under the chat's lock (a message
    written meanwhile keeps the chat open; an ended chat is left alone), so it happens once."""
    chat = (
        _with_last_activity(Chat.objects.select_for_update(of=("self",)))
        .filter(pk=chat_id, state__in=(State.WAITING, State.ACTIVE))
        .first()
    )
    if chat is None or chat.last_activity > timezone.now() - _idle_after():
        return None
    answered = chat.agent_id is not None
    chat = _end(chat, actor=None, category=DEFAULT_CATEGORY, idle=True)
    with speaking(chat.language):
        body = _idle_notice(chat, answered=answered)
    ChatMessage.objects.create(chat=chat, from_staff=True, system=True, body=body)
    return chat


def _idle_notice(chat: Chat, *, answered: bool) -> str:
    minutes = settings.SUPPORT_CHAT_IDLE_MINUTES
    if chat.ticket_id is None:
        return ngettext(
            "This chat ended after %(minutes)s minute without messages.",
            "This chat ended after %(minutes)s minutes without messages.",
            minutes,
        ) % {"minutes": minutes}
    if answered:
        text = ngettext(
            "This chat ended after %(minutes)s minute without messages. "
            "Your conversation is saved as ticket %(reference)s.",
            "This chat ended after %(minutes)s minutes without messages. "
            "Your conversation is saved as ticket %(reference)s.",
            minutes,
        )
    else:
        text = ngettext(
            "This chat ended after %(minutes)s minute without messages. "
            "Your message is saved as ticket %(reference)s: an agent will answer you there.",
            "This chat ended after %(minutes)s minutes without messages. "
            "Your message is saved as ticket %(reference)s: an agent will answer you there.",
            minutes,
        )
    return text % {"minutes": minutes, "reference": chat.ticket.reference}


def _transcript_ticket(chat: Chat, *, category: str, actor) -> Ticket | None:
    lines = list(chat.messages.order_by("pk"))
    if not lines:
        return None
    now = timezone.now()
    answered = chat.agent_id is not None
    ticket = Ticket.objects.create(
        customer_id=chat.customer_id,
        category=category,
        priority=tickets.priority_for(category=category),
        # No chat reference in the subject: it is linked from the chat, and a random code would
        # read as stray Latin letters in a Chinese subject line.
        subject=_("Live chat of %(date)s")
        % {"date": timezone.localtime(chat.created_at).strftime("%Y-%m-%d %H:%M")},
        assignee_id=chat.agent_id,
        state=Ticket.State.RESOLVED if answered else Ticket.State.OPEN,
        created_at=chat.created_at,
        resolved_at=now if answered else None,
    )
    TicketMessage.objects.bulk_create(
        TicketMessage(
            ticket=ticket,
            author_id=line.author_id,
            from_staff=line.from_staff,
            body=line.body,
            created_at=line.created_at,
        )
        for line in lines
    )
    tickets._event(
        ticket,
        TicketEvent.Kind.OPENED,
        actor=actor,
        to_state=Ticket.State.OPEN,
        detail={"chat": chat.reference},
    )
    _clocks_and_survey(ticket, lines, chat=chat, answered=answered, at=now)
    if answered:
        tickets._event(
            ticket,
            TicketEvent.Kind.STATE,
            actor=actor,
            from_state=Ticket.State.OPEN,
            to_state=Ticket.State.RESOLVED,
        )
    return ticket


def _clocks_and_survey(ticket: Ticket, lines, *, chat: Chat, answered: bool, at) -> None:
    """A chat's ticket keeps SLA clocks like any other: opened when the chat began, answered at
    the agent's first message, resolved when an answered chat ends — which, as for any resolved
    ticket, asks the customer how satisfied they are. An unanswered chat waits in the queue."""
    sla.sla_update(ticket=ticket, what=sla.OPENED, at=chat.created_at)
    if not answered:
        return
    first_answer = next((line for line in lines if line.from_staff), None)
    if first_answer is not None:
        sla.sla_update(ticket=ticket, what=sla.STAFF_REPLY, at=first_answer.created_at)
    sla.sla_update(ticket=ticket, what=sla.STATE, at=at, from_state=Ticket.State.OPEN)
    surveys.csat_invite(ticket=ticket)


# --- reads ----------------------------------------------------------------------------------


def chats_of(customer):
    return Chat.objects.filter(customer=customer).select_related("ticket").order_by("-pk")


def chat_of_customer_or_none(*, customer, reference: str) -> Chat | None:
    return (
        Chat.objects.filter(customer=customer, reference=reference)
        .select_related("ticket", "agent")
        .first()
    )


def messages_after(chat: Chat, after_id: int = 0):
    """The poll: messages after the cursor, oldest first, at most POLL_LIMIT (one query)."""
    return list(
        ChatMessage.objects.filter(chat=chat, pk__gt=after_id)
        .select_related("author")
        .order_by("pk")[:POLL_LIMIT]
    )


def waiting_chats():
    return Chat.objects.filter(state=State.WAITING).select_related("customer").order_by("pk")


def active_chats_of(agent):
    return Chat.objects.filter(state=State.ACTIVE, agent=agent).select_related("customer")


def recent_ended_chats(limit: int = 10):
    return (
        Chat.objects.filter(state=State.ENDED)
        .select_related("customer", "agent", "ticket")
        .order_by("-ended_at", "-pk")[:limit]
    )


# --- callbacks ------------------------------------------------------------------------------


@transaction.atomic
def callback_request(
    *, customer, scheduled_for: datetime | None, phone: str = "", topic: str = ""
) -> Callback:
    """A customer asks to be phoned: in the future, within service hours, at most
    SUPPORT_CALLBACK_MAX_DAYS ahead; on the number entered or, if none, their profile's."""
    errors: dict[str, list[str]] = {}
    hours = service_hours()
    now = timezone.now()
    if scheduled_for is None:
        errors["scheduled_for"] = [_("Choose when we should call you.")]
    elif timezone.is_naive(scheduled_for):
        scheduled_for = timezone.make_aware(scheduled_for, hours.zone)
    if "scheduled_for" not in errors:
        if scheduled_for <= now:
            errors["scheduled_for"] = [_("Choose a time in the future.")]
        elif scheduled_for > now + timedelta(days=settings.SUPPORT_CALLBACK_MAX_DAYS):
            errors["scheduled_for"] = [
                _("Choose a time within the next %(days)s days.")
                % {"days": settings.SUPPORT_CALLBACK_MAX_DAYS}
            ]
        elif not hours.contains(scheduled_for):
            errors["scheduled_for"] = [
                _("We call between %(hours)s (Beijing time). Choose a time within these hours.")
                % {"hours": hours.label}
            ]
    raw_phone = (phone or "").strip() or (customer.phone or "")
    if not raw_phone:
        errors["phone"] = [_("Enter the phone number we should call.")]
    else:
        try:
            raw_phone = normalize_phone(raw_phone)
        except ValidationError:
            errors["phone"] = [_("Enter a valid phone number.")]
    topic = (topic or "").strip()
    if len(topic) > 200:
        errors["topic"] = [_("A topic has at most 200 characters.")]
    if errors:
        first = next(iter(errors.values()))[0]
        from config.api_errors import ApplicationError

        raise ApplicationError(first, code="invalid", fields=errors)
    _rate_limit(user=customer, what="callback", per_minute=settings.SUPPORT_CALLBACKS_PER_MINUTE)
    callback = Callback.objects.create(
        customer=customer, phone=raw_phone, scheduled_for=scheduled_for, topic=topic
    )
    outbox_enqueue(
        topic=CALLBACK_CONFIRM,
        payload={"callback_id": callback.pk},
        dedupe_key=f"callback:{callback.pk}:confirm",
    )
    return callback


def callback_confirm_send(*, callback_id: int) -> None:
    """The customer's confirmation of the callback, in their inbox (and channels)."""
    callback = Callback.objects.select_related("customer").get(pk=callback_id)
    when = date_format(
        timezone.localtime(callback.scheduled_for, service_hours().zone), "DATETIME_FORMAT"
    )
    notify(
        user=callback.customer,
        kind=Notification.Kind.SUPPORT,
        title=_("We will call you back"),
        body=_("We will call %(phone)s at %(when)s (Beijing time).")
        % {"phone": _masked_phone(callback.phone), "when": when},
        dedupe_key=f"callback-confirm:{callback.pk}",
        link=reverse("chat:home"),
    )


def _masked_phone(phone: str) -> str:
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else phone


@transaction.atomic
def callback_complete(*, callback: Callback, agent, outcome: str, note: str = "") -> Callback:
    _require_agent(agent)
    if outcome not in Callback.Outcome.values:
        _refuse(_("Choose how the call went."), field="outcome")
    callback = Callback.objects.select_for_update().get(pk=callback.pk)
    if callback.state == Callback.State.DONE:
        _refuse(_("This callback is already done."), code="callback_done")
    callback.state = Callback.State.DONE
    callback.outcome = outcome
    callback.outcome_note = (note or "").strip()[:500]
    callback.done_by = agent
    callback.done_at = timezone.now()
    callback.save(update_fields=["state", "outcome", "outcome_note", "done_by", "done_at"])
    return callback


def callbacks_due():
    """Callbacks still to make, the earliest first."""
    return (
        Callback.objects.filter(state=Callback.State.PENDING)
        .select_related("customer")
        .order_by("scheduled_for", "pk")
    )


def callbacks_of(customer):
    return Callback.objects.filter(customer=customer).order_by("-scheduled_for", "-pk")


def connect() -> None:
    register_handler(CALLBACK_CONFIRM, callback_confirm_send)
