"""Subscribing and redeeming move money through the ledger; refusals change nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from config.api_errors import ApplicationError
from tests.wallet.factories import balance
from wallet.models import Transaction
from wealth import services
from wealth.models import FundOrder, Holding, RiskLevel

from .factories import FundProductFactory, investor, subscribe

pytestmark = pytest.mark.django_db


def held(user, product) -> Decimal:
    holding = Holding.objects.filter(user=user, product=product).select_related("account").first()
    return holding.account.balance if holding else Decimal("0")


def test_subscription_moves_money_from_wallet_to_holding(fund):
    user = investor("500.00")
    order = subscribe(user, fund, "200.00")
    assert order.status == FundOrder.Status.COMPLETED
    assert balance(user.wallet) == Decimal("300.00")
    assert held(user, fund) == Decimal("200.00")
    assert order.transaction.kind == Transaction.Kind.FUND_SUBSCRIPTION
    call_command("ledger_audit")


def test_same_idempotency_key_subscribes_once_and_another_body_is_409(fund):
    user = investor("500.00")
    first = services.fund_subscribe(user=user, product=fund, amount="100", idempotency_key="a")
    again = services.fund_subscribe(user=user, product=fund, amount="100", idempotency_key="a")
    assert again.replayed and again.order.pk == first.order.pk
    assert balance(user.wallet) == Decimal("400.00")
    with pytest.raises(ApplicationError) as refused:
        services.fund_subscribe(user=user, product=fund, amount="99", idempotency_key="a")
    assert refused.value.status_code == 409


@pytest.mark.parametrize(
    ("amount", "field", "code"),
    [
        ("0.50", "amount", "below_minimum"),
        ("600.00", "amount", "insufficient_funds"),
        ("1.001", "amount", "invalid_amount"),
        ("-5", "amount", "invalid_amount"),
    ],
)
def test_bad_subscriptions_are_refused_naming_the_field_and_change_nothing(
    fund, amount, field, code
):
    user = investor("500.00")
    with pytest.raises(ApplicationError) as refused:
        subscribe(user, fund, amount)
    assert field in refused.value.fields
    assert refused.value.get_codes() == code
    assert balance(user.wallet) == Decimal("500.00")
    assert held(user, fund) == 0
    assert not FundOrder.objects.exists()


def test_a_product_above_the_customers_risk_tolerance_is_refused_with_a_clear_message():
    risky = FundProductFactory(risk_level=RiskLevel.R4)
    user = investor("500.00", tolerance=RiskLevel.R2)
    with pytest.raises(ApplicationError) as refused:
        subscribe(user, risky, "100.00")
    assert refused.value.get_codes() == "risk_too_high"
    assert "R4" in str(refused.value.detail) and "R2" in str(refused.value.detail)
    assert "product" in refused.value.fields
    assert balance(user.wallet) == Decimal("500.00")


def test_without_a_valid_questionnaire_nobody_buys(fund, travel):
    user = investor("500.00")
    travel((timezone.now() + timedelta(days=366)).isoformat())
    with pytest.raises(ApplicationError) as refused:
        subscribe(user, fund, "100.00")
    assert refused.value.get_codes() == "suitability_missing"


def test_instant_redemption_within_the_daily_quota_returns_money_at_once():
    fund = FundProductFactory(instant_quota_per_day=Decimal("1000.00"))
    user = investor("5000.00")
    subscribe(user, fund, "3000.00")
    services.fund_redeem(
        user=user, product=fund, amount="600.00", mode="instant", idempotency_key="r1"
    )
    assert balance(user.wallet) == Decimal("2600.00")
    with pytest.raises(ApplicationError) as refused:
        services.fund_redeem(
            user=user, product=fund, amount="400.01", mode="instant", idempotency_key="r2"
        )
    assert refused.value.get_codes() == "above_quota"
    assert "amount" in refused.value.fields
    assert balance(user.wallet) == Decimal("2600.00")
    assert held(user, fund) == Decimal("2400.00")


def test_redeeming_more_than_held_is_refused(fund):
    user = investor("500.00")
    subscribe(user, fund, "100.00")
    with pytest.raises(ApplicationError) as refused:
        services.fund_redeem(
            user=user, product=fund, amount="100.01", mode="standard", idempotency_key="x"
        )
    assert refused.value.get_codes() == "above_holding"
    assert held(user, fund) == Decimal("100.00")


def test_standard_redemption_is_settled_on_the_next_business_day_by_the_task(travel):
    fund = FundProductFactory(instant_quota_per_day=Decimal("1000.00"))
    user = investor("50000.00")
    subscribe(user, fund, "30000.00")
    # A Friday afternoon in Beijing: next business day is Monday.
    travel("2026-11-27T15:00+08:00")
    order = services.fund_redeem(
        user=user, product=fund, amount="20000.00", mode="standard", idempotency_key="big"
    ).order
    assert order.status == FundOrder.Status.PENDING
    assert order.settle_on == date(2026, 11, 30)
    assert held(user, fund) == Decimal("10000.00")
    assert balance(user.wallet) == Decimal("20000.00")

    from wealth.tasks import settle_redemptions

    travel("2026-11-28T10:00+08:00")  # Saturday: nothing
    assert settle_redemptions() == 0
    travel("2026-11-30T09:00+08:00")
    assert settle_redemptions() == 1
    assert settle_redemptions() == 0  # settles once
    order.refresh_from_db()
    assert order.status == FundOrder.Status.COMPLETED
    assert balance(user.wallet) == Decimal("40000.00")
    call_command("ledger_audit")


def test_the_quota_is_per_day(travel):
    fund = FundProductFactory(instant_quota_per_day=Decimal("100.00"))
    user = investor("500.00")
    subscribe(user, fund, "300.00")
    travel("2026-11-27T10:00+08:00")
    services.fund_redeem(
        user=user, product=fund, amount="100.00", mode="instant", idempotency_key="d1"
    )
    travel("2026-11-28T10:00+08:00")
    services.fund_redeem(
        user=user, product=fund, amount="100.00", mode="instant", idempotency_key="d2"
    )
    assert held(user, fund) == Decimal("100.00")
