"""The ledger's hash chain on any database: sealing, continuing, late commits, daily seals, audit.

Tampering here goes straight at the rows (SQLite has no triggers); test_ledger_chain_postgres.py
shows PostgreSQL refusing the same edits and the audit still finding them behind its back.
"""

import json
from datetime import timedelta
from decimal import Decimal

import pgtrigger
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wallet import services
from wallet.audit import ledger_breaches
from wallet.chain import (
    MAX_OPEN_GAPS,
    _still_open,
    canonical_content,
    chain_verify,
    ledger_seal,
    ledger_seal_pending,
)
from wallet.models import (
    DailySeal,
    Entry,
    LedgerAccount,
    SealChainHead,
    Transaction,
    TransactionSeal,
)

from .factories import funded_wallet

pytestmark = pytest.mark.django_db


def behind_the_ledgers_back():
    """What an intruder with database rights does first: on PostgreSQL, ignore the append-only
    triggers for this session (no-op on SQLite, which has none)."""
    return pgtrigger.ignore(
        "wallet.Entry:entry_append_only",
        "wallet.Transaction:transaction_sealed_columns_frozen",
        "wallet.TransactionSeal:transaction_seal_append_only",
    )


def _transfer(sender, recipient, amount="1.00", key=None):
    return services.transfer_create(
        sender_user=sender.user,
        to=recipient.user.email,
        amount=amount,
        currency="CNY",
        idempotency_key=key or f"k-{Transaction.objects.count()}",
    )


def _unposted_transaction(*, pk: int, created_at=None) -> Transaction:
    """A transaction written with a chosen id, as if a posting with that id committed late.

    Two legs on one system account that cancel out: balanced, and no balance changes.
    """
    account = services.system_account_ensure(kind=LedgerAccount.Kind.BANK_CLEARING, currency="CNY")
    txn = Transaction.objects.create(
        pk=pk, kind=Transaction.Kind.ADJUSTMENT, created_at=created_at or timezone.now()
    )
    Entry.objects.bulk_create(
        [
            Entry(transaction=txn, account=account, amount=Decimal("5.00"), currency="CNY"),
            Entry(transaction=txn, account=account, amount=Decimal("-5.00"), currency="CNY"),
        ]
    )
    return txn


def test_sealing_links_every_committed_transaction_in_id_order_and_the_audit_verifies_it(capsys):
    alice, bob = funded_wallet("100.00"), funded_wallet("100.00")
    for i in range(3):
        _transfer(alice, bob, key=f"t{i}")

    result = ledger_seal_pending()

    ids = list(Transaction.objects.order_by("pk").values_list("pk", flat=True))
    links = list(TransactionSeal.objects.order_by("sequence"))
    assert result.sealed == len(ids) == 5
    assert [link.transaction_id for link in links] == ids
    assert [link.sequence for link in links] == [1, 2, 3, 4, 5]
    assert links[0].previous_hash == "0" * 64
    assert all(b.previous_hash == a.hash for a, b in zip(links, links[1:], strict=False))
    head = SealChainHead.objects.get()
    assert (head.sequence, head.hash) == (5, links[-1].hash)

    call_command("ledger_audit")
    out = capsys.readouterr().out
    assert "chain verified up to the last seal: #5" in out
    assert "rows/s" in out


def test_sealing_again_seals_nothing_twice_and_posting_more_continues_the_chain():
    alice, bob = funded_wallet("100.00"), funded_wallet("100.00")
    first = ledger_seal_pending()
    assert ledger_seal_pending().sealed == 0

    _transfer(alice, bob, key="later")
    second = ledger_seal_pending()

    assert second.sealed == 1 and second.sequence == first.sequence + 1
    link = TransactionSeal.objects.get(sequence=second.sequence)
    assert link.previous_hash == first.hash
    assert chain_verify().breaches == []


