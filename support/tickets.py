"""Writes of support tickets: opening, messages, the state machine, assignment and escalation.

Every state change goes through `ticket_transition`, which reads TRANSITIONS: a change not in
that table is refused with a message saying what the ticket is and what it cannot become.
Notifications go through the notifications outbox, in the transaction of the change: the
customer hears of what they may see, the assignee of what others did; an internal note never
reaches the customer.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.api_errors import ApplicationError
from config.ratelimit import hits_in_last_minute
from notifications.models import Notification
from notifications.services import notify, outbox_enqueue, register_handler

from . import sla, surveys
from .attachments import attachments_clean
from .models_tickets import CannedReply, Ticket, TicketAttachment, TicketEvent, TicketMessage

User = get_user_model()
State = Ticket.State
Category = Ticket.Category
Priority = Ticket.Priority

# Role (group) names, as backoffice/roles.py declares them: support stands below backoffice and
# does not import it.
RISK_OFFICER_GROUP = "risk_officer"
SUPPORT_AGENT_GROUP = "support_agent"
SUPPORT_LEAD_GROUP = "support_lead"

TICKET_UPDATE = "support.ticket_update"
FRAUD_ALERT = "support.fraud_alert"
ESCALATION_ALERT = "support.escalation_alert"

CUSTOMER = "customer"
AGENT = "agent"
# The periodic auto-close (tickets_autoclose), nobody in person.
SYSTEM = "system"

# (from, to): who may make that change. Nothing else is a legal change.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (State.OPEN, State.IN_PROGRESS): frozenset({AGENT}),
    (State.OPEN, State.WAITING): frozenset({AGENT}),
    (State.OPEN, State.RESOLVED): frozenset({AGENT}),
    (State.IN_PROGRESS, State.WAITING): frozenset({AGENT}),
    (State.IN_PROGRESS, State.RESOLVED): frozenset({AGENT}),
    # The customer answers: the ticket is the bank's to move again.
    (State.WAITING, State.IN_PROGRESS): frozenset({AGENT, CUSTOMER}),
    (State.WAITING, State.RESOLVED): frozenset({AGENT}),
    (State.RESOLVED, State.CLOSED): frozenset({AGENT, CUSTOMER, SYSTEM}),
    # Reopening: only within REOPEN_DAYS of the resolution (checked below).
    (State.RESOLVED, State.OPEN): frozenset({AGENT, CUSTOMER}),
}
REOPEN_DAYS = 7
# A resolved ticket closes by itself when its reopen window ends (tickets_autoclose).
AUTO_CLOSE_AFTER = timedelta(days=REOPEN_DAYS)
# Customers may write while the ticket is one of these; a resolved ticket is reopened first.
CUSTOMER_MAY_WRITE = (State.OPEN, State.IN_PROGRESS, State.WAITING)
STAFF_MAY_WRITE = (State.OPEN, State.IN_PROGRESS, State.WAITING, State.RESOLVED)

BASE_PRIORITY = {
    Category.FRAUD: Priority.URGENT,
    Category.PAYMENT: Priority.HIGH,
    Category.CARD: Priority.NORMAL,
    Category.ACCOUNT: Priority.NORMAL,
    Category.COMPLAINT: Priority.NORMAL,
    Category.SUGGESTION: Priority.LOW,
}

MESSAGE_MAX_LENGTH = 5000


def priority_for(*, category: str, amount: Decimal | None = None) -> int:
    """The category's priority, one step higher when the payment concerned is large."""
    priority = BASE_PRIORITY[category]
    if amount is not None and abs(amount) >= Decimal(settings.SUPPORT_LARGE_AMOUNT):
        priority = min(priority + 1, Priority.URGENT)
    return int(priority)


def _refuse(message, *, field: str | None = None, code: str = "invalid", status_code=None):
    raise ApplicationError(
        message, code=code, fields={field: [message]} if field else {}, status_code=status_code
    )


