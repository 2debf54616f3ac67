"""A live chat nobody writes in ends by itself after SUPPORT_CHAT_IDLE_MINUTES (15 by default):
waiting for an agent or in progress, the periodic task ends it the way "End the chat" does (the
transcript becomes a ticket) and tells the customer why in the chat, once, in the language they
started the chat in."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from config.api_errors import ApplicationError
from support import chat
from support.models_chat import Chat, ChatMessage
from support.models_tickets import Ticket
from support.tasks import chats_end_idle
from tests.accounts.factories import UserFactory

from .chat_factories import available_agent

pytestmark = pytest.mark.django_db
MINUTE = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _all_day(settings):
    settings.SUPPORT_CHAT_HOURS = "00:00-24:00"
    settings.SUPPORT_CHAT_IDLE_MINUTES = 15


@pytest.fixture
def clock():
    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as traveller:
        yield traveller


def _notices(c: Chat) -> list[str]:
    return list(ChatMessage.objects.filter(chat=c, system=True).values_list("body", flat=True))


def test_an_answered_chat_quiet_for_15_minutes_ends_with_its_ticket_and_one_notice(
    settings, clock, client
):
    settings.LANGUAGE_CODE = "zh-hans"  # the worker's default; this customer chats in English
    agent = available_agent()
    customer = UserFactory()
    with translation.override("en"):
        c = chat.chat_start(customer=customer, message="My transfer has not arrived")
    c = chat.chat_pick_up(chat=c, agent=agent)
    clock.shift(2 * MINUTE)
    chat.chat_message_by_agent(chat=c, agent=agent, body="Let me check, one moment.")

    clock.shift(14 * MINUTE)  # 14 minutes after the last message: still open
    assert chats_end_idle.apply().result == 0
    clock.shift(MINUTE)  # 15 minutes
    assert chats_end_idle.apply().result == 1

    c.refresh_from_db()
    assert c.state == Chat.State.ENDED and c.ended_idle and c.ended_by is None
    ticket = c.ticket
    # As "End the chat" by the agent: an answered chat gives a resolved ticket with the thread.
    assert ticket.state == Ticket.State.RESOLVED and ticket.assignee == agent
    assert [m.body for m in ticket.messages.order_by("pk")] == [
        "My transfer has not arrived",
        "Let me check, one moment.",
    ]
    assert _notices(c) == [
        "This chat ended after 15 minutes without messages. "
        f"Your conversation is saved as ticket {ticket.reference}."
    ]
    # Once: later runs neither end it again nor repeat the notice.
    clock.shift(30 * MINUTE)
    assert chat.chats_end_idle() == 0
    assert len(_notices(c)) == 1
    with pytest.raises(ApplicationError):
        chat.chat_message_by_customer(chat=c, customer=customer, body="Hello?")

    # The customer reads it in the chat, from the bank, not from an agent or themselves.
    client.force_login(customer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    poll = client.get(reverse("chat:messages", args=[c.reference])).json()
    last = poll["messages"][-1]
    assert last["body"] == _notices(c)[0] and not last["mine"]
    assert last["author"] == "Notice from the bank"
    assert poll["state"] == "ended" and poll["ticket_url"]


def test_a_chat_nobody_picked_up_ends_and_its_ticket_waits_in_the_queue(settings, clock):
    settings.LANGUAGE_CODE = "en"
    available_agent()
    customer = UserFactory()
    with translation.override("zh-hans"):
        c = chat.chat_start(customer=customer, message="你好，我的转账没有到账")
    assert c.language == "zh-hans"
    clock.shift(10 * MINUTE)
    chat.chat_message_by_customer(chat=c, customer=customer, body="有人吗？")
    clock.shift(15 * MINUTE - timedelta(seconds=1))
    assert chat.chats_end_idle() == 0
    clock.shift(timedelta(seconds=1))
    assert chat.chats_end_idle() == 1

    c.refresh_from_db()
    assert c.ticket.state == Ticket.State.OPEN and c.ticket.assignee is None
    assert c.ticket.first_response_due is not None  # it is answered in the queue, on its SLA
    [notice] = _notices(c)
    assert c.ticket.reference in notice and "15" in notice
    with translation.override("zh-hans"):
        assert notice == chat._idle_notice(c, answered=False)


def test_an_agent_idle_after_picking_up_is_given_the_full_time_then_the_chat_ends(clock):
    agent = available_agent()
    c = chat.chat_start(customer=UserFactory(), message="你好")
    clock.shift(12 * MINUTE)
    c = chat.chat_pick_up(chat=c, agent=agent)  # picked up late: the clock starts again
    clock.shift(14 * MINUTE)
    assert chat.chats_end_idle() == 0
    clock.shift(MINUTE)
    assert chat.chats_end_idle() == 1
    c.refresh_from_db()
    assert c.state == Chat.State.ENDED and c.ticket.state == Ticket.State.RESOLVED
    assert c.agent == agent


@pytest.mark.usefixtures("english")
def test_a_chat_without_a_message_ends_without_a_ticket(settings, clock):
    settings.SUPPORT_CHAT_IDLE_MINUTES = 5
    available_agent()
    c = chat.chat_start(customer=UserFactory())
    other = chat.chat_start(customer=UserFactory(), message="hello")
    clock.shift(4 * MINUTE)
    chat.chat_message_by_customer(chat=other, customer=other.customer, body="still here")
    clock.shift(MINUTE)
    assert chat.chats_end_idle() == 1  # only the silent one
    c.refresh_from_db()
    assert c.state == Chat.State.ENDED and c.ticket is None
    assert _notices(c) == ["This chat ended after 5 minutes without messages."]
    assert Chat.objects.get(pk=other.pk).state == Chat.State.WAITING


def test_a_message_written_while_the_task_looks_keeps_the_chat_open(clock):
    available_agent()
    c = chat.chat_start(customer=UserFactory(), message="你好")
    clock.shift(20 * MINUTE)
    assert list(chat.idle_chats().values_list("pk", flat=True)) == [c.pk]
    # The customer writes between the task's search and its lock on the chat.
    chat.chat_message_by_customer(chat=c, customer=c.customer, body="还在吗")
    assert chat.chat_end_idle(chat_id=c.pk) is None
    assert Chat.objects.get(pk=c.pk).state == Chat.State.WAITING


def test_ending_idle_chats_is_a_periodic_task(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["support-chats-end-idle"]
    assert entry["task"] == "support.chats_end_idle" and entry["schedule"] == 60.0
