"""In a real browser: link a sandbox card, verify it with the micro-deposits, top up, and find
the top-up's alert in the inbox; then withdraw to it."""

import re

import pytest
from playwright.sync_api import expect

from accounts.bank.sandbox import sandbox_card_number
from tests.accounts.factories import PASSWORD
from tests.wallet.factories import WalletFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_link_verify_top_up_and_see_the_alert(page, live_server):
    me = WalletFactory(user__full_name="测试用户")
    base = live_server.url
    number = sandbox_card_number(prefix="621700", ending="4455")

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", me.user.email)
    page.fill("#id_password", PASSWORD)
    page.click("main form[action='/accounts/login/'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))

    page.goto(f"{base}/accounts/linked/add/")
    page.check("#id_kind_0")  # debit card
    page.fill("#id_number", " ".join(number[i : i + 4] for i in range(0, 16, 4)))
    page.fill("#id_holder_name", "测试用户")
    page.fill("#id_expiry", "08/30")
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/linked/\d+/verify/$"))

    # The sandbox bank's statement stands in for the customer's own bank app.
    deposits = page.locator("[data-testid=sandbox-statement] .deposit").all_inner_texts()
    assert len(deposits) == 2
    page.fill("#id_amount_1", deposits[1])
    page.fill("#id_amount_2", deposits[0])
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/linked/$"))
    cards = page.locator("[data-testid=linked-accounts]")
    expect(cards).to_contain_text("4455")
    expect(cards).to_contain_text("已验证")
    assert number not in page.content()

    page.get_by_role("link", name="充值").first.click()
    page.fill("#id_amount", "88.80")
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/wallet/funding/F[\w-]+/$"))
    expect(page.locator("[data-testid=funding-status]")).to_contain_text("已完成")

    page.goto(f"{base}/notifications/")
    inbox = page.locator("main")
    expect(inbox).to_contain_text("充值 88.80 CNY 已到账")
    expect(page.locator(".badge").first).to_be_visible()

    page.goto(f"{base}/dashboard/")
    expect(page.locator("[data-testid=balances]")).to_contain_text("88.80")

    page.goto(f"{base}/wallet/withdraw/")
    page.fill("#id_amount", "20.00")
    page.click("main form button[type=submit]")
    expect(page.locator("[data-testid=funding-status]")).to_contain_text("已完成")
    page.goto(f"{base}/dashboard/")
    expect(page.locator("[data-testid=balances]")).to_contain_text("68.80")
