"""Consent: terms and privacy accepted at sign-up with their version; offers only by consent."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.consent import consents_record, current_consents
from accounts.models import Consent, User
from notifications.models import Notification
from notifications.services import notify

from .factories import PASSWORD

pytestmark = pytest.mark.django_db


def _sign_up(client, **extra):
    return client.post(
        reverse("account_signup"),
        {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD, **extra},
    )


def test_sign_up_needs_the_terms_accepted(client):
    response = _sign_up(client)
    assert response.status_code == 200
    assert response.context["form"].errors["accept_terms"]
    assert not User.objects.exists()


def test_sign_up_records_each_acceptance_with_its_version_and_offers_start_off(client, settings):
    settings.TERMS_VERSION = "2026-11-b"
    _sign_up(client, accept_terms="on")
    user = User.objects.get()
    rows = {c.kind: (c.version, c.granted) for c in Consent.objects.filter(user=user)}
    assert rows["terms"] == ("2026-11-b", True)
    assert rows["privacy"][1] is True
    assert rows["marketing_email"][1] is False and rows["marketing_sms"][1] is False
    assert rows["personalisation"][1] is False  # personalised offers: off until accepted


def test_personalisation_can_be_accepted_at_sign_up(client):
    _sign_up(client, accept_terms="on", personalisation="on")
    user = User.objects.get()
    assert Consent.objects.get(user=user, kind="personalisation").granted is True


def test_no_marketing_reaches_a_customer_without_consent(user):
    mail.outbox.clear()
    assert notify(user=user, kind="marketing", title="优惠", body="…", dedupe_key="m1") is None
    assert not Notification.objects.filter(user=user, kind="marketing").exists()
    assert mail.outbox == []

    consents_record(user=user, choices={Consent.Kind.MARKETING_EMAIL: True})
    assert notify(user=user, kind="marketing", title="优惠", body="…", dedupe_key="m2") is not None
    assert [m.to for m in mail.outbox] == [[user.email]]

    consents_record(user=user, choices={Consent.Kind.MARKETING_EMAIL: False})
    assert notify(user=user, kind="marketing", title="优惠", body="…", dedupe_key="m3") is None


def test_the_privacy_page_changes_consent_and_keeps_the_history(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:privacy"), {"marketing_sms": "on"})
    assert response.status_code == 302
    assert current_consents(user) == {
        "marketing_email": False,
        "marketing_sms": True,
        "personalisation": False,
    }
    client.post(reverse("accounts:privacy"), {})
    assert current_consents(user)["marketing_sms"] is False
    assert Consent.objects.filter(user=user, kind="marketing_sms").count() == 2
    html = client.get(reverse("accounts:privacy")).content.decode()
    assert len(re.findall(r"<tr><td>", html)) == 4  # email, SMS and personalisation, SMS again


def test_legal_pages_are_public_and_unknown_ones_are_not_found(client):
    assert client.get(reverse("legal", args=["terms"])).status_code == 200
    assert client.get(reverse("legal", args=["privacy"])).status_code == 200
    assert client.get(reverse("legal", args=["nothing"])).status_code == 404
