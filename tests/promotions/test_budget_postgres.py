"""The budget holds under concurrent activations, with real commits and real connections."""

import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, connections

from promotions import selectors
from promotions.models import RewardGrant
from tests.accounts.factories import UserFactory
from tests.wallet.factories import balance
from wallet import services as wallet_services
from wallet.models import Transaction, Wallet

from .factories import funded_campaign

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_concurrent_activations_against_a_budget_for_five_pay_exactly_five():
    assert connection.vendor == "postgresql"
    campaign = funded_campaign(funding="100.00", budget=Decimal("44.40"))  # 5 × 8.88
    users = [UserFactory() for _ in range(20)]
    start = threading.Barrier(len(users))
    errors = []

    def activate(user):
        try:
            start.wait()
            wallet_services.wallet_activate(user=user)  # settles after commit (eager Celery)
        except Exception as exc:  # noqa: BLE001  surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=activate, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Wallet.objects.filter(status=Wallet.Status.ACTIVE).count() == 20
    grants = RewardGrant.objects.filter(campaign=campaign)
    assert grants.count() == 5
    assert set(grants.values_list("status", flat=True)) == {RewardGrant.Status.SETTLED}
    assert Transaction.objects.filter(kind=Transaction.Kind.REWARD).count() == 5
    rewarded = sorted(balance(Wallet.objects.get(user=u)) for u in users)
    assert rewarded == [Decimal("0")] * 15 + [Decimal("8.88")] * 5
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("44.40")
    assert selectors.campaign_pool_balance(campaign) == Decimal("55.60")
    call_command("ledger_audit")
