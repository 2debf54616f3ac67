"""Cash at a branch counter as the wallet sees it: each branch's cash account in the ledger,
cash deposits and withdrawals posted against it, and the customer's authorisation of a
withdrawal (a one-time code from their own phone, or their authenticator code).

The staff side (who may, which till, the audit trail) is the back office's: it calls these.
Sign convention, as for bank clearing: a deposit debits the branch cash account and credits
the wallet, so the branch account's balance is minus the cash the branch took in net.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import has_second_factor
from accounts.services import second_factor_check
from config.api_errors import ApplicationError

from .. import events, ledger
from ..models import CashWithdrawalCode, LedgerAccount, Transaction, Wallet
from ..money import format_money, parse_amount
from .common import refuse_unless_active, system_account_ensure, wallet_account_ensure
from .limits import limits_check

CASH_CURRENCY = "CNY"
CODE_DIGITS = 6


def branch_cash_account(*, branch_code: str) -> LedgerAccount:
    return system_account_ensure(
        kind=LedgerAccount.Kind.BRANCH_CASH,
        currency=CASH_CURRENCY,
        code=f"branch-cash:{branch_code}",
    )


def cash_amount(value, *, field: str = "amount") -> Decimal:
    """Cash is in CNY only."""
    return parse_amount(value, CASH_CURRENCY, field=field)


def _refuse_unless_customer_wallet_active(wallet: Wallet) -> None:
    if wallet.status != Wallet.Status.ACTIVE:
        message = _("The customer's wallet is not active (%(status)s).") % {
            "status": wallet.get_status_display()
        }
        raise ApplicationError(message, code="wallet_not_active", fields={"customer": [message]})


def _branch_metadata(*, branch_code: str, branch_name: str, wallet: Wallet, extra: dict) -> dict:
    return {
        "branch_code": branch_code,
        "branch_name": branch_name,
        "wallet": wallet.handle,
        **extra,
    }


def cash_in_post(
    *,
    wallet: Wallet,
    amount: Decimal,
    branch_code: str,
    branch_name: str,
    teller,
    idempotency_key: str,
    fingerprint: str,
    metadata: dict | None = None,
) -> Transaction:
    """Branch cash → the customer's wallet. Call inside the caller's transaction."""
    locked = Wallet.objects.select_for_update().get(pk=wallet.pk)
    _refuse_unless_customer_wallet_active(locked)
    branch = branch_cash_account(branch_code=branch_code)
    own = wallet_account_ensure(wallet=locked, currency=CASH_CURRENCY)
    txn = ledger.post(
        kind=Transaction.Kind.CASH_IN,
        legs=[ledger.Leg(branch, -amount), ledger.Leg(own, amount)],
        initiated_by=teller,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        description=f"cash deposit at {branch_code}",
        metadata=_branch_metadata(
            branch_code=branch_code, branch_name=branch_name, wallet=locked, extra=metadata or {}
        ),
    )
    events.emit(events.MONEY_MOVED, transaction_id=txn.pk)
    return txn


def cash_out_post(
    *,
    wallet: Wallet,
    amount: Decimal,
    branch_code: str,
    branch_name: str,
    teller,
    idempotency_key: str,
    fingerprint: str,
    code: CashWithdrawalCode | None,
    metadata: dict | None = None,
) -> Transaction:
    """The customer's wallet → branch cash, authorised by `code` (or, when None, by an
    authenticator code the caller already checked). Call inside the caller's transaction."""
    # Lock order (wallet/ledger.py): the business row (the code), the wallet, the accounts.
    locked_code = None
    if code is not None:
        locked_code = CashWithdrawalCode.objects.select_for_update().get(pk=code.pk)
        if not locked_code.is_usable or locked_code.amount != amount:
            raise _code_refusal(_("This code is no longer valid. Ask the customer for a new one."))
    locked = Wallet.objects.select_for_update().get(pk=wallet.pk)
    _refuse_unless_customer_wallet_active(locked)
    limits_check(user=locked.user, wallet=locked, amount=amount, currency=CASH_CURRENCY)
    own = wallet_account_ensure(wallet=locked, currency=CASH_CURRENCY)
    balance = LedgerAccount.objects.get(pk=own.pk).balance
    if balance < amount:
        message = _(
            "The customer's balance is %(balance)s, less than this withdrawal; nothing was paid out."
        ) % {"balance": format_money(balance, CASH_CURRENCY)}
        raise ApplicationError(message, code="insufficient_funds", fields={"amount": [message]})
    branch = branch_cash_account(branch_code=branch_code)
    txn = ledger.post(
        kind=Transaction.Kind.CASH_OUT,
        legs=[ledger.Leg(own, -amount), ledger.Leg(branch, amount)],
        initiated_by=teller,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
        description=f"cash withdrawal at {branch_code}",
        metadata=_branch_metadata(
            branch_code=branch_code,
            branch_name=branch_name,
            wallet=locked,
            extra={**(metadata or {}), "authorised_by": "code" if code else "totp"},
        ),
    )
    if locked_code is not None:
        locked_code.used_by = txn
        locked_code.save(update_fields=["used_by"])
    events.emit(events.MONEY_MOVED, transaction_id=txn.pk)
    return txn


