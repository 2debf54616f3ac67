"""Writes of experience mode: start, pay, transfer, top up, reset, and delete expired sessions.

Every write locks the session row (select_for_update) and checks the balance inside one
transaction, so two clicks cannot overdraw it. The sandbox balance is a column of the session;
nothing here imports or writes the wallet ledger.
"""

import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from backoffice.models import AuditEvent, StaffProfile
from backoffice.services import audit_record
from config.api_errors import ApplicationError
from wallet.money import parse_amount

from .catalog import CONTACTS, merchant_from_input
from .models import ExperienceEntry, ExperienceSession
from .roles import can_start_experience

CURRENCY = "CNY"


def _starting_balance() -> Decimal:
    return Decimal(settings.EXPERIENCE_STARTING_BALANCE)


@transaction.atomic
def experience_start(*, staff: User, request=None) -> ExperienceSession:
    """A new demo on this device, attributed to the staff member and their branch, audited."""
    if not can_start_experience(staff):
        raise PermissionDenied
    profile = StaffProfile.objects.filter(user=staff).select_related("branch").first()
    if profile is None or profile.branch is None:
        raise ApplicationError(
            _("Experience mode is started at a branch: your staff profile has no branch."),
            code="no_branch",
        )
    now = timezone.now()
    session = ExperienceSession.objects.create(
        token=secrets.token_urlsafe(32),
        staff=staff,
        branch=profile.branch,
        currency=CURRENCY,
        starting_balance=_starting_balance(),
        balance=_starting_balance(),
        started_at=now,
        expires_at=now + timedelta(seconds=settings.EXPERIENCE_SESSION_SECONDS),
    )
    audit_record(
        actor=staff,
        action=AuditEvent.Action.EXPERIENCE_START,
        detail={"branch_id": profile.branch_id, "session": session.pk},
        request=request,
    )
    return session


def _locked(session: ExperienceSession) -> ExperienceSession:
    locked = ExperienceSession.objects.select_for_update().filter(pk=session.pk).first()
    if locked is None or locked.is_expired():
        raise ApplicationError(
            _("This experience session has ended."), code="experience_ended", status_code=410
        )
    return locked


def _post(
    *,
    session: ExperienceSession,
    kind: str,
    counterparty: str,
    amount_text,
    note: str,
    idempotency_key: str,
) -> ExperienceEntry:
    amount = parse_amount(amount_text, session.currency)
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        raise ApplicationError(
            _("This form has expired. Please try again."),
            code="idempotency_key",
            fields={"idempotency_key": [_("This form has expired. Please try again.")]},
        )
    with transaction.atomic():
        locked = _locked(session)
        earlier = ExperienceEntry.objects.filter(session=locked, idempotency_key=key).first()
        if earlier is not None:
            if (earlier.kind, earlier.counterparty, earlier.amount) != (kind, counterparty, amount):
                raise ApplicationError(
                    _("This form was already used for another request. Please start again."),
                    code="idempotency_conflict",
                    status_code=409,
                )
            return earlier  # a double click: the first result, nothing posted twice
        if kind == ExperienceEntry.Kind.TOP_UP:
            new_balance = locked.balance + amount
            if new_balance > Decimal(settings.EXPERIENCE_MAX_BALANCE):
                message = _("A demo wallet holds at most %(maximum)s of demo money.") % {
                    "maximum": settings.EXPERIENCE_MAX_BALANCE
                }
                raise ApplicationError(message, code="above_maximum", fields={"amount": [message]})
        else:
            if amount > locked.balance:
                message = _("Not enough demo money: the balance is %(balance)s.") % {
                    "balance": f"{locked.balance:,.2f}"
                }
                raise ApplicationError(
                    message, code="insufficient_funds", fields={"amount": [message]}
                )
            new_balance = locked.balance - amount
        locked.balance = new_balance
        locked.save(update_fields=["balance"])
        session.balance = new_balance
        return ExperienceEntry.objects.create(
            session=locked,
            kind=kind,
            counterparty=counterparty,
            amount=amount,
            balance_after=new_balance,
            note=(note or "")[:100],
            idempotency_key=key,
            reference=f"DEMO{secrets.token_hex(5).upper()}",
        )


def experience_pay(
    *, session: ExperienceSession, merchant: str, amount, note: str = "", idempotency_key: str
) -> ExperienceEntry:
    sample = merchant_from_input(merchant)
    if sample is None:
        message = _("No sample shop has this code. Choose one from the list.")
        raise ApplicationError(message, code="unknown_merchant", fields={"merchant": [message]})
    return _post(
        session=session,
        kind=ExperienceEntry.Kind.PAYMENT,
        counterparty=sample.code,
        amount_text=amount,
        note=note,
        idempotency_key=idempotency_key,
    )


def experience_transfer(
    *, session: ExperienceSession, contact: str, amount, note: str = "", idempotency_key: str
) -> ExperienceEntry:
    if contact not in CONTACTS:
        message = _("Choose one of the sample contacts.")
        raise ApplicationError(message, code="unknown_contact", fields={"contact": [message]})
    return _post(
        session=session,
        kind=ExperienceEntry.Kind.TRANSFER,
        counterparty=contact,
        amount_text=amount,
        note=note,
        idempotency_key=idempotency_key,
    )


def experience_top_up(
    *, session: ExperienceSession, amount, idempotency_key: str
) -> ExperienceEntry:
    return _post(
        session=session,
        kind=ExperienceEntry.Kind.TOP_UP,
        counterparty="",
        amount_text=amount,
        note="",
        idempotency_key=idempotency_key,
    )


@transaction.atomic
def experience_reset(*, session: ExperienceSession) -> ExperienceSession:
    """Back to the starting balance with an empty history; the end time does not move."""
    locked = _locked(session)
    locked.entries.all().delete()
    locked.balance = locked.starting_balance
    locked.resets += 1
    locked.save(update_fields=["balance", "resets"])
    return locked


@transaction.atomic
def experience_sessions_delete_expired(*, now=None) -> int:
    """Delete every ended session with its entries (the periodic task). Returns how many."""
    expired = ExperienceSession.objects.filter(expires_at__lte=now or timezone.now())
    ExperienceEntry.objects.filter(session__in=expired).delete()
    count, _deleted = expired.delete()
    return count
