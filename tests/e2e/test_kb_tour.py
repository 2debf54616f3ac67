"""In a real browser, in large-text mode, with the keyboard only: a new customer takes the guided
tour from the dashboard's offer, steps through it and leaves it with Escape; it is remembered."""

import re

import pytest
from playwright.sync_api import expect

from support.models_kb import TourProgress
from tests.accounts.factories import PASSWORD
from tests.wallet.factories import funded_wallet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_guided_tour_by_keyboard_in_large_text(page, live_server):
    me = funded_wallet("50.00", user__full_name="王老师")
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", me.user.email)
    page.fill("#id_password", PASSWORD)
    page.click("main form[action='/accounts/login/'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    page.click("form[action='/preferences/text-size/'] button[name=size][value=large]")
    expect(page.locator("html")).to_have_class(re.compile("large-text"))

    offer = page.locator("[data-testid=tour-offer]")
    offer.get_by_role("link").focus()
    page.keyboard.press("Enter")
    dialog = page.locator("[data-testid=tour]")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#kb-tour-count")).to_have_text("1 / 5")
    expect(page.locator("[data-testid=balances]")).to_have_class(re.compile("kb-tour-target"))
    # the dialog fits the phone's width in large text
    box = dialog.bounding_box()
    assert box["width"] <= 390 + 1

    page.keyboard.press("Tab")  # Back (disabled) is skipped: Next
    page.keyboard.press("Tab") if page.evaluate(
        "document.activeElement.dataset.tourAction"
    ) != "next" else None
    assert page.evaluate("document.activeElement.dataset.tourAction") == "next"
    page.keyboard.press("Enter")
    expect(dialog.locator("#kb-tour-count")).to_have_text("2 / 5")
    expect(page.locator("main a[href='/wallet/top-up/']")).to_have_class(
        re.compile("kb-tour-target")
    )
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    for _ in range(50):
        if TourProgress.objects.filter(user=me.user).exists():
            break
        page.wait_for_timeout(100)
    assert TourProgress.objects.filter(user=me.user).exists()
    page.goto(f"{base}/dashboard/")
    expect(page.locator("[data-testid=tour-offer]")).to_have_count(0)
