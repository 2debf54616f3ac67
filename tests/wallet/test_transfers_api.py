"""POST /api/v1/transfers/ and friends: every rule of a transfer, as the mobile app sees it."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from wallet.audit import ledger_breaches
from wallet.models import Transaction, Wallet

from .factories import WalletFactory, balance, funded_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def sender():
    return funded_wallet("500.00")


@pytest.fixture
def recipient():
    return WalletFactory(user__full_name="张小三", user__phone="+8613900139000")


def _client(wallet):
    client = APIClient()
    client.force_authenticate(wallet.user)
    return client


def _transfer(client, body, key="key-1"):
    return client.post("/api/v1/transfers/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def _nothing_moved(sender, recipient):
    return balance(sender) == Decimal("500.00") and balance(recipient) == Decimal("0")


@pytest.mark.parametrize("to_field", ["email", "phone", "handle"])
def test_transfer_by_email_phone_or_handle(sender, recipient, to_field):
    to = {
        "email": recipient.user.email.upper(),
        "phone": "139 0013 9000",
        "handle": recipient.handle,
    }[to_field]
    response = _transfer(
        _client(sender), {"to": to, "amount": "12.34", "currency": "CNY", "note": "午饭"}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "completed"
    assert body["amount"] == "12.34"
    assert body["to"] == "张*三"
    assert balance(sender) == Decimal("487.66")
    assert balance(recipient) == Decimal("12.34")
    assert ledger_breaches() == []


def test_json_number_amounts_are_taken_at_their_literal_value(sender, recipient):
    response = _transfer(_client(sender), {"to": recipient.handle, "amount": 0.1})
    assert response.status_code == 201
    assert balance(recipient) == Decimal("0.10")


def test_same_key_and_body_replays_the_first_result(sender, recipient):
    client = _client(sender)
    body = {"to": recipient.handle, "amount": "10.00", "currency": "CNY"}
    first = _transfer(client, body)
    second = _transfer(client, body)
    assert second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert second["Idempotent-Replayed"] == "true"
    assert balance(sender) == Decimal("490.00")
    assert Transaction.objects.filter(kind="transfer").count() == 1


def test_same_key_with_another_body_is_a_conflict(sender, recipient):
    client = _client(sender)
    _transfer(client, {"to": recipient.handle, "amount": "10.00"})
    response = _transfer(client, {"to": recipient.handle, "amount": "11.00"})
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"
    assert balance(sender) == Decimal("490.00")


def test_keys_belong_to_their_user(sender, recipient):
    other = funded_wallet("500.00")
    body = {"to": recipient.handle, "amount": "10.00"}
    assert _transfer(_client(sender), body, key="shared").status_code == 201
    assert _transfer(_client(other), body, key="shared").status_code == 201
    assert balance(recipient) == Decimal("20.00")


def test_missing_idempotency_key_is_refused(sender, recipient):
    response = _client(sender).post(
        "/api/v1/transfers/", {"to": recipient.handle, "amount": "1"}, format="json"
    )
    assert response.status_code == 400
    assert "idempotency_key" in response.json()["errors"]
    assert _nothing_moved(sender, recipient)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "-5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "Infinity"}, "amount"),
        ({"amount": "1e30"}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({"amount": None}, "amount"),
        ({"amount": [1]}, "amount"),
        ({"amount": True}, "amount"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "JPY", "amount": "1.5"}, "amount"),
        ({"to": "nobody@example.com"}, "to"),
        ({"to": ""}, "to"),
        ({"note": "字" * 141}, "note"),
        ({"amount": "600.00"}, "amount"),
    ],
)
def test_bad_input_names_the_field_and_moves_nothing(sender, recipient, body, field):
    payload = {"to": recipient.handle, "amount": "1.00", "currency": "CNY", **body}
    response = _transfer(_client(sender), payload)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert _nothing_moved(sender, recipient)


def test_malformed_json_is_a_400(sender, recipient):
    response = _client(sender).post(
        "/api/v1/transfers/", "{bad", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 400
    assert _nothing_moved(sender, recipient)


def test_transfer_to_oneself_is_refused(sender):
    response = _transfer(_client(sender), {"to": sender.user.email, "amount": "1.00"})
    assert response.status_code == 400
    assert response.json()["code"] == "self_transfer"


@pytest.mark.parametrize(
    "status", [Wallet.Status.FROZEN, Wallet.Status.CLOSED, Wallet.Status.INACTIVE]
)
def test_a_wallet_that_is_not_active_neither_sends_nor_receives(sender, recipient, status):
    Wallet.objects.filter(pk=recipient.pk).update(status=status)
    response = _transfer(_client(sender), {"to": recipient.handle, "amount": "1.00"})
    assert response.status_code == 400
    assert "to" in response.json()["errors"]

    Wallet.objects.filter(pk=recipient.pk).update(status=Wallet.Status.ACTIVE)
    Wallet.objects.filter(pk=sender.pk).update(status=status)
    response = _transfer(_client(sender), {"to": recipient.handle, "amount": "1.00"}, key="k2")
    assert response.status_code == 400
    assert "wallet" in response.json()["errors"]
    assert _nothing_moved(sender, recipient)


def test_wallets_list_and_activation():
    client = APIClient()
    wallet_user = WalletFactory(status=Wallet.Status.INACTIVE, activated_at=None).user
    client.force_authenticate(wallet_user)
    assert client.get("/api/v1/wallets/").json()[0]["status"] == "inactive"
    response = client.post("/api/v1/wallets/activate/")
    assert response.status_code == 200
    assert response.json()["status"] == "active"
    assert response.json()["balances"] == [{"currency": "CNY", "balance": "0.00"}]


def test_activation_emits_one_domain_event(django_capture_on_commit_callbacks):
    from wallet import events

    seen = []
    handler = lambda **payload: seen.append(payload)  # noqa: E731
    events.subscribe(events.WALLET_ACTIVATED, handler)
    try:
        user = WalletFactory(status=Wallet.Status.INACTIVE, activated_at=None).user
        client = APIClient()
        client.force_authenticate(user)
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/api/v1/wallets/activate/")
            client.post("/api/v1/wallets/activate/")
    finally:
        events.unsubscribe(events.WALLET_ACTIVATED, handler)
    assert seen == [{"wallet_id": user.wallet.pk, "user_id": user.pk}]


def test_history_filters_and_signs(sender, recipient):
    client = _client(sender)
    _transfer(client, {"to": recipient.handle, "amount": "3.00", "note": "咖啡"}, key="a")
    _transfer(client, {"to": recipient.handle, "amount": "4.00", "note": "books"}, key="b")
    rows = client.get("/api/v1/transactions/").json()["results"]
    assert [r["amount"] for r in rows] == ["-4.00", "-3.00", "500.00"]
    assert rows[0]["counterparty"] == "张*三"
    assert [r["amount"] for r in client.get("/api/v1/transactions/?q=咖啡").json()["results"]] == [
        "-3.00"
    ]
    assert len(client.get("/api/v1/transactions/?kind=top_up").json()["results"]) == 1
    assert client.get("/api/v1/transactions/?currency=USD").json()["results"] == []
    bad = client.get("/api/v1/transactions/?date_from=2026-02-01&date_to=2026-01-01")
    assert bad.status_code == 400
    assert "date_to" in bad.json()["errors"]
    assert client.get("/api/v1/transactions/?kind=nonsense").status_code == 400


def test_history_runs_a_fixed_number_of_queries(sender, recipient, django_assert_max_num_queries):
    client = _client(sender)
    for i in range(3):
        _transfer(client, {"to": recipient.handle, "amount": "1.00"}, key=f"few-{i}")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/transactions/")
    baseline = len(few)  # read now: every request resets Django's query log
    assert baseline <= 4
    for i in range(25):
        _transfer(client, {"to": recipient.handle, "amount": "1.00"}, key=f"many-{i}")
    with django_assert_max_num_queries(baseline):
        client.get("/api/v1/transactions/")


def test_the_api_needs_a_login():
    assert APIClient().get("/api/v1/wallets/").status_code in (401, 403)
    assert APIClient().post("/api/v1/transfers/", {}, format="json").status_code in (401, 403)
