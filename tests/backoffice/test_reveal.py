"""Revealing a masked field: one field, on a second factor confirmed again, one audit event."""

import time

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import IdentityDocument
from backoffice import roles
from backoffice.models import AuditEvent
from backoffice.reveal import FRESH_KEY
from tests.accounts.factories import resident_id, totp_code

from .factories import branch, customer_at, staff, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    home = branch("HOME")
    customer = customer_at(
        home, full_name="欧阳明月", phone="+8613911112222", email="ouyang@example.com"
    )
    IdentityDocument.objects.create(
        user=customer, document_type="resident_id", number=resident_id(), full_name="欧阳明月"
    )
    teller = staff(roles.TELLER, home)
    return {"home": home, "customer": customer, "teller": teller, "client": staff_client(teller)}


def reveal(client, customer, field, code="", **extra):
    url = reverse("backoffice:customer_reveal", kwargs={"pk": customer.pk})
    return client.post(url, {"field": field, "code": code}, **extra)


def code_of(user, steps_ahead=0):
    return totp_code(user.totpdevice_set.get(), steps_ahead)


def reveals():
    return AuditEvent.objects.filter(action=AuditEvent.Action.REVEAL)


def test_a_right_code_reveals_one_field_and_writes_exactly_one_event(world):
    customer, teller = world["customer"], world["teller"]
    response = reveal(world["client"], customer, "phone", code_of(teller), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    text = response.content.decode()
    assert "+8613911112222" in text
    assert customer.email not in text and customer.identity_document.number not in text
    event = reveals().get()
    assert (event.actor, event.customer, event.outcome) == (teller, customer, "ok")
    assert event.detail == {"field": "phone", "verified": "code"}


def test_a_wrong_code_reveals_nothing_and_writes_one_refused_event(world, no_otp_throttle):
    customer = world["customer"]
    with translation.override("en"):
        response = reveal(world["client"], customer, "phone", "000000", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "+8613911112222" not in response.content.decode()
    assert "That code is not right" in response.content.decode()
    event = reveals().get()
    assert (event.outcome, event.customer, event.detail["refused"]) == (
        "refused",
        customer,
        "wrong_code",
    )


def test_without_a_code_nothing_is_revealed_even_right_after_login(world):
    # The login's verification does not count: it may be hours old.
    response = reveal(world["client"], world["customer"], "email")
    assert response.status_code == 400
    assert "ouyang@example.com" not in response.content.decode()
    assert reveals().get().detail["refused"] == "no_code"


def test_a_code_covers_further_reveals_for_five_minutes_each_audited(world, settings):
    assert settings.BACKOFFICE_REVEAL_FRESH_SECONDS == 300
    client, customer, teller = world["client"], world["customer"], world["teller"]
    assert reveal(client, customer, "phone", code_of(teller)).status_code == 200
    response = reveal(client, customer, "document_number")
    assert customer.identity_document.number in response.content.decode()
    assert [e.detail["verified"] for e in reveals().order_by("pk")] == ["code", "recent"]
    session = client.session
    session[FRESH_KEY] = time.time() - 301
    session.save()
    response = reveal(client, customer, "email")
    assert response.status_code == 400 and "ouyang@example.com" not in response.content.decode()
    assert reveals().count() == 3 and reveals().first().outcome == "refused"


def test_another_branchs_customer_is_404_with_one_refused_event(world):
    stranger = customer_at(branch("AWAY"), phone="+8613933334444")
    teller = world["teller"]
    response = reveal(world["client"], stranger, "phone", code_of(teller))
    assert response.status_code == 404
    assert "+8613933334444" not in response.content.decode()
    event = reveals().get()
    assert (event.outcome, event.customer, event.detail["refused"]) == (
        "refused",
        stranger,
        "out_of_scope",
    )


def test_an_unknown_field_is_refused(world):
    response = reveal(world["client"], world["customer"], "password", code_of(world["teller"]))
    assert response.status_code == 400
    assert reveals().get().outcome == "refused"


def test_reveal_is_post_only_and_needs_csrf(world):
    customer = world["customer"]
    url = reverse("backoffice:customer_reveal", kwargs={"pk": customer.pk})
    assert world["client"].get(url).status_code == 405
    world["client"].handler.enforce_csrf_checks = True
    assert reveal(world["client"], customer, "phone", code_of(world["teller"])).status_code == 403
    assert not reveals().exists()


def test_the_customer_view_offers_reveal_buttons_for_masked_fields(world):
    client, customer = world["client"], world["customer"]
    url = reverse("backoffice:customer_view", kwargs={"pk": customer.pk})
    client.post(url, {"reason": "counter"})
    text = client.get(url).content.decode()
    for field in ("name", "phone", "email", "document_number"):
        assert f'id="reveal-{field}"' in text
    assert "+8613911112222" not in text
