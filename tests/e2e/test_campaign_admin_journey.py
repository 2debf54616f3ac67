"""In a real browser: a campaign admin logs in with the second factor, creates an activation
campaign in the Django admin and funds it; a new customer activates the wallet and finds the
reward on the rewards page, paid through the ledger."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from backoffice import roles
from backoffice.services import role_groups_ensure
from promotions import selectors
from promotions.models import Campaign, RewardGrant
from tests.accounts.factories import (
    PASSWORD,
    StaffFactory,
    TOTPDeviceFactory,
    UserFactory,
    totp_code,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base, email, device=None):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", PASSWORD)
    page.click("main form[action='/accounts/login/'] button[type=submit]")
    if device is not None:
        expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
        page.fill("#id_otp_token", totp_code(device))
        page.click("main form button[type=submit]")


def _create_campaign_in_the_admin(page, base):
    starts = timezone.localtime() - timedelta(minutes=5)
    ends = starts + timedelta(days=30)
    page.goto(f"{base}/admin/promotions/campaign/add/")
    page.fill("#id_name", "双十二开户礼")
    page.select_option("#id_kind", "activation_bonus")
    page.fill("#id_reward_amount", "12.12")
    page.fill("#id_starts_at_0", starts.strftime("%Y-%m-%d"))
    page.fill("#id_starts_at_1", starts.strftime("%H:%M:%S"))
    page.fill("#id_ends_at_0", ends.strftime("%Y-%m-%d"))
    page.fill("#id_ends_at_1", ends.strftime("%H:%M:%S"))
    page.fill("#id_budget", "1212.00")
    page.click("input[name=_save]")
    expect(page).to_have_url(re.compile(r"/admin/promotions/campaign/$"))


def _fund_it_in_the_admin(page, campaign):
    page.check(f"input[name=_selected_action][value='{campaign.pk}']")
    page.select_option("select[name=action]", "fund_campaign")
    page.click("button[name=index]")
    expect(page).to_have_url(re.compile(rf"/admin/promotions/campaign/{campaign.pk}/fund/$"))
    page.fill("#id_amount", "1212.00")
    page.click("#content form input[type=submit]")
    expect(page).to_have_url(re.compile(r"/admin/promotions/campaign/$"))


def test_an_admin_creates_and_funds_a_campaign_and_a_new_customer_is_rewarded(browser, live_server):
    base = live_server.url
    role_groups_ensure()
    admin_user = StaffFactory()
    admin_user.groups.add(Group.objects.get(name=roles.CAMPAIGN_ADMIN))
    device = TOTPDeviceFactory(user=admin_user)

    staff_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    staff_page = staff_context.new_page()
    staff_page.set_default_timeout(15_000)
    _log_in(staff_page, base, admin_user.email, device)
    _create_campaign_in_the_admin(staff_page, base)
    campaign = Campaign.objects.get(name="双十二开户礼")
    _fund_it_in_the_admin(staff_page, campaign)
    assert selectors.campaign_pool_balance(campaign) == Decimal("1212.00")

    customer = UserFactory(full_name="新客户")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = phone.new_page()
    page.set_default_timeout(15_000)
    _log_in(page, base, customer.email)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    page.click("form[action='/wallet/activate/'] button[type=submit]")
    page.goto(f"{base}/rewards/")
    expect(page.locator("main")).to_contain_text("双十二开户礼")
    expect(page.locator("main")).to_contain_text("12.12")
    page.goto(f"{base}/dashboard/")
    expect(page.locator("[data-testid=balances]")).to_contain_text("12.12")

    grant = RewardGrant.objects.get(user=customer)
    assert grant.status == RewardGrant.Status.SETTLED
    assert grant.transaction.entries.count() == 2

    # The admin sees the spend.
    staff_page.goto(f"{base}/admin/promotions/campaign/{campaign.pk}/results/")
    expect(staff_page.locator("#content")).to_contain_text("12.12")
    staff_page.goto(f"{base}/admin/promotions/campaign/")
    expect(staff_page.locator("#result_list")).to_contain_text("1,199.88")
    phone.close()
    staff_context.close()
