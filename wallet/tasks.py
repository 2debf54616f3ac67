"""Celery tasks of the wallet: thin, idempotent."""

from datetime import date

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from accounts.bank.camt053 import previous_business_day

from . import chain
from .services.reconciliation import reconcile_bank_day


@shared_task(name="wallet.seal_ledger", ignore_result=True)
def seal_ledger() -> int:
    """Periodic: extend the ledger's hash chain. Two runs at once seal each transaction once."""
    return chain.ledger_seal_pending().sealed


@shared_task(name="wallet.reconcile_bank", ignore_result=True)
def reconcile_bank(day: str | None = None) -> dict:
    """Periodic: import and reconcile the previous business day's bank statement (idempotent:
    a statement already imported is not imported again)."""
    target = date.fromisoformat(day) if day else previous_business_day(timezone.localdate())
    counts = {}
    for currency in settings.FUNDING_CURRENCIES:
        result = reconcile_bank_day(day=target, currency=currency)
        counts[currency] = {"matched": result.matched, "unmatched": result.unmatched}
    return counts
