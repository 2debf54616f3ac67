"""Writes of the cash desk: tills opened and closed, cash deposits and withdrawals at the
counter, and the branch's end of day. Money moves only through wallet.services.cash; every
action writes its audit event in the same transaction.

Who may: a teller, for a customer of their own branch (checked here, not only in the views);
another branch's customer is answered as a missing one (Http404). The branch's end of day is
the branch manager's.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from config.api_errors import ApplicationError
from notifications.models import Notification
from notifications.services import notify, outbox_enqueue, register_handler
from wallet.models import Transaction, Wallet
from wallet.money import format_money, parse_amount, quantize
from wallet.services.cash import (
    CASH_CURRENCY,
    cash_amount,
    cash_in_post,
    cash_out_authorise,
    cash_out_post,
)
from wallet.services.common import (
    earlier_result,
    idempotency_key_clean,
    idempotent,
    request_fingerprint,
)

from .models import (
    ApprovalRequest,
    AuditEvent,
    Branch,
    BranchReconciliation,
    CashMovement,
    StaffProfile,
    Till,
)
from .roles import BRANCH_MANAGER, TELLER
from .selectors import (
    branch_day_tills,
    branch_ledger_net_cash,
    cash_customer_or_none,
    cash_movement_visible_or_none,
    is_branch_manager,
    is_teller,
    staff_branch,
    till_expected_cash,
)
from .services import audit_customer_view_refused, audit_record

CASH_DIFFERENCE_ALERT = "backoffice.cash_difference_alert"
# Notes and coins a till is counted in (CNY), largest first.
DENOMINATIONS = ("100", "50", "20", "10", "5", "1", "0.5", "0.1")


@dataclass(frozen=True)
class CashResult:
    transaction: Transaction
    replayed: bool

    @property
    def movement(self) -> CashMovement:
        return CashMovement.objects.get(transaction=self.transaction)


def _refuse(message: str, *, code: str, field: str | None = None, status_code=None):
    return ApplicationError(
        message, code=code, fields={field: [message]} if field else None, status_code=status_code
    )


def _teller_branch(actor: User) -> Branch:
    """The branch of a teller, or PermissionDenied: only tellers handle cash."""
    branch = staff_branch(actor) if is_teller(actor) else None
    if branch is None:
        raise PermissionDenied
    return branch


def cash_customer_check(*, actor: User, pk: int, request=None) -> User:
    """The customer a teller serves at the cash desk, or Http404 (audited as refused) for
    another branch's customer or nobody; PermissionDenied for staff who are not tellers."""
    _teller_branch(actor)
    customer = cash_customer_or_none(teller=actor, pk=pk)
    if customer is None:
        with transaction.atomic():
            audit_customer_view_refused(actor=actor, pk=pk, request=request)
        raise Http404
    return customer


def _customer_wallet(customer: User) -> Wallet:
    wallet = Wallet.objects.filter(user=customer).first()
    if wallet is None:
        message = _("The customer has no wallet yet.")
        raise _refuse(message, code="no_wallet", field="customer")
    return wallet


# --- tills -----------------------------------------------------------------------------------


def _float_amount(value) -> Decimal:
    """An opening float may be zero; otherwise an amount like any other."""
    try:
        if Decimal(str(value).strip() or "x") == 0:
            return Decimal("0.00")
    except (InvalidOperation, ValueError):
        pass
    return parse_amount(value, CASH_CURRENCY, field="opening_float")


