"""Codes by SMS as a second factor: enrolling it, logging in with it ("send me a code"), its
5-minute codes, django-otp's throttling and the cap on codes sent per 10 minutes."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.models import SecurityEvent, SMSDevice
from accounts.selectors import has_second_factor
from accounts.sms_otp import sms_code_send
from config.api_errors import ApplicationError
from notifications.sms import LocmemSmsBackend

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.SMS_BACKEND = "notifications.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()


def _last_code() -> str:
    return re.search(r"\b(\d{6})\b", LocmemSmsBackend.outbox[-1][1]).group(1)


def _enrolled(user, phone="+8613912345678") -> SMSDevice:
    return SMSDevice.objects.create(user=user, name="sms", phone=phone, confirmed=True)


def test_a_customer_enrols_sms_codes_from_the_security_page(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(phone="+8613912345678")
    client.force_login(user)
    url = reverse("accounts:sms_setup")
    assert url in client.get(reverse("accounts:security")).text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "send", "phone": "13912345678"})
    assert LocmemSmsBackend.outbox[-1][0] == "+8613912345678"
    assert not has_second_factor(user)  # not until the code comes back
    response = client.post(url, {"action": "confirm", "code": _last_code()})
    assert 'data-testid="backup-codes"' in response.text
    assert has_second_factor(user)
    assert SecurityEvent.objects.filter(
        user=user, kind=SecurityEvent.Kind.SECOND_FACTOR_ADDED, detail__method="sms"
    ).exists()


def test_login_with_send_me_a_code(client, django_capture_on_commit_callbacks):
    user = UserFactory()
    _enrolled(user)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response["Location"] == reverse("account_second_factor")
    page = client.get(reverse("account_second_factor"))
    assert 'data-testid="second-factor-sms"' in page.text
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_second_factor"), {"action": "send_sms"})
    assert client.get(reverse("dashboard")).status_code == 302  # not logged in yet
    response = client.post(reverse("account_second_factor"), {"otp_token": _last_code()})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_code_lives_5_minutes(django_capture_on_commit_callbacks):
    device = _enrolled(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        device = sms_code_send(device=device)
    assert (
        timedelta(minutes=4, seconds=55)
        < device.valid_until - timezone.now()
        <= timedelta(minutes=5)
    )
    code = _last_code()
    SMSDevice.objects.filter(pk=device.pk).update(valid_until=timezone.now() - timedelta(seconds=1))
    device.refresh_from_db()
    assert not device.verify_token(code)


def test_wrong_codes_are_throttled(django_capture_on_commit_callbacks):
    device = _enrolled(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        device = sms_code_send(device=device)
    code = _last_code()
    assert not device.verify_token("000000" if code != "000000" else "111111")
    # Right after a wrong code, even the right one waits (django-otp's ThrottlingMixin).
    assert not device.verify_token(code)
    assert device.throttling_failure_count == 1


def test_at_most_a_few_codes_per_10_minutes(settings):
    settings.OTP_SMS_MAX_SENDS_PER_10_MIN = 3
    device = _enrolled(UserFactory())
    for _ in range(3):
        sms_code_send(device=device)
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        sms_code_send(device=device)
    assert refused.value.status_code == 429
    assert "10 minutes" in str(refused.value.detail)
    SMSDevice.objects.filter(pk=device.pk).update(
        sends_window_start=timezone.now() - timedelta(minutes=11)
    )
    sms_code_send(device=device)  # a new window


def test_the_api_token_sends_a_code_and_accepts_it(django_capture_on_commit_callbacks):
    user = UserFactory()
    _enrolled(user)
    api = APIClient()
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post(
            "/api/v1/auth/token/", {"email": user.email, "password": PASSWORD}, format="json"
        )
    assert first.status_code == 400 and first.json()["code"] == "otp_required"
    response = api.post(
        "/api/v1/auth/token/",
        {"email": user.email, "password": PASSWORD, "otp": _last_code()},
        format="json",
    )
    assert response.status_code == 200 and response.json()["token"]


def test_removing_the_sms_factor(client):
    user = UserFactory()
    device = _enrolled(user)
    client.force_login(user)
    session = client.session
    from django_otp import DEVICE_ID_SESSION_KEY

    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    response = client.post(reverse("accounts:second_factor_remove", args=["sms", device.pk]))
    assert response.status_code == 302
    assert not SMSDevice.objects.filter(pk=device.pk).exists()
