"""Bank statements in, reconciled against the ledger's clearing account (issue 11).

`bank_statement_import` stores one camt.053 statement and reconciles it in ONE transaction: a
statement is either fully imported and reconciled or not at all. The same file twice changes
nothing (its SHA-256 is unique) and answers the first import's counts; another file for the
same account and day is refused rather than merged.

Matching, for a statement of day D (window W = RECONCILIATION_WINDOW_DAYS):

- A line with our reference (EndToEndId = a funding order's reference) matches an unmatched
  clearing entry with that reference, the same direction and the same amount, posted between
  D-W and D (banks book late: the next business day, after a weekend, later still).
  Same reference and direction but another amount: "amount differs". Nothing left for that
  reference, but a line like it was matched before: "duplicate". Otherwise, and for every line
  without our reference (the bank's fees, returned payments): "missing in the ledger".
- A withdrawal the bank rejected and the ledger gave back (the entry and its reversal, same
  reference, summing to zero) is netted: the bank never moved that money.
- A clearing entry with a reference still unmatched once its window has passed (posted on D-W
  or before): "missing at the bank".

Every exception stays open until a person resolves it with a reason; nothing is forced to match.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.bank import bank_connector
from accounts.bank.camt053 import CODE_FEE, Statement
from config.api_errors import ApplicationError

from .. import events, ledger
from ..camt053 import StatementRefused, camt053_parse
from ..models import (
    BankStatement,
    BankStatementLine,
    Entry,
    FundingOrder,
    LedgerAccount,
    ReconciliationException,
    ReconciliationMatch,
    Transaction,
    Wallet,
)
from .common import system_account_ensure, wallet_account_ensure

REFERENCE_KEY = "funding_reference"
Kind = ReconciliationException.Kind


@dataclass(frozen=True)
class ReconcileResult:
    statement: BankStatement
    imported: bool  # False: this very file was imported before, nothing changed

    @property
    def matched(self) -> int:
        return self.statement.matched_count

    @property
    def unmatched(self) -> int:
        return self.statement.exception_count


def _refuse(message: str) -> StatementRefused:
    return StatementRefused(message, fields={"statement": [message]})


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def _check_ours(parsed: Statement) -> None:
    if parsed.account_id != settings.BANK_CLEARING_ACCOUNT_ID:
        raise _refuse(
            _("The statement is for account %(account)s, not the wallet's clearing account.")
            % {"account": parsed.account_id}
        )
    if parsed.currency not in settings.FUNDING_CURRENCIES:
        raise _refuse(
            _("The statement is in %(currency)s; the clearing account is kept in %(currencies)s.")
            % {"currency": parsed.currency, "currencies": ", ".join(settings.FUNDING_CURRENCIES)}
        )
    for entry in parsed.entries:
        if entry.booking_date != parsed.day:
            raise _refuse(
                _("Line %(ref)s is booked on %(booked)s, not on the statement's day %(day)s.")
                % {
                    "ref": entry.account_servicer_ref,
                    "booked": entry.booking_date,
                    "day": parsed.day,
                }
            )


def _line_kind(entry) -> str:
    if entry.returned:
        return BankStatementLine.Kind.RETURN
    if entry.bank_code == CODE_FEE:
        return BankStatementLine.Kind.FEE
    return BankStatementLine.Kind.PAYMENT


def bank_statement_import(*, document: bytes, expected_day: date | None = None) -> ReconcileResult:
    """Import and reconcile one statement, all or nothing; StatementRefused says why not."""
    digest = hashlib.sha256(document).hexdigest()
    earlier = BankStatement.objects.filter(file_sha256=digest).first()
    if earlier is not None:
        return ReconcileResult(earlier, imported=False)
    parsed = camt053_parse(document)
    if expected_day is not None and parsed.day != expected_day:
        raise _refuse(
            _("The bank sent the statement of %(found)s instead of %(day)s.")
            % {"found": parsed.day, "day": expected_day}
        )
    _check_ours(parsed)
    try:
        return ReconcileResult(_store_and_reconcile(parsed, document, digest), imported=True)
    except IntegrityError:
        # Imported by a concurrent run a moment ago (the same file), or another file of the day.
        earlier = BankStatement.objects.filter(file_sha256=digest).first()
        if earlier is not None:
            return ReconcileResult(earlier, imported=False)
        raise _refuse(
            _("A different statement of %(account)s %(currency)s for %(day)s was already imported.")
            % {"account": parsed.account_id, "currency": parsed.currency, "day": parsed.day}
        ) from None


@transaction.atomic(durable=True)
def _store_and_reconcile(parsed: Statement, document: bytes, digest: str) -> BankStatement:
    if BankStatement.objects.filter(
        account_id=parsed.account_id, currency=parsed.currency, date=parsed.day
    ).exists():
        raise IntegrityError("a statement of this day exists")
    statement = BankStatement.objects.create(
        account_id=parsed.account_id,
        currency=parsed.currency,
        date=parsed.day,
        message_id=parsed.message_id[:64],
        statement_id=parsed.statement_id[:64],
        file_sha256=digest,
        document=document,
        opening_balance=parsed.opening_balance,
        closing_balance=parsed.closing_balance,
        line_count=len(parsed.entries),
    )
    BankStatementLine.objects.bulk_create(
        [
            BankStatementLine(
                statement=statement,
                position=position,
                kind=_line_kind(entry),
                direction=entry.direction,
                amount=entry.amount,
                currency=entry.currency,
                booking_date=entry.booking_date,
                value_date=entry.value_date,
                account_servicer_ref=entry.account_servicer_ref[:64],
                end_to_end_id=entry.end_to_end_id,
                bank_code="/".join(entry.bank_code)[:20],
                return_reason=entry.return_reason[:8],
                info=entry.info,
            )
            for position, entry in enumerate(parsed.entries, start=1)
        ]
    )
    lines = list(statement.lines.order_by("position"))
    _reconcile(statement, lines)
    return statement


def _reference(entry: Entry) -> str:
    return str((entry.transaction.metadata or {}).get(REFERENCE_KEY) or "")


def _reconcile(statement: BankStatement, lines: list[BankStatementLine]) -> None:
    day = statement.date
    window = settings.RECONCILIATION_WINDOW_DAYS
    clearing = Entry.objects.filter(
        account__kind=LedgerAccount.Kind.BANK_CLEARING,
        currency=statement.currency,
        transaction__metadata__has_key=REFERENCE_KEY,
        reconciliation_match__isnull=True,
        reconciliation_exception__isnull=True,
    ).select_related("transaction")
    window_start = _day_start(day - timedelta(days=window))
    # Everything unmatched up to the statement's day (few, once reconciliation runs daily).
    unmatched = clearing.filter(transaction__created_at__lt=_day_start(day + timedelta(days=1)))
    candidates: dict[str, list[Entry]] = defaultdict(list)  # in the date window, by reference
    by_reference: dict[str, list[Entry]] = defaultdict(list)
    overdue: list[Entry] = []  # the window has passed: the bank should have booked them
    last_chance = _day_start(day - timedelta(days=window - 1))
    for entry in unmatched.order_by("transaction__created_at", "pk"):
        by_reference[_reference(entry)].append(entry)
        if entry.transaction.created_at >= window_start:
            candidates[_reference(entry)].append(entry)
        if entry.transaction.created_at < last_chance:
            overdue.append(entry)
    references = {line.end_to_end_id for line in lines if line.end_to_end_id}
    matched_before: set[tuple] = set(
        ReconciliationMatch.objects.filter(line__end_to_end_id__in=references).values_list(
            "line__end_to_end_id", "line__direction", "line__amount"
        )
    )
    matches: list[ReconciliationMatch] = []
    exceptions: list[ReconciliationException] = []
    used: set[int] = set()

    def open_exception(kind, *, line=None, entry=None, amount, detail=""):
        exceptions.append(
            ReconciliationException(
                kind=kind,
                statement=statement,
                line=line,
                entry=entry,
                currency=statement.currency,
                amount=amount,
                reference=(line.end_to_end_id or line.account_servicer_ref)
                if line is not None
                else _reference(entry),
                detail=detail[:200],
            )
        )

    for line in lines:
        wanted = line.ledger_amount
        found = candidates.get(line.end_to_end_id, []) if line.end_to_end_id else []
        same_way = [e for e in found if e.pk not in used and (e.amount > 0) == (wanted > 0)]
        exact = [entry for entry in same_way if entry.amount == wanted]
        key = (line.end_to_end_id, line.direction, line.amount)
        if exact:
            used.add(exact[0].pk)
            matches.append(ReconciliationMatch(statement=statement, line=line, entry=exact[0]))
            matched_before.add(key)
        elif same_way:
            entry = same_way[0]
            used.add(entry.pk)
            open_exception(
                Kind.AMOUNT_DIFFERS,
                line=line,
                entry=entry,
                amount=wanted - entry.amount,
                detail=_("The bank booked %(bank)s, the ledger has %(ledger)s.")
                % {"bank": line.amount, "ledger": abs(entry.amount)},
            )
        elif line.end_to_end_id and key in matched_before:
            open_exception(
                Kind.DUPLICATE,
                line=line,
                amount=wanted,
                detail=_("The bank booked this payment again (%(ref)s).")
                % {"ref": line.account_servicer_ref},
            )
        else:
            if line.kind == BankStatementLine.Kind.FEE:
                detail = _("A fee the bank charged: %(info)s") % {"info": line.info}
            elif line.kind == BankStatementLine.Kind.RETURN:
                detail = _("A payment the bank returned (reason %(reason)s).") % {
                    "reason": line.return_reason or "?"
                }
            elif line.end_to_end_id:
                detail = _("No ledger entry has this reference in the date window.")
            else:
                detail = _("The line carries no reference of ours: %(info)s") % {"info": line.info}
            open_exception(Kind.MISSING_IN_LEDGER, line=line, amount=wanted, detail=detail)

    # Withdrawals the bank rejected and the ledger gave back: the entry and its reversal net out.
    for entries in by_reference.values():
        left = [entry for entry in entries if entry.pk not in used]
        if len(left) >= 2 and sum(entry.amount for entry in left) == 0:
            for entry in left:
                used.add(entry.pk)
                matches.append(ReconciliationMatch(statement=statement, entry=entry))

    ReconciliationMatch.objects.bulk_create(matches)
    # What the bank should have booked by now and has not.
    for entry in (entry for entry in overdue if entry.pk not in used):
        open_exception(
            Kind.MISSING_AT_BANK,
            entry=entry,
            amount=-entry.amount,
            detail=_("Posted on %(day)s; the bank has not booked it within %(days)d days.")
            % {"day": timezone.localdate(entry.transaction.created_at), "days": window},
        )
    ReconciliationException.objects.bulk_create(exceptions)
    statement.matched_count = sum(1 for match in matches if match.line is not None)
    statement.exception_count = len(exceptions)
    statement.save(update_fields=["matched_count", "exception_count"])


def reconcile_bank_day(*, day: date, currency: str = "CNY") -> ReconcileResult:
    """Fetch the day's statement from the bank connector, import it and reconcile it."""
    document = bank_connector().account_statement(day=day, currency=currency)
    return bank_statement_import(document=document, expected_day=day)


