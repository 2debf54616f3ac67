"""More staff actions from the customer view (issue 8): send a new setup link, and two four-eyes
actions registered with the approvals — closing the account and a temporary limit override.

Closing reuses accounts/closure.py (the wallet's blockers: money left, payments in progress,
pending top-ups or withdrawals, a frozen wallet), checked when asked and again at approval. A
limit override is a wallet-side row (wallet.LimitOverride) the wallet's own limit check reads:
the wallet never imports the back office.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.closure import account_close_by_staff, account_closure_check
from accounts.models import SetupLink, User
from accounts.setup_links import setup_link_issue
from config.api_errors import ApplicationError
from wallet import services as wallet_services
from wallet.models import LedgerAccount, Wallet

from . import staff_actions
from .approvals import _customers_in_scope, approval_action_register
from .models import ApprovalRequest, AuditEvent
from .roles import BRANCH_MANAGER, BRANCH_SCOPED_ROLES, RISK_OFFICER
from .services import audit_record

# Only the customer's own branch hands out setup links: they open the customer's account.
SETUP_LINK_ROLES = BRANCH_SCOPED_ROLES


def _refuse(message: str, code: str, *, field: str = "action", status: int = 400):
    return ApplicationError(message, code=code, fields={field: [message]}, status_code=status)


# --- a new setup link -------------------------------------------------------------------------


def setup_link_resend_check(customer: User) -> None:
    """Why no new setup link may be sent to `customer` now, as a refusal; None when it may.

    Once the customer has set their password a link would let whoever holds it set another
    one, so none is sent (a forgotten password is reset from the login page). Links are
    rate-limited per customer (BACKOFFICE_SETUP_LINKS_PER_HOUR, counting every link issued)."""
    if not customer.is_active:
        raise _refuse(_("This account is closed."), "account_closed", status=409)
    if customer.has_usable_password():
        raise _refuse(
            _(
                "The customer has already set their password, so no setup link is needed. If "
                "they forgot it, they reset it from the login page."
            ),
            "password_already_set",
            status=409,
        )
    per_hour = settings.BACKOFFICE_SETUP_LINKS_PER_HOUR
    recent = SetupLink.objects.filter(
        user=customer, created_at__gt=timezone.now() - timedelta(hours=1)
    ).count()
    if recent >= per_hour:
        raise _refuse(
            _(
                "%(count)d setup links were already sent to this customer in the last hour. "
                "Wait before sending another."
            )
            % {"count": recent},
            "too_many_links",
            status=429,
        )


def setup_link_resend_by_staff(*, actor: User, customer_id: int, url_of, request=None) -> str:
    """A new setup link for a customer of the staff member's branch: the earlier ones stop
    working, the new one is valid for SETUP_LINK_TTL_HOURS, sent by SMS after commit, and its
    token is returned to be shown once as a QR code. Audited, and audited when refused."""
    try:
        with transaction.atomic():
            # The customer row is locked: two clicks at once cannot slip past the rate limit.
            customer = (
                _customers_in_scope(actor, SETUP_LINK_ROLES)
                .select_for_update()
                .filter(pk=customer_id)
                .first()
            )
            if customer is None:
                raise Http404
            setup_link_resend_check(customer)
            link, token = setup_link_issue(
                user=customer,
                created_by=actor,
                send_to_phone=customer.phone or "",
                url_of=url_of,
            )
            audit_record(
                actor=actor,
                action=AuditEvent.Action.SETUP_LINK_RESEND,
                customer=customer,
                detail={"link": link.pk, "sms": bool(customer.phone)},
                request=request,
            )
            return token
    except ApplicationError as error:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action=AuditEvent.Action.SETUP_LINK_RESEND,
                customer=User.objects.get(pk=customer_id),
                detail={"refused": error.get_codes()},
                request=request,
                outcome=AuditEvent.Outcome.REFUSED,
            )
        raise


# --- four eyes: close the account ----------------------------------------------------------


def _balances_left(customer: User) -> list[tuple[str, Decimal]]:
    return [
        (currency, balance)
        for currency, balance in LedgerAccount.objects.filter(wallet__user=customer)
        .exclude(balance=0)
        .order_by("currency")
        .values_list("currency", "balance")
    ]


def _close_validate(*, customer: User, parameters: dict) -> dict:
    if not customer.is_active:
        raise _refuse(_("This account is already closed."), "already_closed", status=409)
    reasons = account_closure_check(user=customer)
    if not reasons:
        return {}
    balances = _balances_left(customer)
    if balances:
        left = ", ".join(f"{amount:,.2f} {currency}" for currency, amount in balances)
        message = _(
            "Money is still in the wallet (%(left)s): the customer must cash it out or transfer "
            "it first, then the account can be closed."
        ) % {"left": left}
        code = "balance_left"
    else:
        message = _("The account cannot be closed yet.")
        code = "closure_blocked"
    raise ApplicationError(message, code=code, fields={"account": [message, *reasons]})


def _close_execute(*, approval: ApprovalRequest, checker: User, parameters: dict) -> dict:
    event = account_close_by_staff(user=approval.customer)
    return {"closed": True, "security_event": event.pk}


# --- four eyes: a temporary limit override ---------------------------------------------------


def _wallet_of(customer: User) -> Wallet:
    wallet = Wallet.objects.filter(user=customer).select_related("user").first()
    if wallet is None:
        raise _refuse(_("The customer has no wallet."), "no_wallet", field="wallet")
    return wallet


def _override_validate(*, customer: User, parameters: dict) -> dict:
    wallet = _wallet_of(customer)
    per_transaction, daily, days = wallet_services.limit_override_check(
        wallet=wallet,
        per_transaction=parameters.get("per_transaction"),
        daily=parameters.get("daily"),
        days=parameters.get("days"),
    )
    return {
        "wallet": wallet.pk,
        "per_transaction": str(per_transaction),
        "daily": str(daily),
        "days": days,
    }


def _override_execute(*, approval: ApprovalRequest, checker: User, parameters: dict) -> dict:
    wallet = Wallet.objects.select_related("user").get(
        pk=parameters["wallet"], user=approval.customer
    )
    override = wallet_services.limit_override_grant(
        wallet=wallet,
        per_transaction=parameters["per_transaction"],
        daily=parameters["daily"],
        days=parameters["days"],
        granted_by=checker,
        reference=f"approval:{approval.pk}",
        reason=approval.reason,
    )
    # Raised limits are what a fraudster with a colluding insider would want: the customer is told.
    staff_actions.announce_limit_override(
        customer=approval.customer, override=override, ref=f"approval:{approval.pk}"
    )
    return {"override": override.pk, "expires_at": override.expires_at.isoformat()}


def _customer_subject(*, customer: User, parameters: dict) -> str:
    return f"customer:{customer.pk}"


def register_approval_actions() -> None:
    approval_action_register(
        ApprovalRequest.Action.CLOSE_ACCOUNT,
        checker_roles=(BRANCH_MANAGER, RISK_OFFICER),
        validate=_close_validate,
        execute=_close_execute,
        subject=_customer_subject,
    )
    approval_action_register(
        ApprovalRequest.Action.LIMIT_OVERRIDE,
        checker_roles=(BRANCH_MANAGER, RISK_OFFICER),
        validate=_override_validate,
        execute=_override_execute,
        subject=_customer_subject,
    )
