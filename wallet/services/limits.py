"""Limits on money leaving a wallet, and step-up verification for large payments.

Limits are in CNY per KYC level (settings.WALLET_LIMITS); an amount in another currency counts
at its mid rate. They are checked inside the posting transaction after the sender's wallet row
is locked, so two concurrent payments by one customer cannot both slip under a limit.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import has_second_factor
from accounts.services import second_factor_check
from config.api_errors import ApplicationError

from ..models import Entry, FxRate, LimitOverride, StepUpChallenge, Transaction, Wallet
from ..money import quantize
from ..periods import start_of_today
from .common import request_fingerprint

# Movements that count against the limits: money going to someone else.
OUTGOING_KINDS = (
    Transaction.Kind.TRANSFER,
    Transaction.Kind.PAYMENT,
    Transaction.Kind.BILL,
    Transaction.Kind.WITHDRAWAL,
    Transaction.Kind.CASH_OUT,
)
COUNTED_STATUSES = (
    Transaction.Status.COMPLETED,
    Transaction.Status.PENDING,
    Transaction.Status.HELD,
)


def in_cny(amount: Decimal, currency: str) -> Decimal:
    if currency == "CNY":
        return amount
    rate = FxRate.objects.filter(currency=currency).values_list("cny_per_unit", flat=True).first()
    if rate is None:
        # Without a rate the limit cannot be judged; refuse rather than let it through.
        message = _("%(currency)s payments are not available right now.") % {"currency": currency}
        raise ApplicationError(message, code="fx_unavailable", fields={"currency": [message]})
    return amount * rate


def level_limits_for(user) -> dict[str, Decimal]:
    """The limits of the user's verification level, without any override."""
    table = settings.WALLET_LIMITS
    level = user.kyc_level if user.kyc_level in table else min(table)
    return {name: Decimal(value) for name, value in table[level].items()}


def limit_override_live(user, *, now=None) -> LimitOverride | None:
    """The override counting now for the user's wallet (the latest granted), if any."""
    now = now or timezone.now()
    return (
        LimitOverride.objects.filter(wallet__user=user, starts_at__lte=now, expires_at__gt=now)
        .order_by("-created_at", "-pk")
        .first()
    )


def _limits_for(user) -> dict[str, Decimal]:
    limits = level_limits_for(user)
    override = limit_override_live(user)
    if override is not None:
        # An override only ever raises a limit; the month stretches to hold a day at the new
        # daily limit, or the monthly check would undo the override.
        limits["per_transaction"] = max(limits["per_transaction"], override.per_transaction)
        limits["daily"] = max(limits["daily"], override.daily)
        limits["monthly"] = max(limits["monthly"], limits["daily"])
    return limits


def _override_refused(field_name: str, message: str) -> ApplicationError:
    return ApplicationError(message, code="limit_override_invalid", fields={field_name: [message]})


def limit_override_check(
    *, wallet: Wallet, per_transaction, daily, days
) -> tuple[Decimal, Decimal, int]:
    """The override's figures, cleaned, or a refusal naming the field: amounts in CNY above the
    level's own limit (else it is no override), within the bank's bounds, daily not below
    per-payment; a whole number of days from 1 to WALLET_LIMIT_OVERRIDE_MAX_DAYS."""
    cleaned = {}
    for name, value in (("per_transaction", per_transaction), ("daily", daily)):
        try:
            amount = quantize(Decimal(str(value)), "CNY")
        except (ArithmeticError, ValueError, TypeError):
            raise _override_refused(name, _("Enter an amount in CNY.")) from None
        if not amount.is_finite() or amount <= 0:
            raise _override_refused(name, _("Enter an amount in CNY."))
        cleaned[name] = amount
    bounds = {
        "per_transaction": Decimal(settings.WALLET_LIMIT_OVERRIDE_MAX_PER_TRANSACTION),
        "daily": Decimal(settings.WALLET_LIMIT_OVERRIDE_MAX_DAILY),
    }
    for name, bound in bounds.items():
        if cleaned[name] > bound:
            raise _override_refused(
                name,
                _("At most %(amount)s CNY: a higher limit needs a review by the risk team.")
                % {"amount": f"{bound:,.2f}"},
            )
    if cleaned["daily"] < cleaned["per_transaction"]:
        raise _override_refused(
            "daily", _("The daily limit cannot be lower than the per-payment limit.")
        )
    level = level_limits_for(wallet.user)
    if (
        cleaned["per_transaction"] <= level["per_transaction"]
        and cleaned["daily"] <= level["daily"]
    ):
        raise _override_refused(
            "per_transaction",
            _(
                "The customer's limits are already %(per)s CNY per payment and %(daily)s CNY a "
                "day: an override must raise at least one of them."
            )
            % {"per": f"{level['per_transaction']:,.2f}", "daily": f"{level['daily']:,.2f}"},
        )
    max_days = settings.WALLET_LIMIT_OVERRIDE_MAX_DAYS
    try:
        days = int(str(days))
    except (TypeError, ValueError):
        days = 0
    if not 1 <= days <= max_days:
        raise _override_refused("days", _("Between 1 and %(max)d days.") % {"max": max_days})
    if wallet.status != Wallet.Status.ACTIVE:
        raise _override_refused("wallet", _("The wallet is not active."))
    return cleaned["per_transaction"], cleaned["daily"], days


