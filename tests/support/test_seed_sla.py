"""seed_demo's SLA part: demo tickets carry computed due times, and weeks of history give the
lead's attainment page met and breached clocks; seeding twice adds nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backoffice import roles
from support import sla
from support.models_sla import SlaClock
from support.models_tickets import Ticket
from support.seed_sla import HISTORY, demo_sla_history_ensure, sla_defaults_ensure
from support.seed_tickets import demo_tickets_ensure
from tests.accounts.factories import UserFactory
from tests.backoffice.factories import staff

pytestmark = pytest.mark.django_db


def test_seeded_tickets_have_due_times_and_history_fills_the_attainment_page():
    customers = [UserFactory() for _ in range(3)]
    agent, lead = staff(roles.SUPPORT_AGENT), staff(roles.SUPPORT_LEAD)
    sla_defaults_ensure()
    made = demo_tickets_ensure(customers=customers, agent=agent)
    opened = next(t for t in made if t.state == Ticket.State.OPEN)
    opened.refresh_from_db()
    assert opened.first_response_due and opened.resolution_due
    assert demo_sla_history_ensure(customers=customers, agents=[agent, lead]) == len(HISTORY)
    assert demo_sla_history_ensure(customers=customers, agents=[agent, lead]) == 0
    sla_defaults_ensure()
    today = timezone.localdate()
    numbers = sla.attainment(today - timedelta(days=60), today)
    assert numbers["met"] > 0 and numbers["breached"] > 0
    assert numbers["total"] >= 2 * len(HISTORY)
    rows = sla.attainment_by_agent(today - timedelta(days=60), today)
    assert {agent.pk, lead.pk} <= {row["agent_id"] for row in rows}
    assert not SlaClock.objects.filter(decided_at__gt=timezone.now()).exists()