# --- resolving ---------------------------------------------------------------------------------

REASON_MAX = 255


@transaction.atomic
def reconciliation_exception_resolve(
    *, exception_id: int, actor, reason: str, adjustment=None
) -> ReconciliationException:
    """Close an open exception with who, when and why. Call inside the caller's transaction
    with its audit record (backoffice), so both are kept or lost together."""
    reason = (reason or "").strip()
    if not reason:
        message = _("Give the reason.")
        raise ApplicationError(message, code="required", fields={"reason": [message]})
    if len(reason) > REASON_MAX:
        message = _("At most %(max)d characters.") % {"max": REASON_MAX}
        raise ApplicationError(message, code="too_long", fields={"reason": [message]})
    exception = ReconciliationException.objects.select_for_update().filter(pk=exception_id).first()
    if exception is None:
        message = _("No such reconciliation exception.")
        raise ApplicationError(message, code="not_found", status_code=404)
    if exception.state != ReconciliationException.State.OPEN:
        message = _("This exception was already resolved.")
        raise ApplicationError(message, code="already_resolved", status_code=409)
    exception.state = ReconciliationException.State.RESOLVED
    exception.resolved_at = timezone.now()
    exception.resolved_by = actor
    exception.resolution_reason = reason
    exception.adjustment = adjustment
    exception.save(
        update_fields=["state", "resolved_at", "resolved_by", "resolution_reason", "adjustment"]
    )
    return exception


