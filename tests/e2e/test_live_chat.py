"""In a real browser, two contexts at once: a customer on a phone starts a chat from the page
shell; an agent in the staff portal (logged in with TOTP) marks themselves available and picks
it up. Each sees the other's message within two seconds without reloading; the agent ends the
chat and the customer's page shows the ticket that now holds the transcript."""

import re
import time

import pytest
from playwright.sync_api import expect

from backoffice import roles
from backoffice.seed import verified_email_ensure
from backoffice.services import staff_member_upsert
from support.models_chat import Chat
from support.models_tickets import Ticket
from tests.accounts.factories import PASSWORD, TOTPDeviceFactory, UserFactory, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LIVE_MS = 2_000


def _log_in(page, base, email, device=None):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", PASSWORD)
    page.click("main form[action='/accounts/login/'] button[type=submit]")
    if device is not None:
        expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
        page.fill("#id_otp_token", totp_code(device))
        page.click("main form button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/accounts/"))


def _no_reload_marker(page):
    page.evaluate("window.__sameDocument = true")


def _still_same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def test_customer_and_agent_chat_live_and_the_transcript_becomes_a_ticket(
    browser, live_server, settings
):
    settings.SUPPORT_CHAT_HOURS = "00:00-24:00"
    base = live_server.url
    customer = UserFactory(full_name="李小红")
    verified_email_ensure(customer)
    agent = staff_member_upsert(
        email="e2e.agent@example.com",
        password=PASSWORD,
        full_name="客服 小王",
        role=roles.SUPPORT_AGENT,
        branch=None,
        employee_number="E2E-S1",
    )
    verified_email_ensure(agent)
    device = TOTPDeviceFactory(user=agent)

    desk_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    phone_context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    desk, phone = desk_context.new_page(), phone_context.new_page()
    for page in (desk, phone):
        page.set_default_timeout(15_000)

    # The agent logs in with the second factor and takes chats.
    _log_in(desk, base, agent.email, device)
    desk.goto(f"{base}/backoffice/chat/")
    desk.click("[data-testid=availability-on]")
    expect(desk.locator("[data-testid=availability-off]")).to_be_visible()

    # The customer starts a chat from the page shell's link.
    _log_in(phone, base, customer.email)
    phone.click("[data-testid=chat-link]")
    expect(phone).to_have_url(re.compile(r"/support/chat/$"))
    phone.fill("#id_message", "转账<b>没有</b>到账")
    phone.click("[data-testid=chat-start]")
    expect(phone).to_have_url(re.compile(r"/support/chat/C[A-Z0-9]+/$"))
    chat = Chat.objects.get(customer=customer)
    _no_reload_marker(phone)

    # The agent picks it up and sees the customer's words, as text.
    desk.goto(f"{base}/backoffice/chat/")
    desk.click("[data-testid=pick-up]")
    expect(desk).to_have_url(re.compile(rf"/backoffice/chat/{chat.reference}/$"))
    expect(desk.locator("[data-testid=chat-lines]")).to_contain_text("转账<b>没有</b>到账")
    _no_reload_marker(desk)
    # The customer's page notices the pick-up by itself.
    expect(phone.locator("[data-chat]")).to_have_attribute("data-state", "active", timeout=LIVE_MS)

    timings = []
    # Agent → customer.
    desk.fill("#id_body", "您好，我是小王，请问转账时间？")
    start = time.monotonic()
    desk.click("[data-testid=chat-send]")
    expect(phone.locator("[data-testid=chat-lines]")).to_contain_text(
        "请问转账时间", timeout=LIVE_MS
    )
    timings.append(time.monotonic() - start)
    # Customer → agent.
    phone.fill("#id_body", "昨天下午三点")
    start = time.monotonic()
    phone.click("[data-testid=chat-send]")
    expect(desk.locator("[data-testid=chat-lines]")).to_contain_text(
        "昨天下午三点", timeout=LIVE_MS
    )
    timings.append(time.monotonic() - start)
    assert _still_same_document(phone) and _still_same_document(desk)
    print(f"\nchat delivery seconds: {[round(t, 2) for t in timings]}")

    # The agent ends the chat as a payment problem; the customer's page shows the ticket.
    desk.select_option("#id_category", "payment")
    desk.click("[data-testid=chat-end]")
    link = phone.locator("[data-testid=chat-ticket-link]")
    expect(link).to_be_visible(timeout=LIVE_MS)
    expect(phone.locator("[data-chat]")).to_have_attribute("data-state", "ended")
    expect(phone.locator("[data-chat-form]")).to_be_hidden()
    assert _still_same_document(phone)

    chat.refresh_from_db()
    ticket = chat.ticket
    assert chat.state == Chat.State.ENDED and ticket.category == Ticket.Category.PAYMENT
    assert list(ticket.messages.order_by("created_at", "pk").values_list("body", flat=True)) == [
        "转账<b>没有</b>到账",
        "您好，我是小王，请问转账时间？",
        "昨天下午三点",
    ]
    link.click()
    expect(phone).to_have_url(re.compile(rf"/support/tickets/{ticket.reference}/$"))
    expect(phone.locator("[data-testid=thread]")).to_contain_text("昨天下午三点")
    desk_context.close()
    phone_context.close()
