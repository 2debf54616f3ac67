"""Linking bank accounts and cards as funding sources: tokenize, verify ownership with
micro-deposits, choose the default, remove.

The full number is handed to the bank connector and dropped: only the token, the bank, the
kind, the holder's name and the last four digits are kept. It is never logged, never put in an
error message, and never passed to a task.
"""

import logging
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError
from notifications.models import Notification
from notifications.services import notify, outbox_enqueue

from .bank import bank_connector
from .cards import bank_account_number_clean, card_expiry_clean, card_number_clean
from .models import Bank, LinkedAccount, User
from .selectors import linked_accounts_of

logger = logging.getLogger(__name__)

MAX_LINKED_ACCOUNTS = 10
LINKED_ACCOUNT_ALERT = "accounts.linked_account_alert"

# Apps above this one say what still depends on a source (a pending top-up): `fn(account)`
# returns the reasons it cannot be removed yet.
_removal_blockers: list[Callable[[LinkedAccount], list[str]]] = []


def register_removal_blocker(blocker: Callable[[LinkedAccount], list[str]]) -> None:
    if blocker not in _removal_blockers:
        _removal_blockers.append(blocker)


def _field_error(field: str, message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={field: [message]})


def _clean_or_refuse(clean, raw, *, field: str, **kwargs):
    try:
        return clean(raw, **kwargs)
    except ValidationError as exc:
        raise _field_error(field, exc.messages[0], f"invalid_{field}") from None


def _holder_name_clean(holder_name: str) -> str:
    name = " ".join((holder_name or "").split())
    if not name:
        raise _field_error("holder_name", _("Enter the name on the card or account."), "required")
    if len(name) > 150:
        raise _field_error("holder_name", _("The name can be at most 150 characters."), "long")
    return name


@transaction.atomic
def linked_account_create(
    *,
    user: User,
    kind: str,
    number: str,
    holder_name: str,
    expiry: str = "",
    bank: str = "",
) -> LinkedAccount:
    """Tokenize a card or account at the bank and ask the bank to send the micro-deposits."""
    if kind not in LinkedAccount.Kind.values:
        raise _field_error(
            "kind", _("Choose a debit card, a credit card or a bank account."), "kind"
        )
    holder_name = _holder_name_clean(holder_name)
    expiry_date = None
    if kind == LinkedAccount.Kind.BANK_ACCOUNT:
        digits = _clean_or_refuse(bank_account_number_clean, number, field="number")
        if bank not in Bank.values:
            raise _field_error("bank", _("Choose the bank that holds the account."), "bank")
    else:
        digits = _clean_or_refuse(card_number_clean, number, field="number")
        expiry_date = _clean_or_refuse(
            card_expiry_clean, expiry, field="expiry", today=timezone.localdate()
        )
    if linked_accounts_of(user).count() >= MAX_LINKED_ACCOUNTS:
        message = _("You can link at most %(max)d cards and accounts. Remove one first.") % {
            "max": MAX_LINKED_ACCOUNTS
        }
        raise _field_error("number", message, "too_many_linked_accounts")

    connector = bank_connector()
    tokenized = connector.tokenize(kind=kind, number=digits, bank=bank or None)
    account = LinkedAccount.objects.create(
        user=user,
        kind=kind,
        token=tokenized.token,
        bank=tokenized.bank,
        holder_name=holder_name,
        last4=tokenized.last4,
        expiry_month=expiry_date.month if expiry_date else None,
        expiry_year=expiry_date.year if expiry_date else None,
    )
    connector.micro_deposits_send(token=account.token)
    _alert_later(account, "linked")
    logger.info("linked account %s created for user %s", account.pk, user.pk)
    return account


def _micro_amount_clean(raw, field: str) -> Decimal:
    message = _("Enter the amount as it appears on your statement, for example 0.35.")
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise _field_error(field, message, "invalid_amount") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise _field_error(field, message, "invalid_amount")
    if not Decimal("0.01") <= value <= Decimal("0.99"):
        raise _field_error(field, _("Each deposit is between 0.01 and 0.99."), "invalid_amount")
    return value


