from decimal import Decimal

import pytest
from django.core.management import call_command

from wealth.models import FundOrder, YieldDeclaration
from wealth.seed import DEMO_DAYS, demo_wealth_ensure

from .factories import investor

pytestmark = pytest.mark.django_db


def test_seed_makes_a_fund_with_60_days_of_yields_and_holdings_once():
    customers = [investor("5000.00"), investor("5000.00")]
    product = demo_wealth_ensure(customers=customers)
    demo_wealth_ensure(customers=customers)
    assert YieldDeclaration.objects.filter(product=product).count() == DEMO_DAYS
    assert FundOrder.objects.count() == 2
    assert {o.amount for o in FundOrder.objects.all()} == {Decimal("2000.00")}
    call_command("ledger_audit")


def test_accrue_yield_refuses_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("accrue_yield", "--date", "27/11/2026")
