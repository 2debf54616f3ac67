"""Every write of the wealth app: products' ledger accounts, suitability, subscriptions,
redemptions and their settlement. Money moves only through wallet.ledger.post; the daily yield
(a set-based posting of one ledger transaction per holding) lives in wealth/accrual.py.

Lock order: the holding row, then (through ledger.post) ledger accounts by primary key.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError
from wallet import ledger
from wallet.models import LedgerAccount, Transaction
from wallet.money import format_money, parse_amount
from wallet.services.common import (
    idempotency_key_clean,
    refuse_unless_active,
    request_fingerprint,
    system_account_ensure,
    wallet_account_ensure,
    wallet_get_or_create,
)

from .models import FundOrder, FundProduct, Holding, RiskLevel, SuitabilityAssessment
from .questionnaire import score_answers, tolerance_for

SUITABILITY_VALID_DAYS = 365


# --- products ------------------------------------------------------------------------------


def product_accounts_ensure(*, product: FundProduct) -> FundProduct:
    """The fund's income account (pays the yield) and its settlement account (redemptions owed
    until the next business day)."""
    changed = []
    if product.income_account_id is None:
        product.income_account = system_account_ensure(
            kind=LedgerAccount.Kind.FUND_INCOME,
            currency=product.currency,
            code=f"fund_income:{product.pk}",
        )
        changed.append("income_account")
    if product.settlement_account_id is None:
        product.settlement_account = system_account_ensure(
            kind=LedgerAccount.Kind.FUND_SETTLEMENT,
            currency=product.currency,
            code=f"fund_settlement:{product.pk}",
        )
        changed.append("settlement_account")
    if changed:
        product.save(update_fields=changed)
    return product


@transaction.atomic  # not durable: the admin's change form runs it inside its own transaction
def product_save(*, product: FundProduct) -> FundProduct:
    if product.pk is not None:
        stored = FundProduct.objects.filter(pk=product.pk).values("currency").first()
        if stored and stored["currency"] != product.currency and product.holdings.exists():
            message = _("The currency cannot change once customers hold the fund.")
            raise ApplicationError(message, fields={"currency": [message]})
    product.save()
    return product_accounts_ensure(product=product)


# --- suitability ---------------------------------------------------------------------------


def suitability_current(user) -> SuitabilityAssessment | None:
    """The customer's latest assessment that has not expired."""
    if not user.is_authenticated:
        return None
    return (
        SuitabilityAssessment.objects.filter(user=user, expires_at__gt=timezone.now())
        .order_by("-assessed_at", "-pk")
        .first()
    )


@transaction.atomic(durable=True)
def suitability_assess(*, user, answers: dict) -> SuitabilityAssessment:
    score = score_answers(answers)  # raises ApplicationError naming the unanswered question
    now = timezone.now()
    return SuitabilityAssessment.objects.create(
        user=user,
        answers={key: answers[key] for key in sorted(answers)},
        score=score,
        risk_tolerance=tolerance_for(score),
        assessed_at=now,
        expires_at=now + timedelta(days=SUITABILITY_VALID_DAYS),
    )


def _refuse_unless_suitable(user, product: FundProduct) -> None:
    assessment = suitability_current(user)
    if assessment is None:
        message = _("Please answer the risk questionnaire before buying: it is valid for one year.")
        raise ApplicationError(message, code="suitability_missing", fields={"product": [message]})
    if product.risk_level > assessment.risk_tolerance:
        message = _(
            "This product's risk level (%(product)s) is above your risk tolerance "
            "(%(tolerance)s), so you cannot buy it. You may retake the questionnaire if your "
            "situation has changed."
        ) % {
            "product": RiskLevel(product.risk_level).label,
            "tolerance": RiskLevel(assessment.risk_tolerance).label,
        }
        raise ApplicationError(message, code="risk_too_high", fields={"product": [message]})


# --- business days -------------------------------------------------------------------------


def is_business_day(day: date) -> bool:
    holidays = {date.fromisoformat(d) for d in settings.WEALTH_HOLIDAYS}
    return day.weekday() < 5 and day not in holidays


def next_business_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


# --- orders --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderResult:
    order: FundOrder
    replayed: bool


