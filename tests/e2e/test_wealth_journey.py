"""In a real browser: answer the risk questionnaire, buy the fund, and after the night's accrual
see yesterday's yield on the holdings page, its chart and its table."""

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.accounts.factories import PASSWORD
from tests.wallet.factories import funded_wallet
from tests.wealth.factories import FundProductFactory, declare
from wealth.tasks import accrue_yield

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", PASSWORD)
    page.click("main form[action='/accounts/login/'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def test_questionnaire_subscribe_and_next_days_yield(page, live_server, monkeypatch):
    me = funded_wallet(amount="20000.00")
    fund = FundProductFactory(name="天天利", name_en="Daily fund")
    base = live_server.url

    _log_in(page, base, me.user.email)

    page.goto(f"{base}/wealth/questionnaire/")
    for question in ("age", "experience", "horizon", "loss", "share"):
        page.check(f"#id_{question}_2")
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/wealth/$"))
    expect(page.locator("[data-testid=risk-tolerance]")).to_contain_text("R4")

    page.goto(f"{base}/wealth/products/{fund.pk}/")
    page.fill("#id_amount", "10000.00")
    page.click("[data-testid=subscribe-form] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/wealth/$"))
    expect(page.locator("[data-testid=holding-balance]")).to_contain_text("10,000.00")

    # The night after: the fund declared 0.6543 per 10,000 for today, and the task pays it.
    today = timezone.localdate()
    declare(fund, today, per_10k="0.6543")
    tomorrow = timezone.make_aware(datetime.combine(today + timedelta(days=1), time(0, 30)))
    monkeypatch.setattr(timezone, "now", lambda: tomorrow)
    assert accrue_yield() == 1

    # Up to a day later, so the 8-hour session may have ended: the customer logs in again.
    _log_in(page, base, me.user.email)
    page.goto(f"{base}/wealth/")
    expect(page.locator("[data-testid=yesterday-yield]")).to_have_text("0.65")
    expect(page.locator("[data-testid=holding-balance]")).to_contain_text("10,000.65")
    expect(page.locator("canvas.yield-chart")).to_have_attribute("role", "img")
    page.locator("details summary").first.click()
    expect(page.locator("table.rates").first).to_contain_text("0.65")
