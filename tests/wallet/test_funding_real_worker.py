"""With real Redis and a real Celery worker, and a slow sandbox bank: the request answers
`pending` at once, the worker settles later, and the customer is told."""

import time
from decimal import Decimal

import pytest

from accounts.bank.sandbox import sandbox_card_number, sandbox_link_verified
from notifications.models import Notification
from tests.wallet.factories import WalletFactory, balance
from wallet import services
from wallet.models import FundingOrder

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

BANK_DELAY_SECONDS = 1.5


def _wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_slow_bank_leaves_the_top_up_pending_until_a_worker_settles_it(settings):
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    wallet = WalletFactory()
    card = sandbox_link_verified(
        user=wallet.user, kind="debit_card", holder_name="张三", number=sandbox_card_number()
    )
    settings.BANK_SANDBOX_DELAY_SECONDS = BANK_DELAY_SECONDS
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            started = time.monotonic()
            order = services.topup_create(
                user=wallet.user,
                source_id=card.pk,
                amount="66.00",
                currency="CNY",
                idempotency_key="slow-bank",
            ).order
            answered_in = time.monotonic() - started
            assert order.status == FundingOrder.Status.PENDING
            assert answered_in < BANK_DELAY_SECONDS  # the customer never waits for the bank
            assert _wait_for(
                lambda: FundingOrder.objects.get(pk=order.pk).status != FundingOrder.Status.PENDING
            )
            assert _wait_for(
                lambda: Notification.objects.filter(
                    user=wallet.user, dedupe_key=f"funding-outcome:{order.pk}"
                ).exists()
            )
    finally:
        app.conf.task_always_eager = True
    assert FundingOrder.objects.get(pk=order.pk).status == FundingOrder.Status.COMPLETED
    assert balance(wallet) == Decimal("66.00")
