"""A customer who set their password with a branch's setup link enrols a second factor before
any wallet page or any API call that moves money; everyone else is not held up by it."""

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.services import second_factors_reset
from accounts.setup_links import setup_link_issue
from tests.accounts.factories import TOTPDeviceFactory, UserFactory, totp_code
from tests.wallet.factories import funded_wallet
from wallet.models import Transaction

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "my-own-long-pass-2026"
WALLET_PAGES = ["dashboard", "wallet:transfer", "wallet:pay", "wallet:top_up", "wallet:withdraw"]


@pytest.fixture
def onboarded():
    """Onboarded at the counter: no password of their own yet, money in the wallet."""
    customer = UserFactory(password=None, phone="+8613912345678")
    funded_wallet("100.00", user=customer)
    return customer


@pytest.fixture
def friend():
    return funded_wallet("1.00")


def _set_password(customer) -> Client:
    _link, token = setup_link_issue(user=customer, created_by=None)
    client = Client()
    response = client.post(
        reverse("accounts:setup", args=[token]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response["Location"] == reverse("accounts:setup_second_factor")
    return client


def _api(user) -> APIClient:
    token, _created = Token.objects.get_or_create(user=user)
    return APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")


def _transfer(api, friend, key="k1"):
    return api.post(
        "/api/v1/transfers/",
        {"to": friend.handle, "amount": "10.00", "currency": "CNY"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


@pytest.mark.parametrize("name", WALLET_PAGES)
def test_no_wallet_page_before_a_second_factor(onboarded, name):
    client = _set_password(onboarded)
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:setup_second_factor")


def test_a_later_login_is_held_up_the_same_way(onboarded):
    _set_password(onboarded)
    onboarded.refresh_from_db()
    client = Client()
    client.force_login(onboarded)  # a new session, password only
    assert client.get(reverse("wallet:transfer"))["Location"] == reverse(
        "accounts:setup_second_factor"
    )
    # The pages to enrol stay open.
    assert client.get(reverse("accounts:setup_second_factor")).status_code == 200
    assert client.get(reverse("accounts:totp_setup")).status_code == 200
    assert client.get(reverse("accounts:sms_setup")).status_code == 200


def test_the_api_moves_no_money_before_a_second_factor(onboarded, friend):
    _set_password(onboarded)
    api = _api(onboarded)

    response = _transfer(api, friend)

    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"
    assert not Transaction.objects.filter(kind=Transaction.Kind.TRANSFER).exists()
    assert api.get("/api/v1/wallets/").status_code == 200  # reading stays open


def test_enrolling_an_authenticator_opens_the_wallet(onboarded):
    client = _set_password(onboarded)
    client.get(reverse("accounts:totp_setup"))
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=onboarded, confirmed=False)
    response = client.post(reverse("accounts:totp_setup"), {"otp_token": totp_code(device)})
    assert response.status_code in (200, 302)
    device.refresh_from_db()
    assert device.confirmed

    assert client.get(reverse("wallet:transfer")).status_code == 200


def test_with_a_second_factor_the_api_moves_money_again(onboarded, friend, settings):
    settings.WALLET_STEP_UP_THRESHOLD = "100000"
    _set_password(onboarded)
    TOTPDeviceFactory(user=onboarded)
    assert _transfer(_api(onboarded), friend).status_code == 201


def test_a_second_factor_reset_by_the_bank_holds_them_up_again(onboarded):
    _set_password(onboarded)
    staff = UserFactory(is_staff=True)
    TOTPDeviceFactory(user=onboarded)
    second_factors_reset(user=onboarded, reset_by=staff)
    onboarded.refresh_from_db()
    client = Client()
    client.force_login(onboarded)
    assert client.get(reverse("dashboard"))["Location"] == reverse("accounts:setup_second_factor")


def test_a_customer_who_signed_up_online_is_not_held_up(user):
    funded_wallet("10.00", user=user)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("wallet:transfer")).status_code == 200
