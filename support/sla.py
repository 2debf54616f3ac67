"""Service levels of tickets: the one place where a ticket's SLA clocks start, pause, resume and
stop, and where its due times are computed and stored on the ticket; the periodic check that
warns before a breach and escalates on one; and SLA attainment for the lead's page and the KPI
dashboards.

Three clocks, measured in business minutes on the bank's calendar (support/business_hours.py),
with the targets of the ticket's SlaPolicy (category and priority):

- first response: from opening to the first reply the customer can see;
- next response: from a customer's message after the bank answered, to the next such reply;
- resolution: from opening (or reopening) to resolution.

Internal notes stop nothing. While the ticket waits on the customer, every clock is paused and
keeps the business minutes it had left; they count again from the moment it leaves that state.
A clock is met when it stops before it is due, breached when it is due before it stops.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.models import Notification
from notifications.services import notify, outbox_enqueue

from . import sla_defaults
from .business_hours import (
    NoWorkingTime,
    add_business_minutes,
    business_minutes_between,
    calendar_load,
)
from .models_sla import CalendarDay, SlaClock, SlaPolicy
from .models_tickets import Ticket, TicketEvent

User = get_user_model()
Kind = SlaClock.Kind
State = Ticket.State

WARN_BEFORE = timedelta(minutes=15)
# The queue's "due soon" filter: a running clock due within this long.
DUE_SOON = timedelta(hours=1)
SLA_WARNING = "support.sla_warning"
SUPPORT_LEAD_GROUP = "support_lead"

# What happened to a ticket, as sla_update is told.
OPENED = "opened"
STAFF_REPLY = "staff_reply"
CUSTOMER_MESSAGE = "customer_message"
STATE = "state"


def targets_for(ticket: Ticket) -> dict[str, int]:
    policy = SlaPolicy.objects.filter(category=ticket.category, priority=ticket.priority).first()
    if policy is not None:
        return {kind: policy.target_for(kind) for kind in Kind.values}
    first, following, resolution = sla_defaults.TARGETS.get(
        ticket.priority, sla_defaults.TARGETS[2]
    )
    return {
        Kind.FIRST_RESPONSE: first,
        Kind.NEXT_RESPONSE: following,
        Kind.RESOLUTION: resolution,
    }


class _Clocks:
    """The ticket's clocks that have not stopped, and the calendar, loaded once per update."""

    def __init__(self, ticket: Ticket, at: datetime):
        self.ticket = ticket
        self.at = at
        self.open = list(ticket.sla_clocks.filter(stopped_at__isnull=True))
        self._calendar = None
        self._targets = None

    @property
    def calendar(self):
        if self._calendar is None:
            self._calendar = calendar_load()
        return self._calendar

    def add(self, start: datetime, minutes: int) -> datetime | None:
        """The due time; none when the calendar has no working time left (every day a
        holiday): the clock then runs without a due time rather than refusing the ticket."""
        try:
            return add_business_minutes(start, minutes, self.calendar)
        except NoWorkingTime:
            return None

    def of(self, *kinds):
        return [clock for clock in self.open if clock.kind in kinds]

    def start(self, kind: str) -> None:
        if self.of(kind):
            return
        if self._targets is None:
            self._targets = targets_for(self.ticket)
        target = self._targets[kind]
        clock = SlaClock(ticket=self.ticket, kind=kind, target_minutes=target, started_at=self.at)
        if self.ticket.state == State.WAITING:
            clock.paused_at, clock.remaining_minutes = self.at, target
        else:
            clock.due_at = self.add(self.at, target)
        clock.save()
        self.open.append(clock)

    def stop(self, clock: SlaClock) -> None:
        clock.stopped_at = self.at
        if clock.met is None:
            if clock.paused_at is not None:
                clock.met = (clock.remaining_minutes or 0) > 0
            else:
                clock.met = clock.due_at is None or self.at <= clock.due_at
            if clock.met:
                clock.decided_at = self.at
            else:
                clock.breached_at = clock.decided_at = clock.due_at or self.at
            clock.agent_id = self.ticket.assignee_id
        clock.save()
        self.open.remove(clock)

    def pause(self) -> None:
        for clock in self.of(*Kind.values):
            if clock.paused_at is None:
                clock.remaining_minutes = (
                    business_minutes_between(self.at, clock.due_at, self.calendar)
                    if clock.due_at and clock.due_at > self.at
                    else 0
                )
                clock.paused_at = self.at
                clock.save(update_fields=["paused_at", "remaining_minutes"])

    def resume(self) -> None:
        for clock in self.of(*Kind.values):
            if clock.paused_at is not None:
                if clock.breached_at is None:
                    clock.due_at = self.add(self.at, clock.remaining_minutes or 0)
                clock.paused_at = None
                clock.save(update_fields=["paused_at", "due_at"])


