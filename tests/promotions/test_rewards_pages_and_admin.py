"""What the customer sees of rewards (API and page), and what the campaign admin does."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from promotions import selectors
from promotions.models import Campaign, RewardGrant
from tests.accounts.factories import UserFactory
from tests.wallet.factories import balance
from wallet import services as wallet_services

from .conftest import verify_second_factor
from .factories import CampaignFactory, funded_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def rewarded(django_capture_on_commit_callbacks):
    campaign = funded_campaign()
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        wallet_services.wallet_activate(user=user)
    return campaign, user


def test_rewards_api_lists_the_customers_grants(client, rewarded):
    campaign, user = rewarded
    grant = RewardGrant.objects.get(user=user)
    UserFactory()  # someone else's rewards never show
    client.force_login(user)
    body = client.get("/api/v1/rewards/").json()
    assert body["count"] == 1
    (item,) = body["results"]
    assert item["campaign"] == campaign.name
    assert item["amount"] == "8.88"
    assert item["status"] == "settled"
    assert item["transaction"] == grant.transaction_id


def test_rewards_api_needs_a_login(client):
    assert client.get("/api/v1/rewards/").status_code in (401, 403)


def test_rewards_page_lists_the_reward_and_the_dashboard_links_to_it(client, rewarded):
    campaign, user = rewarded
    client.force_login(user)
    page = client.get("/rewards/").content.decode()
    assert campaign.name in page
    assert "8.88" in page
    assert "/rewards/" in client.get("/dashboard/").content.decode()


def test_rewards_page_costs_the_same_queries_for_many_rewards(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        wallet_services.wallet_activate(user=user)
    client.force_login(user)
    counts = []
    for n in (2, 20):
        while RewardGrant.objects.filter(user=user).count() < n:
            RewardGrant.objects.create(
                campaign=CampaignFactory(), user=user, amount=Decimal("1.00")
            )
        for path in ("/rewards/", "/api/v1/rewards/"):
            client.get(path)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(path).status_code == 200
            counts.append((n, path, len(captured)))
    few = {path: c for n, path, c in counts if n == 2}
    many = {path: c for n, path, c in counts if n == 20}
    assert many == few


def test_campaign_admin_sees_spend_and_funds_a_campaign(client, campaign_admin, rewarded):
    verify_second_factor(client, campaign_admin)
    campaign, _user = rewarded
    exhausted = CampaignFactory(name="已用完", budget=Decimal("8.88"))
    Campaign.objects.filter(pk=exhausted.pk).update(spent=Decimal("8.88"))

    listing = client.get("/admin/promotions/campaign/")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "9,991.12" in page or "9991.12" in page
    assert "Exhausted" in page or "已用完" in page

    response = client.post(f"/admin/promotions/campaign/{campaign.pk}/fund/", {"amount": "100.00"})
    assert response.status_code == 302
    assert selectors.campaign_pool_balance(campaign) == Decimal("10091.12")

    refused = client.post(f"/admin/promotions/campaign/{campaign.pk}/fund/", {"amount": "0"})
    assert refused.status_code == 200
    assert selectors.campaign_pool_balance(campaign) == Decimal("10091.12")

    assert client.get("/admin/promotions/rewardgrant/").status_code == 200


def test_campaign_admin_retries_a_failed_grant_from_the_admin(
    client, campaign_admin, django_capture_on_commit_callbacks
):
    verify_second_factor(client, campaign_admin)
    campaign = CampaignFactory()
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        wallet = wallet_services.wallet_activate(user=user)
    grant = RewardGrant.objects.get(user=user)
    assert grant.status == RewardGrant.Status.FAILED

    client.post(f"/admin/promotions/campaign/{campaign.pk}/fund/", {"amount": "8.88"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/admin/promotions/rewardgrant/",
            {"action": "retry_grants", "_selected_action": [grant.pk]},
        )
    grant.refresh_from_db()
    assert grant.status == RewardGrant.Status.SETTLED
    assert balance(wallet) == Decimal("8.88")


def _campaign_form(campaign, **changes):
    data = {
        "name": campaign.name,
        "kind": campaign.kind,
        "reward_amount": str(campaign.reward_amount),
        "starts_at_0": campaign.starts_at.strftime("%Y-%m-%d"),
        "starts_at_1": campaign.starts_at.strftime("%H:%M:%S"),
        "ends_at_0": campaign.ends_at.strftime("%Y-%m-%d"),
        "ends_at_1": campaign.ends_at.strftime("%H:%M:%S"),
        "budget": str(campaign.budget),
        "per_customer_cap": "1",
        "min_kyc_level": "0",
        "is_active": "on",
        # vouchers and discounts: the defaults of a cash reward of a fixed amount
        "reward_type": "cash",
        "benefit": "fixed",
        "min_spend": "0",
        "voucher_valid_days": "30",
        # The category multipliers inline (points programmes), left empty.
        "multipliers-TOTAL_FORMS": "0",
        "multipliers-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


def test_editing_a_campaign_never_overwrites_what_is_spent(client, campaign_admin, rewarded):
    verify_second_factor(client, campaign_admin)
    campaign, _user = rewarded
    stale = Campaign.objects.get(pk=campaign.pk)
    Campaign.objects.filter(pk=campaign.pk).update(spent=Decimal("17.76"))  # another activation

    response = client.post(
        f"/admin/promotions/campaign/{campaign.pk}/change/",
        _campaign_form(stale, budget="20000.00"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign.refresh_from_db()
    assert campaign.budget == Decimal("20000.00")
    assert campaign.spent == Decimal("17.76")

    refused = client.post(
        f"/admin/promotions/campaign/{campaign.pk}/change/", _campaign_form(stale, budget="10.00")
    )
    assert refused.status_code == 200
    campaign.refresh_from_db()
    assert campaign.budget == Decimal("20000.00")


def test_a_campaign_admin_creates_a_campaign_and_a_bad_schedule_is_refused(client, campaign_admin):
    verify_second_factor(client, campaign_admin)
    template = CampaignFactory.build()
    response = client.post("/admin/promotions/campaign/add/", _campaign_form(template))
    assert response.status_code == 302
    assert Campaign.objects.get(name=template.name).spent == 0

    backwards = CampaignFactory.build(starts_at=template.ends_at, ends_at=template.starts_at)
    refused = client.post("/admin/promotions/campaign/add/", _campaign_form(backwards))
    assert refused.status_code == 200
    assert Campaign.objects.count() == 1
