"""Break-glass access: a teller or branch manager reaching a customer outside their branch.

Granted at once on a stated reason (the customer is at the counter; nobody can wait for an
approval), for settings.BACKOFFICE_BREAK_GLASS_SECONDS (default one hour) and that one customer
only. Every grant is audited, alerts the staff member's branch manager in their inbox, and waits
in the risk officers' review list (/backoffice/break-glass/) until one marks it reviewed.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.phone import normalize_phone
from config.api_errors import ApplicationError
from notifications.models import Notification
from notifications.services import notify, outbox_enqueue

from .models import AuditEvent, BreakGlassGrant, StaffProfile
from .roles import BRANCH_MANAGER, BRANCH_SCOPED_ROLES, RISK_OFFICER
from .selectors import staff_roles

BREAK_GLASS_ALERT = "backoffice.break_glass_alert"


def can_break_glass(user) -> bool:
    return user.is_authenticated and bool(set(staff_roles(user)) & set(BRANCH_SCOPED_ROLES))


def can_review_break_glass(user) -> bool:
    return user.is_authenticated and (user.is_superuser or RISK_OFFICER in staff_roles(user))


def customer_by_identifier(identifier: str) -> User | None:
    """A customer of the whole bank by email, phone or wallet handle (what they can tell staff)."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    match = Q(email__iexact=identifier) | Q(wallet__handle__iexact=identifier)
    try:
        phone = normalize_phone(identifier)
    except ValidationError:
        phone = ""
    if phone:
        match |= Q(phone=phone)
    return User.objects.filter(match, is_staff=False, is_superuser=False).first()


@transaction.atomic
def break_glass_request(
    *, actor: User, identifier: str, reason: str, request=None
) -> BreakGlassGrant:
    from .services import audit_record

    if not can_break_glass(actor):
        raise PermissionDenied
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ApplicationError(
            _("Say why you need this customer (at least 10 characters)."),
            fields={"reason": [_("Say why you need this customer (at least 10 characters).")]},
        )
    customer = customer_by_identifier(identifier)
    if customer is None:
        raise ApplicationError(
            _("No customer has this email, phone or wallet handle."),
            fields={"customer": [_("No customer has this email, phone or wallet handle.")]},
        )
    now = timezone.now()
    grant = BreakGlassGrant.objects.create(
        staff=actor,
        customer=customer,
        reason=reason[:500],
        created_at=now,
        expires_at=now + timedelta(seconds=settings.BACKOFFICE_BREAK_GLASS_SECONDS),
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.BREAK_GLASS,
        customer=customer,
        reason=reason[:255],
        detail={"grant": grant.pk, "expires_at": grant.expires_at.isoformat()},
        request=request,
    )
    outbox_enqueue(
        topic=BREAK_GLASS_ALERT,
        payload={"grant_id": grant.pk},
        dedupe_key=f"break-glass:{grant.pk}",
    )
    return grant


def branch_managers_of(staff: User) -> QuerySet[User]:
    """The branch managers of the staff member's branch, the staff member excluded."""
    profile = StaffProfile.objects.filter(user=staff).only("branch_id").first()
    if profile is None or profile.branch_id is None:
        return User.objects.none()
    return User.objects.filter(
        is_active=True,
        groups__name=BRANCH_MANAGER,
        staff_profile__branch_id=profile.branch_id,
    ).exclude(pk=staff.pk)


def break_glass_alert_send(*, grant_id: int) -> None:
    """Tell the staff member's branch manager(s) in their inbox (after the grant's commit)."""
    grant = BreakGlassGrant.objects.select_related("staff").get(pk=grant_id)
    for manager in branch_managers_of(grant.staff):
        notify(
            user=manager,
            kind=Notification.Kind.SECURITY,
            title=_("Break-glass access by your staff"),
            body=_(
                "%(staff)s opened break-glass access to a customer outside the branch. "
                "Reason: %(reason)s"
            )
            % {"staff": grant.staff.get_full_name(), "reason": grant.reason},
            dedupe_key=f"break-glass:{grant.pk}",
            link=reverse("backoffice:home"),
        )


def break_glass_pending_review() -> QuerySet[BreakGlassGrant]:
    return BreakGlassGrant.objects.filter(reviewed_at__isnull=True).select_related(
        "staff", "customer"
    )


def break_glass_reviewed_recently() -> QuerySet[BreakGlassGrant]:
    return (
        BreakGlassGrant.objects.filter(reviewed_at__isnull=False)
        .select_related("staff", "customer", "reviewed_by")
        .order_by("-reviewed_at")
    )


@transaction.atomic
def break_glass_review(*, actor: User, pk: int, note: str = "", request=None) -> BreakGlassGrant:
    from .services import audit_record

    if not can_review_break_glass(actor):
        raise PermissionDenied
    grant = BreakGlassGrant.objects.select_for_update().filter(pk=pk).first()
    if grant is None:
        raise Http404
    if grant.reviewed_at is not None:
        return grant  # reviewed already: a second click changes nothing
    grant.reviewed_by = actor
    grant.reviewed_at = timezone.now()
    grant.review_note = (note or "").strip()[:500]
    grant.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.BREAK_GLASS_REVIEW,
        customer=grant.customer,
        detail={"grant": grant.pk, "staff": grant.staff_id, "note": grant.review_note[:200]},
        request=request,
    )
    return grant
