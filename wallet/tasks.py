"""Celery tasks of the wallet: thin, idempotent."""

from celery import shared_task

from . import chain


@shared_task(name="wallet.seal_ledger", ignore_result=True)
def seal_ledger() -> int:
    """Periodic: extend the ledger's hash chain. Two runs at once seal each transaction once."""
    return chain.ledger_seal_pending().sealed