def _rate_limit(*, user, what: str, per_minute: int) -> None:
    if hits_in_last_minute(f"support:{what}:{user.pk}") >= per_minute:
        _refuse(
            _("Too many requests in a short time. Please wait a minute and try again."),
            code="rate_limited",
            status_code=429,
        )


def _clean_body(body: str, *, field: str = "message", files=()) -> str:
    body = (body or "").strip()
    if not body and not files:
        _refuse(_("Write a message."), field=field)
    if len(body) > MESSAGE_MAX_LENGTH:
        _refuse(
            _("A message has at most %(n)s characters.") % {"n": MESSAGE_MAX_LENGTH}, field=field
        )
    return body


def _customer_entry_amount(*, customer, transaction_id: int) -> Decimal:
    """The amount of the customer's own movement in that transaction; refused if it is not
    theirs (the same answer as for a transaction that does not exist)."""
    from wallet.models import Entry

    amounts = list(
        Entry.objects.filter(
            transaction_id=transaction_id, account__wallet__user=customer
        ).values_list("amount", flat=True)
    )
    if not amounts:
        _refuse(_("No such transaction in your wallet."), field="transaction")
    return sum(amounts, Decimal("0"))


def _event(ticket, kind, *, actor=None, from_state="", to_state="", detail=None) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        kind=kind,
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        detail=detail or {},
    )


def _attach(message: TicketMessage, cleaned) -> None:
    for clean in cleaned:
        TicketAttachment.objects.create(
            message=message,
            file=clean.as_django_file(),
            name=clean.name,
            content_type=clean.content_type,
            size=len(clean.content),
        )


def _touch(ticket: Ticket, *fields: str) -> None:
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["updated_at", *fields])


# --- notifications ------------------------------------------------------------------------


def _announce(ticket: Ticket, *, what: str, actor, customer_sees: bool, key: str) -> None:
    """Queue the update's notifications (after commit): the customer when they may see it and
    did not do it themselves, the assignee when someone else did it."""
    outbox_enqueue(
        topic=TICKET_UPDATE,
        payload={
            "ticket_id": ticket.pk,
            "what": what,
            "actor_id": actor.pk if actor else None,
            "customer_sees": customer_sees,
        },
        dedupe_key=f"ticket:{ticket.pk}:{key}",
    )


UPDATE_TITLES = {
    "opened": gettext_lazy("Ticket opened: %(subject)s"),
    "reply": gettext_lazy("New reply on your ticket: %(subject)s"),
    "note": gettext_lazy("Internal note on a ticket: %(subject)s"),
    "state": gettext_lazy("Ticket %(state)s: %(subject)s"),
    "assigned": gettext_lazy("Ticket assigned to you: %(subject)s"),
    "escalated": gettext_lazy("Ticket escalated: %(subject)s"),
}


def ticket_update_send(*, ticket_id: int, what: str, actor_id, customer_sees: bool) -> None:
    """The outbox handler. The text names the ticket and what happened, never a message's
    body: an internal note's words cannot leak through it."""
    ticket = Ticket.objects.select_related("customer", "assignee").get(pk=ticket_id)
    values = {"subject": ticket.subject, "state": ticket.get_state_display()}
    title = str(UPDATE_TITLES[what]) % values
    body = _("%(subject)s — state: %(state)s.") % {
        "subject": ticket.subject,
        "state": ticket.get_state_display(),
    }
    key = f"ticket:{ticket.pk}:{what}:{timezone.now().timestamp()}"
    if customer_sees and actor_id != ticket.customer_id:
        notify(
            user=ticket.customer,
            kind=Notification.Kind.SUPPORT,
            title=title,
            body=body,
            dedupe_key=key[:120],
            link=reverse("support:ticket", kwargs={"reference": ticket.reference}),
        )
    if ticket.assignee_id and actor_id != ticket.assignee_id:
        notify(
            user=ticket.assignee,
            kind=Notification.Kind.SUPPORT,
            title=title,
            body=body,
            dedupe_key=key[:120],
            link=reverse("backoffice:support_ticket", kwargs={"reference": ticket.reference}),
        )