# --- adjustments (carried out by the back office's four-eyes approval) -----------------------


def exception_wallet(exception: ReconciliationException):
    """The customer wallet an exception is about (through its funding order), or None: a bank
    fee or a line with a reference the wallet never gave is about no customer."""
    reference = exception.reference
    if exception.entry_id:
        reference = _reference(exception.entry) or reference
    order = (
        FundingOrder.objects.select_related("wallet__user").filter(reference=reference).first()
        if reference
        else None
    )
    return order.wallet if order else None


def is_bank_fee(exception: ReconciliationException) -> bool:
    """A fee the bank took from the clearing account that the ledger does not know yet."""
    return (
        exception.kind == ReconciliationException.Kind.MISSING_IN_LEDGER
        and exception.line_id is not None
        and exception.line.kind == BankStatementLine.Kind.FEE
    )


def reconciliation_adjustment_check(*, exception: ReconciliationException) -> Wallet | None:
    """Refuse, naming why, an adjustment that cannot be made; else the wallet it moves money of,
    or None for a bank fee, which is booked to the bank's charges (no customer's money)."""
    if exception.state != ReconciliationException.State.OPEN:
        message = _("This exception was already resolved.")
        raise ApplicationError(message, code="already_resolved", fields={"exception": [message]})
    if exception.amount != 0 and is_bank_fee(exception):
        return None
    wallet = exception_wallet(exception)
    if wallet is None or exception.amount == 0:
        message = _(
            "This exception is about no customer's wallet: resolve it with a reason instead."
        )
        raise ApplicationError(message, code="not_adjustable", fields={"exception": [message]})
    return wallet


