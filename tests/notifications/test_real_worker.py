"""With real Redis and a real Celery worker: a transfer's alert is delivered exactly once."""

import time

import pytest
from django.core import mail

from notifications.models import Delivery, Notification, OutboxMessage
from tests.wallet.factories import WalletFactory, funded_wallet
from wallet import services as wallet_services

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _wait_for(condition, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_transfer_alert_goes_through_redis_to_a_worker_once():
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            sender = funded_wallet("50.00")
            recipient = WalletFactory()
            result = wallet_services.transfer_create(
                sender_user=sender.user,
                to=recipient.handle,
                amount="5.00",
                currency="CNY",
                idempotency_key="w1",
            )
            row = OutboxMessage.objects.get(dedupe_key=f"txn-alert:{result.transaction.pk}")
            assert _wait_for(lambda: OutboxMessage.objects.get(pk=row.pk).status == "done")
            # Dispatched again (as the periodic job would after a lost acknowledgement): no second send.
            from notifications.services import outbox_dispatch

            outbox_dispatch(message_id=row.pk)
            time.sleep(1)
    finally:
        app.conf.task_always_eager = True
    alerts = Notification.objects.filter(dedupe_key__startswith=f"txn:{result.transaction.pk}:")
    assert alerts.count() == 2
    assert (
        Delivery.objects.filter(notification__in=alerts, channel="email", status="sent").count()
        == 2
    )
    assert len([m for m in mail.outbox if "5.00 CNY" in m.subject]) == 2


def test_with_the_broker_refusing_the_transfer_succeeds_and_the_alert_follows_once_it_is_back(
    settings,
):
    """Publishing fails as it does when Redis is unreachable (kombu's OperationalError); the
    periodic re-dispatch then hands the row to a real worker through the real Redis."""
    from unittest import mock

    from celery.contrib.testing.worker import start_worker
    from kombu.exceptions import OperationalError

    from config.celery import app
    from notifications.services import outbox_redispatch_pending
    from notifications.tasks import process_outbox_message

    settings.OUTBOX_REDISPATCH_AFTER_SECONDS = 0
    app.conf.task_always_eager = False
    sender = funded_wallet("50.00")
    recipient = WalletFactory()
    try:
        with mock.patch.object(
            process_outbox_message,
            "delay",
            side_effect=OperationalError("Error 111 connecting to redis"),
        ):
            result = wallet_services.transfer_create(
                sender_user=sender.user,
                to=recipient.handle,
                amount="7.00",
                currency="CNY",
                idempotency_key="down",
            )
        row = OutboxMessage.objects.get(dedupe_key=f"txn-alert:{result.transaction.pk}")
        assert row.status == "pending"

        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            assert outbox_redispatch_pending() >= 1
            assert _wait_for(lambda: OutboxMessage.objects.get(pk=row.pk).status == "done")
            outbox_redispatch_pending()  # nothing pending any more: nothing is sent twice
            time.sleep(0.5)
    finally:
        app.conf.task_always_eager = True
    alerts = Notification.objects.filter(dedupe_key__startswith=f"txn:{result.transaction.pk}:")
    assert alerts.count() == 2
    assert Delivery.objects.filter(notification__in=alerts, status="sent").count() == 2