def fraud_alert_send(*, ticket_id: int) -> None:
    """Every risk officer hears of a suspected-fraud ticket at once (a security alert)."""
    ticket = Ticket.objects.get(pk=ticket_id)
    officers = User.objects.filter(
        is_active=True, is_staff=True, groups__name=RISK_OFFICER_GROUP
    ).distinct()
    for officer in officers:
        notify(
            user=officer,
            kind=Notification.Kind.SECURITY,
            title=_("Suspected fraud reported: %(subject)s") % {"subject": ticket.subject},
            body=ticket.subject,
            dedupe_key=f"support-fraud:{ticket.pk}",
            link=reverse("backoffice:support_ticket", kwargs={"reference": ticket.reference}),
        )


def connect() -> None:
    register_handler(TICKET_UPDATE, ticket_update_send)
    register_handler(FRAUD_ALERT, fraud_alert_send)
    register_handler(ESCALATION_ALERT, escalation_alert_send)
    register_handler(sla.SLA_WARNING, sla.sla_warning_send)


# --- customers ----------------------------------------------------------------------------


@transaction.atomic
def ticket_create(
    *,
    customer,
    category: str,
    subject: str,
    message: str,
    transaction_id: int | None = None,
    freeze_wallet: bool = False,
    files=(),
) -> Ticket:
    """A customer opens a ticket. With a transaction it points at that payment (theirs only);
    a suspected-fraud ticket alerts the risk officers and may freeze the customer's wallet in
    the same step."""
    if category not in Category.values:
        _refuse(_("Choose a category."), field="category")
    subject = (subject or "").strip()
    if not subject:
        _refuse(_("Write a subject."), field="subject")
    if len(subject) > 200:
        _refuse(_("A subject has at most 200 characters."), field="subject")
    body = _clean_body(message)
    cleaned = attachments_clean(files)
    if freeze_wallet and category != Category.FRAUD:
        _refuse(
            _("Freezing the wallet is offered only with a suspected-fraud report."),
            field="freeze_wallet",
        )
    _rate_limit(user=customer, what="ticket", per_minute=settings.SUPPORT_TICKETS_PER_MINUTE)
    amount = (
        _customer_entry_amount(customer=customer, transaction_id=transaction_id)
        if transaction_id is not None
        else None
    )
    ticket = Ticket.objects.create(
        customer=customer,
        category=category,
        subject=subject,
        transaction_id=transaction_id,
        priority=priority_for(category=category, amount=amount),
    )
    first = TicketMessage.objects.create(ticket=ticket, author=customer, body=body)
    _attach(first, cleaned)
    _event(ticket, TicketEvent.Kind.OPENED, actor=customer, to_state=ticket.state)
    sla.sla_update(ticket=ticket, what=sla.OPENED, at=ticket.created_at)
    if freeze_wallet:
        _freeze_own_wallet(ticket=ticket, customer=customer)
    if category == Category.FRAUD:
        _fraud_case_open(ticket=ticket, customer=customer)
        outbox_enqueue(
            topic=FRAUD_ALERT, payload={"ticket_id": ticket.pk}, dedupe_key=f"fraud:{ticket.pk}"
        )
    _announce(ticket, what="opened", actor=customer, customer_sees=True, key="opened")
    return ticket


def _fraud_case_open(*, ticket: Ticket, customer) -> None:
    """The report reaches the risk officers' review queue as a case, in the same transaction."""
    from wallet.risk.reports import fraud_report_open

    fraud_report_open(
        user=customer,
        reference=ticket.reference,
        summary=ticket.subject,
        transaction_id=ticket.transaction_id,
    )