@transaction.atomic(durable=True)
def till_open(*, teller: User, opening_float, request=None) -> Till:
    """Open today's till with the counted float. One till per teller per day."""
    branch = _teller_branch(teller)
    amount = _float_amount(opening_float)
    # One open at a time per teller: serialise on the teller's staff row.
    StaffProfile.objects.select_for_update().filter(user=teller).first()
    today = timezone.localdate()
    if Till.objects.filter(teller=teller, status=Till.Status.OPEN).exists():
        raise _refuse(_("Your till is already open."), code="till_already_open")
    if Till.objects.filter(teller=teller, business_date=today).exists():
        raise _refuse(
            _("Your till for today was already closed; a closed till is not reopened."),
            code="till_closed_today",
        )
    till = Till.objects.create(
        branch=branch, teller=teller, business_date=today, opening_float=amount
    )
    audit_record(
        actor=teller,
        action=AuditEvent.Action.TILL_OPEN,
        detail={"till": till.pk, "branch": branch.code, "opening_float": str(amount)},
        request=request,
    )
    return till


def counted_total(*, denominations: dict | None, total) -> tuple[Decimal, dict]:
    """The counted cash: by denomination when any count is given, else the total typed."""
    counts = {d: int(n) for d, n in (denominations or {}).items() if d in DENOMINATIONS and n}
    if any(n < 0 for n in counts.values()):
        message = _("A count cannot be negative.")
        raise _refuse(message, code="invalid_count", field="counted_total")
    if counts:
        return sum((Decimal(d) * n for d, n in counts.items()), Decimal("0.00")), counts
    if total in (None, ""):
        message = _("Count the cash by denomination, or enter the total.")
        raise _refuse(message, code="count_missing", field="counted_total")
    try:
        if Decimal(str(total).strip()) == 0:
            return Decimal("0.00"), {}
    except (InvalidOperation, ValueError):
        pass
    return parse_amount(total, CASH_CURRENCY, field="counted_total"), {}


@transaction.atomic(durable=True)
def till_close(*, teller: User, till_id: int, denominations=None, total=None, request=None) -> Till:
    """Close the teller's till with the cash counted in it; the expected cash (opening float
    plus deposits minus withdrawals, from the ledger) and the difference are kept on the till."""
    _teller_branch(teller)
    till = Till.objects.select_for_update().filter(pk=till_id, teller=teller).first()
    if till is None:
        raise Http404
    if till.status == Till.Status.CLOSED:
        raise _refuse(_("This till is already closed."), code="till_closed", status_code=409)
    counted, counts = counted_total(denominations=denominations, total=total)
    expected = quantize(till_expected_cash(till), CASH_CURRENCY)
    till.status = Till.Status.CLOSED
    till.closed_at = timezone.now()
    till.counted_cash = counted
    till.counted_denominations = counts
    till.expected_cash = expected
    till.difference = counted - expected
    till.save(
        update_fields=[
            "status",
            "closed_at",
            "counted_cash",
            "counted_denominations",
            "expected_cash",
            "difference",
        ]
    )
    audit_record(
        actor=teller,
        action=AuditEvent.Action.TILL_CLOSE,
        detail={
            "till": till.pk,
            "counted": str(counted),
            "expected": str(expected),
            "difference": str(till.difference),
        },
        request=request,
    )
    return till


def _locked_open_till(teller: User) -> Till:
    """Inside the posting transaction: the teller's open till of today, locked, so that no
    cash is attributed to a till while it is being closed."""
    till = (
        Till.objects.select_for_update()
        .filter(teller=teller, status=Till.Status.OPEN)
        .select_related("branch")
        .first()
    )
    _refuse_unless_usable(till)
    return till


def _refuse_unless_usable(till: Till | None) -> None:
    if till is None:
        raise _refuse(
            _("Open your till first: cash moves only through an open till."), code="till_not_open"
        )
    if till.business_date != timezone.localdate():
        raise _refuse(
            _("Your till is from an earlier day. Close it before handling cash today."),
            code="till_stale",
        )


# --- cash in and cash out --------------------------------------------------------------------


def _fingerprint(kind: str, customer: User, amount: Decimal) -> str:
    return request_fingerprint(
        {"kind": kind, "customer": customer.pk, "amount": str(amount), "currency": CASH_CURRENCY}
    )