def limit_override_grant(
    *, wallet: Wallet, per_transaction, daily, days, granted_by, reference: str, reason: str = ""
) -> LimitOverride:
    """Grant the override from now for `days` days. Runs inside the caller's transaction (the
    back office's approval); `reference` is unique, so the same approval never grants twice."""
    per_transaction, daily, days = limit_override_check(
        wallet=wallet, per_transaction=per_transaction, daily=daily, days=days
    )
    now = timezone.now()
    return LimitOverride.objects.create(
        wallet=wallet,
        per_transaction=per_transaction,
        daily=daily,
        starts_at=now,
        expires_at=now + timedelta(days=days),
        granted_by=granted_by,
        reference=reference,
        reason=reason[:255],
    )


def _spent_since(wallet: Wallet, since: datetime) -> Decimal:
    rows = (
        Entry.objects.filter(
            account__wallet=wallet,
            amount__lt=0,
            transaction__kind__in=OUTGOING_KINDS,
            transaction__status__in=COUNTED_STATUSES,
            transaction__created_at__gte=since,
        )
        .values("currency")
        .annotate(total=Sum("amount"))
    )
    return sum((in_cny(-row["total"], row["currency"]) for row in rows), Decimal(0))


def _refuse(limit_name: str, limit: Decimal, remaining: Decimal) -> ApplicationError:
    labels = {
        "per_transaction": _("per-payment limit"),
        "daily": _("daily limit"),
        "monthly": _("monthly limit"),
    }
    message = _(
        "This is above your %(limit)s of %(amount)s CNY. You can still send %(remaining)s CNY. "
        "Raise your limits by completing identity verification."
    ) % {
        "limit": labels[limit_name],
        "amount": f"{limit:,.2f}",
        "remaining": f"{max(remaining, Decimal(0)):,.2f}",
    }
    return ApplicationError(message, code=f"limit_{limit_name}", fields={"amount": [message]})


def limits_check(*, user, wallet: Wallet, amount: Decimal, currency: str) -> None:
    """Refuse, naming the limit and what remains, if this payment would break a limit.

    Call with the sender's wallet row locked, inside the posting transaction.
    """
    limits = _limits_for(user)
    value = quantize(in_cny(amount, currency), "CNY")
    if value > limits["per_transaction"]:
        raise _refuse("per_transaction", limits["per_transaction"], limits["per_transaction"])
    start_of_day = start_of_today()
    start_of_month = start_of_day.replace(day=1)
    for name, since in (("daily", start_of_day), ("monthly", start_of_month)):
        spent = _spent_since(wallet, since)
        if spent + value > limits[name]:
            raise _refuse(name, limits[name], limits[name] - spent)


def top_up_limit_check(*, user, amount: Decimal, currency: str) -> None:
    """A single top-up is bounded by the same per-payment limit as money going out."""
    limit = _limits_for(user)["per_transaction"]
    if quantize(in_cny(amount, currency), "CNY") > limit:
        raise _refuse("per_transaction", limit, limit)


# --- step-up ---------------------------------------------------------------------------


def step_up_binding(*, kind: str, payee: str, amount: Decimal, currency: str) -> str:
    return request_fingerprint(
        {"kind": kind, "payee": payee, "amount": str(amount), "currency": currency}
    )


def step_up_required(amount: Decimal, currency: str) -> bool:
    return in_cny(amount, currency) > Decimal(settings.WALLET_STEP_UP_THRESHOLD)


