"""Currency exchange between a customer's own balances, through the bank's FX position.

A quote fixes the rate and both amounts; the exchange posts exactly the quote, once, before
it expires. The customer's side is rounded down to the minor unit, so rounding never creates
money: the bank's FX position absorbs the remainder.
"""

from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError

from .. import events, ledger
from ..models import FxQuote, FxRate, LedgerAccount, Transaction
from ..money import parse_amount, parse_currency, quantum
from .common import (
    MovementResult,
    idempotency_key_clean,
    idempotent,
    refuse_unless_active,
    request_fingerprint,
    system_account_ensure,
    wallet_account_ensure,
    wallet_get_or_create,
)

BASE = "CNY"
RATE_PLACES = Decimal("0.00000001")


def _mid_and_spread(currency: str) -> tuple[Decimal, Decimal]:
    if currency == BASE:
        return Decimal(1), Decimal(0)
    rate = FxRate.objects.filter(currency=currency, is_active=True).first()
    if rate is None:
        message = _("%(currency)s cannot be exchanged right now.") % {"currency": currency}
        raise ApplicationError(message, code="fx_unavailable", fields={"buy_currency": [message]})
    return rate.cny_per_unit, Decimal(rate.spread_bps) / Decimal(10000)


def customer_rate(sell_currency: str, buy_currency: str) -> Decimal:
    """Units of `buy_currency` the customer gets for one unit of `sell_currency`, after spread.

    Full precision: amounts are computed from this, and only the displayed rate is rounded.
    """
    sell_mid, sell_spread = _mid_and_spread(sell_currency)
    buy_mid, buy_spread = _mid_and_spread(buy_currency)
    return sell_mid * (1 - sell_spread - buy_spread) / buy_mid


def converted_amount(sell_amount: Decimal, sell_currency: str, buy_currency: str) -> Decimal:
    """What the customer gets, rounded down to the minor unit. Divides last to keep precision."""
    sell_mid, sell_spread = _mid_and_spread(sell_currency)
    buy_mid, buy_spread = _mid_and_spread(buy_currency)
    exact = sell_amount * sell_mid * (1 - sell_spread - buy_spread) / buy_mid
    return exact.quantize(quantum(buy_currency), rounding=ROUND_DOWN)


def fx_quote_create(*, user, sell_currency, buy_currency, sell_amount) -> FxQuote:
    sell_currency = parse_currency(sell_currency, field="sell_currency")
    buy_currency = parse_currency(buy_currency, field="buy_currency")
    if sell_currency == buy_currency:
        message = _("Choose two different currencies.")
        raise ApplicationError(message, code="same_currency", fields={"buy_currency": [message]})
    sell_amount = parse_amount(sell_amount, sell_currency, field="sell_amount")
    wallet = wallet_get_or_create(user=user)
    refuse_unless_active(wallet, field="wallet", own=True)
    rate = customer_rate(sell_currency, buy_currency)
    buy_amount = converted_amount(sell_amount, sell_currency, buy_currency)
    if buy_amount <= 0:
        message = _("The amount is too small to exchange.")
        raise ApplicationError(message, code="amount_too_small", fields={"sell_amount": [message]})
    return FxQuote.objects.create(
        user=user,
        sell_currency=sell_currency,
        buy_currency=buy_currency,
        sell_amount=sell_amount,
        buy_amount=buy_amount,
        rate=rate.quantize(RATE_PLACES, rounding=ROUND_DOWN),
        expires_at=timezone.now() + timedelta(seconds=settings.WALLET_FX_QUOTE_TTL_SECONDS),
    )


def _quote_not_found():
    message = _("This quote does not exist. Ask for a new one.")
    return ApplicationError(message, code="quote_not_found", fields={"quote": [message]})


def exchange_create(*, user, quote_token: str, idempotency_key: str) -> MovementResult:
    key = idempotency_key_clean(idempotency_key)
    quote = FxQuote.objects.filter(token=(quote_token or "").strip(), user=user).first()
    if quote is None:
        raise _quote_not_found()
    wallet = wallet_get_or_create(user=user)
    fingerprint = request_fingerprint({"kind": "exchange", "quote": quote.token})
    source = wallet_account_ensure(wallet=wallet, currency=quote.sell_currency)
    target = wallet_account_ensure(wallet=wallet, currency=quote.buy_currency)
    position_sell = system_account_ensure(
        kind=LedgerAccount.Kind.FX_POSITION, currency=quote.sell_currency
    )
    position_buy = system_account_ensure(
        kind=LedgerAccount.Kind.FX_POSITION, currency=quote.buy_currency
    )

    @transaction.atomic(durable=True)
    def post() -> Transaction:
        locked = FxQuote.objects.select_for_update().get(pk=quote.pk)
        if locked.used_by_id:
            message = _("This quote has already been used.")
            raise ApplicationError(message, code="quote_used", fields={"quote": [message]})
        if locked.expires_at <= timezone.now():
            message = _("This quote has expired. Ask for a new one.")
            raise ApplicationError(message, code="quote_expired", fields={"quote": [message]})
        refuse_unless_active(wallet, field="wallet", own=True)
        txn = ledger.post(
            kind=Transaction.Kind.EXCHANGE,
            legs=[
                ledger.Leg(source, -locked.sell_amount),
                ledger.Leg(position_sell, locked.sell_amount),
                ledger.Leg(position_buy, -locked.buy_amount),
                ledger.Leg(target, locked.buy_amount),
            ],
            initiated_by=user,
            idempotency_key=key,
            request_fingerprint=fingerprint,
            description=f"{locked.sell_currency}→{locked.buy_currency} @ {locked.rate}",
            metadata={
                "quote": locked.token,
                "rate": str(locked.rate),
                "sell": f"{locked.sell_amount} {locked.sell_currency}",
                "buy": f"{locked.buy_amount} {locked.buy_currency}",
            },
        )
        locked.used_by = txn
        locked.save(update_fields=["used_by"])
        events.emit(events.MONEY_MOVED, transaction_id=txn.pk)
        return txn

    return idempotent(user=user, key=key, fingerprint=fingerprint, post=post)
