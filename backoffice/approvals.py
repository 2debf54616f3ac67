"""Four eyes (maker-checker): staff actions that a second staff member must approve.

One mechanism for every such action, in the spirit of Apache Fineract's command queue but with
no super-user bypass: a maker asks (`approval_request_create`), a checker of the right role who
is not the maker approves (`approval_approve`, which executes the action exactly once in the same
transaction) or rejects it; the maker may withdraw it; after APPROVAL_TTL it expires. Every step
writes an AuditEvent in its own transaction.

The actions live in a registry (action -> checker roles, validate, execute), so another part of
the back office can register its own, e.g. the cash desk's large cash-out:

    approval_action_register(
        ApprovalRequest.Action.CASH_OUT_ABOVE_LIMIT,
        checker_roles=(BRANCH_MANAGER,),
        validate=..., execute=..., subject=...,
    )
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from config.api_errors import ApplicationError

from .models import ApprovalRequest, AuditEvent
from .roles import BRANCH_MANAGER, BRANCH_SCOPED_ROLES, RISK_OFFICER, TELLER
from .selectors import staff_branch_id, staff_roles
from .services import audit_record

APPROVAL_TTL = timedelta(hours=24)
# Who may ask for an action by default: the staff who serve customers.
MAKER_ROLES = (TELLER, BRANCH_MANAGER, RISK_OFFICER)
REASON_MAX = 255


@dataclass(frozen=True)
class ApprovalAction:
    """How one kind of request is checked and carried out.

    validate(customer=..., parameters=...) -> the cleaned parameters, or an ApplicationError
        naming the field; run when the request is made and again right before it executes.
    execute(approval=..., checker=..., parameters=...) -> a JSON-able result detail; runs inside
        the approval's transaction, with the request row locked.
    subject(customer=..., parameters=...) -> what it is about ("wallet:12"): one pending request
        per action and subject.
    checker_roles: roles that may approve; a branch-scoped role (branch manager) only for the
        customers of its own branch.
    about_no_customer: the action may be about the bank's own books and no customer (a bank fee
        booked after reconciliation); then `customer` is None and only whole-bank roles may ask
        or decide.
    """

    checker_roles: tuple[str, ...]
    validate: Callable[..., dict]
    execute: Callable[..., dict]
    subject: Callable[..., str]
    maker_roles: tuple[str, ...] = MAKER_ROLES
    about_no_customer: bool = False


_registry: dict[str, ApprovalAction] = {}


def approval_action_register(
    action: str,
    *,
    checker_roles: tuple[str, ...],
    validate: Callable[..., dict],
    execute: Callable[..., dict],
    subject: Callable[..., str],
    maker_roles: tuple[str, ...] = MAKER_ROLES,
    about_no_customer: bool = False,
) -> None:
    if action not in ApprovalRequest.Action.values:
        raise ValueError(f"Unknown approval action {action!r}: add it to ApprovalRequest.Action")
    _registry[action] = ApprovalAction(
        checker_roles=tuple(checker_roles),
        validate=validate,
        execute=execute,
        subject=subject,
        maker_roles=tuple(maker_roles),
        about_no_customer=about_no_customer,
    )


def approval_action(action: str) -> ApprovalAction:
    try:
        return _registry[action]
    except KeyError:
        message = _("This action cannot be requested.")
        raise ApplicationError(
            message, code="unknown_action", fields={"action": [message]}
        ) from None


def registered_actions() -> tuple[str, ...]:
    return tuple(_registry)


# --- who may do what (no superuser bypass: only roles count) --------------------------------


def _customers_in_scope(user, roles) -> QuerySet[User]:
    """The customers `user` reaches through one of `roles`: a whole-bank role, all of them; a
    branch-scoped role, their branch's."""
    held = set(staff_roles(user)) & set(roles)
    customers = User.objects.filter(is_staff=False, is_superuser=False)
    if held - set(BRANCH_SCOPED_ROLES):
        return customers
    branch_id = staff_branch_id(user) if held else None
    if branch_id is None:
        return User.objects.none()
    return customers.filter(customer_branch__branch_id=branch_id)


