"""What PostgreSQL enforces for the append-only ledger, and the chain under real concurrency."""

import threading
from decimal import Decimal

import pgtrigger
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from wallet import services
from wallet.chain import chain_verify, ledger_seal, ledger_seal_pending
from wallet.models import Entry, SealChainHead, Transaction, TransactionSeal

from .factories import funded_wallet

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# Every trigger that keeps the ledger and its seals append-only, for tests that play the
# intruder with a superuser's session (pgtrigger.ignore works per session, like a DBA would).
APPEND_ONLY_TRIGGERS = (
    "wallet.Entry:entry_append_only",
    "wallet.Transaction:transaction_no_delete",
    "wallet.Transaction:transaction_sealed_columns_frozen",
    "wallet.TransactionSeal:transaction_seal_append_only",
)


def _transfer(sender, recipient, key, amount="1.00"):
    return services.transfer_create(
        sender_user=sender.user,
        to=recipient.user.email,
        amount=amount,
        currency="CNY",
        idempotency_key=key,
    ).transaction


def test_a_posted_entry_can_be_neither_updated_nor_deleted():
    funded_wallet("10.00")
    entry = Entry.objects.filter(amount__gt=0).get()
    with pytest.raises(DatabaseError, match="pgtrigger"), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).update(balance_after=Decimal("99.00"))
    with pytest.raises(DatabaseError, match="pgtrigger"), transaction.atomic():
        Entry.objects.filter(pk=entry.pk).delete()
    assert Entry.objects.get(pk=entry.pk).balance_after == Decimal("10.00")


@pytest.mark.parametrize(
    "change",
    [
        {"kind": Transaction.Kind.REWARD},
        {"created_at": timezone.now()},
        {"idempotency_key": "another"},
        {"note": "edited"},
        {"metadata": {"forged": True}},
    ],
    ids=lambda change: next(iter(change)),
)
def test_a_posted_transaction_keeps_its_sealed_columns(change):
    funded_wallet("10.00")
    txn = Transaction.objects.get()
    with pytest.raises(DatabaseError, match="pgtrigger"), transaction.atomic():
        Transaction.objects.filter(pk=txn.pk).update(**change)


