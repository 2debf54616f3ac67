"""seed_demo's history of staff activity: weeks of audit events a risk officer can search, and
today's through the real services, made once."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from backoffice.models import ApprovalRequest, AuditEvent
from wallet.models import LimitOverride

pytestmark = pytest.mark.django_db


def test_the_demo_audit_trail_has_weeks_of_staff_activity_made_once():
    call_command("seed_demo", quiet=True)
    events = AuditEvent.objects.all()
    count = events.count()
    oldest = events.order_by("created_at").first().created_at
    assert (timezone.now() - oldest).days >= 14
    actions = set(events.values_list("action", flat=True))
    for action in (
        AuditEvent.Action.CUSTOMER_SEARCH,
        AuditEvent.Action.CUSTOMER_VIEW,
        AuditEvent.Action.REVEAL,
        AuditEvent.Action.CASH_IN,
        AuditEvent.Action.CASH_OUT,
        AuditEvent.Action.APPROVAL_REQUEST,
        AuditEvent.Action.APPROVAL_APPROVE,
    ):
        assert action in actions, action
    assert events.filter(action=AuditEvent.Action.CUSTOMER_VIEW).exclude(reason="").exists()
    assert events.filter(outcome=AuditEvent.Outcome.REFUSED).exists()
    approval = ApprovalRequest.objects.get(action=ApprovalRequest.Action.LIMIT_OVERRIDE)
    assert approval.status == ApprovalRequest.Status.EXECUTED
    assert LimitOverride.objects.filter(wallet__user__email="li.si@demo.example").count() == 1

    call_command("seed_demo", quiet=True)
    # Re-seeding adds no history (today's till and views by the services aside, none here).
    assert (
        AuditEvent.objects.filter(detail__demo_history=True).count()
        == events.filter(detail__demo_history=True).count()
    )
    assert ApprovalRequest.objects.filter(action=ApprovalRequest.Action.LIMIT_OVERRIDE).count() == 1
    assert AuditEvent.objects.count() == count
