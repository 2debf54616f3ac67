"""In a real browser: a branch manager opens the KPI dashboard from the staff home, sees their
branch's figures drawn as charts (each with a text alternative and a table), and cannot open
another branch's dashboard."""

import re

import pytest
from playwright.sync_api import expect

from backoffice import roles
from backoffice.kpi import rollups
from backoffice.seed import verified_email_ensure
from backoffice.services import staff_member_upsert
from tests.accounts.factories import PASSWORD, TOTPDeviceFactory, totp_code
from tests.backoffice.kpi_history import History

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_branch_manager_sees_their_branch_and_not_another(browser, live_server):
    base = live_server.url
    history = History()
    history.play(
        [
            ("signup", 0, 3, 600, 0, True),
            ("signup", 1, 2, 600, 1, True),
            ("txn", 0, "top_up", 300, 2, 600, "app"),
            ("txn", 1, "top_up", 70, 1, 600, "counter"),
        ],
        refresh=rollups.refresh,
    )
    rollups.refresh()
    mine, other = history.branches
    manager = staff_member_upsert(
        email="e2e.kpi.manager@example.com",
        password=PASSWORD,
        full_name="行长 测试",
        role=roles.BRANCH_MANAGER,
        branch=mine,
        employee_number="E2E-K1",
    )
    verified_email_ensure(manager)
    device = TOTPDeviceFactory(user=manager)

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = desk.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", manager.email)
    page.fill("#id_password", PASSWORD)
    page.click("main form[action='/accounts/login/'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
    page.fill("#id_otp_token", totp_code(device))
    page.click("main form button[type=submit]")

    page.goto(f"{base}/backoffice/")
    page.click("a[href='/backoffice/kpi/']")
    expect(page).to_have_url(re.compile(r"/backoffice/kpi/$"))
    expect(page.locator("[data-testid=figure-registrations]")).to_have_text("1")
    expect(page.locator("[data-testid=figure-txn_count]")).to_have_text("1")
    expect(page.locator("#id_branch option")).to_have_count(1)
    canvases = page.locator("canvas.kpi-chart")
    assert canvases.count() >= 4
    for i in range(canvases.count()):
        assert canvases.nth(i).get_attribute("aria-label")
        assert canvases.nth(i).get_attribute("aria-describedby")
    # Chart.js drew on the canvas (it sets its own size attributes)
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length > 0")
    assert errors == []

    response = page.goto(f"{base}/backoffice/kpi/?branch={other.pk}")
    assert response.status == 404
    assert desk.request.get(f"{base}/backoffice/kpi/export.csv?set=figures").ok
    csv = desk.request.get(f"{base}/backoffice/kpi/export.csv?branch={other.pk}&set=figures")
    assert csv.status == 404
    desk.close()
