"""What staff do to a customer from the customer view: freeze the wallet at once, raise the
verification level after an in-person check, and the four-eyes actions (unfreeze, second-factor
reset, reversal) with their validate and execute functions, registered with the approvals."""

from datetime import datetime

from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts import kyc
from accounts.models import User
from accounts.selectors import primary_second_factors
from accounts.services import second_factors_reset
from config.api_errors import ApplicationError
from notifications.models import Notification
from notifications.services import notify, outbox_enqueue
from wallet import services as wallet_services
from wallet.models import Transaction, Wallet

from .approvals import (
    _customers_in_scope,
    _text_clean,
    approval_action_register,
    approval_request_create,
)
from .models import ApprovalRequest, AuditEvent
from .roles import BRANCH_MANAGER, BRANCH_SCOPED_ROLES, RISK_OFFICER, TELLER
from .services import audit_record

# Freezing is the safe direction: whoever serves the customer may do it at once (a lost
# phone at the counter, a fraud alert at night). Undoing it needs a second person.
FREEZE_ROLES = (TELLER, BRANCH_MANAGER, RISK_OFFICER)
# Level 2 means a person at the branch held the document: only branch staff.
KYC_ROLES = BRANCH_SCOPED_ROLES
CUSTOMER_NOTICE = "backoffice.customer_security_notice"


def _customer_or_404(*, actor: User, customer_id: int, roles) -> User:
    customer = _customers_in_scope(actor, roles).filter(pk=customer_id).first()
    if customer is None:
        raise Http404
    return customer


def _wallet_of(customer: User) -> Wallet:
    wallet = Wallet.objects.filter(user=customer).first()
    if wallet is None:
        message = _("The customer has no wallet.")
        raise ApplicationError(message, code="no_wallet", fields={"wallet": [message]})
    return wallet


def _notice_enqueue(*, customer: User, notice: str, ref: str, detail: dict | None = None) -> None:
    outbox_enqueue(
        topic=CUSTOMER_NOTICE,
        payload={"user_id": customer.pk, "notice": notice, "ref": ref, "detail": detail or {}},
        dedupe_key=f"backoffice-notice:{ref}",
    )


def announce_limit_override(*, customer: User, override, ref: str) -> None:
    """Tell the customer, on every channel, that their limits were raised (after commit)."""
    _notice_enqueue(
        customer=customer,
        notice="limit_raised",
        ref=ref,
        detail={
            "per_transaction": f"{override.per_transaction:,.2f}",
            "daily": f"{override.daily:,.2f}",
            "expires_at": override.expires_at.isoformat(),
        },
    )


def _limit_raised_text(detail: dict) -> tuple[str, str]:
    until = timezone.localtime(datetime.fromisoformat(detail["expires_at"]))
    return (
        _("Your payment limits were raised for a few days"),
        _(
            "At your request, the bank raised your limits until %(until)s: up to %(per)s CNY a "
            "payment and %(daily)s CNY a day. If you did not ask for this, contact us at once."
        )
        % {
            "until": date_format(until, "SHORT_DATETIME_FORMAT"),
            "per": detail["per_transaction"],
            "daily": detail["daily"],
        },
    )


def customer_security_notice_send(
    *, user_id: int, notice: str, ref: str, detail: dict | None = None
) -> None:
    """The customer hears of what staff did to their wallet (a security alert: all channels)."""
    if notice == "limit_raised":
        title, body = _limit_raised_text(detail or {})
        notify(
            user=User.objects.get(pk=user_id),
            kind=Notification.Kind.SECURITY,
            title=title,
            body=body,
            dedupe_key=f"backoffice-notice:{ref}",
        )
        return
    texts = {
        "frozen": (
            _("Your wallet has been frozen"),
            _(
                "For your security, bank staff froze your wallet: no money can go in or out "
                "for now. Please contact us or visit your branch."
            ),
        ),
        "unfrozen": (
            _("Your wallet is active again"),
            _("Your wallet was unfrozen: you can pay, transfer and receive money again."),
        ),
    }
    title, body = texts[notice]
    notify(
        user=User.objects.get(pk=user_id),
        kind=Notification.Kind.SECURITY,
        title=title,
        body=body,
        dedupe_key=f"backoffice-notice:{ref}",
    )


# --- at once ---------------------------------------------------------------------------------


