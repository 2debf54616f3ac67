"""The ledger's hash chain: seal committed transactions, and prove that nothing sealed changed.

Each transaction, once committed, gets a link (`TransactionSeal`): SHA-256 over its sequence
number, the previous link's hash and a canonical form of the transaction and its entries. The
links live in their own table, so sealing never updates the append-only ledger rows, and
posting never waits for sealing: a sealer runs apart (periodic Celery task, `seal_ledger`),
locks only the chain's head row, and seals what has committed since, in id order.

Transaction ids can commit out of order (a posting that took id 10 may commit after id 11 was
sealed), so the sealer does not simply stop at "the highest sealed id". It keeps a cursor (the
highest id its forward scan sealed) and, each time the scan steps over ids that are not there
yet, it notes them as open gaps: a late commit can only be one of those ids, so each round looks
at the new rows above the cursor and at the few open gaps, never at everything sealed since the
watermark (which made sealing cost more the busier the day; `make bench`, seal_overhead_ratio).
A late one simply gets the next sequence number. A gap is given up once the commit just above it
is older than settings LEDGER_SEAL_WATERMARK_LAG_SECONDS (default five minutes): its id was
taken before that commit's, so a posting still in flight for it would have to be older than any
posting can be; it was rolled back. The watermark is the highest id below which everything is
sealed or given up. A transaction that nevertheless appears below the watermark unsealed is
either an impossibly slow commit or a row inserted into the past: the audit reports it, and
`seal_ledger --rescan` seals it after a person looked.

At the end of each day (bank time) the chain's head is recorded as that day's seal
(`DailySeal`): auditors keep those outside the bank (`seal_ledger --export-daily`), and
`ledger_audit --since DAY` trusts one and verifies from there on.
"""

import csv
import hashlib
import io
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction as db_transaction
from django.db.models import Q
from django.utils import timezone

from .models import (
    GENESIS_HASH,
    DailySeal,
    Entry,
    SealChainHead,
    Transaction,
    TransactionSeal,
)

CANONICAL_VERSION = 1
# The stored scale of every amount column: a canonical amount keeps all four places, so a change
# finer than the currency's minor unit (10.00 -> 10.0001) still changes the hash.
STORED_SCALE = Decimal("0.0001")
MAX_NAMED_BREACHES = 20

TRANSACTION_FIELDS = (
    "id",
    "kind",
    "created_at",
    "idempotency_key",
    "request_fingerprint",
    "initiated_by_id",
    "reverses_id",
    "description",
    "note",
    "metadata",
)
ENTRY_FIELDS = ("id", "transaction_id", "account_id", "amount", "currency", "balance_after")


@dataclass(frozen=True)
class ChainBreach:
    invariant: str
    detail: str


@dataclass
class SealResult:
    sealed: int = 0
    sequence: int = 0
    hash: str = GENESIS_HASH
    daily_seals: list[date] = field(default_factory=list)


@dataclass
class ChainReport:
    breaches: list[ChainBreach]
    verified: int
    last_sequence: int
    last_hash: str
    seconds: float
    started_after: int  # the sequence trusted as the starting point (0: from the genesis)

    @property
    def rows_per_second(self) -> float:
        return self.verified / self.seconds if self.seconds > 0 else float(self.verified)


