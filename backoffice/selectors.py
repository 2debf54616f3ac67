from datetime import datetime, time

from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User

from .models import AuditEvent, BreakGlassGrant, CustomerBranch, StaffProfile
from .roles import ALL_ROLES, BRANCH_MANAGER, RISK_OFFICER, TELLER


def staff_roles(user) -> list[str]:
    """The role names a user holds, in the order roles are declared."""
    if not user.is_authenticated or not user.is_staff:
        return []
    cached = getattr(user, "_backoffice_roles", None)
    if cached is None:  # once per user object (per request): several checks ask each request
        names = {g.name for g in user.groups.all()}
        cached = user._backoffice_roles = tuple(role for role in ALL_ROLES if role in names)
    return list(cached)


def role_groups():
    return Group.objects.filter(name__in=ALL_ROLES)


# --- who may see which customers -----------------------------------------------------------

LOOKUP_ROLES = (TELLER, BRANCH_MANAGER, RISK_OFFICER)
AUDIT_ROLES = (RISK_OFFICER,)


def role_label_of(user) -> str:
    """The role recorded on an audit event: the staff member's roles, or `superuser`."""
    names = staff_roles(user)
    if user.is_superuser:
        names = [*names, "superuser"]
    return ",".join(names)


def can_look_up_customers(user) -> bool:
    return user.is_authenticated and (
        user.is_superuser or bool(set(staff_roles(user)) & set(LOOKUP_ROLES))
    )


def can_read_audit(user) -> bool:
    return user.is_authenticated and (
        user.is_superuser or bool(set(staff_roles(user)) & set(AUDIT_ROLES))
    )


def staff_branch_id(user) -> int | None:
    profile = StaffProfile.objects.filter(user=user).only("branch_id").first()
    return profile.branch_id if profile else None


def customers_visible_to(user) -> QuerySet[User]:
    """The customers a staff member may find and open: nobody without a lookup role; a teller or
    branch manager only their own branch's (none without a branch) plus those of their active
    break-glass grants; risk officers and superusers the whole bank."""
    if not can_look_up_customers(user):
        return User.objects.none()
    customers = User.objects.filter(is_staff=False, is_superuser=False)
    if user.is_superuser or RISK_OFFICER in staff_roles(user):
        return customers
    scope = Q(pk__in=break_glass_customer_ids(user))
    branch_id = staff_branch_id(user)
    if branch_id is not None:
        scope |= Q(customer_branch__branch_id=branch_id)
    return customers.filter(scope)


def break_glass_customer_ids(user) -> QuerySet:
    """The customers the staff member holds an unexpired break-glass grant for (a subquery)."""
    return BreakGlassGrant.objects.filter(staff=user, expires_at__gt=timezone.now()).values(
        "customer_id"
    )


def customer_search_results(*, user, query: str) -> QuerySet[User]:
    """Customers matching a phone, email, name, wallet handle or the last four characters of
    their identity document, among those the staff member may see; newest first."""
    query = (query or "").strip()
    if len(query) < 2:
        return User.objects.none()
    match = Q(full_name__icontains=query) | Q(email__iexact=query) | Q(wallet__handle__iexact=query)
    compact = query.replace(" ", "").replace("-", "").removeprefix("+")
    if compact.isdigit() and len(compact) >= 7:  # a phone number, or its national part
        match |= Q(phone__endswith=compact[-11:])
    if len(query) == 4 and query.isalnum():
        match |= Q(identity_document__number__iendswith=query)
    return (
        customers_visible_to(user)
        .filter(match)
        .select_related("customer_branch__branch", "identity_document", "wallet")
        .order_by("-date_joined", "-pk")
    )


def customer_visible_or_none(*, user, pk: int) -> User | None:
    return customers_visible_to(user).filter(pk=pk).first()


def customer_summary(customer: User) -> dict:
    """What the customer view shows, masked where it is personal data; a fixed set of queries."""
    from accounts.masking import email_masked, name_masked, phone_masked
    from accounts.models import Consent, IdentityDocument, KnownDevice, LinkedAccount, SecurityEvent
    from wallet import selectors as wallet_selectors

    document = IdentityDocument.objects.filter(user=customer).first()
    wallet = wallet_selectors.wallet_for(customer)
    branch = CustomerBranch.objects.select_related("branch").filter(user=customer).first()
    return {
        "name": name_masked(customer.full_name),
        "email": email_masked(customer.email),
        "phone": phone_masked(customer.phone or ""),
        "joined": customer.date_joined,
        "branch": branch.branch if branch else None,
        "kyc_level": customer.kyc_level,
        "document": document,
        "wallet": wallet,
        "balances": wallet_selectors.wallet_balances(wallet),
        "entries": list(wallet_selectors.history_entries(wallet=wallet)[:20]),
        "linked_accounts": list(
            LinkedAccount.objects.filter(user=customer)
            .exclude(status=LinkedAccount.Status.REMOVED)
            .order_by("-created_at")
        ),
        "security_events": list(
            SecurityEvent.objects.filter(user=customer).order_by("-created_at")[:20]
        ),
        "devices": list(KnownDevice.objects.filter(user=customer).order_by("-last_seen")[:10]),
        "consents": list(Consent.objects.filter(user=customer).order_by("-created_at")[:20]),
    }


def audit_events(
    *, staff: str = "", customer: str = "", action: str = "", date_from=None, date_to=None
) -> QuerySet[AuditEvent]:
    """The audit trail, newest first, filtered by staff member and customer (email, or id),
    action and date range."""
    events = AuditEvent.objects.select_related("actor", "customer").order_by("-created_at", "-pk")
    if staff:
        events = events.filter(_person_filter("actor", staff))
    if customer:
        events = events.filter(_person_filter("customer", customer))
    if action:
        events = events.filter(action=action)
    tz = timezone.get_current_timezone()
    if date_from:
        events = events.filter(created_at__gte=datetime.combine(date_from, time.min, tz))
    if date_to:
        events = events.filter(created_at__lte=datetime.combine(date_to, time.max, tz))
    return events


def _person_filter(field: str, value: str) -> Q:
    value = value.strip()
    if value.isdigit():
        return Q(**{f"{field}_id": int(value)}) | Q(**{f"{field}__phone__endswith": value})
    return Q(**{f"{field}__email__iexact": value})


def customer_row_masked(customer: User) -> dict:
    """A search result as staff see it (select_related as customer_search_results does)."""
    from accounts.masking import email_masked, name_masked, phone_masked

    document = getattr(customer, "identity_document", None)
    branch = getattr(customer, "customer_branch", None)
    return {
        "name": name_masked(customer.full_name),
        "email": email_masked(customer.email),
        "phone": phone_masked(customer.phone or ""),
        "document": document.number_masked if document else "",
        "branch": branch.branch if branch else None,
    }