def sla_update(*, ticket: Ticket, what: str, at: datetime | None = None, from_state: str = ""):
    """Bring the ticket's clocks up to date with what just happened to it, then store its due
    times. Called by the ticket services (support/tickets.py), inside their transaction."""
    clocks = _Clocks(ticket, at or timezone.now())
    if what == OPENED:
        clocks.start(Kind.FIRST_RESPONSE)
        clocks.start(Kind.RESOLUTION)
    elif what == STAFF_REPLY:
        for clock in clocks.of(Kind.FIRST_RESPONSE, Kind.NEXT_RESPONSE):
            clocks.stop(clock)
    elif what == CUSTOMER_MESSAGE:
        answered = ticket.sla_clocks.filter(kind=Kind.FIRST_RESPONSE, stopped_at__isnull=False)
        if not clocks.of(Kind.FIRST_RESPONSE, Kind.NEXT_RESPONSE) and answered.exists():
            clocks.start(Kind.NEXT_RESPONSE)
    elif what == STATE:
        to_state = ticket.state
        if to_state in (State.RESOLVED, State.CLOSED):
            for clock in clocks.of(*Kind.values):
                clocks.stop(clock)
        elif to_state == State.WAITING:
            clocks.pause()
        elif from_state == State.WAITING:
            clocks.resume()
        elif from_state == State.RESOLVED and to_state == State.OPEN:
            # Reopened: the bank owes an answer and a resolution again.
            clocks.start(Kind.NEXT_RESPONSE)
            clocks.start(Kind.RESOLUTION)
    _store(ticket, clocks.open)


def _store(ticket: Ticket, open_clocks: list[SlaClock]) -> None:
    due = dict.fromkeys(Kind.values)
    for clock in open_clocks:
        if clock.paused_at is None:
            due[clock.kind] = clock.due_at
    breaches = [c.breached_at for c in open_clocks if c.breached_at] + (
        [ticket.sla_breached_at] if ticket.sla_breached_at else []
    )
    ticket.first_response_due = due[Kind.FIRST_RESPONSE]
    ticket.next_response_due = due[Kind.NEXT_RESPONSE]
    ticket.resolution_due = due[Kind.RESOLUTION]
    ticket.sla_due = min((d for d in due.values() if d), default=None)
    ticket.sla_breached_at = min(breaches, default=None)
    ticket.save(
        update_fields=[
            "first_response_due",
            "next_response_due",
            "resolution_due",
            "sla_due",
            "sla_breached_at",
        ]
    )


def queue_q(status: str) -> Q:
    """The queue's SLA filter: "due_soon" (a running clock due within the hour, not yet
    breached), "breached" (a clock was breached), "met" (no breach, nothing running: every clock
    so far met)."""
    if status == "due_soon":
        now = timezone.now()
        return Q(sla_breached_at__isnull=True, sla_due__gt=now, sla_due__lte=now + DUE_SOON)
    if status == "breached":
        return Q(sla_breached_at__isnull=False)
    if status == "met":
        met = SlaClock.objects.filter(ticket=OuterRef("pk"), met=True)
        return Q(Exists(met), sla_breached_at__isnull=True, sla_due__isnull=True)
    return Q()


# --- the calendar's public holidays -------------------------------------------------------

# China's public holidays for a year are published by the State Council in the autumn before
# (usually October to December). From this month on, next year's missing holidays are warned
# about too; earlier, there is nothing to enter yet.
NEXT_YEAR_CHECKED_FROM_MONTH = 10


