"""Spending by category, budgets, and the 80% / 100% alerts (each said once a month)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from wallet import events, services
from wallet.models import BudgetAlert, Merchant

from .factories import MerchantFactory, funded_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def wallet():
    return funded_wallet("1000.00")


def _pay(wallet, merchant, amount, key):
    services.payment_create(
        payer_user=wallet.user,
        merchant_code=merchant.code,
        amount=amount,
        currency="CNY",
        idempotency_key=key,
    )


def test_spending_is_grouped_by_merchant_category(wallet):
    cafe = MerchantFactory(category=Merchant.Category.FOOD)
    metro = MerchantFactory(category=Merchant.Category.TRANSPORT)
    _pay(wallet, cafe, "20.00", "a")
    _pay(wallet, cafe, "5.50", "b")
    _pay(wallet, metro, "4.00", "c")
    totals = services.spending_by_category(wallet, services.month_start())
    assert totals == {"food": Decimal("25.50"), "transport": Decimal("4.00")}


def test_budget_alerts_fire_at_80_and_100_percent_once(wallet, django_capture_on_commit_callbacks):
    cafe = MerchantFactory(category=Merchant.Category.FOOD)
    services.budget_set(user=wallet.user, category="food", amount="100")
    seen = []
    handler = lambda **payload: seen.append(payload)  # noqa: E731
    events.subscribe(events.BUDGET_THRESHOLD, handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            _pay(wallet, cafe, "79.99", "a")
            assert not BudgetAlert.objects.exists()
            _pay(wallet, cafe, "0.01", "b")
            _pay(wallet, cafe, "10.00", "c")
            _pay(wallet, cafe, "10.00", "d")
            _pay(wallet, cafe, "10.00", "e")
    finally:
        events.unsubscribe(events.BUDGET_THRESHOLD, handler)
    assert sorted(BudgetAlert.objects.values_list("threshold", flat=True)) == [80, 100]
    assert len(seen) == 2


def test_budget_form_sets_and_removes(client, wallet):
    client.force_login(wallet.user)
    response = client.post(reverse("wallet:spending"), {"category": "food", "amount": "300"})
    assert response.status_code == 302
    assert wallet.budgets.get().amount == Decimal("300.00")
    client.post(reverse("wallet:spending"), {"category": "food", "amount": ""})
    assert not wallet.budgets.exists()
    bad = client.post(reverse("wallet:spending"), {"category": "food", "amount": "-5"})
    assert bad.context["form"].errors["amount"]


def test_spending_page_shows_the_chart_and_alerts(client, wallet):
    cafe = MerchantFactory(category=Merchant.Category.FOOD, name="咖啡馆")
    services.budget_set(user=wallet.user, category="food", amount="10")
    _pay(wallet, cafe, "9.00", "a")
    client.force_login(wallet.user)
    html = client.get(reverse("wallet:spending")).content.decode()
    assert "<svg" in html and "<meter" in html
    assert "9.00" in html
    assert 'role="alert"' in html


def test_a_bad_month_parameter_falls_back_to_this_month(client, wallet):
    client.force_login(wallet.user)
    assert client.get(reverse("wallet:spending"), {"month": "2026-13"}).status_code == 200
    assert client.get(reverse("wallet:spending"), {"month": "nonsense"}).status_code == 200