def _earlier_order(*, user, key: str, fingerprint: str) -> FundOrder | None:
    earlier = FundOrder.objects.filter(user=user, idempotency_key=key).first()
    if earlier is not None and earlier.request_fingerprint != fingerprint:
        raise ApplicationError(
            _("This idempotency key was already used for a different request."),
            code="idempotency_conflict",
            status_code=409,
        )
    return earlier


def _idempotent(*, user, key, fingerprint, make) -> OrderResult:
    earlier = _earlier_order(user=user, key=key, fingerprint=fingerprint)
    if earlier is not None:
        return OrderResult(earlier, replayed=True)
    try:
        return OrderResult(make(), replayed=False)
    except IntegrityError:
        earlier = _earlier_order(user=user, key=key, fingerprint=fingerprint)
        if earlier is None:
            raise
        return OrderResult(earlier, replayed=True)


def _product_on_sale(product: FundProduct) -> FundProduct:
    if not product.is_active:
        message = _("This product is not on sale.")
        raise ApplicationError(message, code="product_closed", fields={"product": [message]})
    return product_accounts_ensure(product=product)


def holding_ensure(*, user, product: FundProduct) -> Holding:
    holding = Holding.objects.filter(user=user, product=product).first()
    if holding is not None:
        return holding
    account, _created = LedgerAccount.objects.get_or_create(
        code=f"fund:{product.pk}:user:{user.pk}",
        currency=product.currency,
        shard=0,
        defaults={"kind": LedgerAccount.Kind.FUND_HOLDING},
    )
    holding, _created = Holding.objects.get_or_create(
        user=user, product=product, defaults={"account": account}
    )
    return holding


def fund_subscribe(*, user, product: FundProduct, amount, idempotency_key) -> OrderResult:
    """Move money from the customer's wallet into their holding of the fund."""
    key = idempotency_key_clean(idempotency_key)
    amount = parse_amount(amount, product.currency)
    fingerprint = request_fingerprint(
        {"op": "subscribe", "product": product.pk, "amount": str(amount)}
    )

    @transaction.atomic(durable=True)
    def make() -> FundOrder:
        _product_on_sale(product)
        if amount < product.minimum_amount:
            message = _("The minimum subscription is %(minimum)s.") % {
                "minimum": format_money(product.minimum_amount, product.currency)
            }
            raise ApplicationError(message, code="below_minimum", fields={"amount": [message]})
        _refuse_unless_suitable(user, product)
        wallet = wallet_get_or_create(user=user)
        refuse_unless_active(wallet, field="amount", own=True)
        holding = holding_ensure(user=user, product=product)
        Holding.objects.select_for_update().get(pk=holding.pk)
        source = wallet_account_ensure(wallet=wallet, currency=product.currency)
        txn = ledger.post(
            kind=Transaction.Kind.FUND_SUBSCRIPTION,
            legs=[ledger.Leg(source, -amount), ledger.Leg(holding.account, amount)],
            initiated_by=user,
            description=f"Subscription to {product.code}",
            metadata={"product": product.pk, "holding": holding.pk},
        )
        return FundOrder.objects.create(
            user=user,
            holding=holding,
            kind=FundOrder.Kind.SUBSCRIBE,
            mode=FundOrder.Mode.INSTANT,
            amount=amount,
            currency=product.currency,
            status=FundOrder.Status.COMPLETED,
            transaction=txn,
            idempotency_key=key,
            request_fingerprint=fingerprint,
            settled_at=txn.created_at,
        )

    return _idempotent(user=user, key=key, fingerprint=fingerprint, make=make)


def instant_redeemed_today(holding: Holding, *, now=None) -> Decimal:
    today = timezone.localdate(now or timezone.now())
    total = sum(
        FundOrder.objects.filter(
            holding=holding,
            kind=FundOrder.Kind.REDEEM,
            mode=FundOrder.Mode.INSTANT,
            created_at__gte=day_start(today),
        ).values_list("amount", flat=True),
        Decimal(0),
    )
    return total


def instant_quota_left(holding: Holding) -> Decimal:
    return max(holding.product.instant_quota_per_day - instant_redeemed_today(holding), Decimal(0))