def years_without_holidays(*, today: date | None = None) -> list[int]:
    """The years (this one, and next from October) with no public holiday in the calendar: the
    SLA clocks would count those holidays as working days. Nothing is guessed: a lead enters the
    published schedule in the admin. One query."""
    today = today or timezone.localdate()
    years = [today.year]
    if today.month >= NEXT_YEAR_CHECKED_FROM_MONTH:
        years.append(today.year + 1)
    entered = set(
        CalendarDay.objects.filter(
            kind=CalendarDay.Kind.HOLIDAY,
            date__gte=date(years[0], 1, 1),
            date__lte=date(years[-1], 12, 31),
        )
        .values_list("date__year", flat=True)
        .distinct()
    )
    return [year for year in years if year not in entered]


def holiday_warnings(*, today: date | None = None) -> list[str]:
    """What to tell support leads (SLA page, admin) about years whose holidays are missing."""
    return [
        _(
            "Public holidays for %(year)s are not entered yet: SLA clocks count them as working "
            "days. Add them in the admin (Support › Calendar days) once they are published."
        )
        % {"year": year}
        for year in years_without_holidays(today=today)
    ]


# --- the periodic check ---------------------------------------------------------------------


@dataclass
class CheckResult:
    warned: int = 0
    breached: int = 0
    escalated: int = 0


def _running():
    return SlaClock.objects.filter(stopped_at__isnull=True, paused_at__isnull=True)


def sla_check(*, now: datetime | None = None) -> CheckResult:
    """Warn the assignee 15 minutes before a clock is due (once per clock) and, once it is due,
    record the breach and escalate the ticket to the support leads (once per ticket). Running it
    twice changes nothing more."""
    now = now or timezone.now()
    result = CheckResult()
    to_warn = _running().filter(
        warned_at__isnull=True,
        breached_at__isnull=True,
        due_at__gt=now,
        due_at__lte=now + WARN_BEFORE,
    )
    for clock_id in to_warn.values_list("pk", flat=True):
        with transaction.atomic():
            if SlaClock.objects.filter(pk=clock_id, warned_at__isnull=True).update(warned_at=now):
                outbox_enqueue(
                    topic=SLA_WARNING,
                    payload={"clock_id": clock_id},
                    dedupe_key=f"sla-warning:{clock_id}",
                )
                result.warned += 1
    breached = _running().filter(breached_at__isnull=True, due_at__lte=now)
    for clock_id in breached.values_list("pk", flat=True):
        with transaction.atomic():
            escalated = _breach(clock_id=clock_id)
        if escalated is not None:
            result.breached += 1
            result.escalated += escalated
    return result


def _breach(*, clock_id: int) -> bool | None:
    """None when someone else got there first; else whether the ticket was escalated now."""
    clock = (
        SlaClock.objects.select_for_update()
        .filter(pk=clock_id, breached_at__isnull=True, stopped_at__isnull=True)
        .first()
    )
    if clock is None:
        return None
    ticket = Ticket.objects.select_for_update().get(pk=clock.ticket_id)
    clock.breached_at = clock.decided_at = clock.due_at
    clock.met = False
    clock.agent_id = ticket.assignee_id
    clock.save(update_fields=["breached_at", "decided_at", "met", "agent"])
    fields = []
    if ticket.sla_breached_at is None or clock.due_at < ticket.sla_breached_at:
        ticket.sla_breached_at = clock.due_at
        fields.append("sla_breached_at")
    escalate = ticket.sla_escalated_at is None and ticket.state not in (
        State.RESOLVED,
        State.CLOSED,
    )
    if escalate:
        from . import tickets

        now = timezone.now()
        ticket.sla_escalated_at = ticket.escalated_at = now
        fields += ["sla_escalated_at", "escalated_at"]
        event = tickets._event(
            ticket,
            TicketEvent.Kind.ESCALATED,
            detail={"reason": "sla_breach", "clock": clock.kind},
        )
        outbox_enqueue(
            topic=tickets.ESCALATION_ALERT,
            payload={"ticket_id": ticket.pk},
            dedupe_key=f"ticket:{ticket.pk}:escalated:{event.pk}",
        )
    if fields:
        ticket.save(update_fields=fields)
    return escalate


