"""Paying a merchant by code or QR, in the API and the pages; the hot merchant's shards."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from wallet.audit import ledger_breaches
from wallet.models import LedgerAccount, Transaction

from .factories import MerchantFactory, balance, funded_wallet, merchant_balance

pytestmark = pytest.mark.django_db


@pytest.fixture
def payer():
    return funded_wallet("100.00")


@pytest.fixture
def merchant():
    return MerchantFactory(name="瑞幸咖啡", code="LUCKIN01")


def _api(wallet):
    client = APIClient()
    client.force_authenticate(wallet.user)
    return client


def _pay(client, body, key="p-1"):
    return client.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_pay_a_merchant_by_code(payer, merchant):
    response = _pay(_api(payer), {"merchant": "luckin01", "amount": "18.50", "note": "拿铁"})
    assert response.status_code == 201, response.json()
    assert response.json()["to"] == "瑞幸咖啡"
    assert balance(payer) == Decimal("81.50")
    assert merchant_balance(merchant) == Decimal("18.50")
    txn = Transaction.objects.get(kind="payment")
    assert txn.metadata["merchant_category"] == "food"
    assert ledger_breaches() == []


def test_the_merchant_balance_is_spread_over_its_shards(payer, merchant):
    client = _api(payer)
    for i in range(40):
        assert (
            _pay(client, {"merchant": merchant.code, "amount": "0.50"}, key=f"k{i}").status_code
            == 201
        )
    shards = LedgerAccount.objects.filter(merchant=merchant)
    assert shards.count() == merchant.ledger_shards
    assert sum(1 for a in shards if a.balance > 0) > 1
    assert merchant_balance(merchant) == Decimal("20.00")


def test_payment_replay_and_conflict(payer, merchant):
    client = _api(payer)
    first = _pay(client, {"merchant": merchant.code, "amount": "5.00"})
    again = _pay(client, {"merchant": merchant.code, "amount": "5.00"})
    assert again.json()["id"] == first.json()["id"]
    assert _pay(client, {"merchant": merchant.code, "amount": "6.00"}).status_code == 409
    assert balance(payer) == Decimal("95.00")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"merchant": "NOPE"}, "merchant"),
        ({"merchant": ""}, "merchant"),
        ({"amount": "100.01"}, "amount"),
        ({"amount": "-3"}, "amount"),
        ({"currency": "GBP"}, "currency"),
    ],
)
def test_bad_payments_name_the_field_and_move_nothing(payer, merchant, body, field):
    response = _pay(_api(payer), {"merchant": merchant.code, "amount": "1.00", **body})
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert balance(payer) == Decimal("100.00")
    assert merchant_balance(merchant) == Decimal("0")


def test_an_inactive_merchant_cannot_be_paid(payer, merchant):
    merchant.is_active = False
    merchant.save()
    assert _pay(_api(payer), {"merchant": merchant.code, "amount": "1.00"}).status_code == 400


def test_pay_through_the_qr_page_with_confirmation(client, payer, merchant):
    qr = client.get(reverse("wallet:merchant_qr", args=[merchant.code]))
    assert qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content

    client.force_login(payer.user)
    page = client.get(reverse("wallet:merchant_pay", args=[merchant.code]))
    assert "瑞幸咖啡" in page.content.decode()
    assert page.context["form"].initial["merchant"] == merchant.code

    response = client.post(
        reverse("wallet:pay"), {"merchant": merchant.code, "amount": "12", "currency": "CNY"}
    )
    assert "瑞幸咖啡" in response.content.decode()
    assert balance(payer) == Decimal("100.00")
    response = client.post(reverse("wallet:pay_confirm"), response.context["form"].initial)
    assert re.match(r"^/wallet/transactions/\d+/$", response.url)
    assert balance(payer) == Decimal("88.00")
    receipt = client.get(response.url).content.decode()
    assert "瑞幸咖啡" in receipt and "12.00" in receipt


def test_unknown_merchant_pages_are_404(client, payer):
    client.force_login(payer.user)
    assert client.get(reverse("wallet:merchant_pay", args=["NOPE"])).status_code == 404
    assert client.get(reverse("wallet:merchant_qr", args=["NOPE"])).status_code == 404


def test_the_payment_form_shows_the_refusal_on_its_field(client, payer, merchant):
    client.force_login(payer.user)
    response = client.post(
        reverse("wallet:pay"), {"merchant": "NOPE", "amount": "1", "currency": "CNY"}
    )
    assert response.context["form"].errors["merchant"]