def _freeze_own_wallet(*, ticket: Ticket, customer) -> None:
    from wallet.models import Wallet
    from wallet.services import wallet_freeze

    wallet = Wallet.objects.filter(user=customer).first()
    if wallet is None or wallet.status != Wallet.Status.ACTIVE:
        _refuse(
            _("Your wallet is not active, so there is nothing to freeze."), field="freeze_wallet"
        )
    wallet_freeze(wallet=wallet)
    _event(ticket, TicketEvent.Kind.WALLET_FROZEN, actor=customer)


@transaction.atomic
def ticket_reply_by_customer(*, ticket: Ticket, customer, body: str, files=()) -> TicketMessage:
    ticket = _locked(ticket, customer=customer)
    body = _clean_body(body, field="body", files=files)
    if ticket.state not in CUSTOMER_MAY_WRITE:
        _refuse(
            _("This ticket is %(state)s: reopen it to write again, or open a new ticket.")
            % {"state": ticket.get_state_display()},
            field="body",
            code="ticket_not_open",
        )
    cleaned = attachments_clean(files)
    _rate_limit(user=customer, what="message", per_minute=settings.SUPPORT_MESSAGES_PER_MINUTE)
    message = TicketMessage.objects.create(ticket=ticket, author=customer, body=body)
    _attach(message, cleaned)
    if ticket.state == State.WAITING:
        _transition(ticket, State.IN_PROGRESS, actor=customer, who=CUSTOMER, announce=False)
    else:
        _touch(ticket)
    sla.sla_update(ticket=ticket, what=sla.CUSTOMER_MESSAGE, at=message.created_at)
    _announce(ticket, what="reply", actor=customer, customer_sees=True, key=f"m{message.pk}")
    return message


# --- the state machine ----------------------------------------------------------------------


def _locked(ticket: Ticket, *, customer=None) -> Ticket:
    rows = Ticket.objects.select_for_update().filter(pk=ticket.pk)
    if customer is not None:
        rows = rows.filter(customer=customer)
    locked = rows.first()
    if locked is None:
        _refuse(_("No such ticket."), status_code=404, code="not_found")
    return locked


def transition_allowed(ticket: Ticket, to_state: str, *, who: str) -> bool:
    if who not in TRANSITIONS.get((ticket.state, to_state), ()):
        return False
    return not (to_state == State.OPEN and not _within_reopen_window(ticket))


def _within_reopen_window(ticket: Ticket) -> bool:
    return bool(
        ticket.resolved_at and timezone.now() <= ticket.resolved_at + timedelta(days=REOPEN_DAYS)
    )


def _transition(ticket: Ticket, to_state: str, *, actor, who: str, announce=True) -> Ticket:
    from_state = ticket.state
    if who not in TRANSITIONS.get((from_state, to_state), ()):
        _refuse(
            _("A ticket that is %(from)s cannot become %(to)s.")
            % {"from": State(from_state).label, "to": State(to_state).label},
            field="state",
            code="transition_refused",
        )
    if to_state == State.OPEN and not _within_reopen_window(ticket):
        _refuse(
            _(
                "A ticket can be reopened within %(days)s days of its resolution; "
                "this one was resolved earlier. Please open a new ticket."
            )
            % {"days": REOPEN_DAYS},
            field="state",
            code="reopen_too_late",
        )
    ticket.state = to_state
    fields = ["state"]
    now = timezone.now()
    if to_state == State.RESOLVED:
        ticket.resolved_at = now
        fields.append("resolved_at")
        surveys.csat_invite(ticket=ticket)
    elif to_state == State.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    elif to_state == State.OPEN:
        ticket.resolved_at = None
        fields.append("resolved_at")
    _touch(ticket, *fields)
    event = _event(
        ticket, TicketEvent.Kind.STATE, actor=actor, from_state=from_state, to_state=to_state
    )
    sla.sla_update(ticket=ticket, what=sla.STATE, at=now, from_state=from_state)
    if announce:
        _announce(ticket, what="state", actor=actor, customer_sees=True, key=f"e{event.pk}")
    return ticket


