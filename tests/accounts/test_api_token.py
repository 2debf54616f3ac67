"""POST /api/v1/auth/token/: the mobile app's login, with the same second-factor rule."""

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts.services import backup_codes_generate

from .factories import PASSWORD, TOTPDeviceFactory, totp_code

pytestmark = pytest.mark.django_db
URL = "/api/v1/auth/token/"


@pytest.fixture
def api():
    return APIClient()


def test_token_for_a_user_without_second_factor(api, user):
    response = api.post(URL, {"email": user.email.upper(), "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    me = APIClient(HTTP_AUTHORIZATION=f"Token {token}").get(reverse("api:me"))
    assert me.status_code == 200
    assert me.json()["email"] == user.email


def test_missing_fields_are_named(api, db):
    response = api.post(URL, {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == {"email", "password"}
    assert body["detail"]


def test_malformed_json_is_a_400_not_a_500(api, db):
    response = api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_wrong_password_is_refused(api, user):
    response = api.post(URL, {"email": user.email, "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_a_user_with_a_device_needs_the_code(api, no_otp_throttle):
    device = TOTPDeviceFactory()
    email = device.user.email

    response = api.post(URL, {"email": email, "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "otp_required"
    assert "otp" in response.json()["errors"]

    response = api.post(URL, {"email": email, "password": PASSWORD, "otp": "111111"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "otp_invalid"

    response = api.post(
        URL, {"email": email, "password": PASSWORD, "otp": totp_code(device)}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["token"]


def test_a_backup_code_works_once_through_the_api(api):
    device = TOTPDeviceFactory()
    code = backup_codes_generate(user=device.user)[0]
    body = {"email": device.user.email, "password": PASSWORD, "otp": code}
    assert api.post(URL, body, format="json").status_code == 200
    assert api.post(URL, body, format="json").status_code == 400


def test_repeated_failures_lock_the_api_login_too(api, user):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = api.post(URL, {"email": user.email, "password": "wrong"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "locked_out"
    response = api.post(URL, {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 403


def test_the_token_endpoint_is_throttled(api, user, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth_token", "3/minute")
    statuses = [
        api.post(URL, {"email": user.email, "password": PASSWORD}, format="json").status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_api_needs_authentication(api, db):
    response = api.get(reverse("api:me"))
    assert response.status_code in (401, 403)
    assert "detail" in response.json()


def test_unknown_api_path_answers_json_404(api, db):
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
