"""Bills: the reference is checked per biller, then the bill is paid like a merchant."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from wallet.models import Biller, Transaction

from .factories import BillerFactory, balance, funded_wallet, merchant_balance

pytestmark = pytest.mark.django_db


@pytest.fixture
def payer():
    return funded_wallet("200.00")


@pytest.fixture
def power():
    return BillerFactory(code="POWER", name="国网电力")


@pytest.fixture
def mobile():
    return BillerFactory(
        code="MOBILE", name="中国移动", kind=Biller.Kind.MOBILE, reference_pattern=".*"
    )


def _pay(wallet, body, key="b1"):
    client = APIClient()
    client.force_authenticate(wallet.user)
    return client.post("/api/v1/bill-payments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_pay_an_electricity_bill(payer, power):
    response = _pay(payer, {"biller": "POWER", "reference": "1234 567 890", "amount": "88.60"})
    assert response.status_code == 201, response.json()
    assert balance(payer) == Decimal("111.40")
    assert merchant_balance(power.merchant) == Decimal("88.60")
    txn = Transaction.objects.get(kind="bill")
    assert txn.metadata["reference"] == "1234567890"


def test_mobile_top_up_takes_a_mobile_number(payer, mobile):
    assert (
        _pay(payer, {"biller": "MOBILE", "reference": "138 0013 8000", "amount": "50"}).status_code
        == 201
    )
    bad = _pay(payer, {"biller": "MOBILE", "reference": "021 6888 8888", "amount": "50"}, key="b2")
    assert bad.status_code == 400
    assert "reference" in bad.json()["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reference": "12345"}, "reference"),
        ({"reference": "abcdefghij"}, "reference"),
        ({"biller": "NOPE"}, "biller"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1000"}, "amount"),
    ],
)
def test_bad_bills_name_the_field_and_move_nothing(payer, power, body, field):
    response = _pay(payer, {"biller": "POWER", "reference": "1234567890", "amount": "10", **body})
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert balance(payer) == Decimal("200.00")


def test_the_same_key_for_another_account_number_is_a_conflict(payer, power):
    _pay(payer, {"biller": "POWER", "reference": "1234567890", "amount": "10"})
    response = _pay(payer, {"biller": "POWER", "reference": "0987654321", "amount": "10"})
    assert response.status_code == 409


def test_billers_are_listed_for_the_app(payer, power, mobile):
    client = APIClient()
    client.force_authenticate(payer.user)
    codes = {b["code"] for b in client.get("/api/v1/billers/").json()}
    assert codes == {"POWER", "MOBILE"}


def test_the_bill_page_confirms_then_pays(client, payer, power):
    client.force_login(payer.user)
    response = client.post(
        reverse("wallet:bills"), {"biller": "POWER", "reference": "1234567890", "amount": "20"}
    )
    assert "国网电力" in response.content.decode()
    response = client.post(reverse("wallet:bill_confirm"), response.context["form"].initial)
    assert response.status_code == 302
    assert balance(payer) == Decimal("180.00")


def test_the_bill_page_shows_a_bad_reference_on_its_field(client, payer, power):
    client.force_login(payer.user)
    response = client.post(
        reverse("wallet:bills"), {"biller": "POWER", "reference": "12", "amount": "20"}
    )
    assert response.context["form"].errors["reference"]