def _holds_a_whole_bank_role(user, roles) -> bool:
    return bool((set(staff_roles(user)) & set(roles)) - set(BRANCH_SCOPED_ROLES))


def checkable_filter(user) -> Q | None:
    """The pending-or-not requests `user` may decide, as a filter; None for none."""
    held = set(staff_roles(user))
    branch_id = None
    parts = Q()
    found = False
    for action, spec in _registry.items():
        roles = held & set(spec.checker_roles)
        if not roles:
            continue
        if roles - set(BRANCH_SCOPED_ROLES):
            parts |= Q(action=action)
            found = True
            continue
        branch_id = branch_id or staff_branch_id(user)
        if branch_id is not None:
            parts |= Q(action=action, customer__customer_branch__branch_id=branch_id)
            found = True
    return parts if found else None


def may_check(user, approval: ApprovalRequest) -> bool:
    spec = _registry.get(approval.action)
    if spec is None or approval.requested_by_id == user.pk:
        return False
    if approval.customer_id is None:
        return spec.about_no_customer and _holds_a_whole_bank_role(user, spec.checker_roles)
    return _customers_in_scope(user, spec.checker_roles).filter(pk=approval.customer_id).exists()


def approvals_visible_to(user) -> QuerySet[ApprovalRequest]:
    """The requests a staff member may open: their own, and those they may decide."""
    visible = Q(requested_by=user)
    checkable = checkable_filter(user)
    if checkable is not None:
        visible |= checkable
    return ApprovalRequest.objects.filter(visible)


def approval_queue(user) -> dict:
    """The approval queue: pending requests the user may decide (not their own, not expired),
    oldest first; and the user's own requests, newest first. Two queries whatever the number."""
    related = ("customer", "requested_by", "decided_by", "customer__customer_branch__branch")
    to_check = []
    checkable = checkable_filter(user)
    if checkable is not None:
        to_check = list(
            ApprovalRequest.objects.filter(checkable)
            .filter(status=ApprovalRequest.Status.PENDING, expires_at__gt=timezone.now())
            .exclude(requested_by=user)
            .select_related(*related)
            .order_by("requested_at", "pk")[:200]
        )
    mine = list(
        ApprovalRequest.objects.filter(requested_by=user)
        .select_related(*related)
        .order_by("-requested_at", "-pk")[:100]
    )
    return {"to_check": to_check, "mine": mine}


def approval_visible_or_404(*, user, pk: int) -> ApprovalRequest:
    approval = (
        approvals_visible_to(user)
        .select_related("customer", "requested_by", "decided_by", "customer__customer_branch")
        .filter(pk=pk)
        .first()
    )
    if approval is None:
        raise Http404
    return approval


def approvals_for_customer(customer: User) -> QuerySet[ApprovalRequest]:
    return ApprovalRequest.objects.filter(customer=customer).select_related("requested_by")


# --- the services ---------------------------------------------------------------------------


def _refuse(message: str, code: str, *, field: str | None = None, status: int = 400):
    fields = {field: [message]} if field else None
    return ApplicationError(message, code=code, fields=fields, status_code=status)


