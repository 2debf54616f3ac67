"""Real Redis, real PostgreSQL and a real worker process: a worker killed with SIGKILL in the
middle of settling a reward (ledger posted, not yet committed), then restarted, leaves every
grant paid exactly once and the ledger balanced."""

from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from notifications.services import outbox_redispatch_pending
from promotions import selectors
from promotions.models import RewardGrant
from tests.accounts.factories import UserFactory
from tests.celery_support import (
    celery_through_broker,
    kill_hard,
    purge_default_queue,
    stop,
    wait_for,
    worker_process,
)
from tests.wallet.factories import balance
from wallet import services as wallet_services
from wallet.models import Transaction, Wallet

from .factories import funded_campaign

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

CUSTOMERS = 12
REWARD = Decimal("8.88")
WORKER = "tests.promotions.paused_worker"


def _settled_count():
    return RewardGrant.objects.filter(status=RewardGrant.Status.SETTLED).count()


def test_a_worker_killed_mid_settlement_leaves_every_grant_paid_exactly_once(settings, tmp_path):
    settings.OUTBOX_REDISPATCH_AFTER_SECONDS = 0
    campaign = funded_campaign(funding="1000.00", reward_amount=REWARD)
    marker = tmp_path / "paused-at-grant"
    with celery_through_broker(django_settings.REDIS_URL) as app:
        purge_default_queue(app)
        users = [UserFactory() for _ in range(CUSTOMERS)]
        for user in users:  # each activation queues its grant's settlement in Redis
            wallet_services.wallet_activate(user=user)
        assert RewardGrant.objects.filter(status=RewardGrant.Status.PENDING).count() == CUSTOMERS

        first = worker_process(
            WORKER,
            redis_url=django_settings.REDIS_URL,
            extra_env={"PAUSED_WORKER_MARKER": str(marker)},
        )
        try:
            assert wait_for(marker.exists, seconds=60), stop(first)
        finally:
            kill_hard(first)  # SIGKILL: no warm shutdown, no acknowledgement, no commit

        # The killed worker's transaction was rolled back with its connection: that grant is
        # still pending and no reward transaction of it exists.
        killed_at = RewardGrant.objects.get(pk=int(marker.read_text()))
        assert killed_at.status == RewardGrant.Status.PENDING
        assert not Transaction.objects.filter(metadata__reward_grant=killed_at.pk).exists()

        second = worker_process(WORKER, redis_url=django_settings.REDIS_URL)
        try:
            # The periodic re-dispatch (celery-beat) hands the killed row to a worker again;
            # rows already queued are dispatched a second time too, which must pay nothing.
            assert outbox_redispatch_pending() >= 1
            assert wait_for(lambda: _settled_count() == CUSTOMERS, seconds=90), stop(second)
        finally:
            stop(second)

    rewards = Transaction.objects.filter(kind=Transaction.Kind.REWARD)
    assert rewards.count() == CUSTOMERS
    for grant in RewardGrant.objects.all():
        assert grant.transaction_id is not None
        assert rewards.filter(metadata__reward_grant=grant.pk).count() == 1
    assert [balance(Wallet.objects.get(user=u)) for u in users] == [REWARD] * CUSTOMERS
    campaign.refresh_from_db()
    assert campaign.spent == REWARD * CUSTOMERS
    assert selectors.campaign_pool_balance(campaign) == Decimal("1000.00") - REWARD * CUSTOMERS
    call_command("ledger_audit")
