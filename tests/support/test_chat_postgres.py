"""On PostgreSQL with real concurrent connections: two agents picking up the same waiting chat
at the same moment (exactly one wins, the other is told someone else has it); and a quiet chat
ended once, whether two idle runs or an idle run and the customer end it at the same moment."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backoffice import roles
from config.api_errors import ApplicationError
from support import chat
from support.models_chat import Chat, ChatMessage
from support.models_tickets import Ticket
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


def _gone_quiet(c: Chat) -> Chat:
    """The chat's start and messages moved 20 minutes back: idle past the 15 minutes."""
    past = timezone.now() - timedelta(minutes=20)
    Chat.objects.filter(pk=c.pk).update(created_at=past)
    ChatMessage.objects.filter(chat=c).update(created_at=past)
    return c


def test_two_idle_runs_at_once_end_a_quiet_chat_once(settings):
    settings.SUPPORT_CHAT_HOURS = "00:00-24:00"
    settings.SUPPORT_CHAT_IDLE_MINUTES = 15
    available = staff(roles.SUPPORT_AGENT)
    chat.agent_availability_set(agent=available, available=True)
    c = _gone_quiet(waiting_chat())

    outcomes = together(3, lambda _i: chat.chats_end_idle())

    assert sorted(result for _kind, result in outcomes) == [0, 0, 1], outcomes
    c.refresh_from_db()
    assert c.state == Chat.State.ENDED and c.ended_idle and c.ticket_id
    assert c.messages.filter(system=True).count() == 1


def test_the_idle_run_and_the_customer_ending_at_once_end_the_chat_once(settings):
    settings.SUPPORT_CHAT_HOURS = "00:00-24:00"
    settings.SUPPORT_CHAT_IDLE_MINUTES = 15
    available = staff(roles.SUPPORT_AGENT)
    chat.agent_availability_set(agent=available, available=True)
    c = _gone_quiet(waiting_chat())

    def work(i):
        if i == 0:
            return chat.chat_end_idle(chat_id=c.pk)
        return chat.chat_end(chat=Chat(pk=c.pk), actor=c.customer, as_customer=True)

    outcomes = together(2, work)

    c.refresh_from_db()
    assert c.state == Chat.State.ENDED and c.ticket_id
    assert Ticket.objects.filter(customer=c.customer).count() == 1
    if c.ended_idle:  # the task won: the customer is told the chat had already ended
        assert outcomes[1][0] == "error" and outcomes[1][1].detail.code == "chat_ended"
        assert c.messages.filter(system=True).count() == 1
    else:  # the customer won: the task left the chat alone, no notice
        assert outcomes[0] == ("ok", None)
        assert c.messages.filter(system=True).count() == 0
