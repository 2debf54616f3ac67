"""A login from a browser or app never seen before is recorded as a security event."""

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import SecurityEvent

from .factories import PASSWORD

pytestmark = pytest.mark.django_db


def _new_device_events(user):
    return SecurityEvent.objects.filter(user=user, kind=SecurityEvent.Kind.NEW_DEVICE_LOGIN)


def test_first_login_from_a_browser_is_a_new_device_and_the_next_is_not(client, user):
    client.post(
        reverse("account_login"),
        {"login": user.email, "password": PASSWORD},
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone)",
    )
    assert _new_device_events(user).count() == 1
    assert client.cookies[settings.DEVICE_COOKIE_NAME].value

    client.post(reverse("account_logout"))
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert _new_device_events(user).count() == 1


def test_another_browser_is_another_new_device(client, user):
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    client.cookies.clear()
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert _new_device_events(user).count() == 2


def test_the_app_identifies_its_device_with_a_header(user):
    api = APIClient(HTTP_X_DEVICE_ID="install-7f3a")
    body = {"email": user.email, "password": PASSWORD}
    api.post("/api/v1/auth/token/", body, format="json")
    api.post("/api/v1/auth/token/", body, format="json")
    assert _new_device_events(user).count() == 1
    APIClient(HTTP_X_DEVICE_ID="another-phone").post("/api/v1/auth/token/", body, format="json")
    assert _new_device_events(user).count() == 2


def test_a_new_device_login_is_told_to_the_customer_on_every_channel(
    client, user, django_capture_on_commit_callbacks
):
    from django.core import mail

    from notifications.models import ChannelPreference, Notification

    user.phone = "+8613800138000"
    user.save()
    # Security alerts cannot be switched off, whatever the preferences say.
    ChannelPreference.objects.create(user=user, kind="security", channel="email", enabled=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    alert = Notification.objects.get(user=user, kind="security")
    assert alert.deliveries.filter(channel="email", status="sent").exists()
    assert alert.deliveries.filter(channel="sms", status="sent").exists()
    assert [m.to for m in mail.outbox] == [[user.email]]

    client.post(reverse("account_logout"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert Notification.objects.filter(user=user, kind="security").count() == 1  # known device now
