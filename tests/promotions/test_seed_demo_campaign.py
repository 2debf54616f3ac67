"""The demo's activation bonus: seeded once, funded once, paid to whoever activates next."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from backoffice.seed import DEMO_CAMPAIGN_NAME
from backoffice.seed_kpi_history import HISTORY_DOMAIN
from promotions import selectors
from promotions.models import Campaign, RewardGrant
from tests.accounts.factories import UserFactory
from tests.wallet.factories import balance
from wallet import services as wallet_services
from wallet.models import Transaction

pytestmark = pytest.mark.django_db


def test_seeding_twice_changes_nothing_and_a_new_customer_gets_the_bonus(
    django_capture_on_commit_callbacks,
):
    call_command("seed_demo", quiet=True)
    call_command("seed_demo", quiet=True)

    campaign = Campaign.objects.get(name=DEMO_CAMPAIGN_NAME)
    assert Transaction.objects.filter(metadata__campaign_funding=campaign.pk).count() == 1
    # The demo customers opened their wallets before the campaign; only the KPI history's
    # customers (six months back) activated during it, each once.
    grants = RewardGrant.objects.exclude(user__email__endswith=f"@{HISTORY_DOMAIN}")
    assert not grants.exists()
    history = RewardGrant.objects.filter(campaign=campaign)
    assert history.values("user").distinct().count() == history.count()
    before = selectors.campaign_pool_balance(campaign)
    assert before <= Decimal("10000.00")

    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        wallet = wallet_services.wallet_activate(user=user)
    assert balance(wallet) == Decimal("8.88")
    assert selectors.campaign_pool_balance(campaign) == before - Decimal("8.88")
    call_command("ledger_audit")


def test_the_demo_has_a_funded_referral_campaign_a_points_programme_and_a_customer_with_points(
    client,
):
    from accounts.models import User
    from backoffice.seed import (
        DEMO_POINTS,
        DEMO_POINTS_PROGRAMME_NAME,
        DEMO_REFERRAL_CAMPAIGN_NAME,
    )
    from promotions import points, referrals
    from promotions.models import PointsEntry

    call_command("seed_demo", quiet=True)
    call_command("seed_demo", quiet=True)

    referral = Campaign.objects.get(name=DEMO_REFERRAL_CAMPAIGN_NAME)
    programme = Campaign.objects.get(name=DEMO_POINTS_PROGRAMME_NAME)
    for campaign in (referral, programme):
        assert selectors.campaign_pool_balance(campaign) == Decimal("10000.00")
    assert referrals.referral_campaign_running() == referral
    assert points.points_programme_running() == programme
    zhang = User.objects.get(email="zhang.san@demo.example")
    assert selectors.points_balance(zhang) == DEMO_POINTS
    assert PointsEntry.objects.filter(account__user=zhang).count() == 1
    client.force_login(zhang)
    assert client.get("/api/v1/referrals/").json()["campaign"]["name"] == referral.name
    call_command("ledger_audit")
