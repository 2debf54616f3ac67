"""Reversing a posted transaction: a new transaction pointing at the original (ledger.reverse),
refused when the original cannot be undone or a customer's balance would go below zero."""

from django.db import transaction
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError

from .. import events, ledger
from ..models import Transaction

# Movements that stay inside the wallet's own ledger. Top-ups and withdrawals are settled with
# a bank and undone by the bank's answer (funding), rewards by their campaign; a reversal is
# never reversed (post the original again instead).
REVERSIBLE_KINDS = (
    Transaction.Kind.TRANSFER,
    Transaction.Kind.PAYMENT,
    Transaction.Kind.BILL,
    Transaction.Kind.EXCHANGE,
)


def _refuse(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={"transaction": [message]})


def transaction_reversal_check(*, original: Transaction) -> None:
    """Why `original` cannot be reversed, as an ApplicationError naming the field; else None."""
    if original.kind not in REVERSIBLE_KINDS:
        raise _refuse(
            _("A %(kind)s cannot be reversed here.") % {"kind": original.get_kind_display()},
            "not_reversible",
        )
    if original.status != Transaction.Status.COMPLETED:
        raise _refuse(_("Only a completed transaction can be reversed."), "not_completed")
    if Transaction.objects.filter(reverses=original).exists():
        raise _refuse(_("This transaction has already been reversed."), "already_reversed")


@transaction.atomic
def transaction_reverse(*, original: Transaction, reversed_by, reason: str) -> Transaction:
    """Post the reversal of `original`. Nested in the caller's transaction (a staff approval)."""
    original = Transaction.objects.select_for_update().get(pk=original.pk)
    transaction_reversal_check(original=original)
    try:
        reversal = ledger.reverse(
            original=original,
            initiated_by=reversed_by,
            description=f"Reversal of #{original.pk}: {reason}"[:200],
        )
    except ledger.InsufficientFunds as exc:
        raise _refuse(
            _(
                "The reversal would take a customer's or merchant's balance below zero: "
                "the money has already been spent. Nothing was reversed."
            ),
            "reversal_insufficient_funds",
        ) from exc
    # Other apps undo what the original earned (promotions: points, cashback, a discount's budget).
    events.emit(events.TRANSACTION_REVERSED, transaction_id=original.pk, reversal_id=reversal.pk)
    return reversal
