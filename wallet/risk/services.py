"""Judge an outgoing movement before it is posted; hold it, and release or return it later.

A held payment is posted at once from the payer's wallet into the bank's hold account (status
`held`), so the balance and the limits count it and nothing can spend it twice. Releasing posts
hold → payee and marks the held transaction completed; rejecting reverses it (hold → payer) and
marks it rejected. Both lock the case row first and refuse a case already decided, so two officers
acting at the same moment act once.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError
from notifications.models import Notification
from notifications.services import notify, outbox_enqueue

from .. import events, ledger
from ..models import LedgerAccount, PaymentRequest, Transaction, Wallet
from ..money import format_money, quantize
from ..services.common import refuse_unless_active, system_account_ensure, wallet_account_ensure
from ..services.limits import in_cny
from .models import RiskCase, RiskCaseNote, RiskEvaluation, RiskHit, RiskRule
from .rules import CHECKS, Movement

HOLD_ACCOUNT_CODE = "risk_hold"
OUTCOME_TOPIC = "wallet.risk_case_notice"
SEVERITY = {
    RiskRule.Action.FLAG: RiskEvaluation.Outcome.FLAG,
    RiskRule.Action.HOLD: RiskEvaluation.Outcome.HOLD,
    RiskRule.Action.BLOCK: RiskEvaluation.Outcome.BLOCK,
}
ORDER = [
    RiskEvaluation.Outcome.ALLOW,
    RiskEvaluation.Outcome.FLAG,
    RiskEvaluation.Outcome.HOLD,
    RiskEvaluation.Outcome.BLOCK,
]


class RiskBlocked(ApplicationError):
    """Refused by a rule. Carries the assessment so the refusal is recorded after the rollback."""

    default_code = "risk_blocked"

    def __init__(self, assessment: "Assessment", message: str):
        super().__init__(message, code="risk_blocked", status_code=403)
        self.assessment = assessment


@dataclass
class Assessment:
    movement: Movement | None
    outcome: str = RiskEvaluation.Outcome.ALLOW
    hits: list[RiskRule] = field(default_factory=list)
    evaluated: bool = False

    @property
    def score(self) -> int:
        return sum(rule.score for rule in self.hits)

    @property
    def holds(self) -> bool:
        return self.outcome == RiskEvaluation.Outcome.HOLD

    @property
    def low_risk(self) -> bool:
        """Held only by rules marked low risk: the customer's "it was me" is enough."""
        holding = [rule for rule in self.hits if rule.action == RiskRule.Action.HOLD]
        return bool(holding) and all(rule.low_risk for rule in holding)

    def record(self, *, transaction_: Transaction | None = None) -> RiskEvaluation | None:
        """Write the evaluation and its hits (two inserts at most)."""
        if not self.evaluated or self.movement is None:
            return None
        movement = self.movement
        evaluation = RiskEvaluation.objects.create(
            user=movement.user,
            kind=movement.kind,
            amount=movement.amount,
            currency=movement.currency,
            payee=movement.payee[:64],
            outcome=self.outcome,
            score=self.score,
            rules_hit=[rule.code for rule in self.hits],
            transaction=transaction_,
            created_at=movement.now,
        )
        if self.hits:
            RiskHit.objects.bulk_create(
                RiskHit(evaluation=evaluation, rule=rule, code=rule.code, created_at=movement.now)
                for rule in self.hits
            )
        return evaluation

    def refuse_if_blocked(self, *, holdable: bool = True) -> None:
        """A block, or a hold on a movement that cannot wait (a merchant at the till, money
        leaving for another bank), is refused."""
        if self.outcome == RiskEvaluation.Outcome.BLOCK or (self.holds and not holdable):
            if self.holds:
                self.outcome = RiskEvaluation.Outcome.BLOCK
            raise RiskBlocked(
                self,
                _(
                    "For your security this payment was not made. Please contact us or visit a "
                    "branch if you want to make it."
                ),
            )


def risk_evaluate(
    *,
    user,
    wallet: Wallet,
    kind: str,
    amount: Decimal,
    currency: str,
    payee: str = "",
    payee_wallet_id: int | None = None,
) -> Assessment:
    """Run every enabled rule on the movement. One query for the rules, at most two per rule."""
    if not settings.RISK_RULES_ENABLED:
        return Assessment(movement=None)
    rules = list(RiskRule.objects.filter(enabled=True))
    if not rules:
        return Assessment(movement=None)
    movement = Movement(
        user=user,
        wallet=wallet,
        kind=kind,
        amount=amount,
        currency=currency,
        amount_cny=quantize(in_cny(amount, currency), "CNY"),
        payee=payee,
        payee_wallet_id=payee_wallet_id,
        velocity_windows=tuple(
            rule.window_minutes
            for rule in rules
            if rule.code == RiskRule.Code.VELOCITY and rule.window_minutes
        ),
    )
    hits = [rule for rule in rules if CHECKS[rule.code](rule, movement)]
    outcome = RiskEvaluation.Outcome.ALLOW
    for rule in hits:
        outcome = max(outcome, SEVERITY[rule.action], key=ORDER.index)
    return Assessment(movement=movement, outcome=outcome, hits=hits, evaluated=True)


