"""The setup link of a customer onboarded at a branch: one use, 24 hours, a newer one voids it,
the customer's own password (validated), then a second factor."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import SecurityEvent, SetupLink
from accounts.setup_links import setup_link_issue, setup_link_use
from config.api_errors import ApplicationError
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "my-own-long-pass-2026"


@pytest.fixture
def customer():
    return UserFactory(password=None, phone="+8613912345678")


def _url(token):
    return reverse("accounts:setup", args=[token])


def _english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _set(client, token, password=NEW_PASSWORD):
    return client.post(_url(token), {"password1": password, "password2": password})


def test_the_link_sets_the_customers_own_password_and_asks_for_a_second_factor(customer):
    _link, token = setup_link_issue(user=customer, created_by=None)
    client = Client()
    assert client.get(_url(token)).status_code == 200
    response = _set(client, token)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:setup_second_factor")
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)
    page = client.get(response["Location"])
    assert (
        reverse("accounts:totp_setup") in page.text and reverse("accounts:sms_setup") in page.text
    )
    assert SecurityEvent.objects.filter(
        user=customer, kind=SecurityEvent.Kind.PASSWORD_SET_BY_LINK
    ).exists()


def test_a_link_works_once(customer):
    _link, token = setup_link_issue(user=customer, created_by=None)
    _set(Client(), token)
    with translation.override("en"):
        again = _english().get(_url(token))
        assert again.status_code == 404
        assert "already used" in again.text
        with pytest.raises(ApplicationError):
            setup_link_use(token=token, password="another-long-pass-77")
    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)


def test_an_expired_link_is_refused_clearly(customer):
    link, token = setup_link_issue(user=customer, created_by=None)
    SetupLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with translation.override("en"):
        response = _set(_english(), token)
    assert response.status_code == 404
    assert "expired" in response.text
    customer.refresh_from_db()
    assert not customer.has_usable_password()


def test_a_link_lasts_24_hours(customer):
    link, _token = setup_link_issue(user=customer, created_by=None)
    assert link.expires_at - link.created_at == timedelta(hours=24)


def test_a_new_link_voids_the_old_one(customer):
    _old, old_token = setup_link_issue(user=customer, created_by=None)
    _new, new_token = setup_link_issue(user=customer, created_by=None)
    with translation.override("en"):
        assert "replaced" in _english().get(_url(old_token)).text
    assert _set(Client(), new_token).status_code == 302


def test_a_weak_password_is_refused_by_djangos_validators(customer):
    _link, token = setup_link_issue(user=customer, created_by=None)
    with translation.override("en"):
        response = _set(_english(), token, password="12345678")
    assert response.status_code == 200
    assert "too short" in response.text or "too common" in response.text
    assert SetupLink.objects.get().used_at is None


def test_an_unknown_token_is_refused_without_an_error_page_of_the_server():
    response = Client().get(_url("not-a-real-token"))
    assert response.status_code == 404
