"""Writes of the back office: roles and staff, and the audit trail with what it records."""

import uuid

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.http import Http404

from accounts.models import User

from .models import AuditEvent, Branch, StaffProfile
from .roles import ALL_ROLES, ROLE_PERMISSIONS
from .selectors import (
    can_look_up_customers,
    can_read_audit,
    customer_search_results,
    customer_summary,
    customer_visible_or_none,
    role_label_of,
)


def role_groups_ensure() -> dict[str, Group]:
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ALL_ROLES}
    for name, perms in ROLE_PERMISSIONS.items():
        wanted = Permission.objects.none()
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted |= Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            )
        groups[name].permissions.add(*wanted)
    return groups


@transaction.atomic
def staff_member_upsert(
    *,
    email: str,
    password: str,
    full_name: str,
    role: str,
    branch: Branch | None,
    employee_number: str,
) -> User:
    if role not in ALL_ROLES:
        raise ValueError(f"Unknown role {role!r}")
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
    user.is_staff = True
    user.full_name = full_name
    user.save(update_fields=["is_staff", "full_name"])
    user.groups.add(role_groups_ensure()[role])
    StaffProfile.objects.update_or_create(
        user=user, defaults={"branch": branch, "employee_number": employee_number}
    )
    return user


# --- the audit trail -----------------------------------------------------------------------

REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"


def request_id_of(request) -> str:
    """The request's id: the proxy's X-Request-ID when it looks like one, else a new uuid, kept on
    the request so that every event of one request shares it."""
    if request is None:
        return ""
    existing = getattr(request, "audit_request_id", None)
    if existing:
        return existing
    given = request.META.get(REQUEST_ID_HEADER, "")
    valid = 8 <= len(given) <= 64 and all(ch.isalnum() or ch in "-_." for ch in given)
    request.audit_request_id = given if valid else uuid.uuid4().hex
    return request.audit_request_id


def audit_record(
    *,
    actor: User,
    action: str,
    customer: User | None = None,
    reason: str = "",
    detail: dict | None = None,
    request=None,
    outcome: str = AuditEvent.Outcome.OK,
) -> AuditEvent:
    """Write one audit event. Call it inside the transaction of what it records, so that the
    action and its trace are kept or lost together."""
    if action not in AuditEvent.Action.values:
        raise ValueError(f"Unknown audit action {action!r}")
    if outcome not in AuditEvent.Outcome.values:
        raise ValueError(f"Unknown audit outcome {outcome!r}")
    return AuditEvent.objects.create(
        actor=actor,
        role=role_label_of(actor),
        customer=customer,
        action=action,
        reason=reason[:255],
        detail=detail or {},
        ip_address=request.META.get("REMOTE_ADDR") or None if request is not None else None,
        request_id=request_id_of(request),
        outcome=outcome,
    )


def campaign_money_action_record(
    *, actor: User, action: str, outcome: str, detail: dict, reason: str = "", request=None
) -> AuditEvent:
    """promotions' recorder (promotions.audit): a campaign admin funded a pool or issued
    vouchers, in the transaction of that action."""
    return audit_record(
        actor=actor,
        action=action,
        detail=detail,
        reason=reason,
        request=request,
        outcome=outcome,
    )


# --- customer lookup and view --------------------------------------------------------------

SEARCH_PAGE_SIZE = 25


@transaction.atomic
def customer_search(*, actor: User, query: str, page_number=None, request=None) -> Page:
    """One page of the customers the staff member may see who match `query`, with one audit
    event for the search: the query and how many matched, never who."""
    if not can_look_up_customers(actor):
        raise PermissionDenied
    results = customer_search_results(user=actor, query=query)
    page = Paginator(results, SEARCH_PAGE_SIZE).get_page(page_number)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CUSTOMER_SEARCH,
        detail={"query": query.strip()[:100], "results": page.paginator.count, "page": page.number},
        request=request,
    )
    return page


@transaction.atomic
def customer_open(*, actor: User, pk: int, reason: str, request=None) -> dict:
    """The customer view's data, for a customer the staff member may see, audited with the
    reason. Anyone else — another branch's customer or no such customer — gets Http404 (the same
    answer), and the attempt is recorded as refused."""
    customer = customer_visible_or_none(user=actor, pk=pk) if can_look_up_customers(actor) else None
    if customer is None:
        audit_customer_view_refused(actor=actor, pk=pk, request=request)
        raise Http404
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CUSTOMER_VIEW,
        customer=customer,
        reason=reason,
        request=request,
    )
    return {"customer": customer, **customer_summary(customer)}


def audit_customer_view_refused(*, actor: User, pk: int, request=None) -> AuditEvent:
    """A refused opening: who tried, and whom when that customer exists (another branch's)."""
    customer = User.objects.filter(pk=pk, is_staff=False, is_superuser=False).first()
    return audit_record(
        actor=actor,
        action=AuditEvent.Action.CUSTOMER_VIEW,
        customer=customer,
        detail={"pk": pk},
        request=request,
        outcome=AuditEvent.Outcome.REFUSED,
    )


def customer_view_check(*, actor: User, pk: int, request=None) -> User:
    """Before asking for a reason: the customer, or Http404 (audited as refused)."""
    customer = customer_visible_or_none(user=actor, pk=pk) if can_look_up_customers(actor) else None
    if customer is None:
        with transaction.atomic():
            audit_customer_view_refused(actor=actor, pk=pk, request=request)
        raise Http404
    return customer


@transaction.atomic
def audit_export_record(*, actor: User, filters: dict, rows: int, request=None) -> AuditEvent:
    if not can_read_audit(actor):
        raise PermissionDenied
    return audit_record(
        actor=actor,
        action=AuditEvent.Action.AUDIT_EXPORT,
        detail={"filters": filters, "rows": rows},
        request=request,
    )


def customer_branch_assign(*, customer: User, branch: Branch, onboarded_by: User | None = None):
    """Make `branch` the customer's branch (the one that onboarded them, or one they chose)."""
    from .models import CustomerBranch

    if customer.is_staff:
        raise ValueError("Staff members are not customers of a branch")
    record, _created = CustomerBranch.objects.update_or_create(
        user=customer, defaults={"branch": branch, "onboarded_by": onboarded_by}
    )
    return record