def _record_movement(
    *, teller, till, txn, customer, amount, action, request, approval=None
) -> None:
    CashMovement.objects.create(till=till, transaction=txn, customer=customer, approval=approval)
    audit_record(
        actor=teller,
        action=action,
        customer=customer,
        detail={
            "transaction": txn.pk,
            "till": till.pk,
            "amount": str(amount),
            "currency": CASH_CURRENCY,
        },
        request=request,
    )


def cash_in(
    *, teller: User, customer_pk: int, amount, idempotency_key: str, request=None
) -> CashResult:
    """Cash handed over at the counter, credited to the customer's wallet once per key."""
    _teller_branch(teller)
    customer = cash_customer_check(actor=teller, pk=customer_pk, request=request)
    key = idempotency_key_clean(idempotency_key)
    amount = cash_amount(amount)
    fingerprint = _fingerprint(Transaction.Kind.CASH_IN, customer, amount)
    wallet = _customer_wallet(customer)

    @transaction.atomic(durable=True)
    def post() -> Transaction:
        till = _locked_open_till(teller)
        txn = cash_in_post(
            wallet=wallet,
            amount=amount,
            branch_code=till.branch.code,
            branch_name=till.branch.name,
            teller=teller,
            idempotency_key=key,
            fingerprint=fingerprint,
            metadata={"till": till.pk},
        )
        _record_movement(
            teller=teller,
            till=till,
            txn=txn,
            customer=customer,
            amount=amount,
            action=AuditEvent.Action.CASH_IN,
            request=request,
        )
        return txn

    result = idempotent(user=teller, key=key, fingerprint=fingerprint, post=post)
    return CashResult(result.transaction, result.replayed)


# --- four eyes for a withdrawal above the limit ------------------------------------------------
# The teller asks (ApprovalRequest CASH_OUT_ABOVE_LIMIT, the amount as its parameter); a branch
# manager of the branch approves, which moves nothing: it lets that teller pay out that amount to
# that customer once, while the approval is fresh. The payout still needs the customer's own
# authorisation, and the movement records the approval it used (unique), so it serves once.


def approval_limit() -> Decimal:
    return Decimal(settings.BACKOFFICE_CASH_OUT_APPROVAL_LIMIT)


def _large_cash_out_validate(*, customer: User, parameters: dict) -> dict:
    amount = cash_amount(parameters.get("amount"))
    if amount <= approval_limit():
        raise _refuse(
            _("A cash withdrawal of up to %(limit)s needs no approval.")
            % {"limit": format_money(approval_limit(), CASH_CURRENCY)},
            code="approval_not_needed",
            field="amount",
        )
    return {"amount": str(amount)}


def _large_cash_out_execute(*, approval, checker: User, parameters: dict) -> dict:
    return {"amount": parameters["amount"], "authorises": "one cash withdrawal"}


def _large_cash_out_subject(*, customer: User, parameters: dict) -> str:
    return f"cash-out:{customer.pk}:{parameters['amount']}"


def large_cash_out_request(*, teller: User, customer_pk: int, amount, reason: str, request=None):
    from .approvals import approval_request_create

    return approval_request_create(
        actor=teller,
        customer_id=customer_pk,
        action=ApprovalRequest.Action.CASH_OUT_ABOVE_LIMIT,
        reason=reason,
        parameters={"amount": amount},
        request=request,
    )


def _large_cash_out_approval(*, teller: User, customer: User, amount: Decimal, lock=False):
    """The fresh, unused approval that lets `teller` pay `amount` out to `customer`; None when
    the amount needs none; a refusal naming the amount when it needs one and has none."""
    if amount <= approval_limit():
        return None
    from .approvals import APPROVAL_TTL

    approvals = ApprovalRequest.objects.filter(
        action=ApprovalRequest.Action.CASH_OUT_ABOVE_LIMIT,
        customer=customer,
        requested_by=teller,
        status=ApprovalRequest.Status.EXECUTED,
        decided_at__gte=timezone.now() - APPROVAL_TTL,
        parameters__amount=str(amount),
        cash_movement__isnull=True,
    ).order_by("decided_at")
    approval = (approvals.select_for_update(of=("self",)) if lock else approvals).first()
    if approval is None:
        raise _refuse(
            _(
                "A cash withdrawal above %(limit)s needs a branch manager's approval: ask for "
                "it on this page, then pay out once it is approved. Nothing was paid out."
            )
            % {"limit": format_money(approval_limit(), CASH_CURRENCY)},
            code="approval_required",
            field="amount",
        )
    return approval


