"""The fund's pages and API: same services, bad input 400 naming the field, fixed queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.wallet.factories import balance
from wealth.models import FundOrder, SuitabilityAssessment, YieldAccrual

from .factories import FundProductFactory, declare, investor, subscribe

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_subscribe_then_list_holdings_and_orders(fund):
    user = investor("1000.00")
    api = api_for(user)
    body = {"product": fund.pk, "kind": "subscribe", "amount": "300.00"}
    made = api.post("/api/v1/wealth/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="s1")
    assert made.status_code == 201, made.json()
    again = api.post("/api/v1/wealth/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="s1")
    assert again.json()["id"] == made.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert balance(user.wallet) == Decimal("700.00")
    holdings = api.get("/api/v1/wealth/holdings/").json()
    assert holdings[0]["balance"] == "300.00"
    assert holdings[0]["instant_quota_left"] == "10000.00"
    assert api.get("/api/v1/wealth/orders/").json()["count"] == 1
    products = api.get("/api/v1/wealth/products/").json()
    assert [p["id"] for p in products] == [fund.pk]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "subscribe", "amount": "0.10"}, "amount"),
        ({"kind": "subscribe", "amount": "5000.00"}, "amount"),
        ({"kind": "subscribe", "amount": 12}, "amount"),
        ({"kind": "redeem", "amount": "500.00", "mode": "standard"}, "amount"),
        ({"kind": "redeem", "amount": "10.00", "mode": "whenever"}, "mode"),
        ({"kind": "buy", "amount": "10.00"}, "kind"),
    ],
)
def test_api_bad_orders_are_400_naming_the_field_and_change_nothing(fund, body, field):
    user = investor("1000.00")
    subscribe(user, fund, "100.00")
    answer = api_for(user).post(
        "/api/v1/wealth/orders/", {"product": fund.pk, **body}, format="json",
        HTTP_IDEMPOTENCY_KEY="bad",
    )  # fmt: skip
    assert answer.status_code == 400
    assert field in answer.json()["errors"]
    assert balance(user.wallet) == Decimal("900.00")
    assert FundOrder.objects.count() == 1


def test_api_unknown_product_is_400_on_product(fund):
    answer = api_for(investor()).post(
        "/api/v1/wealth/orders/",
        {"product": 999999, "kind": "subscribe", "amount": "10"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="x",
    )
    assert answer.status_code == 400 and "product" in answer.json()["errors"]


def test_api_questionnaire_gives_a_tolerance():
    from tests.accounts.factories import UserFactory

    api = api_for(UserFactory())
    assert api.get("/api/v1/wealth/suitability/").json()["risk_tolerance"] is None
    answers = {"age": "d", "experience": "d", "horizon": "d", "loss": "d", "share": "d"}
    made = api.post("/api/v1/wealth/suitability/", {"answers": answers}, format="json")
    assert made.status_code == 201 and made.json()["risk_tolerance"] == 5
    missing = api.post("/api/v1/wealth/suitability/", {"answers": {"age": "a"}}, format="json")
    assert missing.status_code == 400 and "horizon" in missing.json()["errors"]


def _holdings_with_yield(user, n):
    for _ in range(n):
        fund = FundProductFactory()
        subscribe(user, fund, "100.00")
        declare(fund, timezone.localdate() - timedelta(days=1))


@pytest.mark.parametrize("n", [1, 5])
def test_holdings_and_products_take_fixed_queries(django_assert_max_num_queries, n):
    user = investor("10000.00")
    _holdings_with_yield(user, n)
    api = api_for(user)
    with django_assert_max_num_queries(3):
        assert len(api.get("/api/v1/wealth/holdings/").json()) == n
    with django_assert_max_num_queries(3):
        assert len(api.get("/api/v1/wealth/products/").json()) == n
    with django_assert_max_num_queries(5):
        assert api.get("/api/v1/wealth/orders/").json()["count"] == n


def test_questionnaire_page_then_subscribe_and_redeem_pages(client, fund):
    user = investor("1000.00")
    SuitabilityAssessment.objects.all().delete()
    client.force_login(user)
    assert client.get(reverse("wealth:overview")).status_code == 200
    incomplete = client.post(reverse("wealth:questionnaire"), {"age": "a"})
    assert incomplete.status_code == 400
    answers = {"age": "c", "experience": "b", "horizon": "b", "loss": "b", "share": "a"}
    assert client.post(reverse("wealth:questionnaire"), answers).status_code == 302
    page = client.get(reverse("wealth:product", args=[fund.pk]))
    assert page.status_code == 200
    too_little = client.post(
        reverse("wealth:subscribe", args=[fund.pk]), {"amount": "0.5", "idempotency_key": "p0"}
    )
    assert too_little.status_code == 400 and "1.00 CNY" in too_little.content.decode()
    done = client.post(
        reverse("wealth:subscribe", args=[fund.pk]), {"amount": "400", "idempotency_key": "p1"}
    )
    assert done.status_code == 302
    redeemed = client.post(
        reverse("wealth:redeem", args=[fund.pk]),
        {"amount": "100", "mode": "instant", "idempotency_key": "p2"},
    )
    assert redeemed.status_code == 302
    assert balance(user.wallet) == Decimal("700.00")
    overview = client.get(reverse("wealth:overview")).content.decode()
    assert "yield-chart" in overview and "300.00" in overview


@pytest.mark.parametrize("n", [1, 4])
def test_overview_page_takes_fixed_queries(client, django_assert_max_num_queries, n):
    user = investor("10000.00")
    _holdings_with_yield(user, n)
    client.force_login(user)
    with django_assert_max_num_queries(15):
        assert client.get(reverse("wealth:overview")).status_code == 200
    assert not YieldAccrual.objects.exists()