def sla_warning_send(*, clock_id: int) -> None:
    """The outbox handler: the assignee (the leads when nobody has the ticket) hears that a clock
    is due in 15 minutes."""
    clock = SlaClock.objects.select_related("ticket__assignee").get(pk=clock_id)
    ticket = clock.ticket
    if clock.stopped_at is not None:
        return
    people = (
        [ticket.assignee]
        if ticket.assignee_id
        else User.objects.filter(
            is_active=True, is_staff=True, groups__name=SUPPORT_LEAD_GROUP
        ).distinct()
    )
    local_due = timezone.localtime(clock.due_at)
    for person in people:
        notify(
            user=person,
            kind=Notification.Kind.SUPPORT,
            title=_("%(clock)s due at %(time)s: %(subject)s")
            % {
                "clock": clock.get_kind_display(),
                "time": f"{local_due:%H:%M}",
                "subject": ticket.subject,
            },
            body=_("Ticket %(reference)s breaches its service level in 15 minutes.")
            % {"reference": ticket.reference},
            dedupe_key=f"sla-warning:{clock.pk}",
            link=reverse("backoffice:support_ticket", kwargs={"reference": ticket.reference}),
        )


# --- attainment -----------------------------------------------------------------------------


def _instant(value, *, end=False) -> datetime:
    if isinstance(value, datetime):
        return value
    day = value + timedelta(days=1) if end else value
    return timezone.make_aware(datetime.combine(day, time.min))


def _rate(met: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (Decimal(100) * met / total).quantize(Decimal("0.1"))


def _decided(start, end):
    return SlaClock.objects.filter(
        met__isnull=False,
        decided_at__gte=_instant(start),
        decided_at__lt=_instant(end, end=True),
    )


def attainment(start: date | datetime, end: date | datetime, agent=None) -> dict:
    """SLA attainment of the clocks decided in [start, end) (dates: whole days, end included),
    of one agent or the whole team: {"total", "met", "breached", "rate" (percent met, one
    decimal, None when no clock), "by_kind": {kind: {"total", "met", "breached", "rate"}}}.
    One query."""
    clocks = _decided(start, end)
    if agent is not None:
        clocks = clocks.filter(agent=agent)
    rows = clocks.values("kind").annotate(
        total=Count("pk"), met_count=Count("pk", filter=Q(met=True))
    )
    by_kind = {kind: {"total": 0, "met": 0, "breached": 0, "rate": None} for kind in Kind.values}
    for row in rows:
        by_kind[row["kind"]] = {
            "total": row["total"],
            "met": row["met_count"],
            "breached": row["total"] - row["met_count"],
            "rate": _rate(row["met_count"], row["total"]),
        }
    total = sum(k["total"] for k in by_kind.values())
    met = sum(k["met"] for k in by_kind.values())
    return {
        "total": total,
        "met": met,
        "breached": total - met,
        "rate": _rate(met, total),
        "by_kind": by_kind,
    }


def attainment_by_agent(start, end, agent=None) -> list[dict]:
    """One row per agent whom clocks counted for (unassigned clocks under agent None), with the
    same numbers as attainment(). One query."""
    clocks = _decided(start, end)
    if agent is not None:
        clocks = clocks.filter(agent=agent)
    rows = (
        clocks.values("agent_id", "agent__full_name", "agent__email")
        .annotate(total=Count("pk"), met_count=Count("pk", filter=Q(met=True)))
        .order_by("agent__full_name", "agent__email", "agent_id")
    )
    return [
        {
            "agent_id": row["agent_id"],
            "name": row["agent__full_name"] or row["agent__email"] or "",
            "total": row["total"],
            "met": row["met_count"],
            "breached": row["total"] - row["met_count"],
            "rate": _rate(row["met_count"], row["total"]),
        }
        for row in rows
    ]


__all__ = [
    "attainment",
    "attainment_by_agent",
    "sla_check",
    "sla_update",
    "sla_warning_send",
]
