"""The demo's activation bonus: seeded once, funded once, paid to whoever activates next."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from backoffice.seed import DEMO_CAMPAIGN_NAME
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
    assert selectors.campaign_pool_balance(campaign) == Decimal("10000.00")
    assert not RewardGrant.objects.exists()  # the demo customers opened their wallets before

    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        wallet = wallet_services.wallet_activate(user=user)
    assert balance(wallet) == Decimal("8.88")
    assert selectors.campaign_pool_balance(campaign) == Decimal("9991.12")
    call_command("ledger_audit")
