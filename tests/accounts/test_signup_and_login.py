"""A new customer signs up, verifies the email, turns on two-step login and logs in with it."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import SecurityEvent, User

from .factories import PASSWORD, TOTPDeviceFactory, UserFactory, totp_code

pytestmark = pytest.mark.django_db


def _login(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def _confirmation_link(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body).group(1)


def test_sign_up_needs_the_emailed_link_before_the_wallet_opens(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "Mei.Lin@Example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "accept_terms": "on",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert client.get(reverse("dashboard")).status_code == 302  # not logged in yet

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["mei.lin@example.com"]
    link = _confirmation_link(mail.outbox[0])

    assert client.get(link).status_code == 200
    response = client.post(link)
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    assert User.objects.get().email == "mei.lin@example.com"


def test_login_is_refused_until_the_email_is_verified(client):
    user = UserFactory(verified=False)
    response = _login(client, user.email)
    assert response.url == reverse("account_email_verification_sent")
    assert client.get(reverse("dashboard")).status_code == 302


def test_wrong_password_is_refused_with_a_form_error(client, user):
    response = _login(client, user.email, "not-the-password")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get(reverse("dashboard")).status_code == 302


def test_enrolling_an_authenticator_needs_a_correct_code_and_gives_backup_codes(
    client, user, no_otp_throttle
):
    client.force_login(user)
    response = client.get(reverse("accounts:totp_setup"))
    assert response.status_code == 200
    assert "<svg" in response.content.decode()
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed

    response = client.post(reverse("accounts:totp_setup"), {"otp_token": "000000"})
    assert response.context["form"].errors["otp_token"]
    device.refresh_from_db()
    assert not device.confirmed

    response = client.post(reverse("accounts:totp_setup"), {"otp_token": totp_code(device)})
    assert response.status_code == 200
    assert len(response.context["codes"]) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert SecurityEvent.objects.filter(
        user=user, kind=SecurityEvent.Kind.SECOND_FACTOR_ADDED
    ).exists()


def test_login_with_a_second_factor_is_refused_without_the_code_and_accepted_with_it(
    client, no_otp_throttle
):
    device = TOTPDeviceFactory()
    user = device.user

    response = _login(client, user.email)
    assert response.url == reverse("account_second_factor")
    # The password alone logs nobody in.
    assert client.get(reverse("dashboard")).status_code == 302
    assert client.get(reverse("api:me")).status_code in (401, 403)

    response = client.post(reverse("account_second_factor"), {"otp_token": "123456"})
    assert response.status_code == 200
    assert response.context["form"].errors["otp_token"]
    assert client.get(reverse("dashboard")).status_code == 302

    response = client.post(reverse("account_second_factor"), {"otp_token": totp_code(device)})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200
    assert client.get(reverse("api:me")).json()["has_second_factor"] is True


def test_logout_ends_the_session(client, user):
    client.force_login(user)
    assert client.get(reverse("dashboard")).status_code == 200
    client.post(reverse("account_logout"))
    assert client.get(reverse("dashboard")).status_code == 302


def test_second_factor_page_without_a_pending_login_goes_back_to_login(client):
    response = client.get(reverse("account_second_factor"))
    assert response.url == reverse("account_login")


def test_full_journey_enrol_then_log_out_then_log_in_with_the_code(client, user):
    client.force_login(user)
    client.get(reverse("accounts:totp_setup"))
    device = TOTPDevice.objects.get(user=user)
    client.post(reverse("accounts:totp_setup"), {"otp_token": totp_code(device)})
    client.post(reverse("account_logout"))

    _login(client, user.email)
    assert client.get(reverse("dashboard")).status_code == 302
    client.post(reverse("account_second_factor"), {"otp_token": totp_code(device, steps_ahead=1)})
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_right_code_straight_after_a_wrong_one_is_held_back(client):
    """django-otp's throttle: after a wrong code the device waits before trying again."""
    device = TOTPDeviceFactory()
    _login(client, device.user.email)
    client.post(reverse("account_second_factor"), {"otp_token": "000000"})
    client.post(reverse("account_second_factor"), {"otp_token": totp_code(device)})
    assert client.get(reverse("dashboard")).status_code == 302
