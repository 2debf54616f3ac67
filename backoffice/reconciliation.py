"""The back office's side of bank reconciliation (issue 11): who works the exceptions queue,
what they see, resolving with a reason (audited), adjustments through four eyes, the ops view
and the home-page card. The matching itself is the wallet's (wallet/services/reconciliation.py).

Who: risk officers. Reconciliation is about the bank's own clearing account, for the whole
bank, not a branch's customers; DESIGN.md gives risk and compliance the whole bank, money
reviews and four-eyes reversals, so they are the operations staff here. Branch staff are not.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from config.api_errors import ApplicationError
from wallet.models import (
    BankStatement,
    DailySeal,
    ReconciliationException,
)
from wallet.services import reconciliation as wallet_reconciliation

from . import home_cards
from .approvals import approval_action_register, approval_request_create
from .home_cards import Card, CardItem
from .models import ApprovalRequest, AuditEvent
from .roles import RISK_OFFICER
from .selectors import staff_roles
from .services import audit_record

RECONCILIATION_ROLES = (RISK_OFFICER,)
# Open exceptions by age, in days: (label, from, to-excluding or None).
AGE_BUCKETS = (
    (gettext_lazy("Today"), 0, 1),
    (gettext_lazy("1–2 days"), 1, 3),
    (gettext_lazy("3–6 days"), 3, 7),
    (gettext_lazy("7–29 days"), 7, 30),
    (gettext_lazy("30 days or more"), 30, None),
)
QUEUE_PAGE_SIZE = 50
OPS_DAYS = 14


def can_reconcile(user) -> bool:
    return bool(set(staff_roles(user)) & set(RECONCILIATION_ROLES))


def age_days(opened_at, *, now=None) -> int:
    return ((now or timezone.now()) - opened_at).days


# --- the queue -----------------------------------------------------------------------------


def exception_queue(*, state: str = "", kind: str = "", since: date | None = None):
    """Exceptions, oldest first (what waits longest comes first), with what a row shows."""
    rows = ReconciliationException.objects.select_related(
        "statement", "line", "resolved_by"
    ).order_by("opened_at", "pk")
    if state:
        rows = rows.filter(state=state)
    if kind:
        rows = rows.filter(kind=kind)
    if since:
        rows = rows.filter(statement__date__gte=since)
    return rows


def exception_get(pk: int) -> ReconciliationException | None:
    return (
        ReconciliationException.objects.select_related(
            "statement", "line", "entry__transaction", "resolved_by", "adjustment"
        )
        .filter(pk=pk)
        .first()
    )


def exception_resolve(*, actor: User, exception_id: int, reason: str, request=None):
    """Close an exception with a reason; the audit event is kept or lost with it."""
    with transaction.atomic():
        exception = wallet_reconciliation.reconciliation_exception_resolve(
            exception_id=exception_id, actor=actor, reason=reason
        )
        audit_record(
            actor=actor,
            action=AuditEvent.Action.RECONCILIATION_RESOLVE,
            reason=exception.resolution_reason,
            detail={
                "exception": exception.pk,
                "kind": exception.kind,
                "reference": exception.reference,
                "amount": str(exception.amount),
                "currency": exception.currency,
            },
            request=request,
        )
    return exception


# --- adjustments: four eyes ----------------------------------------------------------------


def _exception_param(parameters: dict) -> ReconciliationException:
    message = _("Choose an open reconciliation exception.")
    try:
        pk = int(parameters.get("exception"))
    except (TypeError, ValueError):
        pk = None
    exception = ReconciliationException.objects.filter(pk=pk).first() if pk else None
    if exception is None:
        raise ApplicationError(message, code="no_such_exception", fields={"exception": [message]})
    return exception


def _adjustment_validate(*, customer: User | None, parameters: dict) -> dict:
    exception = _exception_param(parameters)
    wallet = wallet_reconciliation.reconciliation_adjustment_check(exception=exception)
    if (wallet.user_id if wallet else None) != (customer.pk if customer else None):
        message = _("This exception is about another customer's wallet.")
        raise ApplicationError(message, code="other_customer", fields={"exception": [message]})
    return {
        "exception": exception.pk,
        "amount": str(exception.amount),
        "currency": exception.currency,
        "reference": exception.reference,
    }


def _adjustment_execute(*, approval: ApprovalRequest, checker: User, parameters: dict) -> dict:
    txn = wallet_reconciliation.reconciliation_adjustment_post(
        exception_id=parameters["exception"],
        actor=checker,
        reason=_("Adjustment approved (four eyes #%(pk)d): %(reason)s")
        % {"pk": approval.pk, "reason": approval.reason},
    )
    return {"exception": parameters["exception"], "transaction": txn.pk}


def _adjustment_subject(*, customer: User | None, parameters: dict) -> str:
    return f"reconciliation_exception:{parameters['exception']}"


def adjustment_request(*, actor: User, exception_id: int, reason: str, request=None):
    """A risk officer asks for the ledger correction (against the customer's wallet, or for a bank
    fee against the bank's charges); another risk officer approves it."""
    exception = exception_get(exception_id)
    if exception is None:
        raise ApplicationError(_("No such reconciliation exception."), status_code=404)
    wallet = wallet_reconciliation.reconciliation_adjustment_check(exception=exception)
    return approval_request_create(
        actor=actor,
        customer_id=wallet.user_id if wallet else None,
        action=ApprovalRequest.Action.RECONCILIATION_ADJUSTMENT,
        reason=reason,
        parameters={"exception": exception.pk},
        request=request,
    )


def adjustable(exception: ReconciliationException) -> bool:
    return (
        exception.state == ReconciliationException.State.OPEN
        and exception.amount != 0
        and (
            wallet_reconciliation.is_bank_fee(exception)
            or wallet_reconciliation.exception_wallet(exception) is not None
        )
    )


def register_approval_actions() -> None:
    approval_action_register(
        ApprovalRequest.Action.RECONCILIATION_ADJUSTMENT,
        checker_roles=RECONCILIATION_ROLES,
        maker_roles=RECONCILIATION_ROLES,
        validate=_adjustment_validate,
        execute=_adjustment_execute,
        subject=_adjustment_subject,
        about_no_customer=True,
    )


# --- the ops view ----------------------------------------------------------------------------


@dataclass
class DayRow:
    date: date
    statements: int
    lines: int
    matched: int
    exceptions: int

    @property
    def match_rate(self) -> int | None:
        return round(100 * self.matched / self.lines) if self.lines else None


def ops_summary(*, now=None) -> dict:
    """Statements per day with their match rate, open exceptions by age, the daily seals.
    A fixed number of queries whatever the amount of data."""
    now = now or timezone.now()
    since = timezone.localdate(now) - timedelta(days=OPS_DAYS)
    days = [
        DayRow(**row)
        for row in BankStatement.objects.filter(date__gte=since)
        .values("date")
        .annotate(
            statements=Count("pk"),
            lines=Sum("line_count"),
            matched=Sum("matched_count"),
            exceptions=Sum("exception_count"),
        )
        .order_by("-date")
    ]
    open_rows = ReconciliationException.objects.filter(state=ReconciliationException.State.OPEN)
    buckets = {}
    for index, (_label, start, end) in enumerate(AGE_BUCKETS):
        window = Q(opened_at__lte=now - timedelta(days=start))
        if end is not None:
            window &= Q(opened_at__gt=now - timedelta(days=end))
        buckets[f"b{index}"] = Count("pk", filter=window)
    counts = open_rows.aggregate(total=Count("pk"), **buckets)
    by_age = [
        {"label": label, "count": counts[f"b{index}"]}
        for index, (label, _start, _end) in enumerate(AGE_BUCKETS)
    ]
    seals = list(DailySeal.objects.order_by("-date")[:OPS_DAYS])
    return {"days": days, "by_age": by_age, "open_total": counts["total"], "seals": seals}


# --- home card -------------------------------------------------------------------------------


def open_exceptions_card(user) -> Card:
    oldest = list(
        ReconciliationException.objects.filter(state=ReconciliationException.State.OPEN)
        .select_related("statement")
        .order_by("opened_at", "pk")[:5]
    )
    now = timezone.now()
    return Card(
        key="reconciliation-exceptions",
        title=_("Bank reconciliation exceptions"),
        items=[
            CardItem(
                text=str(exception.get_kind_display()),
                url=reverse("backoffice:reconciliation_exception", args=[exception.pk]),
                note=_("Open for %(days)d days") % {"days": age_days(exception.opened_at, now=now)},
                urgent=age_days(exception.opened_at, now=now) >= 3,
            )
            for exception in oldest
        ],
        empty_text=_("No open exceptions: the ledger agrees with the bank."),
        link_url=reverse("backoffice:reconciliation_queue"),
        link_text=_("Exceptions queue"),
        order=40,
    )


def register_cards() -> None:
    home_cards.register(RISK_OFFICER, open_exceptions_card)
