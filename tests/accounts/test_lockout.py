"""Repeated failed logins lock the account for a while, with a message saying so."""

import pytest
from django.conf import settings
from django.urls import reverse

from .factories import PASSWORD, TOTPDeviceFactory, totp_code

pytestmark = pytest.mark.django_db


def _login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_the_account_locks_after_the_configured_number_of_failures(client, user):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, user.email, "wrong-password").status_code == 200

    response = _login(client, user.email, "wrong-password")
    assert response.status_code == 403
    assert "locked" in response.content.decode().lower() or "锁定" in response.content.decode()

    # Even the right password is refused while locked.
    response = _login(client, user.email, PASSWORD)
    assert response.status_code == 403
    assert client.get(reverse("dashboard")).status_code == 302


def test_lockout_message_is_in_english_for_english_users(client, user):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(
            reverse("account_login"),
            {"login": user.email, "password": "nope"},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 403
    assert "Too many failed login attempts" in response.content.decode()


def test_guessing_second_factor_codes_also_locks_the_account(client, settings):
    # django-otp's own delay after wrong codes would also refuse the right one for a while;
    # switched off so that it is the lockout, and only the lockout, that keeps the door shut.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = TOTPDeviceFactory()
    _login(client, device.user.email, PASSWORD)
    statuses = [
        client.post(reverse("account_second_factor"), {"otp_token": "000000"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[-1] == 403
    right_code = client.post(reverse("account_second_factor"), {"otp_token": totp_code(device)})
    assert right_code.status_code == 403
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, user):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, user.email, "wrong-password")
    assert _login(client, user.email, PASSWORD).status_code == 302
    client.post(reverse("account_logout"))
    assert _login(client, user.email, "wrong-password").status_code == 200
