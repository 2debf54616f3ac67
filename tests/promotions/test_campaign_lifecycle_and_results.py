"""The campaign admin pauses, resumes and ends campaigns, and reads each one's results."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from promotions import services
from promotions.models import Campaign, RewardGrant
from tests.accounts.factories import UserFactory
from tests.wallet.factories import MerchantFactory
from wallet import services as wallet_services

from .conftest import verify_second_factor
from .factories import CampaignFactory, funded_campaign

pytestmark = pytest.mark.django_db


def _activate(user, capture):
    with capture(execute=True):
        return wallet_services.wallet_activate(user=user)


EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _action(client, name, campaign):
    return client.post(
        "/admin/promotions/campaign/", {"action": name, "_selected_action": [campaign.pk]}, **EN
    )


def test_a_paused_campaign_rewards_nobody_until_it_is_resumed(
    client, campaign_admin, django_capture_on_commit_callbacks
):
    verify_second_factor(client, campaign_admin)
    campaign = funded_campaign()

    assert _action(client, "pause_campaigns", campaign).status_code == 302
    campaign.refresh_from_db()
    assert campaign.is_active is False
    _activate(UserFactory(), django_capture_on_commit_callbacks)
    assert not RewardGrant.objects.exists()

    _action(client, "resume_campaigns", campaign)
    _activate(UserFactory(), django_capture_on_commit_callbacks)
    assert RewardGrant.objects.get().status == RewardGrant.Status.SETTLED


def test_an_ended_campaign_stops_at_once_and_cannot_be_resumed(
    client, campaign_admin, django_capture_on_commit_callbacks
):
    verify_second_factor(client, campaign_admin)
    campaign = funded_campaign()

    _action(client, "end_campaigns", campaign)
    campaign.refresh_from_db()
    assert campaign.ends_at <= timezone.now()
    _activate(UserFactory(), django_capture_on_commit_callbacks)
    assert not RewardGrant.objects.exists()

    response = _action(client, "resume_campaigns", campaign)
    page = client.get(response["Location"], **EN).content.decode()
    assert "An ended campaign cannot be resumed." in page
    campaign.refresh_from_db()
    assert campaign.is_active is False


def test_ending_twice_or_pausing_an_ended_campaign_is_refused_by_the_service():
    campaign = CampaignFactory(ends_at=timezone.now() - timedelta(minutes=1))
    for change in (services.campaign_end, services.campaign_pause, services.campaign_resume):
        with pytest.raises(services.ApplicationError):
            change(campaign=campaign)


def test_the_results_page_counts_activations_cost_and_who_paid_afterwards(
    client, campaign_admin, django_capture_on_commit_callbacks
):
    verify_second_factor(client, campaign_admin)
    campaign = funded_campaign(reward_amount=Decimal("8.88"))
    users = [UserFactory() for _ in range(3)]
    for user in users:
        _activate(user, django_capture_on_commit_callbacks)
    merchant = MerchantFactory()
    wallet_services.payment_create(
        payer_user=users[0],
        merchant_code=merchant.code,
        amount="5.00",
        currency="CNY",
        idempotency_key="after-the-reward",
    )

    page = client.get(f"/admin/promotions/campaign/{campaign.pk}/results/", **EN).content.decode()
    assert "Activations attributed" in page
    assert "26.64" in page  # cost: 3 × 8.88
    assert "8.88" in page  # cost per activation
    assert "1 (33.3%)" in page  # one of three rewarded customers paid with the wallet since
    assert "<svg" in page

    csv = client.get(f"/admin/promotions/campaign/{campaign.pk}/results.csv")
    rows = csv.content.decode("utf-8-sig").strip().splitlines()
    assert len(rows) == 4
    assert all(user.email not in csv.content.decode() for user in users)


def test_the_results_page_costs_the_same_queries_for_many_rewards(
    client, campaign_admin, django_assert_max_num_queries
):
    verify_second_factor(client, campaign_admin)
    campaign = CampaignFactory()
    url = f"/admin/promotions/campaign/{campaign.pk}/results/"
    for total in (2, 30):
        while campaign.grants.count() < total:
            RewardGrant.objects.create(
                campaign=campaign,
                user=UserFactory(),
                amount=Decimal("1.00"),
                status=RewardGrant.Status.SETTLED,
                settled_at=timezone.now() - timedelta(days=campaign.grants.count() % 5),
            )
        client.get(url)
        with django_assert_max_num_queries(17):  # + discounts, vouchers, discounts per day
            assert client.get(url).status_code == 200


def test_a_campaign_without_money_in_its_pool_says_so_in_the_list(client, campaign_admin):
    verify_second_factor(client, campaign_admin)
    CampaignFactory(name="没钱的活动")
    page = client.get("/admin/promotions/campaign/", **EN).content.decode()
    assert "Pool empty: fund it" in page
    assert Campaign.objects.count() == 1


def test_the_results_of_a_discount_count_discounts_vouchers_and_their_cost(
    client, campaign_admin, django_capture_on_commit_callbacks
):
    """A merchant discount's cost is its discounts (not grants); a reversed one is no cost, and
    its voucher no longer counts as used."""
    from promotions import selectors
    from tests.wallet.factories import funded_wallet

    from .factories import discount_campaign, voucher_for

    verify_second_factor(client, campaign_admin)
    shop = MerchantFactory()
    campaign = discount_campaign(merchants=[shop], reward_type=Campaign.RewardType.VOUCHER)
    payers = [funded_wallet("500.00") for _ in range(3)]
    for payer in payers:
        voucher_for(payer.user, campaign=campaign)  # 10 off 100
    payments = [
        wallet_services.payment_create(
            payer_user=payer.user,
            merchant_code=shop.code,
            amount="120.00",
            currency="CNY",
            idempotency_key=f"v-{payer.pk}",
            voucher=payer.user.vouchers.get().pk,
        ).transaction
        for payer in payers[:2]
    ]
    with django_capture_on_commit_callbacks(execute=True):
        wallet_services.transaction_reverse(
            original=payments[1], reversed_by=campaign_admin, reason="refund"
        )

    page = client.get(f"/admin/promotions/campaign/{campaign.pk}/results/", **EN).content.decode()
    assert "Discounts given" in page
    # Vouchers issued / used: the reversed payment's voucher was given back, so it is unused.
    assert "3 / 1" in page
    assert "33.3%" in page  # voucher redemption rate
    results = selectors.campaign_results(campaign)
    assert (results.participants, results.discounts, results.cost) == (3, 1, Decimal("10.00"))
    assert results.days[0]["count"] == 1
    listing = client.get("/admin/promotions/campaign/", **EN).content.decode()
    assert "budget left" in listing.lower()
