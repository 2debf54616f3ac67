"""Live chat and callbacks, the services (support/chat.py): start within service hours while an
agent is available, one agent picks a chat up, messages both ways, the end turning the
transcript into a ticket, the callback's checks and confirmation, and rate limits."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from backoffice import roles
from config.api_errors import ApplicationError
from notifications.models import Notification
from support import chat
from support.models_chat import Callback, Chat
from support.models_surveys import SurveyInvitation
from support.models_tickets import Ticket
from tests.accounts.factories import UserFactory
from tests.backoffice.factories import staff

from .chat_factories import active_chat, available_agent, waiting_chat

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _all_day(settings):
    settings.SUPPORT_CHAT_HOURS = "00:00-24:00"


def _code(excinfo) -> str:
    return excinfo.value.detail.code


def test_a_chat_waits_is_picked_up_and_both_sides_write():
    agent = available_agent()
    customer = UserFactory()
    c = chat.chat_start(customer=customer, message="我的转账没有到账")
    assert c.state == Chat.State.WAITING and c.reference.startswith("C")
    # Starting again while one is open gives the same chat back.
    assert chat.chat_start(customer=customer).pk == c.pk
    c = chat.chat_pick_up(chat=c, agent=agent)
    assert c.state == Chat.State.ACTIVE and c.agent == agent and c.picked_up_at
    answer = chat.chat_message_by_agent(chat=c, agent=agent, body="您好，请问转账时间？")
    reply = chat.chat_message_by_customer(chat=c, customer=customer, body="昨天下午")
    lines = chat.messages_after(c)
    assert [m.body for m in lines] == ["我的转账没有到账", "您好，请问转账时间？", "昨天下午"]
    assert [m.body for m in chat.messages_after(c, answer.pk)] == [reply.body]
    assert lines[1].from_staff and not lines[2].from_staff


def test_a_second_agent_cannot_pick_up_a_chat_taken():
    first, second = available_agent(), available_agent()
    c = waiting_chat()
    chat.chat_pick_up(chat=c, agent=first)
    with pytest.raises(ApplicationError) as excinfo:
        chat.chat_pick_up(chat=c, agent=second)
    assert _code(excinfo) == "chat_taken"
    with pytest.raises(ApplicationError) as excinfo:
        chat.chat_message_by_agent(chat=c, agent=second, body="我来")
    assert _code(excinfo) == "chat_taken"
    c.refresh_from_db()
    assert c.agent == first


def test_an_agent_must_be_available_and_a_support_agent():
    c = waiting_chat_with_some_agent()
    away = staff(roles.SUPPORT_AGENT)
    with pytest.raises(ApplicationError) as excinfo:
        chat.chat_pick_up(chat=c, agent=away)
    assert _code(excinfo) == "agent_unavailable"
    with pytest.raises(ApplicationError):
        chat.agent_availability_set(agent=staff(roles.TELLER), available=True)


def waiting_chat_with_some_agent():
    available_agent()
    return waiting_chat()


def test_no_chat_without_an_available_agent_or_outside_service_hours(settings):
    customer = UserFactory()
    with pytest.raises(ApplicationError) as excinfo:
        chat.chat_start(customer=customer, message="在吗")
    assert _code(excinfo) == "chat_no_agent"
    agent = available_agent()
    settings.SUPPORT_CHAT_HOURS = "08:00-22:00"
    night = datetime(2026, 11, 27, 23, 30, tzinfo=SHANGHAI)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: night)
        assert not chat.chat_open_now()
        with pytest.raises(ApplicationError) as excinfo:
            chat.chat_start(customer=customer, message="在吗")
        assert _code(excinfo) == "chat_closed"
        patch.setattr(timezone, "now", lambda: night.replace(hour=8, minute=0))
        assert chat.chat_open_now()
    chat.agent_availability_set(agent=agent, available=False)
    assert not chat.agents_available()
    assert not Chat.objects.exists()


def test_ending_by_the_agent_turns_the_transcript_into_a_resolved_ticket():
    agent = available_agent()
    customer = UserFactory()
    c = active_chat(agent, customer)
    chat.chat_message_by_agent(chat=c, agent=agent, body="已为您查询，款项已到账。")
    ended = chat.chat_end(chat=c, actor=agent, as_customer=False, category="payment")
    assert ended.state == Chat.State.ENDED and ended.ended_by == agent
    ticket = ended.ticket
    assert ticket.customer == customer and ticket.category == "payment"
    assert ticket.state == Ticket.State.RESOLVED and ticket.assignee == agent
    assert ticket.chat == ended and c.reference not in ticket.subject
    thread = list(ticket.messages.order_by("created_at", "pk"))
    assert [(m.body, m.from_staff) for m in thread] == [
        ("你好，我的转账没有到账", False),
        ("已为您查询，款项已到账。", True),
    ]
    # Clocks as for any ticket: answered and resolved in the chat, so none is left running; and
    # the customer is asked how satisfied they are, as for any resolved ticket.
    assert ticket.sla_clocks.filter(stopped_at__isnull=True).count() == 0
    assert ticket.sla_clocks.filter(kind="first_response", met=True).exists()
    assert SurveyInvitation.objects.filter(ticket=ticket, kind="csat").count() == 1
    with pytest.raises(ApplicationError) as excinfo:
        chat.chat_message_by_customer(chat=c, customer=customer, body="谢谢")
    assert _code(excinfo) == "chat_ended"
    with pytest.raises(ApplicationError):
        chat.chat_end(chat=c, actor=customer, as_customer=True)


def test_a_customer_ending_an_unanswered_chat_leaves_an_open_ticket_in_the_queue():
    available_agent()
    customer = UserFactory()
    c = waiting_chat(customer)
    ended = chat.chat_end(chat=c, actor=customer, as_customer=True)
    assert ended.ticket.state == Ticket.State.OPEN
    assert ended.ticket.category == chat.DEFAULT_CATEGORY
    assert ended.ticket.assignee is None
    assert ended.ticket.first_response_due is not None  # its SLA clocks run like any ticket's


@pytest.mark.usefixtures("english")
def test_only_the_chats_agent_or_customer_may_end_it():
    agent = available_agent()
    c = active_chat(agent)
    with pytest.raises(ApplicationError) as excinfo:
        chat.chat_end(chat=c, actor=UserFactory(), as_customer=True)
    assert excinfo.value.status_code == 404
    with pytest.raises(ApplicationError):
        chat.chat_end(chat=c, actor=available_agent(), as_customer=False, category="account")
    with pytest.raises(ApplicationError) as excinfo:
        chat.chat_end(chat=c, actor=agent, as_customer=False, category="nonsense")
    assert excinfo.value.fields == {"category": ["Choose a category."]}
    c.refresh_from_db()
    assert c.state == Chat.State.ACTIVE


def test_messages_are_checked():
    available_agent()
    customer = UserFactory()
    c = waiting_chat(customer)
    for body in ("", "   ", "长" * (chat.CHAT_MESSAGE_MAX_LENGTH + 1)):
        with pytest.raises(ApplicationError) as excinfo:
            chat.chat_message_by_customer(chat=c, customer=customer, body=body)
        assert "body" in excinfo.value.fields
    with pytest.raises(ApplicationError) as excinfo:
        chat.chat_message_by_customer(chat=c, customer=UserFactory(), body="你好")
    assert excinfo.value.status_code == 404
    assert c.messages.count() == 1


@pytest.mark.usefixtures("english")
def test_chats_and_messages_are_rate_limited_per_customer(settings):
    settings.SUPPORT_CHATS_PER_MINUTE = 1
    settings.SUPPORT_CHAT_MESSAGES_PER_MINUTE = 2
    agent = available_agent()
    customer = UserFactory()
    c = waiting_chat(customer)
    chat.chat_end(chat=c, actor=customer, as_customer=True)
    with pytest.raises(ApplicationError) as excinfo:
        chat.chat_start(customer=customer, message="再问一次")
    assert _code(excinfo) == "rate_limited" and excinfo.value.status_code == 429
    assert "wait a minute" in str(excinfo.value.detail)
    other = active_chat(agent)
    for body in ("一", "二"):
        chat.chat_message_by_customer(chat=other, customer=other.customer, body=body)
    with pytest.raises(ApplicationError) as excinfo:
        chat.chat_message_by_customer(chat=other, customer=other.customer, body="三")
    assert _code(excinfo) == "rate_limited"
    # Another customer is not held back.
    assert waiting_chat().state == Chat.State.WAITING


# --- callbacks ------------------------------------------------------------------------------


def _tomorrow_at(hour: int, minute: int = 0) -> datetime:
    day = timezone.localdate(timezone.now(), SHANGHAI) + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def test_a_callback_is_booked_within_hours_and_confirmed(
    settings, django_capture_on_commit_callbacks
):
    settings.SUPPORT_CHAT_HOURS = "08:00-22:00"
    customer = UserFactory(phone="+8613900002222")
    with django_capture_on_commit_callbacks(execute=True):
        callback = chat.callback_request(
            customer=customer, scheduled_for=_tomorrow_at(10, 30), topic="银行卡绑定"
        )
    assert callback.phone == "+8613900002222" and callback.state == Callback.State.PENDING
    note = Notification.objects.get(user=customer, kind="support")
    assert "****2222" in note.body and "10:30" in note.body
    # A number typed in wins over the profile's, stored in E.164.
    entered = chat.callback_request(
        customer=customer, scheduled_for=_tomorrow_at(9), phone="139 0000 3333"
    )
    assert entered.phone == "+8613900003333"


@pytest.mark.parametrize(
    ("when", "phone", "field"),
    [
        (None, "", "scheduled_for"),
        ("past", "", "scheduled_for"),
        ("night", "", "scheduled_for"),
        ("far", "", "scheduled_for"),
        ("ok", "12345", "phone"),
        ("ok", "not a phone", "phone"),
    ],
)
def test_a_callback_refused_names_its_field_and_stores_nothing(settings, when, phone, field):
    settings.SUPPORT_CHAT_HOURS = "08:00-22:00"
    customer = UserFactory(phone="+8613900002222")
    moments = {
        None: None,
        "past": timezone.now() - timedelta(hours=1),
        "night": _tomorrow_at(22, 30),
        "far": _tomorrow_at(10) + timedelta(days=30),
        "ok": _tomorrow_at(10),
    }
    with pytest.raises(ApplicationError) as excinfo:
        chat.callback_request(customer=customer, scheduled_for=moments[when], phone=phone)
    assert field in excinfo.value.fields
    assert not Callback.objects.exists()


@pytest.mark.usefixtures("english")
def test_a_callback_needs_a_phone_when_the_profile_has_none():
    customer = UserFactory(phone=None)
    with pytest.raises(ApplicationError) as excinfo:
        chat.callback_request(customer=customer, scheduled_for=_tomorrow_at(10))
    assert excinfo.value.fields == {"phone": ["Enter the phone number we should call."]}


def test_callbacks_due_are_ordered_by_time_and_marked_done_once():
    agent = staff(roles.SUPPORT_AGENT)
    later = chat.callback_request(
        customer=UserFactory(phone="+8613900004444"), scheduled_for=_tomorrow_at(15)
    )
    sooner = chat.callback_request(
        customer=UserFactory(phone="+8613900005555"), scheduled_for=_tomorrow_at(9)
    )
    assert list(chat.callbacks_due()) == [sooner, later]
    done = chat.callback_complete(callback=sooner, agent=agent, outcome="reached", note="已解答")
    assert done.state == Callback.State.DONE and done.done_by == agent
    assert list(chat.callbacks_due()) == [later]
    with pytest.raises(ApplicationError):
        chat.callback_complete(callback=sooner, agent=agent, outcome="reached")
    with pytest.raises(ApplicationError) as excinfo:
        chat.callback_complete(callback=later, agent=agent, outcome="")
    assert "outcome" in excinfo.value.fields