def step_up_demand(*, user, binding: str, description: str) -> ApplicationError:
    """A fresh challenge for this payment, returned as the 403 the client must answer."""
    if not has_second_factor(user):
        message = _(
            "Payments above %(threshold)s CNY need two-step login. Set it up under Security first."
        ) % {"threshold": settings.WALLET_STEP_UP_THRESHOLD}
        return ApplicationError(message, code="step_up_unavailable", status_code=403)
    challenge = StepUpChallenge.objects.create(
        user=user,
        binding=binding,
        description=description[:200],
        expires_at=timezone.now() + timedelta(seconds=settings.WALLET_STEP_UP_TTL_SECONDS),
    )
    message = _(
        "This payment needs your verification code. Verify the challenge and send it again."
    )
    return ApplicationError(
        message, code="step_up_required", status_code=403, extra={"challenge": challenge.token}
    )


def step_up_verify(*, user, token: str, otp: str, request=None) -> StepUpChallenge:
    challenge = StepUpChallenge.objects.filter(user=user, token=(token or "").strip()).first()
    if challenge is None or challenge.used_by_id or challenge.expires_at <= timezone.now():
        message = _("This verification has expired. Start the payment again.")
        raise ApplicationError(message, code="step_up_expired", fields={"challenge": [message]})
    if second_factor_check(user=user, token=otp, request=request) is None:
        message = _("That code is not valid.")
        raise ApplicationError(message, code="otp_invalid", fields={"otp": [message]})
    challenge.verified_at = timezone.now()
    challenge.save(update_fields=["verified_at"])
    return challenge


def step_up_verify_by_passkey(*, user, token: str) -> StepUpChallenge | None:
    """The customer just passed a passkey check while this challenge was waiting for it."""
    challenge = StepUpChallenge.objects.filter(user=user, token=token, used_by__isnull=True).first()
    if challenge is None or challenge.expires_at <= timezone.now():
        return None
    challenge.verified_at = timezone.now()
    challenge.save(update_fields=["verified_at"])
    return challenge


def step_up_consume(*, user, token: str | None, binding: str) -> StepUpChallenge:
    """Inside the posting transaction: the verified, unused challenge for exactly this payment."""
    challenge = (
        StepUpChallenge.objects.select_for_update().filter(user=user, token=token).first()
        if token
        else None
    )
    valid = (
        challenge is not None
        and challenge.verified_at is not None
        and challenge.used_by_id is None
        and challenge.expires_at > timezone.now()
        and challenge.binding == binding
    )
    if not valid:
        message = _("The verification does not match this payment. Start the payment again.")
        raise ApplicationError(message, code="step_up_invalid", status_code=403)
    return challenge


def step_up_gate(
    *, user, token: str | None, binding: str, amount: Decimal, currency: str, description: str
):
    """Before posting: demand a challenge when one is needed and none was sent."""
    if step_up_required(amount, currency) and not token:
        raise step_up_demand(user=user, binding=binding, description=description)


@dataclass
class OutgoingGuard:
    """Limits and step-up for one payment leaving a wallet, at the three moments they apply:
    before posting (demand a challenge), inside the posting transaction with the payer's
    wallet locked (limits, consume the challenge) and after the transaction row exists."""

    user: object
    key: str
    step_up: str | None
    kind: str
    payee: str
    amount: Decimal
    currency: str
    description: str
    challenge: StepUpChallenge | None = field(default=None, init=False)

    @property
    def binding(self) -> str:
        return step_up_binding(
            kind=self.kind, payee=self.payee, amount=self.amount, currency=self.currency
        )

    def before_posting(self) -> None:
        """Run for a new request only (a replay needs no new approval): see `idempotent`."""
        step_up_gate(
            user=self.user,
            token=self.step_up,
            binding=self.binding,
            amount=self.amount,
            currency=self.currency,
            description=self.description,
        )

    def inside_posting(self, *, wallet: Wallet) -> None:
        limits_check(user=self.user, wallet=wallet, amount=self.amount, currency=self.currency)
        if step_up_required(self.amount, self.currency):
            self.challenge = step_up_consume(
                user=self.user, token=self.step_up, binding=self.binding
            )

    def after_posting(self, transaction: Transaction) -> None:
        if self.challenge is not None:
            self.challenge.used_by = transaction
            self.challenge.save(update_fields=["used_by"])