def cash_out(
    *,
    teller: User,
    customer_pk: int,
    amount,
    idempotency_key: str,
    code: str = "",
    otp: str = "",
    request=None,
) -> CashResult:
    """Cash paid out at the counter from the customer's wallet, once per key, only with the
    customer's authorisation (the code from their wallet, or their authenticator code)."""
    _teller_branch(teller)
    customer = cash_customer_check(actor=teller, pk=customer_pk, request=request)
    key = idempotency_key_clean(idempotency_key)
    amount = cash_amount(amount)
    fingerprint = _fingerprint(Transaction.Kind.CASH_OUT, customer, amount)
    wallet = _customer_wallet(customer)
    authorised = {}

    def before() -> None:
        # A new request only (a replay was authorised the first time): refuse what would be
        # refused anyway before spending the customer's code or authenticator code on it.
        _large_cash_out_approval(teller=teller, customer=customer, amount=amount)
        _refuse_unless_usable(Till.objects.filter(teller=teller, status=Till.Status.OPEN).first())
        authorised["code"] = cash_out_authorise(
            customer=customer, code=code, otp=otp, amount=amount, request=request
        )

    @transaction.atomic(durable=True)
    def post() -> Transaction:
        till = _locked_open_till(teller)
        approval = _large_cash_out_approval(
            teller=teller, customer=customer, amount=amount, lock=True
        )
        txn = cash_out_post(
            wallet=wallet,
            amount=amount,
            branch_code=till.branch.code,
            branch_name=till.branch.name,
            teller=teller,
            idempotency_key=key,
            fingerprint=fingerprint,
            code=authorised.get("code"),
            metadata={"till": till.pk},
        )
        _record_movement(
            teller=teller,
            till=till,
            txn=txn,
            customer=customer,
            amount=amount,
            action=AuditEvent.Action.CASH_OUT,
            request=request,
            approval=approval,
        )
        return txn

    try:
        result = idempotent(user=teller, key=key, fingerprint=fingerprint, post=post, before=before)
    except ApplicationError as refusal:
        # The same request sent twice at once: the first spent the customer's code, so the
        # second is refused for it. It is a replay: answer with the first one's result.
        earlier = None
        if refusal.status_code != 409:
            earlier = earlier_result(user=teller, key=key, fingerprint=fingerprint)
        if earlier is None:
            raise
        return CashResult(earlier, replayed=True)
    return CashResult(result.transaction, result.replayed)


@transaction.atomic
def cash_receipt_open(*, actor: User, pk: int, request=None) -> CashMovement:
    """A cash movement of the staff member's branch, for its receipt; the opening is audited
    as a view of the customer's data. Anything else is Http404."""
    movement = cash_movement_visible_or_none(user=actor, pk=pk)
    if movement is None:
        raise Http404
    audit_record(
        actor=actor,
        action=AuditEvent.Action.CUSTOMER_VIEW,
        customer=movement.customer,
        reason="counter",  # ViewReasonForm.COUNTER: serving the customer at the counter
        detail={"cash_movement": movement.pk, "transaction": movement.transaction_id},
        request=request,
    )
    return movement


# --- the branch's end of day -------------------------------------------------------------------


def _manager_branch(actor: User) -> Branch:
    branch = staff_branch(actor) if is_branch_manager(actor) else None
    if branch is None:
        raise PermissionDenied
    return branch


