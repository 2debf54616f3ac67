"""Reward settlement throughput: grants paid per second by real Celery workers on Redis.

The grants are written first with nothing dispatched (their outbox rows wait, as after a broker
outage); then, with 1 and then 2 worker processes (solo pool) ready, the rows are handed to
Redis at once and the clock runs until every grant of the run is paid.
"""

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REWARD = Decimal("1.00")


@dataclass
class SettlementResult:
    workers: int
    grants: int
    seconds: float

    @property
    def grants_per_second(self) -> float:
        return self.grants / self.seconds


def _campaign(grants: int):
    from datetime import timedelta

    from django.utils import timezone

    from promotions import services
    from promotions.models import Campaign

    campaign = services.campaign_save(
        campaign=Campaign(
            name=f"bench settlement {timezone.now():%H%M%S%f}",
            reward_amount=REWARD,
            budget=REWARD * grants,
            per_customer_cap=grants,
            starts_at=timezone.now() - timedelta(minutes=1),
            ends_at=timezone.now() + timedelta(days=1),
        )
    )
    services.campaign_fund(campaign=campaign, amount=REWARD * grants, funded_by=None)
    return campaign


def _write_grants_undispatched(campaign, grants: int, wallets: list[tuple[int, int]]) -> None:
    """Pending grants with their outbox rows; the publish goes to an in-memory broker nobody
    reads, so the rows stay pending until re-dispatched."""
    from django.db import transaction

    from config.celery import app
    from promotions.services import reward_grants_for_activation

    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"
    for i in range(grants):
        wallet_id, user_id = wallets[i % len(wallets)]
        with transaction.atomic():
            made = reward_grants_for_activation(wallet_id=wallet_id, user_id=user_id)
        if [g.campaign_id for g in made] != [campaign.pk]:
            raise SystemExit(f"bench: expected one grant of campaign {campaign.pk}, got {made}")


def _start_workers(count: int, env: dict) -> list[subprocess.Popen]:
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
        "--loglevel=WARNING", "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    return [
        subprocess.Popen(  # noqa: S603 - our own interpreter
            [*command, f"--hostname=bench{i}@%h"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(count)
    ]


def _wait_until_ready(app, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=0.5) or []) >= count:
            return
    raise SystemExit(f"bench: {count} Celery workers did not start within {timeout:.0f}s")


def _stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def run(*, workers: int, grants: int, redis_url: str, env: dict) -> SettlementResult:
    from django.conf import settings

    from bench.capture import customer_wallets
    from config.celery import app
    from notifications.services import outbox_redispatch_pending
    from promotions.models import Campaign, RewardGrant
    from tests.celery_support import reset_broker_connections

    Campaign.objects.update(is_active=False)  # only this run's campaign grants
    campaign = _campaign(grants)
    _write_grants_undispatched(campaign, grants, customer_wallets())

    app.conf.broker_url = redis_url
    reset_broker_connections(app)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)
    processes = _start_workers(workers, {**env, "REDIS_URL": redis_url})
    try:
        _wait_until_ready(app, workers)
        settings.OUTBOX_REDISPATCH_AFTER_SECONDS = 0
        paid = RewardGrant.objects.filter(campaign=campaign, status=RewardGrant.Status.SETTLED)
        started = time.monotonic()
        outbox_redispatch_pending()
        while paid.count() < grants:
            if time.monotonic() - started > 300:
                raise SystemExit(f"bench: settlement stalled at {paid.count()}/{grants}")
            time.sleep(0.05)
        seconds = time.monotonic() - started
    finally:
        _stop(processes)
        app.conf.broker_url = "memory://"
        reset_broker_connections(app)
    return SettlementResult(workers=workers, grants=grants, seconds=seconds)


def redis_url() -> str:
    return os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379/14"