def recording_refusals(call):
    """Run `call()`; a rule's refusal is recorded in a transaction of its own (the posting's
    transaction rolled back) and raised again."""
    try:
        return call()
    except RiskBlocked as refusal:
        with transaction.atomic():
            refusal.assessment.record()
        raise


def hold_account_ensure(currency: str) -> LedgerAccount:
    return system_account_ensure(
        kind=LedgerAccount.Kind.RISK_HOLD, currency=currency, code=HOLD_ACCOUNT_CODE
    )


def held_post(
    *,
    assessment: Assessment,
    source: LedgerAccount,
    payee_wallet: Wallet,
    amount: Decimal,
    kind: str = Transaction.Kind.TRANSFER,
    **posting,
) -> Transaction:
    """Inside the posting transaction: payer → hold account, a case for the review queue, the
    customer told the payment is under review."""
    hold = hold_account_ensure(source.currency)
    metadata = {**posting.pop("metadata", {}), "held": True}
    txn = ledger.post(
        kind=kind,
        legs=[ledger.Leg(source, -amount), ledger.Leg(hold, amount)],
        status=Transaction.Status.HELD,
        metadata=metadata,
        **posting,
    )
    evaluation = assessment.record(transaction_=txn)
    case = RiskCase.objects.create(
        evaluation=evaluation,
        wallet_id=source.wallet_id,
        held_transaction=txn,
        payee_wallet=payee_wallet,
        low_risk=assessment.low_risk,
        due_at=timezone.now() + timedelta(minutes=settings.RISK_REVIEW_DUE_MINUTES),
    )
    _notice_enqueue(case, "held")
    return txn


# --- decisions ---------------------------------------------------------------------------------


