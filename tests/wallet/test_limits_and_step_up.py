"""Limits by KYC level, and the step-up check that binds a code to one large payment."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.accounts.factories import TOTPDeviceFactory, totp_code
from wallet.models import FxRate, StepUpChallenge

from .factories import MerchantFactory, WalletFactory, balance, funded_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.WALLET_LIMITS = {
        0: {"per_transaction": "100", "daily": "150", "monthly": "200"},
        1: {"per_transaction": "1000", "daily": "1500", "monthly": "2000"},
    }
    settings.WALLET_STEP_UP_THRESHOLD = "500"


@pytest.fixture
def sender(limits):
    return funded_wallet("5000.00")


@pytest.fixture
def recipient():
    return WalletFactory()


def _api(wallet):
    client = APIClient()
    client.force_authenticate(wallet.user)
    return client


def _send(client, recipient, amount, key, **headers):
    return client.post(
        "/api/v1/transfers/",
        {"to": recipient.handle, "amount": amount},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
        **headers,
    )


def test_per_transaction_limit_names_the_limit_and_what_remains(sender, recipient):
    response = _send(_api(sender), recipient, "100.01", "a")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "limit_per_transaction"
    assert "100.00" in body["errors"]["amount"][0]


def test_daily_and_monthly_limits_count_what_was_already_sent(sender, recipient):
    client = _api(sender)
    assert _send(client, recipient, "100", "a").status_code == 201
    response = _send(client, recipient, "60", "b")
    assert response.json()["code"] == "limit_daily"
    assert "50.00" in response.json()["errors"]["amount"][0]  # what remains today
    assert _send(client, recipient, "50", "c").status_code == 201
    assert balance(sender) == Decimal("4850.00")


def test_a_higher_kyc_level_has_higher_limits(sender, recipient):
    sender.user.kyc_level = 1
    sender.user.save()
    assert _send(_api(sender), recipient, "400", "a").status_code == 201


def test_foreign_currency_counts_at_its_mid_rate(sender, recipient):
    FxRate.objects.create(currency="USD", cny_per_unit=Decimal("7.00"), spread_bps=0)
    from wallet import services

    services.wallet_fund_from_clearing(
        wallet=sender, amount=Decimal("100"), currency="USD", description="t"
    )
    response = _api(sender).post(
        "/api/v1/transfers/",
        {"to": recipient.handle, "amount": "15", "currency": "USD"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="u",
    )
    assert response.json()["code"] == "limit_per_transaction"  # 105 CNY > 100


def test_payments_to_merchants_count_too(sender, recipient):
    merchant = MerchantFactory()
    client = _api(sender)
    client.post(
        "/api/v1/payments/",
        {"merchant": merchant.code, "amount": "100"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="m",
    )
    assert _send(client, recipient, "60", "t").json()["code"] == "limit_daily"


@pytest.fixture
def big_sender(limits, settings):
    settings.WALLET_LIMITS = {0: {"per_transaction": "10000", "daily": "20000", "monthly": "50000"}}
    device = TOTPDeviceFactory()
    wallet = funded_wallet("5000.00", user=device.user)
    return wallet, device


def test_a_large_transfer_needs_a_challenge_verified_with_a_code(big_sender, recipient):
    wallet, device = big_sender
    client = _api(wallet)
    first = _send(client, recipient, "800", "big")
    assert first.status_code == 403
    assert first.json()["code"] == "step_up_required"
    challenge = first.json()["challenge"]
    assert balance(wallet) == Decimal("5000.00")

    wrong = client.post(f"/api/v1/step-up/{challenge}/verify/", {"otp": "000000"}, format="json")
    assert wrong.status_code == 400
    assert "otp" in wrong.json()["errors"]
    assert (
        _send(client, recipient, "800", "big", HTTP_X_STEP_UP_CHALLENGE=challenge).status_code
        == 403
    )


def test_the_verified_challenge_approves_exactly_that_payment_once(
    big_sender, recipient, no_otp_throttle
):
    wallet, device = big_sender
    client = _api(wallet)
    challenge = _send(client, recipient, "800", "big").json()["challenge"]
    verified = client.post(
        f"/api/v1/step-up/{challenge}/verify/", {"otp": totp_code(device)}, format="json"
    )
    assert verified.status_code == 200

    # The same challenge cannot approve another amount or another payee...
    other = WalletFactory()
    assert (
        _send(
            client, recipient, "900", "other-amount", HTTP_X_STEP_UP_CHALLENGE=challenge
        ).status_code
        == 403
    )
    assert (
        _send(client, other, "800", "other-payee", HTTP_X_STEP_UP_CHALLENGE=challenge).status_code
        == 403
    )
    # ...but approves the one it was issued for, once.
    done = _send(client, recipient, "800", "big", HTTP_X_STEP_UP_CHALLENGE=challenge)
    assert done.status_code == 201
    assert balance(recipient) == Decimal("800.00")
    again = _send(client, recipient, "800", "big-2", HTTP_X_STEP_UP_CHALLENGE=challenge)
    assert again.status_code == 403
    assert StepUpChallenge.objects.get(token=challenge).used_by_id == done.json()["id"]
    # A retry of the finished request replays without asking again.
    assert _send(client, recipient, "800", "big").json()["id"] == done.json()["id"]


def test_another_users_challenge_cannot_be_used(big_sender, recipient, no_otp_throttle):
    wallet, device = big_sender
    challenge = _send(_api(wallet), recipient, "800", "big").json()["challenge"]
    _api(wallet).post(
        f"/api/v1/step-up/{challenge}/verify/", {"otp": totp_code(device)}, format="json"
    )
    thief = funded_wallet("5000.00")
    response = _send(_api(thief), recipient, "800", "t", HTTP_X_STEP_UP_CHALLENGE=challenge)
    assert response.status_code == 403
    assert balance(thief) == Decimal("5000.00")


def test_without_a_second_factor_a_large_payment_explains_what_to_do(limits, recipient, settings):
    settings.WALLET_LIMITS = {0: {"per_transaction": "10000", "daily": "20000", "monthly": "50000"}}
    wallet = funded_wallet("5000.00")
    response = _send(_api(wallet), recipient, "800", "k")
    assert response.status_code == 403
    assert response.json()["code"] == "step_up_unavailable"


def test_the_confirm_page_asks_for_the_code_then_sends(
    client, big_sender, recipient, no_otp_throttle
):
    wallet, device = big_sender
    client.force_login(wallet.user)
    page = client.post(
        reverse("wallet:transfer"), {"to": recipient.handle, "amount": "800", "currency": "CNY"}
    )
    confirm = page.context["form"].initial
    asked = client.post(reverse("wallet:transfer_confirm"), confirm)
    assert asked.status_code == 200
    assert asked.context["needs_code"]
    assert 'name="otp"' in asked.content.decode()
    assert balance(wallet) == Decimal("5000.00")

    wrong = client.post(reverse("wallet:transfer_confirm"), {**confirm, "otp": "000000"})
    assert wrong.context["code_error"]
    sent = client.post(reverse("wallet:transfer_confirm"), {**confirm, "otp": totp_code(device)})
    assert sent.status_code == 302
    assert balance(wallet) == Decimal("4200.00")