def _text_clean(text: str, *, field: str, required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise _refuse(_("Give the reason."), "required", field=field)
    if len(text) > REASON_MAX:
        raise _refuse(
            _("At most %(max)d characters.") % {"max": REASON_MAX}, "too_long", field=field
        )
    return text


def _audit(approval: ApprovalRequest, *, actor, action: str, request=None, outcome=None, **extra):
    return audit_record(
        actor=actor,
        action=action,
        customer=approval.customer,
        reason=approval.reason if action == AuditEvent.Action.APPROVAL_REQUEST else "",
        detail={"approval": approval.pk, "action": approval.action, **extra},
        request=request,
        outcome=outcome or AuditEvent.Outcome.OK,
    )


@transaction.atomic
def approval_request_create(
    *,
    actor: User,
    customer_id: int | None,
    action: str,
    reason: str,
    parameters: dict,
    request=None,
) -> ApprovalRequest:
    """A maker asks for `action` on a customer they may serve (or, for an action about the bank's
    own books, on no customer). Http404 for a customer out of their scope (as for one who does
    not exist); a refusal naming the field otherwise."""
    spec = approval_action(action)
    if customer_id is None:
        if not (spec.about_no_customer and _holds_a_whole_bank_role(actor, spec.maker_roles)):
            raise Http404
        customer = None
    else:
        customer = _customers_in_scope(actor, spec.maker_roles).filter(pk=customer_id).first()
        if customer is None:
            raise Http404
    reason = _text_clean(reason, field="reason", required=True)
    cleaned = spec.validate(customer=customer, parameters=dict(parameters or {}))
    subject = spec.subject(customer=customer, parameters=cleaned)
    pending = ApprovalRequest.objects.filter(
        action=action, subject=subject, status=ApprovalRequest.Status.PENDING
    )
    already = _("The same request is already waiting for approval.")
    if pending.filter(expires_at__gt=timezone.now()).exists():
        raise _refuse(already, "already_pending", field="action", status=409)
    # One left pending past its expiry (the periodic task has not run yet) makes way.
    for stale in pending.select_for_update(of=("self",)):
        _expire_one(stale)
    now = timezone.now()
    try:
        with transaction.atomic():
            approval = ApprovalRequest.objects.create(
                action=action,
                customer=customer,
                subject=subject,
                reason=reason,
                parameters=cleaned,
                requested_by=actor,
                requested_at=now,
                expires_at=now + APPROVAL_TTL,
            )
    except IntegrityError:  # a colleague asked for the same a moment ago
        raise _refuse(already, "already_pending", field="action", status=409) from None
    _audit(
        approval,
        actor=actor,
        action=AuditEvent.Action.APPROVAL_REQUEST,
        request=request,
        parameters=cleaned,
    )
    return approval


def _locked(*, user, pk: int) -> ApprovalRequest:
    # The request row is locked first (the business row of this flow): a second checker waits
    # here and then finds it decided, so the action runs exactly once.
    approval = approvals_visible_to(user).select_for_update(of=("self",)).filter(pk=pk).first()
    if approval is None:
        raise Http404
    return approval


def _refuse_unless_pending(approval: ApprovalRequest) -> None:
    if approval.status != ApprovalRequest.Status.PENDING:
        raise _refuse(
            _("This request was already decided: %(status)s.")
            % {"status": approval.get_status_display()},
            "already_decided",
            status=409,
        )
    if approval.is_expired():
        raise _refuse(
            _("This request expired without a decision. Ask again if it is still needed."),
            "expired",
            status=409,
        )


@transaction.atomic
def approval_approve(*, actor: User, pk: int, note: str = "", request=None) -> ApprovalRequest:
    """A checker approves: the parameters are validated again and the action executed, once, in
    this transaction. If the action cannot be carried out any more (the wallet was unfrozen, the
    money was spent), the request ends as failed with why, and nothing of the action is kept."""
    approval = _locked(user=actor, pk=pk)
    if approval.requested_by_id == actor.pk:
        raise _refuse(
            _("You cannot approve your own request: a second staff member must."),
            "own_request",
            status=403,
        )
    if not may_check(actor, approval):
        raise _refuse(_("Your role cannot approve this request."), "not_a_checker", status=403)
    _refuse_unless_pending(approval)
    note = _text_clean(note, field="note", required=False)
    spec = approval_action(approval.action)
    try:
        with transaction.atomic():  # a savepoint: a failed action leaves nothing behind
            parameters = spec.validate(customer=approval.customer, parameters=approval.parameters)
            result = spec.execute(approval=approval, checker=actor, parameters=parameters)
    except ApplicationError as exc:
        approval.status = ApprovalRequest.Status.FAILED
        approval.result = {"error": str(exc.detail), "code": exc.get_codes()}
        audit_action, outcome = AuditEvent.Action.APPROVAL_FAIL, AuditEvent.Outcome.REFUSED
    else:
        approval.status = ApprovalRequest.Status.EXECUTED
        approval.result = result or {}
        audit_action, outcome = AuditEvent.Action.APPROVAL_APPROVE, AuditEvent.Outcome.OK
    approval.decided_by = actor
    approval.decided_at = timezone.now()
    approval.decision_note = note
    approval.save(update_fields=["status", "result", "decided_by", "decided_at", "decision_note"])
    _audit(
        approval,
        actor=actor,
        action=audit_action,
        request=request,
        outcome=outcome,
        result=approval.result,
        note=note,
    )
    return approval


@transaction.atomic
def approval_reject(*, actor: User, pk: int, note: str, request=None) -> ApprovalRequest:
    """A checker says no, with why. Nothing is executed."""
    approval = _locked(user=actor, pk=pk)
    if approval.requested_by_id == actor.pk:
        raise _refuse(
            _("You cannot decide your own request; withdraw it instead."),
            "own_request",
            status=403,
        )
    if not may_check(actor, approval):
        raise _refuse(_("Your role cannot decide this request."), "not_a_checker", status=403)
    _refuse_unless_pending(approval)
    note = _text_clean(note, field="note", required=True)
    approval.status = ApprovalRequest.Status.REJECTED
    approval.decided_by = actor
    approval.decided_at = timezone.now()
    approval.decision_note = note
    approval.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _audit(
        approval, actor=actor, action=AuditEvent.Action.APPROVAL_REJECT, request=request, note=note
    )
    return approval


@transaction.atomic
def approval_withdraw(*, actor: User, pk: int, note: str = "", request=None) -> ApprovalRequest:
    """The maker takes the request back. decided_by stays empty: nobody else decided it."""
    approval = _locked(user=actor, pk=pk)
    if approval.requested_by_id != actor.pk:
        raise _refuse(_("Only who asked can withdraw a request."), "not_the_maker", status=403)
    if approval.status != ApprovalRequest.Status.PENDING:
        _refuse_unless_pending(approval)
    approval.status = ApprovalRequest.Status.WITHDRAWN
    approval.decided_at = timezone.now()
    approval.decision_note = _text_clean(note, field="note", required=False)
    approval.save(update_fields=["status", "decided_at", "decision_note"])
    _audit(approval, actor=actor, action=AuditEvent.Action.APPROVAL_WITHDRAW, request=request)
    return approval


def _expire_one(approval: ApprovalRequest) -> None:
    approval.status = ApprovalRequest.Status.EXPIRED
    approval.decided_at = timezone.now()
    approval.save(update_fields=["status", "decided_at"])
    # No one decided: the event names the maker, whose request it was, and says so.
    _audit(
        approval,
        actor=approval.requested_by,
        action=AuditEvent.Action.APPROVAL_EXPIRE,
        by="system",
        expired_at=approval.expires_at.isoformat(),
    )


def approvals_expire(*, now=None) -> int:
    """Mark pending requests past their expiry as expired, each in its own transaction (a
    checker approving one at this moment holds its lock; it is skipped and seen next run).
    Approval checks expiry itself, so this only tidies the queue and the trail."""
    now = now or timezone.now()
    ids = list(
        ApprovalRequest.objects.filter(
            status=ApprovalRequest.Status.PENDING, expires_at__lte=now
        ).values_list("pk", flat=True)[:1000]
    )
    expired = 0
    for pk in ids:
        with transaction.atomic():
            approval = (
                ApprovalRequest.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("customer", "requested_by")
                .filter(pk=pk, status=ApprovalRequest.Status.PENDING, expires_at__lte=now)
                .first()
            )
            if approval is not None:
                _expire_one(approval)
                expired += 1
    return expired


def approval_refusal_record(*, actor: User, pk: int, step: str, error, request=None) -> None:
    """A refused step (approving one's own request, a decided or expired one...) leaves a trace
    too, in a transaction of its own since the refused one rolled back."""
    approval = ApprovalRequest.objects.select_related("customer").filter(pk=pk).first()
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=step,
            customer=approval.customer if approval else None,
            detail={"approval": pk, "refused": _error_code(error)},
            request=request,
            outcome=AuditEvent.Outcome.REFUSED,
        )


def _error_code(error) -> str:
    return str(error.get_codes()) if isinstance(error, ApplicationError) else "not_found"