def fund_redeem(*, user, product: FundProduct, amount, mode, idempotency_key) -> OrderResult:
    """Instant: holding -> wallet now, within the daily quota. Standard: holding -> the fund's
    settlement account now (it stops earning), then to the wallet on the next business day."""
    key = idempotency_key_clean(idempotency_key)
    if mode not in FundOrder.Mode.values:
        message = _("Choose instant or next business day.")
        raise ApplicationError(message, code="invalid_mode", fields={"mode": [message]})
    amount = parse_amount(amount, product.currency)
    fingerprint = request_fingerprint(
        {"op": "redeem", "product": product.pk, "amount": str(amount), "mode": mode}
    )

    @transaction.atomic(durable=True)
    def make() -> FundOrder:
        holding = (
            Holding.objects.select_for_update(of=("self",))
            .select_related("account", "product")
            .filter(user=user, product=product)
            .first()
        )
        if holding is None or holding.account.balance <= 0:
            message = _("You do not hold this fund.")
            raise ApplicationError(message, code="no_holding", fields={"amount": [message]})
        holding.account.refresh_from_db(fields=["balance"])
        if amount > holding.account.balance:
            message = _("This is more than you hold (%(held)s).") % {
                "held": format_money(holding.account.balance, product.currency)
            }
            raise ApplicationError(message, code="above_holding", fields={"amount": [message]})
        wallet = wallet_get_or_create(user=user)
        refuse_unless_active(wallet, field="amount", own=True)
        product_accounts_ensure(product=holding.product)
        now = timezone.now()
        if mode == FundOrder.Mode.INSTANT:
            left = instant_quota_left(holding)
            if amount > left:
                message = _(
                    "Instant redemption is limited to %(quota)s a day; %(left)s is left today. "
                    "Redeem the rest for the next business day."
                ) % {
                    "quota": format_money(product.instant_quota_per_day, product.currency),
                    "left": format_money(left, product.currency),
                }
                raise ApplicationError(message, code="above_quota", fields={"amount": [message]})
            target = wallet_account_ensure(wallet=wallet, currency=product.currency)
            status, settle_on = FundOrder.Status.COMPLETED, None
        else:
            target = holding.product.settlement_account
            status = FundOrder.Status.PENDING
            settle_on = next_business_day(timezone.localdate(now))
        txn = ledger.post(
            kind=Transaction.Kind.FUND_REDEMPTION,
            legs=[ledger.Leg(holding.account, -amount), ledger.Leg(target, amount)],
            initiated_by=user,
            description=f"Redemption of {product.code} ({mode})",
            metadata={"product": product.pk, "holding": holding.pk, "mode": mode},
        )
        return FundOrder.objects.create(
            user=user,
            holding=holding,
            kind=FundOrder.Kind.REDEEM,
            mode=mode,
            amount=amount,
            currency=product.currency,
            status=status,
            settle_on=settle_on,
            transaction=txn,
            idempotency_key=key,
            request_fingerprint=fingerprint,
            created_at=now,
            settled_at=now if status == FundOrder.Status.COMPLETED else None,
        )

    return _idempotent(user=user, key=key, fingerprint=fingerprint, make=make)


@transaction.atomic(durable=True)
def redemption_settle(*, order_id: int) -> FundOrder:
    """Pay one pending redemption into the wallet. A second run finds it settled and stops."""
    order = (
        FundOrder.objects.select_for_update(of=("self",))
        .select_related("holding__product", "user")
        .get(pk=order_id)
    )
    if order.status != FundOrder.Status.PENDING:
        return order
    product = order.holding.product
    wallet = wallet_get_or_create(user=order.user)
    target = wallet_account_ensure(wallet=wallet, currency=order.currency)
    order.settlement_transaction = ledger.post(
        kind=Transaction.Kind.FUND_REDEMPTION,
        legs=[
            ledger.Leg(product.settlement_account, -order.amount),
            ledger.Leg(target, order.amount),
        ],
        initiated_by=order.user,
        description=f"Settlement of redemption #{order.pk}",
        metadata={"product": product.pk, "order": order.pk},
    )
    order.status = FundOrder.Status.COMPLETED
    order.settled_at = timezone.now()
    order.save(update_fields=["settlement_transaction", "status", "settled_at"])
    return order


def redemptions_settle_due(*, today: date | None = None) -> int:
    """Settle every pending redemption due on or before `today` (bank time), each on its own."""
    today = today or timezone.localdate()
    if not is_business_day(today):
        return 0
    due = FundOrder.objects.filter(
        status=FundOrder.Status.PENDING, settle_on__lte=today
    ).values_list("pk", flat=True)
    settled = 0
    for order_id in list(due):
        redemption_settle(order_id=order_id)
        settled += 1
    return settled
