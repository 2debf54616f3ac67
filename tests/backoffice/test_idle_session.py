"""Staff sessions end after BACKOFFICE_IDLE_SECONDS without a request; customers' do not."""

import time

import pytest
from django.urls import reverse
from django.utils import translation

from backoffice import roles
from backoffice.middleware import LAST_ACTIVITY_KEY
from tests.accounts.factories import UserFactory

from .factories import branch, staff, staff_client

pytestmark = pytest.mark.django_db
HOME = reverse("backoffice:home")


def _idle(client, seconds: float) -> None:
    """Move the session's last activity back, as if `seconds` had passed without a request."""
    session = client.session
    session[LAST_ACTIVITY_KEY] = session[LAST_ACTIVITY_KEY] - seconds
    session.save()


def test_a_staff_session_ends_after_fifteen_idle_minutes_with_a_message(settings):
    assert settings.BACKOFFICE_IDLE_SECONDS == 900
    client = staff_client(staff(roles.TELLER, branch("HOME")))
    assert client.get(HOME).status_code == 200
    _idle(client, 901)
    with translation.override("en"):
        response = client.get(HOME, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.redirect_chain[0][0] == f"{reverse('account_login')}?next=%2Fbackoffice%2F"
    assert "ended after 15 minutes without activity" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get(HOME).status_code == 302  # logged out for good, not just once


def test_activity_keeps_the_session_alive():
    client = staff_client(staff(roles.TELLER, branch("HOME")))
    client.get(HOME)
    for _ in range(3):
        _idle(client, 600)  # ten minutes each time, but never fifteen in a row
        assert client.get(HOME).status_code == 200
    assert time.time() - client.session[LAST_ACTIVITY_KEY] < 60


def test_the_idle_limit_is_a_setting(settings):
    settings.BACKOFFICE_IDLE_SECONDS = 60
    client = staff_client(staff(roles.TELLER, branch("HOME")))
    client.get(HOME)
    _idle(client, 61)
    assert client.get(HOME).status_code == 302


def test_customers_keep_the_normal_session_age(client):
    customer = UserFactory()
    client.force_login(customer)
    assert client.get(reverse("dashboard")).status_code == 200
    session = client.session
    assert LAST_ACTIVITY_KEY not in session
    session[LAST_ACTIVITY_KEY] = time.time() - 3600  # even with a stale stamp, nothing happens
    session.save()
    assert client.get(reverse("dashboard")).status_code == 200
