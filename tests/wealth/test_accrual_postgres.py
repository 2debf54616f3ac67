"""Two workers accruing the same day at once pay each holding once (real commits, PostgreSQL)."""

import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from wealth.accrual import yield_accrue
from wealth.models import YieldAccrual, YieldDeclaration

from .factories import FundProductFactory, declare, investor, subscribe

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_accruing_the_same_day_at_once_pay_once():
    assert connection.vendor == "postgresql"
    fund = FundProductFactory()
    for amount in ("10000.00", "3333.33", "777.77", "20000.00"):
        subscribe(investor("30000.00"), fund, amount)
    day = timezone.localdate()
    declare(fund, day, per_10k="0.6543")
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            start.wait()
            results.append(yield_accrue(product=fund, day=day).paid)
        except Exception as exc:  # noqa: BLE001  surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results) == [0, 4]
    assert YieldAccrual.objects.count() == 4
    declared = YieldDeclaration.objects.get()
    assert declared.total_paid == Decimal("2.23")  # 34111.10 x 0.6543 / 10000 = 2.2319
    call_command("seal_ledger")
    call_command("ledger_audit")