@transaction.atomic
def wallet_freeze_by_staff(*, actor: User, customer_id: int, reason: str, request=None) -> Wallet:
    """Freeze the customer's wallet now: the next payment, transfer or top-up is refused."""
    customer = _customer_or_404(actor=actor, customer_id=customer_id, roles=FREEZE_ROLES)
    reason = _text_clean(reason, field="reason", required=True)
    wallet = wallet_services.wallet_freeze(wallet=_wallet_of(customer))
    event = audit_record(
        actor=actor,
        action=AuditEvent.Action.WALLET_FREEZE,
        customer=customer,
        reason=reason,
        detail={"wallet": wallet.pk},
        request=request,
    )
    _notice_enqueue(customer=customer, notice="frozen", ref=f"audit:{event.pk}")
    return wallet


@transaction.atomic
def kyc_level2_grant_by_staff(*, actor: User, customer_id: int, request=None):
    """A teller or branch manager of the customer's branch saw their document in person."""
    customer = _customer_or_404(actor=actor, customer_id=customer_id, roles=KYC_ROLES)
    document = kyc.kyc_level2_grant(user=customer, verified_by=actor)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.KYC_LEVEL2_GRANT,
        customer=customer,
        detail={"document": document.pk},
        request=request,
    )
    return document


# --- four eyes: unfreeze -------------------------------------------------------------------


def _unfreeze_validate(*, customer: User, parameters: dict) -> dict:
    wallet = _wallet_of(customer)
    wallet_services.wallet_unfreeze_check(wallet=wallet)
    return {"wallet": wallet.pk}


def _unfreeze_execute(*, approval: ApprovalRequest, checker: User, parameters: dict) -> dict:
    wallet = Wallet.objects.get(pk=parameters["wallet"], user=approval.customer)
    wallet = wallet_services.wallet_unfreeze(wallet=wallet)
    _notice_enqueue(customer=approval.customer, notice="unfrozen", ref=f"approval:{approval.pk}")
    return {"wallet": wallet.pk, "status": wallet.status}


def _wallet_subject(*, customer: User, parameters: dict) -> str:
    return f"wallet:{parameters['wallet']}"


# --- four eyes: second-factor reset --------------------------------------------------------


def _reset_validate(*, customer: User, parameters: dict) -> dict:
    if not primary_second_factors(customer):
        message = _("The customer has no second factor to reset.")
        raise ApplicationError(message, code="no_second_factor", fields={"action": [message]})
    return {}


def _reset_execute(*, approval: ApprovalRequest, checker: User, parameters: dict) -> dict:
    return {"removed": second_factors_reset(user=approval.customer, reset_by=checker)}


def _customer_subject(*, customer: User, parameters: dict) -> str:
    return f"customer:{customer.pk}"


# --- four eyes: reversal -------------------------------------------------------------------


def _reversal_validate(*, customer: User, parameters: dict) -> dict:
    message = _("Choose a transaction of this customer's.")
    try:
        txn_id = int(parameters.get("transaction"))
    except (TypeError, ValueError):
        txn_id = None
    original = (
        Transaction.objects.filter(pk=txn_id, entries__account__wallet__user=customer)
        .distinct()
        .first()
        if txn_id
        else None
    )
    if original is None:
        raise ApplicationError(
            message, code="no_such_transaction", fields={"transaction": [message]}
        )
    wallet_services.transaction_reversal_check(original=original)
    return {"transaction": original.pk}


def _reversal_execute(*, approval: ApprovalRequest, checker: User, parameters: dict) -> dict:
    original = Transaction.objects.get(pk=parameters["transaction"])
    reversal = wallet_services.transaction_reverse(
        original=original, reversed_by=checker, reason=approval.reason
    )
    return {"transaction": original.pk, "reversal": reversal.pk}


def _transaction_subject(*, customer: User, parameters: dict) -> str:
    return f"transaction:{parameters['transaction']}"


def register_approval_actions() -> None:
    approval_action_register(
        ApprovalRequest.Action.UNFREEZE_WALLET,
        checker_roles=(BRANCH_MANAGER, RISK_OFFICER),
        validate=_unfreeze_validate,
        execute=_unfreeze_execute,
        subject=_wallet_subject,
    )
    approval_action_register(
        ApprovalRequest.Action.RESET_SECOND_FACTOR,
        checker_roles=(BRANCH_MANAGER, RISK_OFFICER),
        validate=_reset_validate,
        execute=_reset_execute,
        subject=_customer_subject,
    )
    approval_action_register(
        ApprovalRequest.Action.REVERSE_TRANSACTION,
        checker_roles=(RISK_OFFICER,),
        validate=_reversal_validate,
        execute=_reversal_execute,
        subject=_transaction_subject,
    )


def unfreeze_request(*, actor: User, customer_id: int, reason: str, request=None):
    return approval_request_create(
        actor=actor,
        customer_id=customer_id,
        action=ApprovalRequest.Action.UNFREEZE_WALLET,
        reason=reason,
        parameters={},
        request=request,
    )