def test_a_posted_transaction_cannot_be_deleted_even_without_its_entries_in_the_way():
    funded_wallet("10.00")
    txn = Transaction.objects.get()
    # Raw SQL: the ORM would stop earlier (entries PROTECT it); the database is the last word.
    with (
        pytest.raises(DatabaseError, match="pgtrigger"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("DELETE FROM wallet_transaction WHERE id = %s", [txn.pk])
    assert Transaction.objects.filter(pk=txn.pk).exists()


def test_a_withdrawal_may_still_change_status_and_the_chain_still_verifies():
    funded_wallet("10.00")
    txn = Transaction.objects.get()
    ledger_seal_pending()
    Transaction.objects.filter(pk=txn.pk).update(status=Transaction.Status.REJECTED)
    assert Transaction.objects.get(pk=txn.pk).status == Transaction.Status.REJECTED
    assert chain_verify().breaches == []


def test_an_entry_changed_with_the_trigger_ignored_is_named_by_ledger_audit(capsys):
    alice, bob = funded_wallet("100.00"), funded_wallet("100.00")
    _transfer(alice, bob, "before")
    target = _transfer(alice, bob, "target", amount="10.00")
    _transfer(alice, bob, "after")
    ledger_seal_pending()
    sequence = TransactionSeal.objects.get(transaction=target).sequence

    # Both legs, so the deferred "entries sum to zero" trigger lets it commit.
    with transaction.atomic(), pgtrigger.ignore("wallet.Entry:entry_append_only"):
        for entry in Entry.objects.filter(transaction=target):
            Entry.objects.filter(pk=entry.pk).update(amount=entry.amount * 2)

    with pytest.raises(CommandError):
        call_command("ledger_audit")
    err = capsys.readouterr().err
    first_chain_breach = next(line for line in err.splitlines() if "[sealed content" in line)
    assert f"transaction {target.pk} (#{sequence}) no longer matches its seal" in first_chain_breach


def test_a_transaction_removed_with_triggers_disabled_shows_as_a_gap(capsys):
    alice, bob = funded_wallet("100.00"), funded_wallet("100.00")
    removed = _transfer(alice, bob, "removed")
    _transfer(alice, bob, "kept")
    ledger_seal_pending()
    sequence = TransactionSeal.objects.get(transaction=removed).sequence

    tables = ("wallet_entry", "wallet_transaction")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute("DELETE FROM wallet_entry WHERE transaction_id = %s", [removed.pk])
            cursor.execute("DELETE FROM wallet_transaction WHERE id = %s", [removed.pk])
    finally:
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")

    with pytest.raises(CommandError):
        call_command("ledger_audit")
    err = capsys.readouterr().err
    assert (
        f"transaction {removed.pk} (#{sequence}) was sealed but is no longer in the ledger" in err
    )

    # Removing its seal too leaves a hole in the numbering.
    with transaction.atomic(), pgtrigger.ignore(*APPEND_ONLY_TRIGGERS):
        TransactionSeal.objects.filter(sequence=sequence).delete()
    details = [b.detail for b in chain_verify().breaches]
    assert any(f"seal #{sequence} is missing" in d for d in details)


def test_the_seal_table_itself_is_append_only():
    funded_wallet("10.00")
    ledger_seal_pending()
    with pytest.raises(DatabaseError, match="pgtrigger"), transaction.atomic():
        TransactionSeal.objects.update(hash="0" * 64)
    with pytest.raises(DatabaseError, match="pgtrigger"), transaction.atomic():
        TransactionSeal.objects.all().delete()


def test_concurrent_sealers_seal_each_transaction_once_while_customers_keep_posting():
    payers = [funded_wallet("100.00") for _ in range(6)]
    recipient = funded_wallet("0.01")
    errors: list[BaseException] = []
    posting_done = threading.Event()

    def post(n):
        try:
            for i in range(8):
                _transfer(payers[n], recipient, f"c{n}-{i}")
        except BaseException as exc:  # noqa: BLE001  surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    def seal():
        try:
            while not posting_done.is_set():
                ledger_seal(batch=5)
            ledger_seal_pending(batch=5)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    posters = [threading.Thread(target=post, args=(n,)) for n in range(len(payers))]
    sealers = [threading.Thread(target=seal) for _ in range(3)]
    for thread in sealers + posters:
        thread.start()
    for thread in posters:
        thread.join()
    posting_done.set()
    for thread in sealers:
        thread.join()
    ledger_seal_pending()

    assert errors == []
    transactions = Transaction.objects.count()
    assert transactions == 6 + 1 + 48
    sequences = list(
        TransactionSeal.objects.order_by("sequence").values_list("sequence", flat=True)
    )
    assert sequences == list(range(1, transactions + 1))
    assert TransactionSeal.objects.values("transaction").distinct().count() == transactions
    assert chain_verify().breaches == []
    call_command("ledger_audit")


def test_a_sealer_holding_the_chain_head_does_not_hold_up_a_payment():
    alice, bob = funded_wallet("100.00"), funded_wallet("0.01")
    ledger_seal_pending()
    locked, release = threading.Event(), threading.Event()

    def sealer_stuck_mid_batch():
        try:
            with transaction.atomic():
                SealChainHead.objects.select_for_update().get(pk=1)
                locked.set()
                release.wait(timeout=20)
        finally:
            connections.close_all()

    thread = threading.Thread(target=sealer_stuck_mid_batch)
    thread.start()
    assert locked.wait(timeout=10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        _transfer(alice, bob, "while-sealing")  # would time out if posting touched the head
    finally:
        release.set()
        thread.join()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert ledger_seal_pending().sealed == 1
