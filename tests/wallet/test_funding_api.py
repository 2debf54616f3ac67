"""`linked-accounts/`, `topups/` and `withdrawals/` in the API, as a mobile app uses them."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.bank.sandbox import SandboxBankConnector, sandbox_card_number
from tests.wallet.factories import balance, funded_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(django_capture_on_commit_callbacks):
    wallet = funded_wallet("200.00")
    client = APIClient()
    client.force_authenticate(wallet.user)
    client.wallet = wallet
    return client


def _link_and_verify(app, number=None, kind="debit_card"):
    created = app.post(
        reverse("api:linked-accounts"),
        {
            "kind": kind,
            "number": number or sandbox_card_number(ending="7788"),
            "holder_name": "张三",
            "expiry": "09/30",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "unverified" and body["last4"] == (number or "7788")[-4:]
    first, second = SandboxBankConnector().statement(token=_token(body["id"]))
    verified = app.post(
        reverse("api:linked-account-verify", args=[body["id"]]),
        {"amount_1": str(first), "amount_2": str(second)},
        format="json",
    )
    assert verified.status_code == 200
    return verified.json()


def _token(pk):
    from accounts.models import LinkedAccount

    return LinkedAccount.objects.get(pk=pk).token


def test_an_app_links_verifies_and_lists_a_card_without_its_number(app):
    source = _link_and_verify(app)
    assert source["status"] == "verified" and source["is_default"]
    listed = app.get(reverse("api:linked-accounts")).json()
    assert [s["id"] for s in listed] == [source["id"]]
    assert "number" not in listed[0] and "token" not in listed[0]
    assert listed[0]["bank_name"]


def test_a_wrong_micro_deposit_answer_is_a_400_naming_the_field(app):
    created = app.post(
        reverse("api:linked-accounts"),
        {
            "kind": "debit_card",
            "number": sandbox_card_number(),
            "holder_name": "张三",
            "expiry": "09/30",
        },
        format="json",
    ).json()
    answer = app.post(
        reverse("api:linked-account-verify", args=[created["id"]]),
        {"amount_1": "1.50", "amount_2": "0.10"},
        format="json",
    )
    assert answer.status_code == 400
    assert "amount_1" in answer.json()["errors"]


def test_top_up_through_the_api_answers_pending_then_completed(
    app, django_capture_on_commit_callbacks
):
    source = _link_and_verify(app)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer = app.post(
            reverse("api:topups"),
            {"source": source["id"], "amount": "50.00", "currency": "CNY"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="app-top-up-1",
        )
    assert answer.status_code == 201
    order = answer.json()
    assert order["status"] == "pending" and order["transaction"] is None
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    settled = app.get(reverse("api:topup", args=[order["id"]])).json()
    assert settled["status"] == "completed" and settled["transaction"]
    assert balance(app.wallet) == Decimal("250.00")
    replay = app.post(
        reverse("api:topups"),
        {"source": source["id"], "amount": "50.00", "currency": "CNY"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="app-top-up-1",
    )
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == order["id"]
    assert balance(app.wallet) == Decimal("250.00")


def test_a_rejected_withdrawal_shows_the_reason_and_the_reversal(
    app, django_capture_on_commit_callbacks
):
    app.post(
        reverse("api:linked-accounts"),
        {
            "kind": "bank_account",
            "number": "6217000000000069",
            "holder_name": "张三",
            "bank": "ccb",
        },
        format="json",
    )
    source = app.get(reverse("api:linked-accounts")).json()[0]
    first, second = SandboxBankConnector().statement(token=_token(source["id"]))
    app.post(
        reverse("api:linked-account-verify", args=[source["id"]]),
        {"amount_1": str(first), "amount_2": str(second)},
        format="json",
    )
    with django_capture_on_commit_callbacks(execute=True):
        answer = app.post(
            reverse("api:withdrawals"),
            {"source": source["id"], "amount": "80.00"},
            format="json",
            HTTP_IDEMPOTENCY_KEY="app-withdraw-1",
        )
    assert answer.status_code == 201
    order = app.get(reverse("api:withdrawal", args=[answer.json()["id"]])).json()
    assert order["status"] == "rejected"
    assert order["rejection_reason"] == "account_closed" and order["rejection_message"]
    assert order["reversal"] and order["transaction"]
    assert balance(app.wallet) == Decimal("200.00")
    assert [o["id"] for o in app.get(reverse("api:withdrawals")).json()] == [order["id"]]


def test_funding_without_an_idempotency_key_is_refused_and_moves_nothing(app):
    source = _link_and_verify(app)
    answer = app.post(
        reverse("api:withdrawals"), {"source": source["id"], "amount": "10.00"}, format="json"
    )
    assert answer.status_code == 400
    assert "idempotency_key" in answer.json()["errors"]
    assert balance(app.wallet) == Decimal("200.00")


def test_removing_a_source_through_the_api(app):
    source = _link_and_verify(app)
    assert app.delete(reverse("api:linked-account", args=[source["id"]])).status_code == 204
    assert app.get(reverse("api:linked-accounts")).json() == []
    assert app.get(reverse("api:linked-account", args=[source["id"]])).status_code == 404
