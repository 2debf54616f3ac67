"""Daily yield: each holding paid once per day, the day's total equal to the declared yield."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wallet.models import Transaction
from wealth.accrual import yield_accrue
from wealth.models import Holding, YieldAccrual

from .factories import FundProductFactory, declare, investor, subscribe

pytestmark = pytest.mark.django_db
DAY = date(2026, 11, 26)


def run_command(day=DAY) -> list[str]:
    out = StringIO()
    call_command("accrue_yield", "--date", day.isoformat(), stdout=out)
    return out.getvalue().strip().splitlines()


def test_the_command_pays_each_holding_once_and_says_paid_0_the_second_time(fund, travel):
    travel("2026-11-25T10:00+08:00")
    users = [investor("20000.00") for _ in range(3)]
    for user, amount in zip(users, ["10000.00", "5000.00", "1.00"], strict=True):
        subscribe(user, fund, amount)
    declare(fund, DAY, per_10k="0.6543")
    travel("2026-11-27T00:30+08:00")
    assert run_command()[-1] == "paid=2"  # 1.00 earns 0.0000654: nothing to pay
    assert run_command()[-1] == "paid=0"
    paid = dict(YieldAccrual.objects.values_list("holding__user", "amount"))
    assert paid == {users[0].pk: Decimal("0.65"), users[1].pk: Decimal("0.33")}
    holding = Holding.objects.get(user=users[0])
    assert holding.account.balance == Decimal("10000.65")
    assert Transaction.objects.filter(kind=Transaction.Kind.FUND_YIELD).count() == 2
    call_command("ledger_audit")


def test_money_subscribed_after_the_day_earns_nothing_for_it(fund, travel):
    travel("2026-11-25T10:00+08:00")
    user = investor("20000.00")
    subscribe(user, fund, "10000.00")
    travel("2026-11-27T00:10+08:00")  # after the day being paid
    subscribe(user, fund, "10000.00")
    declare(fund, DAY, per_10k="1.0000")
    travel("2026-11-27T00:30+08:00")
    assert run_command()[-1] == "paid=1"
    assert YieldAccrual.objects.get().principal == Decimal("10000.00")
    assert YieldAccrual.objects.get().amount == Decimal("1.00")


def test_no_declared_yield_pays_nothing(fund):
    assert run_command()[-1] == "paid=0"


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    amounts=st.lists(
        st.decimals(min_value=Decimal("1.00"), max_value=Decimal("50000.00"), places=2),
        min_size=1,
        max_size=6,
    ),
    per_10k=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("9.9999"), places=4),
)
def test_total_paid_is_the_declared_yield_on_the_total_held(amounts, per_10k):
    from django.db import transaction

    sid = transaction.savepoint()
    try:
        fund = FundProductFactory()
        for amount in amounts:
            subscribe(investor("60000.00"), fund, amount)
        day = (
            timezone.localdate()
        )  # held at the end of today, paid "now": principal is today's balance
        declare(fund, day, per_10k=str(per_10k))
        yield_accrue(product=fund, day=day)
        declared = (sum(amounts) * per_10k / 10000).quantize(Decimal("0.01"), ROUND_HALF_UP)
        paid = list(
            YieldAccrual.objects.filter(holding__product=fund).values_list("amount", "principal")
        )
        assert sum((a for a, _p in paid), Decimal(0)) == declared
        for amount, principal in paid:  # each within a cent of its exact yield
            assert abs(amount - principal * per_10k / 10000) < Decimal("0.01")
        fund.income_account.refresh_from_db()
        assert fund.income_account.balance == -declared
    finally:
        transaction.savepoint_rollback(sid)
