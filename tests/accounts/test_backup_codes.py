import pytest
from django.urls import reverse

from accounts.services import backup_codes_generate

from .factories import PASSWORD, TOTPDeviceFactory

pytestmark = pytest.mark.django_db


def _login_with_code(client, user, code):
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    return client.post(reverse("account_second_factor"), {"otp_token": code})


def test_a_backup_code_logs_in_once_and_only_once(client, no_otp_throttle):
    user = TOTPDeviceFactory().user
    codes = backup_codes_generate(user=user)

    response = _login_with_code(client, user, codes[0].upper())
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200

    client.post(reverse("account_logout"))
    response = _login_with_code(client, user, codes[0])
    assert response.status_code == 200
    assert response.context["form"].errors["otp_token"]
    assert client.get(reverse("dashboard")).status_code == 302

    response = client.post(reverse("account_second_factor"), {"otp_token": codes[1]})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_new_backup_codes_replace_the_old_ones(client):
    user = TOTPDeviceFactory().user
    old = backup_codes_generate(user=user)
    new = backup_codes_generate(user=user)
    assert not set(old) & set(new)
    response = _login_with_code(client, user, old[0])
    assert response.status_code == 200
    assert client.get(reverse("dashboard")).status_code == 302


def test_removing_the_last_authenticator_removes_the_backup_codes_too(client):
    device = TOTPDeviceFactory()
    user = device.user
    codes = backup_codes_generate(user=user)
    from tests.accounts.factories import totp_code

    _login_with_code(client, user, totp_code(device))
    response = client.post(reverse("accounts:second_factor_remove", args=["totp", device.pk]))
    assert response.status_code == 302
    client.post(reverse("account_logout"))

    # No second factor is left: the password alone logs in and old codes are gone.
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert client.get(reverse("dashboard")).status_code == 200
    from django_otp.plugins.otp_static.models import StaticToken

    assert not StaticToken.objects.filter(token__in=codes).exists()
