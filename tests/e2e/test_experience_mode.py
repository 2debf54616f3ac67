"""In a real browser on a phone-sized screen: a teller starts experience mode (体验区) on a branch
device and the visitor pays a sample shop with demo money; the staff session is gone."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from backoffice import roles
from backoffice.models import Branch
from backoffice.seed import verified_email_ensure
from backoffice.services import staff_member_upsert
from experience.models import ExperienceEntry, ExperienceSession
from tests.accounts.factories import PASSWORD, TOTPDeviceFactory, totp_code
from tests.guardrails import checks
from wallet.models import Entry, Transaction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_teller_starts_experience_mode_and_pays_a_sample_shop_on_a_phone(page, live_server):
    base = live_server.url
    branch = Branch.objects.create(code="EXP01", name="体验测试支行")
    teller = staff_member_upsert(
        email="exp.teller@example.com",
        password=PASSWORD,
        full_name="柜员 体验",
        role=roles.TELLER,
        branch=branch,
        employee_number="EXP-1",
    )
    verified_email_ensure(teller)
    device = TOTPDeviceFactory(user=teller)

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", teller.email)
    page.fill("#id_password", PASSWORD)
    page.click("main form[action='/accounts/login/'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
    page.fill("#id_otp_token", totp_code(device))
    page.click("main form button[type=submit]")

    # From the staff home card to the start page, then start on this device.
    page.goto(f"{base}/backoffice/")
    page.click("#card-experience a[href='/backoffice/experience/']")
    page.click("[data-testid=experience-start]")
    expect(page).to_have_url(re.compile(r"/experience/$"))
    expect(page.locator("[data-testid=demo-banner]")).to_contain_text("体验金")
    expect(page.locator("[data-testid=demo-balance]")).to_contain_text("1,000.00")

    # Pay a sample shop chosen from the list.
    page.click("[data-testid=demo-pay]")
    page.click("[data-testid=merchant-coffee]")
    expect(page.locator("#id_merchant")).to_have_value("coffee")
    page.fill("#id_amount", "28.50")
    page.click("[data-testid=demo-pay-submit]")
    expect(page.locator("[data-testid=demo-receipt]")).to_contain_text("街角咖啡")
    expect(page.locator("[data-testid=demo-banner]")).to_contain_text("971.50")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Every sandbox page passes the guardrails' page checks (the crawler sees only "ended").
    receipt_url = page.url
    found = []
    for path in (
        "",
        "pay/",
        "transfer/",
        "top-up/",
        "history/",
        "rewards/",
        "security/",
        receipt_url,
    ):
        page.goto(path if path.startswith("http") else f"{base}/experience/{path}")
        found += checks.check_csrf_tokens(page) + checks.check_structure(page)
        found += checks.check_axe(page) + checks.check_language(page)
        found += checks.check_overflow(page, 390, "zh-hans")
    assert found == [], [str(v) for v in found]

    # The device holds no staff session any more.
    page.goto(f"{base}/backoffice/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    session = ExperienceSession.objects.get()
    assert session.balance == Decimal("971.50") and session.staff == teller
    assert ExperienceEntry.objects.get().counterparty == "coffee"
    assert not Transaction.objects.exists() and not Entry.objects.exists()