@transaction.atomic
def ticket_transition(*, ticket: Ticket, to_state: str, actor, as_customer: bool) -> Ticket:
    """Move a ticket to another state, if TRANSITIONS lets this kind of actor do it."""
    if to_state not in State.values:
        _refuse(_("Choose a state."), field="state")
    ticket = _locked(ticket, customer=actor if as_customer else None)
    return _transition(ticket, to_state, actor=actor, who=CUSTOMER if as_customer else AGENT)


def tickets_autoclose(*, now=None) -> int:
    """Close the tickets resolved more than REOPEN_DAYS ago (their reopen window is over), each
    in its own transaction; the customer is told. Returns how many closed; a second run, none."""
    cutoff = (now or timezone.now()) - AUTO_CLOSE_AFTER
    due = Ticket.objects.filter(state=State.RESOLVED, resolved_at__lt=cutoff)
    closed = 0
    for ticket_id in due.values_list("pk", flat=True).order_by("pk").iterator():
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update()
                .filter(pk=ticket_id, state=State.RESOLVED, resolved_at__lt=cutoff)
                .first()
            )
            if ticket is not None:
                _transition(ticket, State.CLOSED, actor=None, who=SYSTEM)
                closed += 1
    return closed


# --- agents ---------------------------------------------------------------------------------


def is_support_staff(user) -> bool:
    return bool(
        user.is_authenticated
        and user.is_staff
        and (
            user.is_superuser
            or user.groups.filter(name__in=(SUPPORT_AGENT_GROUP, SUPPORT_LEAD_GROUP)).exists()
        )
    )


def support_staff():
    return (
        User.objects.filter(
            is_active=True,
            is_staff=True,
            groups__name__in=(SUPPORT_AGENT_GROUP, SUPPORT_LEAD_GROUP),
        )
        .distinct()
        .order_by("full_name", "pk")
    )


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee, actor) -> Ticket:
    """Take a ticket (assignee is the actor) or give it to another agent."""
    if not support_staff().filter(pk=assignee.pk).exists():
        _refuse(_("Tickets go to support agents only."), field="assignee")
    ticket = _locked(ticket)
    if ticket.state == State.CLOSED:
        _refuse(_("A closed ticket cannot be assigned."), field="assignee", code="ticket_closed")
    previous = ticket.assignee_id
    ticket.assignee = assignee
    _touch(ticket, "assignee")
    event = _event(
        ticket,
        TicketEvent.Kind.ASSIGNED,
        actor=actor,
        detail={"from": previous, "to": assignee.pk},
    )
    if ticket.state == State.OPEN:
        _transition(ticket, State.IN_PROGRESS, actor=actor, who=AGENT, announce=False)
    _announce(ticket, what="assigned", actor=actor, customer_sees=False, key=f"e{event.pk}")
    return ticket


@transaction.atomic
def ticket_reply_by_agent(
    *, ticket: Ticket, agent, body: str, internal: bool = False, then: str = "", files=()
) -> TicketMessage:
    """An agent's reply (the customer sees it) or internal note (they never do). `then` moves
    the ticket on in the same step: waiting on the customer, or resolved."""
    ticket = _locked(ticket)
    body = _clean_body(body, field="body", files=files)
    cleaned = attachments_clean(files)
    if ticket.state not in STAFF_MAY_WRITE:
        _refuse(
            _("This ticket is %(state)s: nothing more can be added.")
            % {"state": ticket.get_state_display()},
            field="body",
            code="ticket_closed",
        )
    if then not in ("", State.WAITING, State.RESOLVED):
        _refuse(_("Choose what happens next."), field="then")
    if internal and then:
        _refuse(_("An internal note does not change the ticket's state."), field="then")
    message = TicketMessage.objects.create(
        ticket=ticket, author=agent, from_staff=True, internal=internal, body=body
    )
    _attach(message, cleaned)
    if internal:
        _touch(ticket)
        _announce(ticket, what="note", actor=agent, customer_sees=False, key=f"m{message.pk}")
        return message
    if ticket.assignee_id is None:
        ticket.assignee = agent
        _touch(ticket, "assignee")
    # A reply the customer sees stops the response clocks (before any move to waiting).
    sla.sla_update(ticket=ticket, what=sla.STAFF_REPLY, at=message.created_at)
    if ticket.state == State.OPEN and then != State.RESOLVED and then != State.WAITING:
        _transition(ticket, State.IN_PROGRESS, actor=agent, who=AGENT, announce=False)
    if then:
        _transition(ticket, then, actor=agent, who=AGENT, announce=False)
    else:
        _touch(ticket)
    _announce(ticket, what="reply", actor=agent, customer_sees=True, key=f"m{message.pk}")
    return message