@transaction.atomic(durable=True)
def branch_day_reconcile(*, manager: User, business_date=None, request=None):
    """Compare the cash counted in all of the day's tills (all closed) with the branch cash
    account's movements of the day; record the result and alert the branch managers to a
    difference."""
    branch = _manager_branch(manager)
    business_date = business_date or timezone.localdate()
    Branch.objects.select_for_update().filter(pk=branch.pk).first()  # one reconciliation at once
    if BranchReconciliation.objects.filter(branch=branch, business_date=business_date).exists():
        raise _refuse(
            _("This day is already reconciled."), code="already_reconciled", status_code=409
        )
    tills = branch_day_tills(branch=branch, business_date=business_date)
    if not tills.exists():
        raise _refuse(_("No till was opened at this branch that day."), code="no_tills")
    still_open = tills.filter(status=Till.Status.OPEN).count()
    if still_open:
        raise _refuse(
            _("%(count)d till(s) still open: every till must be closed first.")
            % {"count": still_open},
            code="tills_open",
        )
    totals = tills.aggregate(opening=Sum("opening_float"), counted=Sum("counted_cash"))
    net = quantize(branch_ledger_net_cash(branch=branch, business_date=business_date), "CNY")
    expected = quantize(totals["opening"] + net, CASH_CURRENCY)
    counted = quantize(totals["counted"], CASH_CURRENCY)
    reconciliation = BranchReconciliation.objects.create(
        branch=branch,
        business_date=business_date,
        tills=tills.count(),
        opening_floats=totals["opening"],
        ledger_net_cash=net,
        expected_cash=expected,
        counted_cash=counted,
        difference=counted - expected,
        reconciled_by=manager,
    )
    audit_record(
        actor=manager,
        action=AuditEvent.Action.CASH_RECONCILE,
        detail={
            "reconciliation": reconciliation.pk,
            "branch": branch.code,
            "date": business_date.isoformat(),
            "expected": str(expected),
            "counted": str(reconciliation.counted_cash),
            "difference": str(reconciliation.difference),
        },
        request=request,
    )
    if reconciliation.difference:
        outbox_enqueue(
            topic=CASH_DIFFERENCE_ALERT,
            payload={"reconciliation_id": reconciliation.pk},
            dedupe_key=f"cash-difference:{reconciliation.pk}",
        )
    return reconciliation


def branch_managers_of(branch: Branch):
    return User.objects.filter(
        is_staff=True, is_active=True, groups__name=BRANCH_MANAGER, staff_profile__branch=branch
    ).distinct()


def cash_difference_alert_send(*, reconciliation_id: int) -> None:
    """Tell every manager of the branch (a security-kind alert: they cannot switch it off)."""
    reconciliation = BranchReconciliation.objects.select_related("branch").get(pk=reconciliation_id)
    difference = reconciliation.difference
    for manager in branch_managers_of(reconciliation.branch):
        notify(
            user=manager,
            kind=Notification.Kind.SECURITY,
            title=_("Cash difference at %(branch)s") % {"branch": reconciliation.branch.name},
            body=_(
                "End of day %(date)s: counted %(counted)s, expected %(expected)s, "
                "difference %(difference)s."
            )
            % {
                "date": reconciliation.business_date.isoformat(),
                "counted": format_money(reconciliation.counted_cash, CASH_CURRENCY),
                "expected": format_money(reconciliation.expected_cash, CASH_CURRENCY),
                "difference": ("+" if difference > 0 else "-")
                + format_money(abs(difference), CASH_CURRENCY),
            },
            dedupe_key=f"cash-difference:{reconciliation.pk}",
            link=reverse("backoffice:cash_end_of_day"),
        )


def connect() -> None:
    from .approvals import approval_action_register

    register_handler(CASH_DIFFERENCE_ALERT, cash_difference_alert_send)
    approval_action_register(
        ApprovalRequest.Action.CASH_OUT_ABOVE_LIMIT,
        checker_roles=(BRANCH_MANAGER,),
        maker_roles=(TELLER,),
        validate=_large_cash_out_validate,
        execute=_large_cash_out_execute,
        subject=_large_cash_out_subject,
    )
