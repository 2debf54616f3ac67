"""The pay pages with a discount or voucher, the rewards page's vouchers, the campaign admin's
new kinds (overlap refused), and the demo seed."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone, translation

from backoffice import roles
from backoffice.services import role_groups_ensure
from promotions.models import Campaign, Voucher
from promotions.seed import DEMO_DISCOUNT_NAME, DEMO_VOUCHER_NAME
from tests.accounts.factories import StaffFactory, UserFactory
from tests.wallet.factories import MerchantFactory, balance, funded_wallet, merchant_balance
from wallet import services as wallet_services
from wallet.models import Merchant

from .factories import discount_campaign, voucher_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return MerchantFactory(name="全家便利店", code="FAMILY01", category=Merchant.Category.SHOPPING)


def _confirm_fields(page: str) -> dict:
    form = page[page.index('action="/wallet/pay/confirm/"') :]
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


def test_the_confirm_page_shows_the_discount_and_pays_what_it_showed(client, shop):
    payer = funded_wallet("500.00")
    discount_campaign(merchants=[shop])
    client.force_login(payer.user)

    page = client.post(
        "/wallet/pay/", {"merchant": shop.code, "amount": "120.00", "currency": "CNY"}
    ).content.decode()
    assert 'data-testid="discount"' in page
    assert "110.00" in page  # what the customer will pay
    fields = _confirm_fields(page)
    assert fields["expected_discount"] == "10.00"

    response = client.post("/wallet/pay/confirm/", fields)
    assert response.status_code == 302
    assert balance(payer) == Decimal("390.00")
    assert merchant_balance(shop) == Decimal("120.00")
    receipt = client.get(response["Location"]).content.decode()
    assert 'data-testid="discount"' in receipt
    assert "120.00" in receipt


def test_the_customer_picks_a_voucher_on_the_confirm_page(client, shop):
    payer = funded_wallet("500.00")
    voucher = voucher_for(payer.user)
    client.force_login(payer.user)

    first = client.post(
        "/wallet/pay/", {"merchant": shop.code, "amount": "80.00", "currency": "CNY"}
    ).content.decode()
    assert f'<option value="{voucher.pk}"' in first  # offered, not yet applied
    assert 'data-testid="discount"' not in first

    page = client.post(
        "/wallet/pay/",
        {"merchant": shop.code, "amount": "80.00", "currency": "CNY", "voucher": voucher.pk},
    ).content.decode()
    assert "60.00" in page
    fields = _confirm_fields(page)
    assert fields["voucher"] == str(voucher.pk)

    assert client.post("/wallet/pay/confirm/", fields).status_code == 302
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.USED
    assert balance(payer) == Decimal("440.00")


def test_an_expired_voucher_is_refused_on_the_pay_page_under_its_field(client, shop):
    payer = funded_wallet("500.00")
    voucher = voucher_for(payer.user, expires_at=timezone.now() - timedelta(days=1))
    client.force_login(payer.user)
    with translation.override("en"):
        response = client.post(
            "/wallet/pay/",
            {"merchant": shop.code, "amount": "80.00", "currency": "CNY", "voucher": voucher.pk},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200
    assert response.context["form"].errors["voucher"] == ["This voucher has expired."]


def test_the_rewards_page_lists_usable_vouchers_in_fixed_queries(
    client, shop, django_assert_max_num_queries
):
    user = UserFactory()
    campaign = voucher_for(user).campaign
    for _ in range(4):
        voucher_for(user, campaign=campaign).merchants.set([shop])
    used = voucher_for(user, campaign=campaign)
    Voucher.objects.filter(pk=used.pk).update(expires_at=timezone.now() - timedelta(days=1))
    client.force_login(user)
    # The page also shows points, the referral code and any notice banner (one query): a fixed
    # number, however many vouchers.
    with django_assert_max_num_queries(19):
        page = client.get("/rewards/").content.decode()
    assert page.count('data-testid="vouchers"') == 1
    assert page.count(shop.name) == 4


# --- the campaign admin ----------------------------------------------------------------------


@pytest.fixture
def campaign_admin(client):
    from django_otp import DEVICE_ID_SESSION_KEY

    from tests.accounts.factories import TOTPDeviceFactory

    role_groups_ensure()
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name=roles.CAMPAIGN_ADMIN))
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDeviceFactory(user=staff).persistent_id
    session.save()
    return staff


def _discount_form(shop, **changes):
    now = timezone.now()
    data = {
        "name": "周末满减",
        "kind": Campaign.Kind.MERCHANT_DISCOUNT,
        "reward_type": "cash",
        "benefit": "fixed",
        "reward_amount": "5.00",
        "min_spend": "50.00",
        "starts_at_0": now.strftime("%Y-%m-%d"),
        "starts_at_1": "00:00:00",
        "ends_at_0": (now + timedelta(days=10)).strftime("%Y-%m-%d"),
        "ends_at_1": "00:00:00",
        "budget": "1000.00",
        "per_customer_cap": "3",
        "min_kyc_level": "0",
        "voucher_valid_days": "30",
        "merchants": [shop.pk],
        "is_active": "on",
        # The category multipliers inline (points programmes), left empty.
        "multipliers-TOTAL_FORMS": "0",
        "multipliers-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_an_overlapping_discount_for_the_same_merchant_is_refused(client, campaign_admin, shop):
    existing = discount_campaign(merchants=[shop])
    with translation.override("en"):
        refused = client.post(
            "/admin/promotions/campaign/add/", _discount_form(shop), HTTP_ACCEPT_LANGUAGE="en"
        )
    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors
    assert "Another discount runs at the same time" in errors["merchants"][0]
    assert existing.name in errors["merchants"][0]

    # The same shop's category, too.
    by_category = _discount_form(shop, merchants=[], merchant_categories=["shopping"])
    assert client.post("/admin/promotions/campaign/add/", by_category).status_code == 200

    # Another merchant, or after the running one ends, is fine.
    elsewhere = _discount_form(shop, merchants=[MerchantFactory().pk])
    assert client.post("/admin/promotions/campaign/add/", elsewhere).status_code == 302
    assert Campaign.objects.filter(kind=Campaign.Kind.MERCHANT_DISCOUNT).count() == 2


def test_each_kind_shows_its_own_fields_and_vouchers_are_read_only(client, campaign_admin, shop):
    discount = discount_campaign(merchants=[shop])
    page = client.get(f"/admin/promotions/campaign/{discount.pk}/change/").content.decode()
    assert 'name="min_spend"' in page
    assert 'name="merchants"' in page
    cashback = discount_campaign(
        name="首单返现", kind=Campaign.Kind.FIRST_PAYMENT_CASHBACK, funding="10.00"
    )
    page = client.get(f"/admin/promotions/campaign/{cashback.pk}/change/").content.decode()
    assert 'name="merchants"' not in page
    assert 'name="max_discount"' in page

    voucher = voucher_for(UserFactory())
    assert client.get("/admin/promotions/voucher/").status_code == 200
    detail = client.get(f"/admin/promotions/voucher/{voucher.pk}/change/")
    assert detail.status_code == 200
    assert 'name="status"' not in detail.content.decode()  # nothing editable
    assert client.get("/admin/promotions/redemption/").status_code == 200
    # Discounts a reversal took back can be told apart (and listed apart) from those that stand.
    undone = client.get("/admin/promotions/redemption/?reversed_by__isempty=0")
    assert undone.status_code == 200
    assert "reversed_by" in undone.content.decode()


# --- the demo seed ---------------------------------------------------------------------------


def test_the_seed_gives_a_funded_discount_and_a_voucher_to_demo_customers():
    call_command("seed_demo", quiet=True)
    call_command("seed_demo", quiet=True)
    discount = Campaign.objects.get(name=DEMO_DISCOUNT_NAME)
    assert list(discount.merchants.values_list("code", flat=True)) == ["FAMILY01"]
    vouchers = Voucher.objects.filter(campaign__name=DEMO_VOUCHER_NAME)
    assert vouchers.count() == 3
    zhang = vouchers.get(user__email="zhang.san@demo.example")

    result = wallet_services.payment_create(
        payer_user=zhang.user,
        merchant_code="FAMILY01",
        amount="100.00",
        currency="CNY",
        idempotency_key="seed-demo",
    )
    assert result.transaction.metadata["discount"] == "10.00"
    call_command("ledger_audit")


def test_the_campaign_admin_issues_vouchers_by_email_within_the_cap(client, campaign_admin):
    campaign = voucher_for(UserFactory()).campaign  # reward type voucher, 20 off 50
    alice, bob = UserFactory(email="alice@example.com"), UserFactory(email="bob@example.com")
    voucher_for(bob, campaign=campaign)  # bob already has one: the cap is 1

    response = client.post(
        f"/admin/promotions/campaign/{campaign.pk}/issue-vouchers/",
        {"emails": "alice@example.com\nbob@example.com\nnobody@example.com"},
    )

    assert response.status_code == 302
    assert Voucher.objects.filter(campaign=campaign, user=alice).count() == 1
    assert Voucher.objects.filter(campaign=campaign, user=bob).count() == 1
    cash = discount_campaign(name="现金活动", merchants=[MerchantFactory()])
    page = client.post(
        f"/admin/promotions/campaign/{cash.pk}/issue-vouchers/", {"emails": "alice@example.com"}
    )
    assert page.status_code == 200  # refused: a cash campaign issues no vouchers
    assert not Voucher.objects.filter(campaign=cash).exists()


def test_the_rewards_page_shows_the_offers_running_at_shops(client, shop):
    running = discount_campaign(merchants=[shop], name="周末满减")
    discount_campaign(
        name="已结束",
        ends_at=timezone.now() - timedelta(minutes=1),
        starts_at=timezone.now() - timedelta(days=1),
    )
    client.force_login(UserFactory())
    page = client.get("/rewards/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert running.name in page and shop.name in page
    assert "10.00 CNY off on 100.00 CNY or more" in page
    assert "已结束" not in page
