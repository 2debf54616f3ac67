from datetime import datetime, time

from django.contrib.auth.models import Group
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User

from .models import AuditEvent, BreakGlassGrant, CustomerBranch, Onboarding, StaffProfile
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
    from promotions.models import PointsAccount, RewardGrant, Voucher
    from support.models_tickets import Ticket
    from wallet import selectors as wallet_selectors

    document = IdentityDocument.objects.filter(user=customer).first()
    wallet = wallet_selectors.wallet_for(customer)
    branch = (
        CustomerBranch.objects.select_related("branch", "onboarded_by")
        .filter(user=customer)
        .first()
    )
    return {
        "name": name_masked(customer.full_name),
        "email": email_masked(customer.email),
        "phone": phone_masked(customer.phone or ""),
        "joined": customer.date_joined,
        "branch": branch.branch if branch else None,
        "onboarded_by": branch.onboarded_by if branch else None,
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
        "onboarding": Onboarding.objects.filter(customer=customer)
        .only("pk", "document_front", "document_back", "customer_id")
        .first(),
        # Support tickets (issue 7): the customer's latest, with who handles them.
        "tickets": list(
            Ticket.objects.filter(customer=customer)
            .select_related("assignee")
            .order_by("-updated_at", "-pk")[:20]
        ),
        # Rewards (issue 5): the latest grants, the points balance, vouchers still usable.
        "rewards": list(
            RewardGrant.objects.filter(user=customer)
            .select_related("campaign")
            .order_by("-created_at", "-pk")[:10]
        ),
        "points_balance": PointsAccount.objects.filter(user=customer)
        .values_list("balance", flat=True)
        .first()
        or 0,
        "vouchers_usable": Voucher.objects.filter(
            user=customer, status=Voucher.Status.AVAILABLE, expires_at__gt=timezone.now()
        ).count(),
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


# --- the cash desk -------------------------------------------------------------------------


def is_teller(user) -> bool:
    return user.is_authenticated and TELLER in staff_roles(user)


def is_branch_manager(user) -> bool:
    return user.is_authenticated and BRANCH_MANAGER in staff_roles(user)


def staff_branch(user):
    """The branch a staff member works at, or None."""
    profile = StaffProfile.objects.select_related("branch").filter(user=user).first()
    return profile.branch if profile else None


def cash_customer_or_none(*, teller, pk: int) -> User | None:
    """A customer a teller may serve at the cash desk: their own branch's, never another's."""
    if not is_teller(teller):
        return None
    return (
        customers_visible_to(teller)
        .filter(pk=pk, customer_branch__branch_id=staff_branch_id(teller))
        .select_related("wallet")
        .first()
    )


def till_current(teller):
    """The teller's till that is still open (whatever its day), else today's, else None."""
    from .models import Till

    tills = Till.objects.filter(teller=teller).select_related("branch")
    return (
        tills.filter(status=Till.Status.OPEN).order_by("-business_date").first()
        or tills.filter(business_date=timezone.localdate()).first()
    )


def till_movements(till):
    """The till's cash movements, newest first, each with its signed cash amount (+ into the
    drawer, − out of it) from the branch cash entry: a fixed number of queries."""
    from django.db.models import F, Sum

    from wallet.models import LedgerAccount

    from .models import CashMovement

    return (
        CashMovement.objects.filter(till=till)
        .select_related("transaction", "customer")
        .annotate(
            cash=-Sum(
                "transaction__entries__amount",
                filter=Q(transaction__entries__account__kind=LedgerAccount.Kind.BRANCH_CASH),
            ),
            kind=F("transaction__kind"),
        )
        .order_by("-created_at", "-pk")
    )


def till_ledger_net_cash(till):
    """Cash into the till minus cash out of it, from the ledger's branch cash entries of the
    transactions attributed to the till (the branch account is debited by a deposit)."""
    from decimal import Decimal

    from django.db.models import Sum

    from wallet.models import Entry, LedgerAccount

    total = Entry.objects.filter(
        transaction__cash_movement__till=till, account__kind=LedgerAccount.Kind.BRANCH_CASH
    ).aggregate(total=Sum("amount"))["total"]
    return -(total or Decimal(0))


def till_expected_cash(till):
    return till.opening_float + till_ledger_net_cash(till)


def branch_day_tills(*, branch, business_date):
    from .models import Till

    return (
        Till.objects.filter(branch=branch, business_date=business_date)
        .select_related("teller")
        .order_by("opened_at", "pk")
    )


def branch_ledger_net_cash(*, branch, business_date):
    """Net cash the branch took in on that (local) day: minus the sum of its branch cash
    account's entries of the day."""
    from datetime import timedelta
    from decimal import Decimal

    from django.db.models import Sum

    from wallet.models import Entry, LedgerAccount

    tz = timezone.get_current_timezone()
    start = datetime.combine(business_date, time.min, tz)
    total = Entry.objects.filter(
        account__kind=LedgerAccount.Kind.BRANCH_CASH,
        account__code=f"branch-cash:{branch.code}",
        transaction__created_at__gte=start,
        transaction__created_at__lt=start + timedelta(days=1),
    ).aggregate(total=Sum("amount"))["total"]
    return -(total or Decimal(0))


def cash_movement_visible_or_none(*, user, pk: int):
    """A cash movement of the staff member's own branch (tellers and branch managers)."""
    from .models import CashMovement

    if not (is_teller(user) or is_branch_manager(user)):
        return None
    branch_id = staff_branch_id(user)
    if branch_id is None:
        return None
    return (
        CashMovement.objects.filter(pk=pk, till__branch_id=branch_id)
        .select_related("transaction", "customer", "till")
        .first()
    )
