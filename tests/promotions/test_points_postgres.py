"""Concurrent redemptions on real PostgreSQL: never more than the points balance, never more
than the programme's budget, and one payout per Idempotency-Key."""

import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from config.api_errors import ApplicationError
from promotions import points, selectors
from promotions.models import PointsAccount, PointsEntry
from tests.wallet.factories import WalletFactory, balance
from wallet.models import Transaction

from .factories import funded_points_programme

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _give(user, count, campaign):
    account = PointsAccount.objects.create(user=user, balance=count)
    PointsEntry.objects.create(
        account=account,
        campaign=campaign,
        kind=PointsEntry.Kind.EARNED,
        points=count,
        balance_after=count,
        remaining=count,
        expires_at=timezone.now() + timezone.timedelta(days=30),
    )


def _race(calls):
    start = threading.Barrier(len(calls))
    outcomes, errors = [], []

    def run(call):
        try:
            start.wait()
            outcomes.append(call())
        except ApplicationError as exc:
            outcomes.append(exc.get_codes())
        except Exception as exc:  # noqa: BLE001  surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return outcomes


def test_concurrent_redemptions_never_exceed_the_balance():
    assert connection.vendor == "postgresql"
    campaign = funded_points_programme()
    wallet = WalletFactory()
    _give(wallet.user, 500, campaign)

    outcomes = _race(
        [
            lambda i=i: points.points_redeem(user=wallet.user, points=200, idempotency_key=f"k{i}")
            for i in range(10)
        ]
    )

    assert sum(1 for o in outcomes if isinstance(o, points.Redemption)) == 2
    assert outcomes.count("points_insufficient") == 8
    assert selectors.points_balance(wallet.user) == 100
    assert balance(wallet) == Decimal("4.00")
    call_command("ledger_audit")


def test_concurrent_redemptions_never_exceed_the_budget_and_a_key_pays_once():
    assert connection.vendor == "postgresql"
    campaign = funded_points_programme(funding="100.00", budget=Decimal("3.00"))
    wallets = [WalletFactory() for _ in range(6)]
    for wallet in wallets:
        _give(wallet.user, 100, campaign)
    calls = [
        lambda w=w: points.points_redeem(user=w.user, points=100, idempotency_key="same")
        for w in wallets
    ]
    # The first customer also sends the same request twice at once (a double tap).
    calls.append(
        lambda: points.points_redeem(user=wallets[0].user, points=100, idempotency_key="same")
    )

    outcomes = _race(calls)

    paid = Transaction.objects.filter(kind=Transaction.Kind.REWARD)
    assert paid.count() == 3
    assert outcomes.count("points_budget_spent") >= 3
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("3.00")
    assert sum(balance(w) for w in wallets) == Decimal("3.00")
    assert selectors.campaign_pool_balance(campaign) == Decimal("97.00")
    assert PointsEntry.objects.filter(kind=PointsEntry.Kind.REDEEMED).count() == 3
    call_command("ledger_audit")