def linked_account_verify(*, user: User, account_id: int, amount_1, amount_2) -> LinkedAccount:
    """Confirm the two micro-deposits. Wrong answers count; too many lock the verification.

    A wrong answer is committed before it is refused, so counting cannot be undone by the error.
    """
    amounts = (_micro_amount_clean(amount_1, "amount_1"), _micro_amount_clean(amount_2, "amount_2"))
    with transaction.atomic():
        account = _locked_for(user, account_id)
        if account.status == LinkedAccount.Status.VERIFIED:
            return account
        if account.status != LinkedAccount.Status.UNVERIFIED:
            raise _field_error("account", _locked_message(), "verification_locked")
        if bank_connector().micro_deposits_match(token=account.token, amounts=amounts):
            account.status = LinkedAccount.Status.VERIFIED
            account.verified_at = timezone.now()
            account.is_default = not _has_default(user)
            account.save(update_fields=["status", "verified_at", "is_default"])
            _alert_later(account, "verified")
            return account
        account.failed_verifications += 1
        left = settings.LINKED_ACCOUNT_MAX_VERIFY_ATTEMPTS - account.failed_verifications
        if left <= 0:
            account.status = LinkedAccount.Status.LOCKED
            _alert_later(account, "locked")
        account.save(update_fields=["failed_verifications", "status"])
    if left <= 0:
        raise _field_error("amount_1", _locked_message(), "verification_locked")
    message = _("These amounts do not match what the bank sent. %(left)d tries left.") % {
        "left": left
    }
    raise _field_error("amount_1", message, "micro_deposits_mismatch")


def _locked_message() -> str:
    return _(
        "Verification is locked after too many wrong answers. Remove this card or account and "
        "link it again, or contact us."
    )


def _locked_for(user: User, account_id) -> LinkedAccount:
    account = linked_accounts_of(user).select_for_update().filter(pk=account_id).first()
    if account is None:
        raise ApplicationError(_("No such card or account."), code="not_found", status_code=404)
    return account


def _has_default(user: User) -> bool:
    return LinkedAccount.objects.filter(user=user, is_default=True).exists()


@transaction.atomic
def linked_account_set_default(*, user: User, account_id: int) -> LinkedAccount:
    account = _locked_for(user, account_id)
    if account.status != LinkedAccount.Status.VERIFIED:
        raise _field_error(
            "account", _("Verify this card or account before making it the default."), "unverified"
        )
    LinkedAccount.objects.filter(user=user, is_default=True).exclude(pk=account.pk).update(
        is_default=False
    )
    account.is_default = True
    account.save(update_fields=["is_default"])
    return account


@transaction.atomic
def linked_account_remove(*, user: User, account_id: int) -> LinkedAccount:
    """Unlink a source, unless money is still on its way to or from it."""
    account = _locked_for(user, account_id)
    reasons = [reason for blocker in _removal_blockers for reason in blocker(account)]
    if reasons:
        raise ApplicationError(reasons[0], code="linked_account_busy", fields={"account": reasons})
    was_default = account.is_default
    account.status = LinkedAccount.Status.REMOVED
    account.is_default = False
    account.removed_at = timezone.now()
    account.save(update_fields=["status", "is_default", "removed_at"])
    if was_default:
        successor = (
            LinkedAccount.objects.filter(user=user, status=LinkedAccount.Status.VERIFIED)
            .order_by("-verified_at", "-pk")
            .first()
        )
        if successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default"])
    _alert_later(account, "removed")
    return account


# --- alerts ------------------------------------------------------------------------------


def _alert_later(account: LinkedAccount, change: str) -> None:
    outbox_enqueue(
        topic=LINKED_ACCOUNT_ALERT,
        payload={"linked_account_id": account.pk, "change": change},
        dedupe_key=f"linked-account:{account.pk}:{change}",
    )


def linked_account_alert_send(*, linked_account_id: int, change: str) -> None:
    """A security alert: someone adding a card to a wallet is what a thief would do first."""
    account = LinkedAccount.objects.select_related("user").get(pk=linked_account_id)
    titles = {
        "linked": _("A card or account was linked to your wallet"),
        "verified": _("Your card or account is verified"),
        "locked": _("Verification of your card or account is locked"),
        "removed": _("A card or account was removed from your wallet"),
    }
    body = _("%(source)s, held by %(holder)s. If this was not you, contact us at once.") % {
        "source": account.label,
        "holder": account.holder_name,
    }
    notify(
        user=account.user,
        kind=Notification.Kind.SECURITY,
        title=titles[change],
        body=body,
        dedupe_key=f"linked-account:{account.pk}:{change}",
        link=reverse("accounts:linked_accounts"),
    )