# --- the customer's authorisation ----------------------------------------------------------


def _code_hash(salt: str, code: str) -> str:
    return hmac.new(salt.encode(), code.encode(), hashlib.sha256).hexdigest()


def _code_refusal(message: str, code: str = "cash_code_invalid") -> ApplicationError:
    return ApplicationError(message, code=code, fields={"code": [message]})


@transaction.atomic(durable=True)
def cash_code_issue(*, user, amount) -> tuple[CashWithdrawalCode, str]:
    """A new code for withdrawing `amount` in cash; any earlier unused code stops working.
    Returns the row and the code itself, which is shown once and never stored."""
    amount = cash_amount(amount)
    wallet = Wallet.objects.filter(user=user).first()
    if wallet is None:
        message = _("Activate your wallet first.")
        raise ApplicationError(message, code="wallet_inactive", fields={"amount": [message]})
    refuse_unless_active(wallet, field="amount", own=True)
    now = timezone.now()
    CashWithdrawalCode.objects.filter(
        user=user, voided_at__isnull=True, used_by__isnull=True
    ).update(voided_at=now)
    plain = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(16)
    row = CashWithdrawalCode.objects.create(
        user=user,
        salt=salt,
        code_hash=_code_hash(salt, plain),
        amount=amount,
        currency=CASH_CURRENCY,
        expires_at=now + timedelta(seconds=settings.WALLET_CASH_CODE_TTL_SECONDS),
    )
    return row, plain


def cash_code_current(user) -> CashWithdrawalCode | None:
    """The customer's code that can still be used, if any."""
    return (
        CashWithdrawalCode.objects.filter(
            user=user,
            voided_at__isnull=True,
            used_by__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def cash_code_check(*, user, code: str, amount: Decimal) -> CashWithdrawalCode:
    """The customer's valid code for exactly this amount, or a refusal naming the `code` field.

    A wrong code is counted in a transaction of its own, so the count survives the refusal;
    after too many the code is void. The code is marked used by the posting (cash_out_post).
    """
    code = "".join((code or "").split())
    problem = None
    with transaction.atomic():
        row = (
            CashWithdrawalCode.objects.select_for_update()
            .filter(
                user=user,
                voided_at__isnull=True,
                used_by__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        if row is None:
            problem = _(
                "The customer has no valid cash withdrawal code: codes expire after ten minutes "
                "and work once. Ask them to issue a new one in their wallet."
            )
        elif not (code.isdigit() and len(code) == CODE_DIGITS) or not hmac.compare_digest(
            row.code_hash, _code_hash(row.salt, code)
        ):
            row.failed_attempts += 1
            fields = ["failed_attempts"]
            if row.failed_attempts >= settings.WALLET_CASH_CODE_MAX_ATTEMPTS:
                row.voided_at = timezone.now()
                fields.append("voided_at")
                problem = _("Wrong code, too many times: the code is void. Ask for a new one.")
            else:
                problem = _("Wrong code. %(left)d attempts left.") % {
                    "left": settings.WALLET_CASH_CODE_MAX_ATTEMPTS - row.failed_attempts
                }
            row.save(update_fields=fields)
        elif row.amount != amount:
            problem = _("The customer issued this code for %(amount)s, not for this amount.") % {
                "amount": format_money(row.amount, row.currency)
            }
    if problem:
        raise _code_refusal(problem)
    return row


def cash_out_authorise(*, customer, code: str, otp: str, amount: Decimal, request=None):
    """Check the customer's authorisation of a withdrawal before anything moves: their
    one-time code (returned, to be consumed by the posting) or their authenticator code
    (checked here; returns None)."""
    code, otp = (code or "").strip(), (otp or "").strip()
    if code:
        return cash_code_check(user=customer, code=code, amount=amount)
    if otp:
        if not has_second_factor(customer):
            message = _("The customer has no authenticator: use a code from their wallet.")
            raise ApplicationError(message, code="otp_unavailable", fields={"otp": [message]})
        if second_factor_check(user=customer, token=otp, request=request) is None:
            message = _("That authenticator code is not valid.")
            raise ApplicationError(message, code="otp_invalid", fields={"otp": [message]})
        return None
    message = _(
        "A cash withdrawal needs the customer's authorisation: the code from their wallet, "
        "or their authenticator code."
    )
    raise ApplicationError(message, code="authorisation_missing", fields={"code": [message]})
