"""`seed_demo`'s service levels: the calendar and default policies (as the data migration seeds
them), and weeks of answered tickets with met and breached clocks, so the lead's SLA attainment
page is not empty in the demo.

Today's demo tickets (support/seed_tickets.py) go through the services and get their due times
there. The weeks before are written as the services would have written them, dated back: the
services stamp the present, so there is no other way to have a past. Those tickets say so in
their events' detail (`"demo_history": true`). Made once: re-seeding adds nothing.
"""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from . import sla_defaults
from .business_hours import add_business_minutes, calendar_load
from .models_sla import CalendarDay, SlaClock, SlaPolicy, WorkingHours
from .models_tickets import Ticket, TicketEvent, TicketMessage
from .sla import targets_for
from .tickets import priority_for

HISTORY_SUBJECT = "历史工单示例"
# (category, business minutes to the first answer, business minutes to the resolution)
HISTORY = [
    (Ticket.Category.PAYMENT, 35, 300),
    (Ticket.Category.ACCOUNT, 90, 600),
    (Ticket.Category.CARD, 320, 900),
    (Ticket.Category.PAYMENT, 150, 1300),
    (Ticket.Category.COMPLAINT, 60, 2000),
    (Ticket.Category.SUGGESTION, 200, 400),
    (Ticket.Category.ACCOUNT, 20, 240),
    (Ticket.Category.CARD, 500, 1800),
    (Ticket.Category.PAYMENT, 45, 500),
    (Ticket.Category.ACCOUNT, 250, 700),
    (Ticket.Category.COMPLAINT, 30, 1500),
    (Ticket.Category.SUGGESTION, 100, 300),
]


def sla_defaults_ensure() -> None:
    sla_defaults.defaults_ensure(
        WorkingHours=WorkingHours, CalendarDay=CalendarDay, SlaPolicy=SlaPolicy
    )


def _clock(ticket, kind, target, start, stop, agent, calendar) -> bool:
    due = add_business_minutes(start, target, calendar)
    met = stop <= due
    SlaClock.objects.create(
        ticket=ticket,
        kind=kind,
        target_minutes=target,
        started_at=start,
        due_at=due,
        stopped_at=stop,
        met=met,
        decided_at=stop if met else due,
        breached_at=None if met else due,
        agent=agent,
    )
    return met


@transaction.atomic
def demo_sla_history_ensure(*, customers: list, agents: list) -> int:
    """Closed tickets over the past weeks, answered by the demo agents. Returns how many made."""
    if Ticket.objects.filter(subject__startswith=HISTORY_SUBJECT).exists():
        return 0
    calendar = calendar_load()
    today = timezone.localdate()
    for i, (category, answer_after, resolve_after) in enumerate(HISTORY):
        customer, agent = customers[i % len(customers)], agents[i % len(agents)]
        day = today - timedelta(days=3 + 2 * i)
        opened = timezone.make_aware(datetime.combine(day, time(10, 0)))
        answered = add_business_minutes(opened, answer_after, calendar)
        resolved = add_business_minutes(opened, resolve_after, calendar)
        closed = resolved + timedelta(hours=2)
        ticket = Ticket.objects.create(
            customer=customer,
            category=category,
            priority=priority_for(category=category),
            subject=f"{HISTORY_SUBJECT} {i + 1}",
            state=Ticket.State.CLOSED,
            assignee=agent,
            created_at=opened,
            updated_at=closed,
            resolved_at=resolved,
            closed_at=closed,
        )
        TicketMessage.objects.create(
            ticket=ticket, author=customer, body="请帮忙看看这个问题。", created_at=opened
        )
        TicketMessage.objects.create(
            ticket=ticket,
            author=agent,
            from_staff=True,
            body="您好，已为您处理。",
            created_at=answered,
        )
        history = {"demo_history": True}
        for kind, at, states in (
            (TicketEvent.Kind.OPENED, opened, ("", Ticket.State.OPEN)),
            (TicketEvent.Kind.STATE, answered, (Ticket.State.OPEN, Ticket.State.IN_PROGRESS)),
            (TicketEvent.Kind.STATE, resolved, (Ticket.State.IN_PROGRESS, Ticket.State.RESOLVED)),
            (TicketEvent.Kind.STATE, closed, (Ticket.State.RESOLVED, Ticket.State.CLOSED)),
        ):
            TicketEvent.objects.create(
                ticket=ticket,
                kind=kind,
                actor=customer if kind == TicketEvent.Kind.OPENED else agent,
                from_state=states[0],
                to_state=states[1],
                detail=history,
                created_at=at,
            )
        targets = targets_for(ticket)
        first_met = _clock(
            ticket,
            SlaClock.Kind.FIRST_RESPONSE,
            targets[SlaClock.Kind.FIRST_RESPONSE],
            opened,
            answered,
            agent,
            calendar,
        )
        resolution_met = _clock(
            ticket,
            SlaClock.Kind.RESOLUTION,
            targets[SlaClock.Kind.RESOLUTION],
            opened,
            resolved,
            agent,
            calendar,
        )
        if not (first_met and resolution_met):
            ticket.sla_breached_at = min(
                ticket.sla_clocks.filter(met=False).values_list("breached_at", flat=True)
            )
            ticket.save(update_fields=["sla_breached_at"])
    return len(HISTORY)
