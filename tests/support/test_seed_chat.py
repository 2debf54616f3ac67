"""The demo's live chat: a finished chat whose ticket holds the transcript, a callback due, and
the demo agent available; seeding twice changes nothing."""

import pytest

from backoffice import roles
from support import chat, seed_chat
from support.models_chat import Callback, Chat
from support.models_tickets import Ticket
from tests.accounts.factories import UserFactory
from tests.backoffice.factories import staff

pytestmark = pytest.mark.django_db


def test_the_demo_chat_and_callback_are_seeded_once():
    agent = staff(roles.SUPPORT_AGENT)
    customers = [UserFactory(phone=f"+861380013800{i}") for i in (1, 2)]
    for _ in range(2):
        seed_chat.demo_chat_ensure(customers=customers, agent=agent)
    finished = Chat.objects.get()
    assert finished.state == Chat.State.ENDED and finished.agent == agent
    assert finished.ticket.state == Ticket.State.RESOLVED
    assert finished.ticket.messages.count() == len(seed_chat.DEMO_LINES)
    due = Callback.objects.get()
    assert due.customer == customers[-1] and list(chat.callbacks_due()) == [due]
    assert chat.within_service_hours(due.scheduled_for)
    assert chat.agent_is_available(agent)
