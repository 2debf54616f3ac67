"""In a real browser: a customer's transfer to a new payee is held for review; a risk officer
finds it on their home page, opens the case with the customer's context, releases it, and the
money reaches the payee once; the customer's transaction page no longer says "under review"."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from backoffice import roles
from backoffice.seed import verified_email_ensure
from backoffice.services import staff_member_upsert
from tests.accounts.factories import PASSWORD, TOTPDeviceFactory, totp_code
from tests.wallet.factories import WalletFactory, balance, funded_wallet
from tests.wallet.risk_support import rule, transfer
from wallet.audit import ledger_breaches
from wallet.models import RiskCase, RiskRule, Transaction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_risk_officer_reviews_and_releases_a_held_transfer(browser, live_server):
    base = live_server.url
    rule(RiskRule.Code.NEW_PAYEE, amount_threshold="500", score=30)
    sender, payee = funded_wallet("1000.00"), WalletFactory(user__full_name="收款人")
    held = transfer(sender.user, payee.handle, "600.00", "e2e-held").json()
    assert held["status"] == "held"
    case = RiskCase.objects.get()

    officer = staff_member_upsert(
        email="e2e.risk@example.com",
        password=PASSWORD,
        full_name="风控 测试",
        role=roles.RISK_OFFICER,
        branch=None,
        employee_number="E2E-R1",
    )
    verified_email_ensure(officer)
    device = TOTPDeviceFactory(user=officer)

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", officer.email)
    page.fill("#id_password", PASSWORD)
    page.click("main form[action='/accounts/login/'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
    page.fill("#id_otp_token", totp_code(device))
    page.click("main form button[type=submit]")

    # The home page's card lists the held payment; the queue too.
    page.goto(f"{base}/backoffice/")
    expect(page.locator("#card-risk-held")).to_contain_text(f"#{case.pk}")
    page.click("#card-risk-held a[href$='/backoffice/risk/']")
    expect(page.locator("[data-testid=risk-queue]")).to_contain_text("600.00")
    page.click(f"[data-testid=risk-queue] a[href$='/risk/cases/{case.pk}/']")

    # The case: facts and the customer's context, in Chinese.
    expect(page.locator("[data-testid=risk-case-facts]")).to_contain_text("向新收款人大额付款")
    expect(page.locator("#activity-h")).to_be_visible()
    page.select_option("#id_decision", "release")
    page.fill("#id_note", "已电话联系客户，确认本人操作")
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/backoffice/risk/$"))
    expect(page.locator("main")).to_contain_text("已放行")

    case.refresh_from_db()
    assert case.status == RiskCase.Status.RELEASED
    assert balance(payee) == Decimal("600.00") and balance(sender) == Decimal("400.00")
    assert Transaction.objects.get(pk=held["id"]).status == Transaction.Status.COMPLETED
    assert ledger_breaches() == []
    desk.close()