def reconciliation_adjustment_post(*, exception_id: int, actor, reason: str) -> Transaction:
    """Post the correction the bank's statement shows is needed (`exception.amount` on the
    clearing account) against the customer's wallet, or for a bank fee against the bank's
    charges, and resolve the exception with it. Runs inside the approval's transaction."""
    exception = (
        ReconciliationException.objects.select_for_update(of=("self",))
        .select_related("line")
        .get(pk=exception_id)
    )
    wallet = reconciliation_adjustment_check(exception=exception)
    clearing = system_account_ensure(
        kind=LedgerAccount.Kind.BANK_CLEARING, currency=exception.currency
    )
    if wallet is None:
        other = system_account_ensure(
            kind=LedgerAccount.Kind.BANK_CHARGES, currency=exception.currency
        )
        metadata = {"reconciliation_exception": exception.pk, "bank_fee": exception.reference}
    else:
        other = wallet_account_ensure(wallet=wallet, currency=exception.currency)
        metadata = {"reconciliation_exception": exception.pk, "to_wallet": wallet.handle}
    txn = ledger.post(
        kind=Transaction.Kind.ADJUSTMENT,
        legs=[ledger.Leg(clearing, exception.amount), ledger.Leg(other, -exception.amount)],
        initiated_by=actor,
        description=f"bank reconciliation: {exception.get_kind_display()} {exception.reference}"[
            :200
        ],
        metadata=metadata,
    )
    events.emit(events.MONEY_MOVED, transaction_id=txn.pk)
    reconciliation_exception_resolve(
        exception_id=exception.pk, actor=actor, reason=reason, adjustment=txn
    )
    return txn
