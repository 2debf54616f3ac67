"""A customer downloads what the bank keeps about them: their own data, all of it, no secrets."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.consent import consents_record
from accounts.data_export import data_export_build
from accounts.models import Consent, SecurityEvent
from accounts.services import backup_codes_generate, totp_secret_base32
from tests.wallet.factories import WalletFactory, funded_wallet
from wallet import services

from .factories import TOTPDeviceFactory

pytestmark = pytest.mark.django_db


def _transfer(sender, to, amount, key, note=""):
    return services.transfer_create(
        sender_user=sender.user,
        to=to.handle,
        amount=amount,
        currency="CNY",
        note=note,
        idempotency_key=key,
    )


@pytest.fixture
def owner():
    return funded_wallet("100.00", user__full_name="王小明", user__phone="+8613812345678")


@pytest.fixture
def other():
    return funded_wallet("500.00", user__full_name="李四海", user__phone="+8613900001111")


def _download(client, user):
    client.force_login(user)
    return client.post(reverse("accounts:data_export"))


def test_the_download_is_a_json_attachment_that_is_never_cached(client, owner):
    response = _download(client, owner.user)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    expected = f'attachment; filename="my-data-{timezone.localdate():%Y%m%d}.json"'
    assert response["Content-Disposition"] == expected
    assert response["Cache-Control"] == "no-store"
    document = json.loads(response.content)
    assert document["format_version"] == 1
    assert document["user_id"] == owner.user.pk
    assert document["profile"]["email"] == owner.user.email
    assert document["profile"]["phone"] == "+8613812345678"
    assert document["profile"]["full_name"] == "王小明"


def test_the_export_has_the_customers_transactions_with_exact_amounts(client, owner, other):
    _transfer(owner, other, "12.34", "out-1", note="午饭")
    _transfer(other, owner, "7.00", "in-1")
    wallet = json.loads(_download(client, owner.user).content)["wallet"]
    assert wallet["wallet"]["handle"] == owner.handle
    assert wallet["balances"] == [{"currency": "CNY", "balance": "94.66"}]
    rows = [(t["kind"], t["amount"], t["balance_after"], t["note"]) for t in wallet["transactions"]]
    assert rows == [
        ("top_up", "100.00", "100.00", ""),
        ("transfer", "-12.34", "87.66", "午饭"),
        ("transfer", "7.00", "94.66", ""),
    ]
    assert all(
        t["status"] == "completed" and t["currency"] == "CNY" for t in wallet["transactions"]
    )
    assert wallet["transactions"][1]["counterparty"] == "李*海"  # the other person, masked


def test_the_export_holds_nothing_of_another_customer(client, owner, other):
    _transfer(owner, other, "10.00", "out-1")
    _transfer(other, owner, "3.00", "in-1", note="还你")
    services.payment_request_create(user=other.user, amount="5.00", currency="CNY", note="他的")
    text = _download(client, owner.user).content.decode()
    for private in (other.user.email, "李四海", other.user.phone, other.handle, "他的"):
        assert private not in text
    assert "李*海" in text


def test_no_secret_is_ever_exported(client, owner, settings):
    user = owner.user
    device = TOTPDeviceFactory(user=user)
    codes = backup_codes_generate(user=user)
    Token.objects.create(user=user)
    client.force_login(user)
    assert client.post(reverse("accounts:data_export")).status_code == 302  # code first
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id  # as after the second-factor step
    session.save()
    response = client.post(reverse("accounts:data_export"))
    text = response.content.decode()
    document = json.loads(text)
    assert {f["type"] for f in document["second_factors"]} == {"authenticator_app", "backup_codes"}
    secrets = [
        device.key,
        totp_secret_base32(device),
        user.password,
        Token.objects.get(user=user).key,
        *codes,
    ]
    leaked = [secret for secret in secrets if secret in text]
    assert not leaked
    assert "token_hash" not in text and "password" not in document["profile"]


def test_the_export_lists_consents_devices_messages_and_security_history(
    client, owner, other, django_capture_on_commit_callbacks
):
    consents_record(user=owner.user, choices={Consent.Kind.TERMS: True})
    with django_capture_on_commit_callbacks(execute=True):
        _transfer(other, owner, "1.00", "in-1")  # the alert goes to the inbox and by email
    document = json.loads(_download(client, owner.user).content)
    assert [c["kind"] for c in document["consents"]] == ["terms"]
    (alert,) = document["notifications"]["inbox"]
    assert "1.00" in alert["title"]
    (delivery,) = document["notifications"]["deliveries"]
    assert delivery["channel"] == "email" and delivery["notification_id"] == alert["id"]
    assert delivery["sent_to"] != owner.user.email  # the log keeps the address masked
    # Logging in from this (new) device, then the download itself.
    assert [e["kind"] for e in document["security_events"]] == ["new_device_login", "data_exported"]
    (device,) = document["known_devices"]
    assert set(device) == {"user_agent", "first_seen", "last_seen"}


def test_each_download_is_in_the_customers_security_history(client, owner):
    _download(client, owner.user)
    event = SecurityEvent.objects.get(user=owner.user, kind=SecurityEvent.Kind.DATA_EXPORTED)
    assert event.ip_address == "127.0.0.1"
    page = client.get(reverse("accounts:security"))
    assert event.get_kind_display() in page.content.decode()


def test_the_download_needs_a_login_and_a_post(client, owner):
    response = client.post(reverse("accounts:data_export"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    client.force_login(owner.user)
    assert client.get(reverse("accounts:data_export")).status_code == 405
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.DATA_EXPORTED).exists()


def test_the_privacy_page_offers_the_download_and_the_closure(client, owner):
    client.force_login(owner.user)
    html = client.get(reverse("accounts:privacy")).content.decode()
    assert f'action="{reverse("accounts:data_export")}"' in html
    assert f'href="{reverse("accounts:close")}"' in html


def test_the_api_answers_the_same_document_for_the_callers_own_data(owner, other):
    token = Token.objects.create(user=owner.user)
    api = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.get(reverse("api:me-export"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    document = response.json()
    assert document["user_id"] == owner.user.pk
    assert document["wallet"]["balances"] == [{"currency": "CNY", "balance": "100.00"}]
    assert other.user.email not in response.content.decode()
    assert APIClient().get(reverse("api:me-export")).status_code in (401, 403)


def test_a_customer_without_a_wallet_gets_an_export_too(user):
    document = data_export_build(user=user)
    assert document["wallet"]["wallet"] is None
    assert document["profile"]["email"] == user.email


def _activity(wallet, other, n):
    for i in range(n):
        _transfer(wallet, other, "1.00", f"out-{wallet.pk}-{i}", note=f"转出 {i}")
        _transfer(other, wallet, "2.00", f"in-{wallet.pk}-{i}")
    for _i in range(n):
        services.payment_request_create(user=wallet.user, amount="3.00", currency="CNY")
    services.budget_set(user=wallet.user, category="food", amount="50.00")
    TOTPDevice.objects.create(user=wallet.user, name="phone", confirmed=True)


def test_the_export_costs_the_same_queries_for_10_or_100_transactions(
    other, django_assert_max_num_queries
):
    few, many = funded_wallet("1000.00"), funded_wallet("1000.00")
    _activity(few, other, 10)
    _activity(many, other, 100)
    with CaptureQueriesContext(connection) as captured:
        small = data_export_build(user=few.user)
    assert len(small["wallet"]["transactions"]) == 21
    with django_assert_max_num_queries(len(captured)):
        large = data_export_build(user=many.user)
    assert len(large["wallet"]["transactions"]) == 201
    assert Decimal(large["wallet"]["balances"][0]["balance"]) == Decimal("1100.00")


def test_an_empty_wallet_exports_cleanly(user):
    WalletFactory(user=user)
    document = data_export_build(user=user)
    assert document["wallet"]["balances"] == []
    assert document["wallet"]["transactions"] == []