# --- the canonical form ------------------------------------------------------------------------


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).quantize(STORED_SCALE))


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_content(txn: dict, entries: list[dict]) -> bytes:
    """Every column of the transaction except `status` (which may still change), and every entry.

    Sorted keys, no whitespace, ASCII only: the same rows give the same bytes on any machine.
    """
    content = {
        "v": CANONICAL_VERSION,
        "id": txn["id"],
        "kind": txn["kind"],
        "created_at": _utc(txn["created_at"]),
        "idempotency_key": txn["idempotency_key"],
        "request_fingerprint": txn["request_fingerprint"],
        "initiated_by": txn["initiated_by_id"],
        "reverses": txn["reverses_id"],
        "description": txn["description"],
        "note": txn["note"],
        "metadata": txn["metadata"],
        "entries": [
            {
                "id": e["id"],
                "account": e["account_id"],
                "amount": _amount(e["amount"]),
                "currency": e["currency"],
                "balance_after": _amount(e["balance_after"]),
            }
            for e in sorted(entries, key=lambda e: e["id"])
        ],
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def link_hash(*, sequence: int, previous_hash: str, content: bytes) -> str:
    digest = hashlib.sha256(f"{sequence}\n{previous_hash}\n".encode())
    digest.update(content)
    return digest.hexdigest()


def _contents(transaction_ids: list[int]) -> dict[int, bytes]:
    """Canonical bytes per transaction id, in two queries whatever the number of ids."""
    if not transaction_ids:
        return {}
    return _canonical_rows(
        Transaction.objects.filter(pk__in=transaction_ids),
        Entry.objects.filter(transaction_id__in=transaction_ids),
    )


def _contents_of_links(after: int, through: int) -> dict[int, bytes]:
    """The same for the transactions sealed at sequences (after, through]: joined through the seal
    table by its sequence index, instead of sending thousands of ids as parameters."""
    return _canonical_rows(
        Transaction.objects.filter(seal__sequence__gt=after, seal__sequence__lte=through),
        Entry.objects.filter(
            transaction__seal__sequence__gt=after, transaction__seal__sequence__lte=through
        ),
    )


def _canonical_rows(transactions, entries_query) -> dict[int, bytes]:
    entries: dict[int, list[dict]] = defaultdict(list)
    for entry in entries_query.values(*ENTRY_FIELDS):
        entries[entry["transaction_id"]].append(entry)
    return {
        txn["id"]: canonical_content(txn, entries[txn["id"]])
        for txn in transactions.values(*TRANSACTION_FIELDS)
    }


# --- sealing -----------------------------------------------------------------------------------


def _locked_head() -> SealChainHead:
    """The one row two sealers contend for; a migration creates it, a flushed test database not."""
    SealChainHead.objects.get_or_create(pk=1)
    return SealChainHead.objects.select_for_update().get(pk=1)


MAX_OPEN_GAPS = 1000


def _gaps_stepped_over(after: int, sealed: list[int], moments: dict[int, float]) -> list[list]:
    """The id ranges between `after` and the last of `sealed` (ascending) that were not there:
    [first, last, epoch of the commit just above]."""
    gaps, previous = [], after
    for pk in sealed:
        if pk > previous + 1:
            gaps.append([previous + 1, pk - 1, moments[pk]])
        previous = pk
    return gaps


def _still_open(gaps: list[list], sealed_late: set[int], *, now: datetime) -> list[list]:
    """Open gaps minus the ids just sealed, without those given up (see the module's docstring).
    Kept short: past MAX_OPEN_GAPS, neighbours merge (the check only looks for unsealed rows)."""
    give_up_before = (
        now - timedelta(seconds=settings.LEDGER_SEAL_WATERMARK_LAG_SECONDS)
    ).timestamp()
    kept = []
    for first, last, moment in gaps:
        if moment < give_up_before:
            continue
        start = first
        for pk in sorted(pk for pk in sealed_late if first <= pk <= last):
            if pk > start:
                kept.append([start, pk - 1, moment])
            start = pk + 1
        if start <= last:
            kept.append([start, last, moment])
    while len(kept) > MAX_OPEN_GAPS:
        merged = []
        for i in range(0, len(kept), 2):
            pair = kept[i : i + 2]
            merged.append([pair[0][0], pair[-1][1], min(gap[2] for gap in pair)])
        kept = merged
    return kept


def _late_commits(gaps: list[list]) -> list[int]:
    if not gaps:
        return []
    inside = Q()
    for first, last, _moment in gaps:
        inside |= Q(pk__gte=first, pk__lte=last)
    return list(Transaction.objects.filter(inside, seal__isnull=True).values_list("pk", flat=True))


def _record_daily_seals(*, now: datetime) -> list[date]:
    """Close every finished day (bank time) that has no daily seal yet. Called under the head lock,
    after which no link with an earlier `sealed_at` can still commit."""
    today = timezone.localdate(now)
    last = DailySeal.objects.order_by("-date").first()
    if last is not None:
        day = last.date + timedelta(days=1)
    else:
        first = TransactionSeal.objects.order_by("sequence").values_list("sealed_at", flat=True)
        first_sealed_at = first.first()
        if first_sealed_at is None:
            return []
        day = timezone.localdate(first_sealed_at)
    recorded = []
    while day < today:
        day_end = timezone.make_aware(
            datetime.combine(day + timedelta(days=1), datetime.min.time())
        )
        link = (
            TransactionSeal.objects.filter(sealed_at__lt=day_end)
            .order_by("-sequence")
            .values("sequence", "hash")
            .first()
        )
        if link is not None:
            DailySeal.objects.create(
                date=day, last_sequence=link["sequence"], hash=link["hash"], created_at=now
            )
            recorded.append(day)
        day += timedelta(days=1)
    return recorded


@db_transaction.atomic
def ledger_seal(*, batch: int | None = None, now: datetime | None = None, rescan: bool = False):
    """Seal up to `batch` committed, unsealed transactions in id order (plus any late commits into
    the open gaps), extending the chain.

    Holds only the chain head's row lock, for one short transaction; postings are never waited on
    and never wait. `rescan` also searches the whole ledger below the cursor.
    """
    batch = batch or settings.LEDGER_SEAL_BATCH
    now = now or timezone.now()
    head = _locked_head()
    cursor = max(head.cursor, head.watermark)
    forward = list(
        Transaction.objects.filter(pk__gt=cursor, seal__isnull=True)
        .order_by("pk")
        .values_list("pk", "created_at")[:batch]
    )
    late = _late_commits(head.open_gaps)
    if rescan:
        below = Transaction.objects.filter(pk__lte=cursor, seal__isnull=True)
        late = sorted(set(late) | set(below.values_list("pk", flat=True)[:batch]))
    candidates = sorted(set(late) | {pk for pk, _created in forward})
    contents = _contents(candidates)
    sequence, previous = head.sequence, head.hash
    links = []
    for pk in candidates:
        sequence += 1
        digest = link_hash(sequence=sequence, previous_hash=previous, content=contents[pk])
        links.append(
            TransactionSeal(
                transaction_id=pk,
                sequence=sequence,
                hash=digest,
                previous_hash=previous,
                sealed_at=now,
            )
        )
        previous = digest
    TransactionSeal.objects.bulk_create(links)
    moments = {pk: created.timestamp() for pk, created in forward}
    stepped_over = _gaps_stepped_over(cursor, [pk for pk, _created in forward], moments)
    head.open_gaps = _still_open(head.open_gaps + stepped_over, set(late), now=now)
    head.cursor = forward[-1][0] if forward else cursor
    head.watermark = head.open_gaps[0][0] - 1 if head.open_gaps else head.cursor
    head.sequence, head.hash, head.updated_at = sequence, previous, now
    head.save()
    daily = _record_daily_seals(now=now)
    return SealResult(sealed=len(links), sequence=sequence, hash=previous, daily_seals=daily)


def ledger_seal_pending(*, batch: int | None = None, max_batches: int = 100, **kwargs):
    """Seal batch after batch until nothing is left (each batch its own short transaction)."""
    batch = batch or settings.LEDGER_SEAL_BATCH
    total = SealResult()
    for _ in range(max_batches):
        result = ledger_seal(batch=batch, **kwargs)
        total = SealResult(
            sealed=total.sealed + result.sealed,
            sequence=result.sequence,
            hash=result.hash,
            daily_seals=total.daily_seals + result.daily_seals,
        )
        if result.sealed < batch:
            break
    return total


# --- verifying ---------------------------------------------------------------------------------


def _starting_point(since: date | None) -> tuple[int, str, list[ChainBreach]]:
    if since is None:
        return 0, GENESIS_HASH, []
    daily = DailySeal.objects.filter(date=since).first()
    if daily is None:
        return 0, GENESIS_HASH, [ChainBreach("daily seal", f"there is no daily seal for {since}")]
    return daily.last_sequence, daily.hash, []


def chain_verify(*, since: date | None = None, chunk: int = 2000) -> ChainReport:
    """Recompute every link after the starting point, in sequence order, a chunk at a time.

    Names the first transaction whose content no longer matches its seal, links whose previous
    hash was rewritten, sealed transactions that are gone, missing sequence numbers, a head that
    runs ahead of the chain, daily seals that disagree with it, and unsealed rows in the past.
    """
    started = time.perf_counter()
    start_sequence, previous, breaches = _starting_point(since)
    if breaches:
        return ChainReport(breaches, 0, 0, GENESIS_HASH, time.perf_counter() - started, 0)
    daily_by_sequence = {
        d.last_sequence: d for d in DailySeal.objects.filter(last_sequence__gte=start_sequence)
    }
    if start_sequence:
        anchor = TransactionSeal.objects.filter(sequence=start_sequence).values("hash").first()
        if anchor is None or anchor["hash"] != previous:
            breaches.append(
                ChainBreach(
                    "daily seal matches the chain",
                    f"the daily seal of {since} (#{start_sequence}) no longer matches the chain",
                )
            )
    expected, cursor, verified = start_sequence + 1, start_sequence, 0
    while True:
        links = list(
            TransactionSeal.objects.filter(sequence__gt=cursor)
            .order_by("sequence")
            .values("transaction_id", "sequence", "hash", "previous_hash")[:chunk]
        )
        if not links:
            break
        contents = _contents_of_links(cursor, links[-1]["sequence"])
        for link in links:
            breaches += _check_link(link, expected, previous, contents)
            daily = daily_by_sequence.get(link["sequence"])
            if daily is not None and daily.hash != link["hash"]:
                breaches.append(
                    ChainBreach(
                        "daily seal matches the chain",
                        f"the daily seal of {daily.date} (#{daily.last_sequence}) does not match "
                        "the chain: the chain was rewritten after that day was sealed",
                    )
                )
            previous, expected, cursor = link["hash"], link["sequence"] + 1, link["sequence"]
            verified += 1
    breaches += _check_head(cursor, previous, start_sequence)
    breaches += _unsealed_in_the_past()
    return ChainReport(
        breaches, verified, cursor, previous, time.perf_counter() - started, start_sequence
    )


def _check_link(link: dict, expected: int, previous: str, contents: dict) -> list[ChainBreach]:
    found = []
    sequence, txn_id = link["sequence"], link["transaction_id"]
    if sequence != expected:
        missing = f"#{expected}" if sequence == expected + 1 else f"#{expected}-#{sequence - 1}"
        found.append(
            ChainBreach(
                "no gap in the chain",
                f"seal {missing} is missing before transaction {txn_id} (#{sequence}): "
                "sealed transactions were removed",
            )
        )
    elif link["previous_hash"] != previous:
        found.append(
            ChainBreach(
                "each seal links to the one before",
                f"transaction {txn_id} (#{sequence}) does not link to the seal before it",
            )
        )
    content = contents.get(txn_id)
    if content is None:
        found.append(
            ChainBreach(
                "no gap in the chain",
                f"transaction {txn_id} (#{sequence}) was sealed but is no longer in the ledger",
            )
        )
    elif (
        link_hash(sequence=sequence, previous_hash=link["previous_hash"], content=content)
        != (link["hash"])
    ):
        found.append(
            ChainBreach(
                "sealed content unchanged",
                f"transaction {txn_id} (#{sequence}) no longer matches its seal: "
                "it or its entries were changed after sealing",
            )
        )
    return found


def _check_head(last_sequence: int, last_hash: str, start_sequence: int) -> list[ChainBreach]:
    head = SealChainHead.objects.filter(pk=1).first()
    if head is None or head.sequence < start_sequence:
        return []
    if head.sequence != last_sequence or head.hash != last_hash:
        return [
            ChainBreach(
                "no gap in the chain",
                f"the chain head is at #{head.sequence} but the seals end at #{last_sequence}: "
                "the last sealed transactions were removed",
            )
        ]
    return []


def _unsealed_in_the_past() -> list[ChainBreach]:
    head = SealChainHead.objects.filter(pk=1).first()
    if head is None or not head.watermark:
        return []
    late = (
        Transaction.objects.filter(pk__lte=head.watermark, seal__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:MAX_NAMED_BREACHES]
    )
    return [
        ChainBreach(
            "every old transaction sealed",
            f"transaction {pk} is older than the sealed watermark #{head.watermark} but was never "
            "sealed (inserted after the fact?); seal it with `seal_ledger --rescan` once explained",
        )
        for pk in late
    ]


def chain_breaches() -> list[ChainBreach]:
    return chain_verify().breaches


# --- for auditors ------------------------------------------------------------------------------


def daily_seals_export(*, fmt: str = "json") -> list[str]:
    """One line per day: the date, the last sequence sealed by its end, and the chain's hash."""
    rows = DailySeal.objects.order_by("date").values_list("date", "last_sequence", "hash")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["date", "last_sequence", "hash"])
        writer.writerows((day.isoformat(), seq, digest) for day, seq, digest in rows)
        return buffer.getvalue().splitlines()
    return [
        json.dumps({"date": day.isoformat(), "last_sequence": seq, "hash": digest})
        for day, seq, digest in rows
    ]