def _case_locked(case_id: int) -> RiskCase:
    case = (
        RiskCase.objects.select_for_update(of=("self",))
        .select_related("held_transaction", "payee_wallet", "wallet")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise ApplicationError(
            _("This case does not exist."), code="case_not_found", status_code=404
        )
    if not case.is_open:
        raise ApplicationError(
            _("This case has already been decided (%(status)s).")
            % {"status": case.get_status_display()},
            code="case_decided",
            status_code=409,
        )
    return case


def _hold_leg(held: Transaction):
    return next(
        entry
        for entry in held.entries.select_related("account")
        if entry.account.kind == LedgerAccount.Kind.RISK_HOLD
    )


def _note_add(case: RiskCase, author, text: str) -> None:
    text = (text or "").strip()
    if text:
        RiskCaseNote.objects.create(case=case, author=author, text=text[:1000])


@transaction.atomic
def held_release(*, case_id: int, actor, note: str = "") -> RiskCase:
    """Post the held money to the payee, once."""
    case = _case_locked(case_id)
    held = case.held_transaction
    payee = Wallet.objects.select_for_update().get(pk=case.payee_wallet_id)
    refuse_unless_active(payee, field="to", own=False)
    hold_entry = _hold_leg(held)
    target = wallet_account_ensure(wallet=payee, currency=hold_entry.currency)
    release = ledger.post(
        kind=held.kind,
        legs=[
            ledger.Leg(hold_entry.account, -hold_entry.amount),
            ledger.Leg(target, hold_entry.amount),
        ],
        initiated_by=actor,
        description=f"Release of held #{held.pk}",
        note=held.note,
        metadata={**held.metadata, "held": False, "releases": held.pk},
    )
    Transaction.objects.filter(pk=held.pk).update(status=Transaction.Status.COMPLETED)
    case.status = RiskCase.Status.RELEASED
    case.release_transaction = release
    _decided(case, actor, note)
    _notice_enqueue(case, "released")
    events.emit(events.MONEY_MOVED, transaction_id=release.pk)
    return case


@transaction.atomic
def held_reject(*, case_id: int, actor, note: str = "") -> RiskCase:
    """Give the held money back to the payer, once."""
    case = _case_locked(case_id)
    held = case.held_transaction
    returned = ledger.reverse(
        original=held, initiated_by=actor, description=f"Held #{held.pk} returned after review"
    )
    Transaction.objects.filter(pk=held.pk).update(status=Transaction.Status.REJECTED)
    # A payment request paid by the held payment can be paid again.
    PaymentRequest.objects.filter(paid_by=held).update(
        status=PaymentRequest.Status.OPEN, paid_by=None
    )
    case.status = RiskCase.Status.REJECTED
    case.return_transaction = returned
    _decided(case, actor, note)
    _notice_enqueue(case, "rejected")
    events.emit(events.MONEY_MOVED, transaction_id=returned.pk)
    return case


def _decided(case: RiskCase, actor, note: str) -> None:
    case.decided_by = actor
    case.decided_at = timezone.now()
    case.decision_note = (note or "").strip()[:500]
    case.save(
        update_fields=[
            "status",
            "release_transaction",
            "return_transaction",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
    )
    _note_add(case, actor, note)


@transaction.atomic
def held_ask_customer(*, case_id: int, actor, note: str = "") -> RiskCase:
    """Ask the customer to confirm the payment with their second factor."""
    case = _case_locked(case_id)
    case.status = RiskCase.Status.ASKED
    case.save(update_fields=["status"])
    _note_add(case, actor, note)
    _notice_enqueue(case, f"asked:{timezone.now().timestamp():.0f}", notice="asked")
    return case


@transaction.atomic
def case_note_add(*, case_id: int, actor, text: str) -> RiskCaseNote:
    text = (text or "").strip()
    if not text:
        message = _("Write a note.")
        raise ApplicationError(message, code="note_required", fields={"text": [message]})
    case = RiskCase.objects.filter(pk=case_id).first()
    if case is None:
        raise ApplicationError(
            _("This case does not exist."), code="case_not_found", status_code=404
        )
    return RiskCaseNote.objects.create(case=case, author=actor, text=text[:1000])


def case_not_yours() -> ApplicationError:
    return ApplicationError(
        _("No payment of yours is waiting for review with this number."),
        code="case_not_found",
        status_code=404,
    )


def held_confirm_by_customer(*, user, transaction_id: int, otp: str, request=None) -> RiskCase:
    """ "It was me", proven with the second factor: releases a hold marked low risk; otherwise
    the confirmation is noted and the case goes back to the risk officers."""
    from accounts.services import second_factor_check

    case = RiskCase.objects.filter(held_transaction_id=transaction_id, wallet__user=user).first()
    if case is None:
        raise case_not_yours()
    if not case.is_open:
        raise ApplicationError(
            _("This payment has already been reviewed."), code="case_decided", status_code=409
        )
    if second_factor_check(user=user, token=otp, request=request) is None:
        message = _("That code is not valid.")
        raise ApplicationError(message, code="otp_invalid", fields={"otp": [message]})
    with transaction.atomic():
        case = _case_locked(case.pk)
        case.customer_confirmed_at = timezone.now()
        case.status = RiskCase.Status.OPEN
        case.save(update_fields=["customer_confirmed_at", "status"])
        _note_add(case, user, _("The customer confirmed the payment with their second factor."))
        if case.low_risk:
            return held_release(case_id=case.pk, actor=user)
    return case


# --- what the customer is told ------------------------------------------------------------------


def _notice_enqueue(case: RiskCase, event: str, *, notice: str | None = None) -> None:
    outbox_enqueue(
        topic=OUTCOME_TOPIC,
        payload={"case_id": case.pk, "notice": notice or event},
        dedupe_key=f"risk-case:{case.pk}:{event}",
    )


def risk_case_notice_send(*, case_id: int, notice: str) -> None:
    """The outbox handler: one message per case and event, on every channel (security)."""
    from django.urls import reverse

    case = RiskCase.objects.select_related("held_transaction", "wallet__user").get(pk=case_id)
    held = case.held_transaction
    entry = next(e for e in held.entries.all() if e.amount < 0)
    amount = format_money(-entry.amount, entry.currency)
    who = held.metadata.get("to_name", "")
    texts = {
        "held": (
            _("Your payment is under review"),
            _(
                "Your payment of %(amount)s to %(who)s is held for a security review. The money "
                "is set aside; we will tell you the outcome."
            ),
        ),
        "released": (
            _("Your payment was sent"),
            _("After review, your payment of %(amount)s to %(who)s was sent."),
        ),
        "rejected": (
            _("Your payment was not sent"),
            _(
                "After review, your payment of %(amount)s to %(who)s was not sent; the money is "
                "back in your wallet."
            ),
        ),
        "asked": (
            _("Please confirm your payment"),
            _(
                "Did you make the payment of %(amount)s to %(who)s? Open it in your wallet and "
                "confirm it with your verification code, or contact us if you did not."
            ),
        ),
    }
    title, body = texts[notice]
    notify(
        user=case.wallet.user,
        kind=Notification.Kind.SECURITY,
        title=title,
        body=body % {"amount": amount, "who": who},
        dedupe_key=f"risk-case:{case.pk}:{notice}:{case.status}",
        link=reverse("wallet:transaction", args=[held.pk]),
    )


def connect() -> None:
    from notifications.services import register_handler

    register_handler(OUTCOME_TOPIC, risk_case_notice_send)
