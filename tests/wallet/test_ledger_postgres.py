"""What PostgreSQL itself guarantees, with real commits and real concurrent connections."""

import random
import threading
import uuid
from decimal import Decimal

import pgtrigger
import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.utils import DatabaseError

from config.api_errors import ApplicationError
from wallet import services
from wallet.audit import ledger_breaches
from wallet.models import Entry, LedgerAccount, Transaction

from .factories import balance, funded_wallet

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_deferred_trigger_refuses_an_unbalanced_transaction_at_commit():
    funded_wallet("10.00")
    entry = Entry.objects.filter(amount__gt=0).get()
    # Entries are append-only (another trigger); with that one ignored, the balance check
    # remains as the next line of defence.
    with (
        pytest.raises(DatabaseError, match="unbalanced"),
        transaction.atomic(),
        pgtrigger.ignore("wallet.Entry:entry_append_only"),
    ):
        Entry.objects.filter(pk=entry.pk).update(amount=Decimal("9.00"))
    assert Entry.objects.get(pk=entry.pk).amount == Decimal("10.00")


def test_a_database_error_mid_posting_leaves_nothing_half_posted(monkeypatch):
    sender = funded_wallet("100.00")
    recipient = funded_wallet("0.01")
    from wallet import ledger

    real_bulk_create = Entry.objects.bulk_create

    def fail_after_entries(objs, *args, **kwargs):
        real_bulk_create(objs, *args, **kwargs)
        raise DatabaseError("disk full")

    monkeypatch.setattr(Entry.objects, "bulk_create", fail_after_entries)
    with pytest.raises(DatabaseError):
        services.transfer_create(
            sender_user=sender.user,
            to=recipient.user.email,
            amount="5.00",
            currency="CNY",
            idempotency_key="k1",
        )
    monkeypatch.undo()
    assert balance(sender) == Decimal("100.00")
    assert balance(recipient) == Decimal("0.01")
    assert not Transaction.objects.filter(kind="transfer").exists()
    assert ledger_breaches() == []
    del ledger


def test_concurrent_transfers_keep_every_cent(django_db_blocker):
    """20 threads, 12 wallets, random transfers with overdraft attempts and retried keys."""
    assert connection.vendor == "postgresql"
    wallets = [funded_wallet("100.00") for _ in range(12)]
    total_before = sum(balance(w) for w in wallets)
    outcomes = {"ok": 0, "refused": 0, "replayed": 0}
    lock = threading.Lock()
    errors = []

    def worker(seed):
        rng = random.Random(seed)
        try:
            for _ in range(15):
                sender, recipient = rng.sample(wallets, 2)
                # Some amounts are far beyond any balance: overdraft attempts.
                amount = rng.choice(["0.01", "1.00", "7.35", "33.33", "250.00"])
                key = f"t{seed}-{rng.randrange(5)}" if rng.random() < 0.3 else str(uuid.uuid4())
                body = {"to": recipient.user.email, "amount": amount, "currency": "CNY"}
                for _attempt in range(2 if rng.random() < 0.3 else 1):  # a client retrying
                    try:
                        result = services.transfer_create(
                            sender_user=sender.user, idempotency_key=key, **body
                        )
                        kind = "replayed" if result.replayed else "ok"
                    except ApplicationError:
                        kind = "refused"  # overdraft, or a reused key with another body
                    with lock:
                        outcomes[kind] += 1
        except Exception as exc:  # noqa: BLE001  surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert outcomes["ok"] > 0 and outcomes["refused"] > 0 and outcomes["replayed"] > 0
    for wallet in wallets:
        wallet.refresh_from_db()
    assert sum(balance(w) for w in wallets) == total_before
    assert not LedgerAccount.objects.filter(kind="customer", balance__lt=0).exists()
    assert ledger_breaches() == []
    call_command("ledger_audit")


def test_many_customers_paying_one_hot_merchant_at_once():
    from .factories import MerchantFactory, merchant_balance

    merchant = MerchantFactory()
    payers = [funded_wallet("50.00") for _ in range(16)]
    errors = []

    def pay(wallet, n):
        try:
            for i in range(10):
                services.payment_create(
                    payer_user=wallet.user,
                    merchant_code=merchant.code,
                    amount="1.25",
                    currency="CNY",
                    idempotency_key=f"hot-{n}-{i}",
                )
        except Exception as exc:  # noqa: BLE001  surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pay, args=(w, n)) for n, w in enumerate(payers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert merchant_balance(merchant) == Decimal("200.00")
    assert all(balance(w) == Decimal("37.50") for w in payers)
    assert ledger_breaches() == []