def test_a_batch_seals_the_lowest_ids_first():
    for _ in range(3):
        funded_wallet("10.00")
    result = ledger_seal(batch=2)
    lowest = list(Transaction.objects.order_by("pk").values_list("pk", flat=True)[:2])
    assert result.sealed == 2
    assert sorted(TransactionSeal.objects.values_list("transaction_id", flat=True)) == lowest


def test_a_transaction_that_commits_after_a_higher_id_was_sealed_gets_the_next_link():
    funded_wallet("10.00")
    first_id = Transaction.objects.get().pk
    _unposted_transaction(pk=first_id + 100)
    ledger_seal_pending()

    late = _unposted_transaction(pk=first_id + 50)  # took its id earlier, committed now
    result = ledger_seal_pending()

    assert result.sealed == 1
    assert TransactionSeal.objects.get(transaction=late).sequence == 3
    assert chain_verify().breaches == []


def test_a_row_slipped_in_below_the_watermark_is_reported_until_an_operator_rescans():
    funded_wallet("10.00")
    first_id = Transaction.objects.get().pk
    _unposted_transaction(pk=first_id + 100)
    later = timezone.now() + timedelta(hours=1)  # everything is now old enough
    ledger_seal_pending(now=later)
    assert SealChainHead.objects.get().watermark == first_id + 100

    slipped = _unposted_transaction(pk=first_id + 10, created_at=timezone.now() - timedelta(days=2))
    assert ledger_seal_pending(now=later).sealed == 0  # the sealer no longer looks down there
    details = [b.detail for b in chain_verify().breaches]
    assert any(f"transaction {slipped.pk} is older than the sealed watermark" in d for d in details)

    assert ledger_seal_pending(now=later, rescan=True).sealed == 1
    assert chain_verify().breaches == []


def _gaps_above(head, first_id: int) -> list[list[int]]:
    return [gap[:2] for gap in head.open_gaps if gap[0] > first_id]


def test_an_id_that_never_commits_is_watched_for_one_lag_then_given_up():
    funded_wallet("10.00")
    first_id = Transaction.objects.get().pk
    _unposted_transaction(pk=first_id + 3)  # ids +1 and +2 were taken and rolled back
    ledger_seal_pending()
    head = SealChainHead.objects.get()
    assert head.cursor == first_id + 3
    # (On PostgreSQL, ids below first_id were taken by earlier tests' rolled-back postings.)
    assert _gaps_above(head, first_id) == [[first_id + 1, first_id + 2]]
    assert head.watermark <= first_id  # the sealer still looks there for a late commit

    lag_later = timezone.now() + timedelta(seconds=settings.LEDGER_SEAL_WATERMARK_LAG_SECONDS + 1)
    assert ledger_seal_pending(now=lag_later).sealed == 0
    head.refresh_from_db()
    assert head.open_gaps == [] and head.watermark == first_id + 3
    assert chain_verify().breaches == []


def test_a_late_commit_into_part_of_a_gap_leaves_the_rest_of_the_gap_watched():
    funded_wallet("10.00")
    first_id = Transaction.objects.get().pk
    _unposted_transaction(pk=first_id + 10)
    ledger_seal_pending()

    _unposted_transaction(pk=first_id + 4)
    assert ledger_seal_pending().sealed == 1
    head = SealChainHead.objects.get()
    assert _gaps_above(head, first_id) == [
        [first_id + 1, first_id + 3],
        [first_id + 5, first_id + 9],
    ]
    _unposted_transaction(pk=first_id + 9)
    assert ledger_seal_pending().sealed == 1
    assert chain_verify().breaches == []


def test_a_round_looks_only_above_the_cursor_and_into_the_open_gaps():
    for _ in range(30):
        funded_wallet("1.00")
    ledger_seal_pending(now=timezone.now() + timedelta(hours=1))  # no gap is still watched
    cursor = SealChainHead.objects.get().cursor
    with CaptureQueriesContext(connection) as queries:
        assert ledger_seal(batch=10).sealed == 0
    scans = [q["sql"] for q in queries.captured_queries if 'FROM "wallet_transaction"' in q["sql"]]
    assert scans and all(f'"wallet_transaction"."id" > {cursor}' in sql for sql in scans)


