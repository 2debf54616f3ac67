"""Two agents pick up the same waiting chat at the same moment, on PostgreSQL with real
concurrent connections: exactly one wins, the other is told someone else has it."""

import pytest

from backoffice import roles
from config.api_errors import ApplicationError
from support import chat
from support.models_chat import Chat
from tests.backoffice.factories import staff
from tests.concurrency import together

from .chat_factories import waiting_chat

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("agents", [2, 4])
def test_agents_racing_for_one_chat_exactly_one_wins(settings, agents):
    settings.SUPPORT_CHAT_HOURS = "00:00-24:00"
    racers = [staff(roles.SUPPORT_AGENT) for _ in range(agents)]
    for agent in racers:
        chat.agent_availability_set(agent=agent, available=True)
    c = waiting_chat()

    outcomes = together(agents, lambda i: chat.chat_pick_up(chat=Chat(pk=c.pk), agent=racers[i]))

    winners = [result for kind, result in outcomes if kind == "ok"]
    losers = [error for kind, error in outcomes if kind == "error"]
    assert len(winners) == 1, outcomes
    assert all(isinstance(e, ApplicationError) for e in losers)
    assert {e.detail.code for e in losers} == {"chat_taken"}
    c.refresh_from_db()
    assert c.state == Chat.State.ACTIVE and c.agent_id == winners[0].agent_id
