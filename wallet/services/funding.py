"""Money in from the bank (the bank connector arrives with the funding issue)."""

from decimal import Decimal

from django.db import transaction

from .. import events, ledger
from ..models import LedgerAccount, Transaction, Wallet
from ..money import parse_amount, parse_currency
from .common import system_account_ensure, wallet_account_ensure


@transaction.atomic(durable=True)
def wallet_fund_from_clearing(
    *,
    wallet: Wallet,
    amount: Decimal,
    currency: str,
    description: str,
    metadata: dict | None = None,
) -> Transaction:
    """Credit a wallet from the bank's clearing account: demo seeding and settled top-ups."""
    currency = parse_currency(currency)
    amount = parse_amount(amount, currency)
    clearing = system_account_ensure(kind=LedgerAccount.Kind.BANK_CLEARING, currency=currency)
    target = wallet_account_ensure(wallet=wallet, currency=currency)
    txn = ledger.post(
        kind=Transaction.Kind.TOP_UP,
        legs=[ledger.Leg(clearing, -amount), ledger.Leg(target, amount)],
        description=description,
        metadata={**(metadata or {}), "to_wallet": wallet.handle},
    )
    events.emit(events.MONEY_MOVED, transaction_id=txn.pk)
    return txn