def test_open_gaps_stay_few_however_many_ids_were_stepped_over():
    now = timezone.now()
    many = [[i * 3, i * 3 + 1, now.timestamp()] for i in range(1, 2500)]
    kept = _still_open(many, set(), now=now)
    assert len(kept) <= MAX_OPEN_GAPS
    assert kept[0][0] == 3 and kept[-1][1] == 2499 * 3 + 1  # merged, nothing dropped


def test_the_canonical_form_sees_a_change_finer_than_the_currency_allows():
    txn = {
        "id": 7,
        "kind": "transfer",
        "created_at": timezone.now(),
        "idempotency_key": "k",
        "request_fingerprint": "",
        "initiated_by_id": 3,
        "reverses_id": None,
        "description": "",
        "note": "午饭",
        "metadata": {"b": 1, "a": "x"},
    }
    leg = {"id": 1, "account_id": 2, "currency": "CNY", "balance_after": None}
    original = canonical_content(txn, [{**leg, "amount": Decimal("10.00")}])
    assert original == canonical_content(txn, [{**leg, "amount": Decimal("10.0000")}])
    assert original != canonical_content(txn, [{**leg, "amount": Decimal("10.0001")}])
    assert b'"amount":"10.0000"' in original and b"\\u5348" in original  # ASCII only


def test_a_changed_transaction_is_named_as_the_first_that_no_longer_matches(capsys):
    alice, bob = funded_wallet("100.00"), funded_wallet("100.00")
    _transfer(alice, bob, key="a")
    target = _transfer(alice, bob, key="b").transaction
    _transfer(alice, bob, key="c")
    ledger_seal_pending()
    sequence = TransactionSeal.objects.get(transaction_id=target.pk).sequence

    # PostgreSQL would refuse this (see the postgres tests) unless its triggers are ignored.
    with behind_the_ledgers_back():
        Transaction.objects.filter(pk=target.pk).update(note="edited after the fact")

    with pytest.raises(CommandError):
        call_command("ledger_audit")
    err = capsys.readouterr().err
    assert f"transaction {target.pk} (#{sequence}) no longer matches its seal" in err
    assert err.count("no longer matches its seal") == 1  # the links after it still hold
    assert any("no longer matches" in b.detail for b in ledger_breaches())


def test_a_status_change_after_sealing_is_not_a_breach():
    funded_wallet("10.00")
    ledger_seal_pending()
    Transaction.objects.update(status=Transaction.Status.REJECTED)
    assert chain_verify().breaches == []


def test_removed_seals_show_as_a_gap_and_a_short_head():
    wallet = funded_wallet("100.00")
    for i in range(3):
        _transfer(wallet, funded_wallet("1.00"), key=f"g{i}")
    ledger_seal_pending()
    total = TransactionSeal.objects.count()
    with behind_the_ledgers_back():
        TransactionSeal.objects.filter(sequence__in=[3, total]).delete()

    details = [b.detail for b in chain_verify().breaches]
    assert any("seal #3 is missing" in d for d in details)
    assert any(
        f"the chain head is at #{total} but the seals end at #{total - 1}" in d for d in details
    )


