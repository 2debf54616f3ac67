"""The chat and callback pages: the customer's (start, closed alternatives, send, poll, end,
callback form) and the agents' (availability, pick-up, answer, end, callbacks due), the audit
trail, another customer's chat answering 404, and fixed query counts of the poll and the
agents' list."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backoffice import roles
from backoffice.models import AuditEvent
from support import chat
from support.models_chat import Callback, Chat, ChatMessage
from tests.accounts.factories import UserFactory
from tests.backoffice.factories import staff, staff_client

from .chat_factories import active_chat, available_agent, waiting_chat

pytestmark = pytest.mark.django_db
FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _all_day(settings):
    settings.SUPPORT_CHAT_HOURS = "00:00-24:00"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_customer_page_links_to_the_chat():
    page = _client(UserFactory()).get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("chat:home")}"' in page


def test_a_customer_starts_a_chat_writes_and_ends_it_into_a_ticket():
    available_agent()
    customer = UserFactory()
    client = _client(customer)
    home = client.get(reverse("chat:home"))
    assert home.status_code == 200 and 'data-testid="chat-start-form"' in home.content.decode()
    response = client.post(reverse("chat:start"), {"message": "<b>在吗</b><script>x()</script>"})
    c = Chat.objects.get(customer=customer)
    assert response.status_code == 302 and response.url == reverse("chat:chat", args=[c.reference])
    # The open chat is where the home page leads.
    assert client.get(reverse("chat:home")).url == response.url
    page = client.get(response.url).content.decode()
    assert "&lt;b&gt;在吗&lt;/b&gt;&lt;script&gt;" in page and "<script>x()" not in page
    assert "js/chat.js" in page
    sent = client.post(reverse("chat:send", args=[c.reference]), {"body": "还在吗"}, **FETCH)
    assert sent.status_code == 201 and sent.json()["body"] == "还在吗" and sent.json()["mine"]
    empty = client.post(reverse("chat:send", args=[c.reference]), {"body": ""}, **FETCH)
    assert empty.status_code == 400 and "body" in empty.json()["errors"]
    poll = client.get(reverse("chat:messages", args=[c.reference]), {"after": 0}).json()
    assert poll["state"] == "waiting" and [m["body"] for m in poll["messages"]] == [
        "<b>在吗</b><script>x()</script>",
        "还在吗",
    ]
    ended = client.post(reverse("chat:end", args=[c.reference]))
    assert ended.status_code == 302
    c.refresh_from_db()
    assert c.state == Chat.State.ENDED and c.ticket.messages.count() == 2
    poll = client.get(reverse("chat:messages", args=[c.reference]), {"after": 999}).json()
    assert poll["state"] == "ended"
    assert poll["ticket_url"] == reverse("support:ticket", args=[c.ticket.reference])
    # The ticket is the customer's own, with the transcript.
    ticket_page = client.get(poll["ticket_url"]).content.decode()
    assert "还在吗" in ticket_page


def test_when_closed_the_page_offers_a_ticket_the_hotline_and_a_callback(settings):
    settings.SUPPORT_HOTLINE = "95568"
    client = _client(UserFactory(phone="+8613900006666"))
    page = client.get(reverse("chat:home")).content.decode()
    assert 'data-testid="chat-closed"' in page and 'data-testid="chat-start-form"' not in page
    assert reverse("support:ticket_new") in page and "tel:95568" in page
    assert 'data-testid="callback-form"' in page
    # Starting anyway (an old page) is refused with the reason, nothing made.
    refused = client.post(reverse("chat:start"), {"message": "在吗"})
    assert refused.status_code == 400 and not Chat.objects.exists()


def _tomorrow_local(hour: int) -> str:
    day = timezone.localdate(timezone.now(), SHANGHAI) + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=SHANGHAI).strftime(
        "%Y-%m-%dT%H:%M"
    )


def test_the_callback_form_books_or_names_the_wrong_field(settings):
    settings.SUPPORT_CHAT_HOURS = "08:00-22:00"
    customer = UserFactory(phone=None)
    client = _client(customer)
    bad = client.post(
        reverse("chat:callback"), {"scheduled_for": _tomorrow_local(23), "phone": "123"}
    )
    assert bad.status_code == 400
    form = bad.context["callback_form"]
    assert "scheduled_for" in form.errors and "phone" in form.errors
    garbled = client.post(reverse("chat:callback"), {"scheduled_for": "tomorrow-ish"})
    assert garbled.status_code == 400 and "scheduled_for" in garbled.context["callback_form"].errors
    assert not Callback.objects.exists()
    ok = client.post(
        reverse("chat:callback"),
        {"scheduled_for": _tomorrow_local(10), "phone": "13900007777", "topic": "账户问题"},
    )
    assert ok.status_code == 302
    booked = Callback.objects.get()
    assert booked.phone == "+8613900007777"
    assert timezone.localtime(booked.scheduled_for, SHANGHAI).hour == 10


def test_another_customers_chat_answers_404_everywhere():
    available_agent()
    c = waiting_chat()
    stranger = _client(UserFactory())
    for name in ("chat:chat", "chat:messages"):
        assert stranger.get(reverse(name, args=[c.reference])).status_code == 404
    for name in ("chat:send", "chat:end"):
        assert stranger.post(reverse(name, args=[c.reference]), {"body": "x"}).status_code == 404
    assert stranger.get(reverse("chat:chat", args=["CNOSUCHCHAT"])).status_code == 404
    c.refresh_from_db()
    assert c.state == Chat.State.WAITING and c.messages.count() == 1


def test_an_agent_takes_chats_picks_one_up_answers_and_ends_it_audited():
    agent = staff(roles.SUPPORT_AGENT)
    client = staff_client(agent)
    client.post(reverse("backoffice:chat_availability"), {"available": "1"})
    assert chat.agent_is_available(agent)
    customer = UserFactory(full_name="王小明")
    c = waiting_chat(customer)
    console = client.get(reverse("backoffice:chat_console")).content.decode()
    assert c.reference in console and "王*明" in console and "王小明" not in console
    picked = client.post(reverse("backoffice:chat_pick_up", args=[c.reference]))
    assert picked.url == reverse("backoffice:chat", args=[c.reference])
    page = client.get(picked.url).content.decode()
    assert "你好，我的转账没有到账" in page
    sent = client.post(
        reverse("backoffice:chat_send", args=[c.reference]), {"body": "您好"}, **FETCH
    )
    assert sent.status_code == 201
    poll = client.get(reverse("backoffice:chat_messages", args=[c.reference])).json()
    assert [m["mine"] for m in poll["messages"]] == [False, True]
    client.post(reverse("backoffice:chat_end", args=[c.reference]), {"category": "card"})
    c.refresh_from_db()
    assert c.state == Chat.State.ENDED and c.ticket.category == "card"
    actions = set(AuditEvent.objects.filter(actor=agent).values_list("action", flat=True))
    assert {"chat_availability", "chat_pick_up", "customer_view", "chat_end"} <= actions
    assert AuditEvent.objects.filter(
        actor=agent, customer=customer, action="chat_end", detail__ticket=c.ticket.reference
    ).exists()


def test_chat_pages_are_for_support_agents_only():
    available_agent()
    c = waiting_chat()
    teller = staff_client(staff(roles.TELLER))
    assert teller.get(reverse("backoffice:chat_console")).status_code == 403
    assert teller.get(reverse("backoffice:chat", args=[c.reference])).status_code == 403
    assert teller.post(reverse("backoffice:chat_pick_up", args=[c.reference])).status_code == 403
    assert teller.get(reverse("backoffice:callbacks")).status_code == 403
    customer = _client(c.customer)
    assert customer.get(reverse("backoffice:chat", args=[c.reference])).status_code in (302, 403)


def test_the_lead_sees_callbacks_due_and_marks_one_done(settings):
    settings.SUPPORT_CHAT_HOURS = "08:00-22:00"
    lead = staff(roles.SUPPORT_LEAD)
    client = staff_client(lead)
    day = timezone.localdate(timezone.now(), SHANGHAI) + timedelta(days=1)
    callbacks = [
        chat.callback_request(
            customer=UserFactory(phone=f"+86139000080{i}0"),
            scheduled_for=datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI),
        )
        for i, hour in enumerate((16, 9))
    ]
    page = client.get(reverse("backoffice:callbacks")).content.decode()
    assert page.index("+8613900008010") < page.index("+8613900008000")  # 09:00 first
    assert AuditEvent.objects.filter(actor=lead, detail__callbacks__isnull=False).exists()
    bad = client.post(reverse("backoffice:callback_done", args=[callbacks[0].pk]), {})
    assert bad.status_code == 302
    client.post(
        reverse("backoffice:callback_done", args=[callbacks[0].pk]),
        {"outcome": "no_answer", "note": "无人接听"},
    )
    callbacks[0].refresh_from_db()
    assert callbacks[0].state == "done" and callbacks[0].outcome == "no_answer"
    assert AuditEvent.objects.filter(actor=lead, action="callback_done").count() == 1
    home = client.get(reverse("backoffice:home")).content.decode()
    assert 'id="card-support-chat"' in home


def _fill(c: Chat, n: int) -> None:
    ChatMessage.objects.bulk_create(
        ChatMessage(chat=c, author=c.customer, body=f"第{i}条") for i in range(n)
    )


@pytest.mark.parametrize("n", [5, 150])
def test_the_poll_runs_a_fixed_number_of_queries(n, django_assert_max_num_queries):
    agent = available_agent()
    c = active_chat(agent)
    _fill(c, n)
    customer, desk = _client(c.customer), staff_client(agent)
    with django_assert_max_num_queries(6):
        answer = customer.get(reverse("chat:messages", args=[c.reference]), {"after": 0})
    assert len(json.loads(answer.content)["messages"]) == min(n + 1, chat.POLL_LIMIT)
    with django_assert_max_num_queries(12):
        desk.get(reverse("backoffice:chat_messages", args=[c.reference]), {"after": 0})


@pytest.mark.parametrize("n", [2, 20])
def test_the_agent_console_runs_a_fixed_number_of_queries(n, django_assert_max_num_queries):
    agent = available_agent()
    for _ in range(n):
        waiting_chat()
        active_chat(agent)
    for c in Chat.objects.filter(state="active"):
        chat.chat_end(chat=c, actor=agent, as_customer=False, category="account")
    for _ in range(n // 2):
        active_chat(agent)
    client = staff_client(agent)
    with django_assert_max_num_queries(18):
        page = client.get(reverse("backoffice:chat_console"))
    assert page.status_code == 200
