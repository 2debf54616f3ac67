"""A ticket's service levels with time moved (time-machine): due times on opening, the warning
15 minutes before a breach, the breach and its one escalation, clocks paused while the ticket
waits on the customer, holidays and make-up days (调休), internal notes that stop nothing,
attainment, and auto-close ending the reopen window."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backoffice import roles
from config.api_errors import ApplicationError
from notifications.models import Notification
from support import sla, tickets
from support.models_sla import SlaClock, SlaPolicy
from support.models_tickets import Ticket, TicketEvent
from tests.accounts.factories import UserFactory
from tests.backoffice.factories import staff

from .factories import ticket

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
Kind = SlaClock.Kind


@pytest.fixture(autouse=True)
def _seeded_calendar_and_policies():
    """What the data migration seeds: a test that flushed the database (a live server's) may
    have run before in this process, so the tests do not rely on the migration's rows."""
    from support.seed_sla import sla_defaults_ensure

    sla_defaults_ensure()


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def _clock(t: Ticket, kind: str) -> SlaClock:
    return t.sla_clocks.filter(kind=kind).latest("started_at", "pk")


def test_seeded_policies_cover_every_category_and_priority():
    assert SlaPolicy.objects.count() == len(Ticket.Category) * len(Ticket.Priority)
    normal = SlaPolicy.objects.get(category="account", priority=Ticket.Priority.NORMAL)
    assert (normal.first_response_minutes, normal.next_response_minutes) == (240, 480)


def test_warning_breach_and_one_escalation(django_capture_on_commit_callbacks):
    agent, lead = staff(roles.SUPPORT_AGENT), staff(roles.SUPPORT_LEAD)
    with time_machine.travel(at(2026, 11, 30, 9, 0), tick=False) as traveller:
        t = ticket(category=Ticket.Category.ACCOUNT)  # normal: first response in 240 minutes
        tickets.ticket_assign(ticket=t, assignee=agent, actor=agent)
        t.refresh_from_db()
        assert t.first_response_due == at(2026, 11, 30, 13, 0)
        assert t.resolution_due == at(2026, 12, 2, 18, 0)  # 1620 business minutes
        assert t.next_response_due is None and t.sla_due == t.first_response_due

        traveller.move_to(at(2026, 11, 30, 12, 44))
        assert sla.sla_check().warned == 0
        traveller.move_to(at(2026, 11, 30, 12, 46))
        with django_capture_on_commit_callbacks(execute=True):
            assert sla.sla_check().warned == 1
        warning = Notification.objects.get(user=agent, dedupe_key__startswith="sla-warning")
        assert t.subject in warning.title and t.reference in warning.body
        traveller.move_to(at(2026, 11, 30, 12, 50))
        assert sla.sla_check().warned == 0  # once per clock

        traveller.move_to(at(2026, 11, 30, 13, 1))
        with django_capture_on_commit_callbacks(execute=True):
            result = sla.sla_check()
        assert (result.breached, result.escalated) == (1, 1)
        t.refresh_from_db()
        assert t.sla_breached_at == at(2026, 11, 30, 13, 0) and t.sla_escalated_at
        escalation = TicketEvent.objects.get(ticket=t, kind=TicketEvent.Kind.ESCALATED)
        assert escalation.actor is None and escalation.detail["reason"] == "sla_breach"
        assert Notification.objects.filter(user=lead, title__contains=t.subject).count() == 1
        # Running it again breaches and escalates nothing more.
        with django_capture_on_commit_callbacks(execute=True):
            again = sla.sla_check()
        assert (again.breached, again.escalated) == (0, 0)
        assert TicketEvent.objects.filter(ticket=t, kind=TicketEvent.Kind.ESCALATED).count() == 1
        assert Notification.objects.filter(user=lead).count() == 1

        # The late answer stops the first-response clock (breached); the customer's next
        # message starts the next-response clock, which the agent meets the next morning.
        traveller.move_to(at(2026, 11, 30, 13, 30))
        tickets.ticket_reply_by_agent(ticket=t, agent=agent, body="您好")
        traveller.move_to(at(2026, 11, 30, 14, 0))
        tickets.ticket_reply_by_customer(ticket=t, customer=t.customer, body="还是不行")
        t.refresh_from_db()
        assert t.first_response_due is None
        assert t.next_response_due == at(2026, 12, 1, 13, 0)
        traveller.move_to(at(2026, 12, 1, 10, 0))
        tickets.ticket_reply_by_agent(ticket=t, agent=agent, body="已处理")
        # A second breach of the same ticket does not escalate it again.
        traveller.move_to(at(2026, 12, 3, 9, 0))
        with django_capture_on_commit_callbacks(execute=True):
            late = sla.sla_check()
        assert (late.breached, late.escalated) == (1, 0)
    assert _clock(t, Kind.FIRST_RESPONSE).met is False
    assert _clock(t, Kind.NEXT_RESPONSE).met is True
    numbers = sla.attainment(at(2026, 11, 30, 0, 0), at(2026, 12, 4, 0, 0), agent=agent)
    assert (numbers["total"], numbers["met"], numbers["breached"]) == (3, 1, 2)
    assert str(numbers["rate"]) == "33.3"
    assert numbers["by_kind"][Kind.NEXT_RESPONSE]["rate"] == 100


def test_clocks_pause_while_waiting_on_the_customer():
    agent = staff(roles.SUPPORT_AGENT)
    with time_machine.travel(at(2026, 11, 30, 9, 0), tick=False) as traveller:
        t = ticket(category=Ticket.Category.ACCOUNT)
        traveller.move_to(at(2026, 11, 30, 10, 0))
        tickets.ticket_reply_by_agent(ticket=t, agent=agent, body="请上传截图", then="waiting")
        t.refresh_from_db()
        resolution = _clock(t, Kind.RESOLUTION)
        assert t.state == Ticket.State.WAITING
        assert resolution.paused_at and resolution.remaining_minutes == 1620 - 60
        assert (t.resolution_due, t.sla_due) == (None, None)
        assert _clock(t, Kind.FIRST_RESPONSE).met is True

        # Two days pass while the customer looks for the screenshot: nothing breaches.
        traveller.move_to(at(2026, 12, 3, 10, 0))
        assert sla.sla_check().breached == 0
        tickets.ticket_reply_by_customer(ticket=t, customer=t.customer, body="截图在此")
        t.refresh_from_db()
        assert t.state == Ticket.State.IN_PROGRESS
        # 1560 minutes from Thursday 10:00: Thu 480, Fri 540, Mon 540.
        assert t.resolution_due == at(2026, 12, 7, 18, 0)
        assert t.next_response_due == at(2026, 12, 3, 18, 0)


def test_internal_notes_stop_no_clock():
    agent = staff(roles.SUPPORT_AGENT)
    with time_machine.travel(at(2026, 11, 30, 9, 0), tick=False):
        t = ticket(category=Ticket.Category.ACCOUNT)
        tickets.ticket_reply_by_agent(ticket=t, agent=agent, body="先查一下", internal=True)
    t.refresh_from_db()
    assert t.first_response_due == at(2026, 11, 30, 13, 0)
    assert _clock(t, Kind.FIRST_RESPONSE).stopped_at is None


def test_holidays_and_make_up_days_move_due_times():
    with time_machine.travel(at(2026, 9, 30, 17, 0), tick=False) as traveller:
        before_national_day = ticket(category=Ticket.Category.PAYMENT)  # high: 120 minutes
        traveller.move_to(at(2026, 10, 9, 17, 0))
        before_make_up_saturday = ticket(category=Ticket.Category.PAYMENT)
    before_national_day.refresh_from_db()
    before_make_up_saturday.refresh_from_db()
    assert before_national_day.first_response_due == at(2026, 10, 8, 10, 0)
    assert before_make_up_saturday.first_response_due == at(2026, 10, 10, 10, 0)


def test_resolving_stops_every_clock_and_reopening_starts_new_ones():
    agent = staff(roles.SUPPORT_AGENT)
    with time_machine.travel(at(2026, 11, 30, 9, 0), tick=False) as traveller:
        t = ticket(category=Ticket.Category.ACCOUNT)
        traveller.move_to(at(2026, 11, 30, 11, 0))
        tickets.ticket_reply_by_agent(ticket=t, agent=agent, body="已解决", then="resolved")
        t.refresh_from_db()
        assert (t.sla_due, t.resolution_due) == (None, None)
        assert set(t.sla_clocks.values_list("met", flat=True)) == {True}
        traveller.move_to(at(2026, 12, 1, 9, 0))
        tickets.ticket_transition(
            ticket=t, to_state=Ticket.State.OPEN, actor=t.customer, as_customer=True
        )
        t.refresh_from_db()
        assert t.next_response_due == at(2026, 12, 1, 17, 0)
        assert t.resolution_due == at(2026, 12, 3, 18, 0)


def test_reopen_within_seven_days_and_auto_close_after(django_capture_on_commit_callbacks):
    agent = staff(roles.SUPPORT_AGENT)
    with time_machine.travel(at(2026, 11, 2, 10, 0), tick=False) as traveller:
        t = ticket(category=Ticket.Category.ACCOUNT)
        other = ticket(category=Ticket.Category.CARD)
        tickets.ticket_reply_by_agent(ticket=t, agent=agent, body="已解决", then="resolved")
        tickets.ticket_reply_by_agent(ticket=other, agent=agent, body="已解决", then="resolved")
        # Six days later the customer may still reopen (and the ticket is resolved again).
        traveller.move_to(at(2026, 11, 8, 10, 0))
        tickets.ticket_transition(
            ticket=t, to_state=Ticket.State.OPEN, actor=t.customer, as_customer=True
        )
        tickets.ticket_reply_by_agent(ticket=t, agent=agent, body="再次处理", then="resolved")
        # Day 7 plus a minute: the first resolution is closed by the task, the later one not.
        traveller.move_to(at(2026, 11, 9, 10, 1))
        with django_capture_on_commit_callbacks(execute=True):
            assert tickets.tickets_autoclose() == 1
        assert tickets.tickets_autoclose() == 0
        other.refresh_from_db()
        assert other.state == Ticket.State.CLOSED and other.closed_at == at(2026, 11, 9, 10, 1)
        assert Notification.objects.filter(user=other.customer, link__contains=other.reference)
        with pytest.raises(ApplicationError):
            tickets.ticket_transition(
                ticket=other, to_state=Ticket.State.OPEN, actor=other.customer, as_customer=True
            )
        t.refresh_from_db()
        assert t.state == Ticket.State.RESOLVED
        assert tickets.transition_allowed(t, Ticket.State.OPEN, who=tickets.CUSTOMER)
        traveller.move_to(at(2026, 11, 15, 10, 1))
        assert tickets.tickets_autoclose() == 1
        t.refresh_from_db()
        assert t.state == Ticket.State.CLOSED
        assert not tickets.transition_allowed(t, Ticket.State.OPEN, who=tickets.CUSTOMER)
    assert TicketEvent.objects.filter(ticket=t, to_state="closed", actor__isnull=True).exists()


def test_an_unassigned_ticket_warns_the_support_leads(django_capture_on_commit_callbacks):
    lead = staff(roles.SUPPORT_LEAD)
    with time_machine.travel(at(2026, 11, 30, 9, 0), tick=False) as traveller:
        t = ticket(UserFactory(), category=Ticket.Category.FRAUD)  # urgent: 30 minutes
        traveller.move_to(at(2026, 11, 30, 9, 20))
        with django_capture_on_commit_callbacks(execute=True):
            assert sla.sla_check().warned == 1
    assert Notification.objects.filter(user=lead, dedupe_key__startswith="sla-warning").exists()
    assert t.sla_clocks.get(kind=Kind.FIRST_RESPONSE).warned_at == at(2026, 11, 30, 9, 20)


def test_the_periodic_tasks_are_scheduled(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"support.sla_check", "support.tickets_autoclose"} <= tasks
    from support import tasks as support_tasks

    assert support_tasks.sla_check() == {"warned": 0, "breached": 0, "escalated": 0}
    assert support_tasks.tickets_autoclose() == 0


def test_attainment_of_nothing_is_no_rate():
    numbers = sla.attainment(at(2026, 1, 1).date(), at(2026, 1, 31).date())
    assert numbers["total"] == 0 and numbers["rate"] is None
    assert sla.attainment_by_agent(at(2026, 1, 1).date(), at(2026, 1, 31).date()) == []


def test_without_a_calendar_tickets_still_open_with_the_usual_week():
    from support.models_sla import CalendarDay, WorkingHours

    WorkingHours.objects.all().delete()
    CalendarDay.objects.all().delete()
    SlaPolicy.objects.all().delete()
    with time_machine.travel(at(2026, 10, 1, 9, 0), tick=False):
        t = ticket(category=Ticket.Category.ACCOUNT)
    t.refresh_from_db()
    # Oct 1 is then an ordinary Thursday; the default normal target is 240 minutes.
    assert t.first_response_due == at(2026, 10, 1, 13, 0)