@transaction.atomic
def ticket_escalate(*, ticket: Ticket, actor, reason: str = "") -> Ticket:
    """Hand a ticket up to the support leads: marked escalated, raised to urgent, and every lead
    told."""
    ticket = _locked(ticket)
    if ticket.state in (State.RESOLVED, State.CLOSED):
        _refuse(
            _("A ticket that is %(state)s cannot be escalated.")
            % {"state": ticket.get_state_display()},
            code="ticket_closed",
        )
    ticket.escalated_at = timezone.now()
    ticket.priority = Priority.URGENT
    _touch(ticket, "escalated_at", "priority")
    event = _event(ticket, TicketEvent.Kind.ESCALATED, actor=actor, detail={"reason": reason[:500]})
    outbox_enqueue(
        topic=ESCALATION_ALERT,
        payload={"ticket_id": ticket.pk},
        dedupe_key=f"ticket:{ticket.pk}:escalated:{event.pk}",
    )
    return ticket


def escalation_alert_send(*, ticket_id: int) -> None:
    ticket = Ticket.objects.get(pk=ticket_id)
    leads = User.objects.filter(
        is_active=True, is_staff=True, groups__name=SUPPORT_LEAD_GROUP
    ).distinct()
    for lead in leads:
        notify(
            user=lead,
            kind=Notification.Kind.SUPPORT,
            title=str(UPDATE_TITLES["escalated"]) % {"subject": ticket.subject},
            body=ticket.subject,
            dedupe_key=f"ticket-escalated:{ticket.pk}:{ticket.escalated_at.timestamp()}"[:120],
            link=reverse("backoffice:support_ticket", kwargs={"reference": ticket.reference}),
        )


# --- reads ----------------------------------------------------------------------------------


def tickets_of(customer):
    return Ticket.objects.filter(customer=customer).order_by("-updated_at", "-pk")


def ticket_of_customer_or_none(*, customer, reference: str) -> Ticket | None:
    return (
        Ticket.objects.filter(customer=customer, reference=reference)
        .select_related("transaction")
        .first()
    )


def customer_visible_messages(ticket: Ticket):
    return (
        ticket.messages.filter(internal=False)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )


def canned_replies():
    return CannedReply.objects.filter(active=True).order_by("title")


def agent_queue(
    *, state=None, category=None, priority=None, assignee=None, unassigned=False, sla_status=""
):
    tickets = Ticket.objects.select_related("customer", "assignee").order_by(
        "-priority", "created_at", "pk"
    )
    tickets = tickets.filter(state=state) if state else tickets.exclude(state=State.CLOSED)
    if category:
        tickets = tickets.filter(category=category)
    if priority:
        tickets = tickets.filter(priority=priority)
    if sla_status:
        tickets = tickets.filter(sla.queue_q(sla_status))
    if unassigned:
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee is not None:
        tickets = tickets.filter(assignee=assignee)
    return tickets


def open_tickets_q() -> Q:
    return ~Q(state__in=(State.RESOLVED, State.CLOSED))


def attachment_for_customer_or_none(*, customer, pk: int):
    """An attachment of the customer's own ticket, on a message they may see."""
    return (
        TicketAttachment.objects.filter(
            pk=pk, message__ticket__customer=customer, message__internal=False
        )
        .select_related("message__ticket")
        .first()
    )
