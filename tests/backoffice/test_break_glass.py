"""Break-glass: one customer outside the branch, for one hour, audited, told, reviewed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from backoffice import roles
from backoffice.models import AuditEvent, BreakGlassGrant
from backoffice.selectors import customers_visible_to
from notifications.models import Notification

from .factories import branch, customer_at, staff, staff_client

pytestmark = pytest.mark.django_db
NEW = reverse("backoffice:break_glass_new")
REASON = "客户在本网点办理挂失，急需查询"


@pytest.fixture
def world():
    home, away = branch("HOME"), branch("AWAY")
    stranger = customer_at(away, phone="+8613933334444", email="far@example.com")
    other = customer_at(away)
    return {
        "home": home,
        "stranger": stranger,
        "other": other,
        "teller": staff(roles.TELLER, home),
        "manager": staff(roles.BRANCH_MANAGER, home),
        "away_manager": staff(roles.BRANCH_MANAGER, away),
        "risk": staff(roles.RISK_OFFICER),
    }


def ask(client, customer="far@example.com", reason=REASON):
    return client.post(NEW, {"customer": customer, "reason": reason})


def test_grant_opens_one_customer_for_one_hour_then_expires(
    world, django_capture_on_commit_callbacks
):
    teller, stranger = world["teller"], world["stranger"]
    client = staff_client(teller)
    view = reverse("backoffice:customer_view", kwargs={"pk": stranger.pk})
    assert client.get(view).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, "13933334444")
    assert response.status_code == 302 and response["Location"] == view
    grant = BreakGlassGrant.objects.get()
    assert grant.expires_at - grant.created_at == timedelta(hours=1)
    assert client.get(view).status_code == 200
    assert stranger in customers_visible_to(teller)
    assert world["other"] not in customers_visible_to(teller)  # that one customer only
    grant.expires_at = timezone.now() - timedelta(seconds=1)  # an hour later
    grant.save(update_fields=["expires_at"])
    assert stranger not in customers_visible_to(teller)
    assert client.get(view).status_code == 404


def test_grant_is_audited_and_alerts_the_staff_members_branch_manager_only(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ask(staff_client(world["teller"]))
    event = AuditEvent.objects.get(action=AuditEvent.Action.BREAK_GLASS)
    assert (event.actor, event.customer, event.reason) == (
        world["teller"],
        world["stranger"],
        REASON,
    )
    alert = Notification.objects.get(dedupe_key__startswith="break-glass:")
    assert alert.user == world["manager"] and alert.kind == "security"
    assert REASON in alert.body


def test_a_reason_is_required_and_unknown_customers_named(world):
    client = staff_client(world["teller"])
    with translation.override("en"):
        short = ask(client, reason="need")
        unknown = client.post(NEW, {"customer": "nobody@example.com", "reason": REASON})
    assert short.status_code == 200 and unknown.status_code == 200
    assert 'id="id_customer_error"' in unknown.content.decode()
    assert not BreakGlassGrant.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.BREAK_GLASS).exists()


@pytest.mark.parametrize("role", [roles.RISK_OFFICER, roles.SUPPORT_AGENT, roles.CAMPAIGN_ADMIN])
def test_only_tellers_and_branch_managers_break_glass(world, role):
    client = staff_client(staff(role))
    assert client.get(NEW).status_code == 403
    assert ask(client).status_code == 403
    assert not BreakGlassGrant.objects.exists()


def test_risk_officers_see_and_mark_grants_reviewed_once(world):
    ask(staff_client(world["teller"]))
    grant = BreakGlassGrant.objects.get()
    risk = staff_client(world["risk"])
    page = risk.get(reverse("backoffice:break_glass_list")).content.decode()
    assert REASON in page
    review = reverse("backoffice:break_glass_review", kwargs={"pk": grant.pk})
    assert risk.post(review, {"note": "核实无误"}).status_code == 302
    assert risk.post(review, {"note": "again"}).status_code == 302
    grant.refresh_from_db()
    assert (grant.reviewed_by, grant.review_note) == (world["risk"], "核实无误")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.BREAK_GLASS_REVIEW).count() == 1


@pytest.mark.parametrize("role", [roles.TELLER, roles.BRANCH_MANAGER])
def test_tellers_and_managers_cannot_review(world, role):
    ask(staff_client(world["teller"]))
    grant = BreakGlassGrant.objects.get()
    client = staff_client(world["manager"] if role == roles.BRANCH_MANAGER else world["teller"])
    assert client.get(reverse("backoffice:break_glass_list")).status_code == 403
    review = reverse("backoffice:break_glass_review", kwargs={"pk": grant.pk})
    assert client.post(review).status_code == 403
    grant.refresh_from_db()
    assert grant.reviewed_at is None
