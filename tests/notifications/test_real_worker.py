"""With real Redis and a real Celery worker: a transfer's alert is delivered exactly once, even
when Redis is unreachable during the transfer; a task run twice sends once."""

import logging
import threading
import time
import warnings
from contextlib import contextmanager
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery.exceptions import CPendingDeprecationWarning
from celery.signals import task_postrun
from django.conf import settings as django_settings
from django.core import mail
from rest_framework.test import APIClient

from notifications.models import Delivery, Notification, OutboxMessage
from tests.celery_support import celery_through_broker as _celery_through_broker
from tests.celery_support import wait_for as _wait_for
from tests.notifications.tcp_proxy import TcpProxy
from tests.wallet.factories import WalletFactory, balance, funded_wallet
from wallet import services as wallet_services

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# Generous: publishing to a broker that is down gives up after one quick retry (settings'
# CELERY_TASK_PUBLISH_RETRY_POLICY); this only catches a request that hangs on it.
TRANSFER_WITH_REDIS_DOWN_MAX_SECONDS = 10
# The worker reconnects after 2 s, then 4 s more... (kombu's ensure_connection).
WORKER_CATCH_UP_SECONDS = 30


class _TaskRuns:
    """What the worker's outbox task returned, run by run (True: it did the work).

    Waiting on these, not on the database, keeps the test from reading while the worker
    writes: SQLite's shared in-memory test database refuses that with "table is locked".
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._runs: list[tuple[int, bool]] = []

    def __call__(self, sender=None, args=None, retval=None, **kwargs):
        if sender is None or sender.name != "notifications.process_outbox_message":
            return
        with self._lock:
            self._runs.append((args[0], retval))

    def did_work_for(self) -> set[int]:
        with self._lock:
            return {pk for pk, retval in self._runs if retval}

    def of(self, message_id: int) -> list[bool]:
        with self._lock:
            return [retval for pk, retval in self._runs if pk == message_id]


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@contextmanager
def _warnings_of(logger_name: str):
    """The logger's warnings, whatever the worker did to the root logger's handlers and level."""
    logger = logging.getLogger(logger_name)
    records, level = _Records(), logger.level
    logger.addHandler(records)
    logger.setLevel(logging.WARNING)
    try:
        yield records.messages
    finally:
        logger.removeHandler(records)
        logger.setLevel(level)


@contextmanager
def _task_runs():
    runs = _TaskRuns()
    task_postrun.connect(runs, weak=False)
    try:
        yield runs
    finally:
        task_postrun.disconnect(runs)


def _url_through(proxy: TcpProxy, url: str) -> str:
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@" if userinfo else ""
    return urlunsplit(parts._replace(netloc=f"{netloc}127.0.0.1:{proxy.port}"))


@pytest.fixture
def redis_proxy():
    """A proxy in front of the real Redis at REDIS_URL, which the test can take down."""
    parts = urlsplit(django_settings.REDIS_URL)
    proxy = TcpProxy(parts.hostname, parts.port or 6379)
    proxy.up()
    try:
        yield proxy
    finally:
        proxy.down()


def _transfer_alerts(transaction_pk: int):
    return Notification.objects.filter(dedupe_key__startswith=f"txn:{transaction_pk}:")


def test_a_transfer_alert_goes_through_redis_to_a_worker_once():
    from celery.contrib.testing.worker import start_worker

    from notifications.services import outbox_dispatch

    with _celery_through_broker(django_settings.REDIS_URL) as app, _task_runs() as runs:
        sender = funded_wallet("50.00")  # its funding alert waits in Redis for the worker
        recipient = WalletFactory()
        funding_alert = OutboxMessage.objects.get()
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            assert _wait_for(lambda: runs.of(funding_alert.pk) == [True])
            result = wallet_services.transfer_create(
                sender_user=sender.user,
                to=recipient.handle,
                amount="5.00",
                currency="CNY",
                idempotency_key="w1",
            )
            assert _wait_for(lambda: runs.did_work_for() - {funding_alert.pk})
            row = OutboxMessage.objects.get(dedupe_key=f"txn-alert:{result.transaction.pk}")
            assert runs.of(row.pk) == [True]
            # Dispatched again (as the periodic job would after a lost acknowledgement): the
            # task runs a second time and sends nothing.
            outbox_dispatch(message_id=row.pk)
            assert _wait_for(lambda: runs.of(row.pk) == [True, False])
    assert OutboxMessage.objects.get(pk=row.pk).status == "done"
    alerts = _transfer_alerts(result.transaction.pk)
    assert alerts.count() == 2
    assert (
        Delivery.objects.filter(notification__in=alerts, channel="email", status="sent").count()
        == 2
    )
    assert len([m for m in mail.outbox if "5.00 CNY" in m.subject]) == 2


def test_with_redis_unreachable_the_transfer_succeeds_and_its_alert_follows_once_redis_is_back(
    redis_proxy, settings
):
    """Broker and cache reach the real Redis through a proxy; during the transfer nothing
    listens there and every open connection is cut, as when Redis goes down."""
    from celery.contrib.testing.worker import start_worker

    from notifications.services import outbox_redispatch_pending

    settings.OUTBOX_REDISPATCH_AFTER_SECONDS = 0
    through_proxy = _url_through(redis_proxy, settings.REDIS_URL)
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": through_proxy}}
    with _celery_through_broker(through_proxy) as app, _task_runs() as runs:
        sender = funded_wallet("50.00")  # its funding alert goes to Redis through the proxy
        recipient = WalletFactory()
        funding_alert = OutboxMessage.objects.get()
        client = APIClient()
        client.force_authenticate(sender.user)
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="ERROR"):
            # The worker losing its connection is what this test is about: Celery's warning then
            # (about a setting's future default) is expected. Set here, after the worker's own
            # "always" filter; pytest restores the filters after the test.
            warnings.filterwarnings(
                "ignore",
                message=r"(?s).*worker_cancel_long_running_tasks_on_connection_loss",
                category=CPendingDeprecationWarning,
            )
            try:
                # Redis is reachable: the worker got the funding alert through the proxy.
                assert _wait_for(lambda: runs.of(funding_alert.pk) == [True])

                redis_proxy.down()
                with _warnings_of("notifications.services") as logged:
                    started = time.monotonic()
                    response = client.post(
                        "/api/v1/transfers/",
                        {"to": recipient.handle, "amount": "7.00", "currency": "CNY"},
                        format="json",
                        HTTP_IDEMPOTENCY_KEY="while-redis-is-down",
                    )
                    took = time.monotonic() - started
                print(f"the transfer took {took:.3f}s with Redis unreachable")  # shown by -rP

                assert response.status_code == 201, response.json()
                assert took < TRANSFER_WITH_REDIS_DOWN_MAX_SECONDS
                assert balance(sender) == Decimal("43.00")
                assert balance(recipient) == Decimal("7.00")
                row = OutboxMessage.objects.get(topic="wallet.transaction_alert", status="pending")
                assert logged == [f"outbox {row.pk}: broker unavailable, left for re-dispatch"]
                # Nothing lost and nothing sent yet: the alert waits in the outbox.
                assert row.attempts == 0
                assert not _transfer_alerts(row.payload["transaction_id"]).exists()
                assert not [m for m in mail.outbox if "7.00 CNY" in m.subject]

                redis_proxy.up()
                assert outbox_redispatch_pending() == 1
                assert _wait_for(lambda: runs.of(row.pk) == [True], WORKER_CATCH_UP_SECONDS)
                # The periodic job finds nothing pending any more: nothing is sent twice.
                assert outbox_redispatch_pending() == 0
            finally:
                redis_proxy.up()  # the worker stops against a reachable broker
    row.refresh_from_db()
    assert row.status == "done" and row.attempts == 1
    alerts = _transfer_alerts(row.payload["transaction_id"])
    assert alerts.count() == 2
    assert Delivery.objects.filter(notification__in=alerts, status="sent").count() == 2
    assert len([m for m in mail.outbox if "7.00 CNY" in m.subject]) == 2
    assert runs.of(row.pk) == [True]
