"""Receiving: a request with or without an amount, paid exactly once, expiring."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from config.api_errors import ApplicationError
from wallet import services
from wallet.audit import ledger_breaches
from wallet.models import PaymentRequest

from .factories import WalletFactory, balance, funded_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def requester():
    return WalletFactory(user__full_name="王小明")


@pytest.fixture
def payer():
    return funded_wallet("100.00")


def _api(wallet):
    client = APIClient()
    client.force_authenticate(wallet.user)
    return client


def test_create_a_request_and_have_it_paid_once(requester, payer):
    created = _api(requester).post(
        "/api/v1/payment-requests/", {"amount": "30.00", "note": "聚餐"}, format="json"
    )
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "open"
    assert body["pay_url"].endswith(f"/wallet/r/{body['token']}/")

    seen = _api(payer).get(f"/api/v1/payment-requests/{body['token']}/").json()
    assert seen["requester"] == "王*明"

    pay = _api(payer).post(
        f"/api/v1/payment-requests/{body['token']}/pay/",
        {},
        format="json",
        HTTP_IDEMPOTENCY_KEY="r1",
    )
    assert pay.status_code == 201, pay.json()
    assert balance(requester) == Decimal("30.00")
    assert balance(payer) == Decimal("70.00")

    replay = _api(payer).post(
        f"/api/v1/payment-requests/{body['token']}/pay/",
        {},
        format="json",
        HTTP_IDEMPOTENCY_KEY="r1",
    )
    assert replay.json()["id"] == pay.json()["id"]
    again = _api(payer).post(
        f"/api/v1/payment-requests/{body['token']}/pay/",
        {},
        format="json",
        HTTP_IDEMPOTENCY_KEY="r2",
    )
    assert again.status_code == 400
    assert again.json()["code"] == "request_paid"
    assert balance(payer) == Decimal("70.00")
    assert _api(requester).get("/api/v1/payment-requests/").json()[0]["status"] == "paid"


def test_a_request_without_amount_takes_the_payers_amount(requester, payer):
    request = services.payment_request_create(user=requester.user, currency="CNY")
    missing = _api(payer).post(
        f"/api/v1/payment-requests/{request.token}/pay/",
        {},
        format="json",
        HTTP_IDEMPOTENCY_KEY="a",
    )
    assert missing.status_code == 400
    assert "amount" in missing.json()["errors"]
    paid = _api(payer).post(
        f"/api/v1/payment-requests/{request.token}/pay/",
        {"amount": "8.80"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="b",
    )
    assert paid.status_code == 201
    assert balance(requester) == Decimal("8.80")


def test_an_expired_or_cancelled_request_cannot_be_paid(requester, payer):
    expired = services.payment_request_create(user=requester.user, amount="5", currency="CNY")
    PaymentRequest.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = _api(payer).post(
        f"/api/v1/payment-requests/{expired.token}/pay/",
        {},
        format="json",
        HTTP_IDEMPOTENCY_KEY="x",
    )
    assert response.json()["code"] == "request_expired"

    cancelled = services.payment_request_create(user=requester.user, amount="5", currency="CNY")
    services.payment_request_cancel(user=requester.user, token=cancelled.token)
    response = _api(payer).post(
        f"/api/v1/payment-requests/{cancelled.token}/pay/",
        {},
        format="json",
        HTTP_IDEMPOTENCY_KEY="y",
    )
    assert response.json()["code"] == "request_cancelled"
    assert balance(payer) == Decimal("100.00")


def test_one_cannot_pay_ones_own_request(requester):
    funded = funded_wallet("10.00")
    request = services.payment_request_create(user=funded.user, amount="1", currency="CNY")
    with pytest.raises(ApplicationError):
        services.payment_request_pay(
            payer_user=funded.user, token=request.token, idempotency_key="k"
        )


def test_unknown_request_is_404(payer):
    assert _api(payer).get("/api/v1/payment-requests/nope/").status_code == 404
    response = _api(payer).post(
        "/api/v1/payment-requests/nope/pay/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"), [({"amount": "-1"}, "amount"), ({"currency": "BTC"}, "currency")]
)
def test_bad_requests_name_the_field(requester, body, field):
    response = _api(requester).post("/api/v1/payment-requests/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_the_pages_show_a_qr_and_let_the_payer_pay(client, requester, payer):
    client.force_login(requester.user)
    response = client.post(
        reverse("wallet:receive"), {"amount": "12.00", "currency": "CNY", "note": "书"}
    )
    request = PaymentRequest.objects.get()
    assert response.url == reverse("wallet:request_detail", args=[request.token])
    detail = client.get(response.url).content.decode()
    assert "<svg" in detail and f"/wallet/r/{request.token}/" in detail

    client.force_login(payer.user)
    page = client.get(reverse("wallet:request_pay", args=[request.token]))
    assert "王*明" in page.content.decode()
    key = page.context["form"].initial["idempotency_key"]
    paid = client.post(
        reverse("wallet:request_pay", args=[request.token]), {"idempotency_key": key}
    )
    assert paid.status_code == 302
    assert balance(requester) == Decimal("12.00")
    # Another customer cannot see the requester's own page of the request.
    assert client.get(reverse("wallet:request_detail", args=[request.token])).status_code == 404


def test_insufficient_funds_on_a_fixed_request_is_shown(client, requester):
    poor = funded_wallet("1.00")
    request = services.payment_request_create(user=requester.user, amount="50", currency="CNY")
    client.force_login(poor.user)
    response = client.post(
        reverse("wallet:request_pay", args=[request.token]), {"idempotency_key": "k"}
    )
    assert response.status_code == 200
    assert "form-errors" in response.content.decode()
    assert balance(poor) == Decimal("1.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_payers_racing_pay_a_request_once(requester):
    payers = [funded_wallet("100.00") for _ in range(6)]
    request = services.payment_request_create(user=requester.user, amount="40", currency="CNY")
    outcomes = []

    def pay(wallet, n):
        try:
            services.payment_request_pay(
                payer_user=wallet.user, token=request.token, idempotency_key=f"race-{n}"
            )
            outcomes.append("paid")
        except ApplicationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay, args=(w, n)) for n, w in enumerate(payers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["paid"] + ["refused"] * 5
    assert balance(requester) == Decimal("40.00")
    assert ledger_breaches() == []