def test_a_day_is_sealed_once_over_exported_for_auditors_and_trusted_by_audit_since(capsys):
    alice, bob = funded_wallet("100.00"), funded_wallet("100.00")
    day_one = timezone.now() - timedelta(days=2)
    ledger_seal_pending(now=day_one)
    head_day_one = SealChainHead.objects.get()

    _transfer(alice, bob, key="day-two")
    result = ledger_seal_pending(now=day_one + timedelta(days=1))

    day = timezone.localdate(day_one)
    assert result.daily_seals == [day]
    daily = DailySeal.objects.get()
    assert (daily.date, daily.last_sequence, daily.hash) == (
        day,
        head_day_one.sequence,
        head_day_one.hash,
    )
    assert ledger_seal_pending(now=day_one + timedelta(days=1)).daily_seals == []

    call_command("seal_ledger", "--export-daily")
    line = json.loads(capsys.readouterr().out.strip())
    assert line == {
        "date": day.isoformat(),
        "last_sequence": head_day_one.sequence,
        "hash": head_day_one.hash,
    }
    call_command("seal_ledger", "--export-daily", "csv")
    assert capsys.readouterr().out.splitlines() == [
        "date,last_sequence,hash",
        f"{day.isoformat()},{head_day_one.sequence},{head_day_one.hash}",
    ]

    call_command("ledger_audit", "--since", day.isoformat())
    out = capsys.readouterr().out
    assert f"1 seals recomputed from daily seal of {day} (#{head_day_one.sequence})" in out


def test_audit_since_a_day_without_a_daily_seal_fails_and_names_it(capsys):
    with pytest.raises(CommandError):
        call_command("ledger_audit", "--since", "2020-01-01")
    assert "there is no daily seal for 2020-01-01" in capsys.readouterr().err
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("ledger_audit", "--since", "yesterday")


def test_a_rewritten_chain_disagrees_with_the_daily_seal_auditors_hold():
    funded_wallet("100.00")
    day_one = timezone.now() - timedelta(days=2)
    ledger_seal_pending(now=day_one)
    ledger_seal_pending(now=day_one + timedelta(days=1))  # records day one
    link = TransactionSeal.objects.get(sequence=1)
    # Someone edits the transaction and recomputes its seal and the head to match.
    with behind_the_ledgers_back():
        Transaction.objects.filter(pk=link.transaction_id).update(note="rewritten")
        TransactionSeal.objects.filter(sequence=1).update(hash="f" * 64)
    SealChainHead.objects.update(hash="f" * 64)

    details = [b.detail for b in chain_verify().breaches]
    assert any("does not match the chain" in d for d in details)


def test_verifying_reads_a_fixed_number_of_queries_per_chunk(django_assert_max_num_queries):
    wallet = funded_wallet("100.00")
    for i in range(6):
        _transfer(wallet, funded_wallet("1.00"), key=f"q{i}")
    ledger_seal_pending()
    assert TransactionSeal.objects.count() == 13
    # daily seals, head x2, unsealed check, and per chunk: links, entries, transactions.
    with django_assert_max_num_queries(4 + 3 * 5 + 1):
        report = chain_verify(chunk=3)
    assert report.verified == 13 and report.breaches == []


def test_the_admin_shows_the_chain_and_the_daily_seals_read_only(client):
    from django.utils import translation

    from tests.accounts.factories import StaffFactory
    from tests.promotions.conftest import verify_second_factor

    funded_wallet("10.00")
    day_one = timezone.now() - timedelta(days=2)
    ledger_seal_pending(now=day_one)
    ledger_seal_pending(now=day_one + timedelta(days=1))
    link, daily = TransactionSeal.objects.get(), DailySeal.objects.get()
    admin = StaffFactory(is_superuser=True)
    client.force_login(admin)
    verify_second_factor(client, admin)

    with translation.override("en"):
        chain_page = client.get(f"/admin/wallet/transactionseal/?q={link.transaction_id}")
        daily_page = client.get("/admin/wallet/dailyseal/")
    assert link.hash in chain_page.content.decode()
    assert daily.hash in daily_page.content.decode()
    assert client.post(f"/admin/wallet/dailyseal/{daily.pk}/delete/").status_code == 403


def test_a_following_sealer_seals_what_committed_on_each_tick(capsys):
    funded_wallet("10.00")
    funded_wallet("10.00")
    call_command("seal_ledger", "--follow", "0.05", "--every", "0.02")
    out = capsys.readouterr().out
    assert out.startswith("sealed 2 transaction(s) in ")
    assert not Transaction.objects.filter(seal__isnull=True).exists()
