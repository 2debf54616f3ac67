"""Daily yield accrual (wealth/accrual.py) for many holdings, against one SQL statement.

Setup (not timed), in SQL: ROWS customers (default 1,000,000), each holding the fund through an
opening ledger transaction dated two days ago, and a declared yield for yesterday.

Then, on the same rows:
  sql      one set-based statement (data-modifying CTEs) doing the same inserts and balance
           updates, with the deferred "entries sum to zero" trigger fired (SET CONSTRAINTS ALL
           IMMEDIATE), then rolled back;
  accrual  wealth.accrual.yield_accrue, committed (the trigger fires at commit).
Prints `yield_accrual_rows_per_s` (holdings paid per second by the service) and
`yield_accrual_vs_sql_ratio` (sql seconds / service seconds: 1.0 means as fast as the one
statement). Standalone: `ROWS=100000 python -m bench.accrual` against DATABASE_URL (PostgreSQL).
"""

import os
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROWS = int(os.environ.get("ROWS", "1000000"))
PER_10K = Decimal("0.6543")


@dataclass
class AccrualBench:
    rows: int
    paid: int
    seconds: float
    sql_seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.paid / self.seconds if self.seconds else float("nan")

    @property
    def vs_sql_ratio(self) -> float:
        return self.sql_seconds / self.seconds if self.seconds else float("nan")


def _sequences_past_explicit_ids(tables) -> None:
    """The ledger bench's capture customers were saved with explicit ids (bench/capture.py,
    900001 and up) that their sequences never handed out: move each sequence past its table's
    highest id, or a million new holders run into them."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            highest = f"(SELECT COALESCE(MAX(id), 0) FROM {table})"  # noqa: S608 (our names)
            issued = (
                "(SELECT last_value FROM pg_sequences "
                "WHERE schemaname = current_schema() AND sequencename = %s)"
            )
            setval = "SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST(1, {}, {}))"
            cursor.execute(setval.format(highest, issued), [table, f"{table}_id_seq"])


def _setup(rows: int):
    """A fund with `rows` holdings of 1,000.00-50,999.99 each, every one with its opening
    transaction (clearing -> holding) two days ago, and yesterday's declared yield."""
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from wallet.models import LedgerAccount
    from wallet.services.common import system_account_ensure
    from wealth.models import FundProduct, YieldDeclaration
    from wealth.services import product_save

    stamp = timezone.now().strftime("%H%M%S%f")
    product = product_save(product=FundProduct(code=f"B{stamp}"[:20], name=f"bench fund {stamp}"))
    day = timezone.localdate() - timedelta(days=1)
    YieldDeclaration.objects.create(
        product=product, date=day, per_10k=PER_10K, annualised_7d=Decimal("2.4000")
    )
    clearing = system_account_ensure(kind=LedgerAccount.Kind.BANK_CLEARING, currency="CNY")
    template = User(email=f"bench-template-{stamp}@bench.example", full_name="压测")
    template.set_unusable_password()
    template.save()
    opened = timezone.now() - timedelta(days=2)
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT column_name FROM information_schema.columns
                WHERE table_name = 'accounts_user' AND column_name NOT IN ('id', 'email')"""
        )
        columns = [row[0] for row in cursor.fetchall()]
    copied = ", ".join(f'"{c}"' for c in columns)
    _sequences_past_explicit_ids(("accounts_user", "wallet_ledgeraccount", "wallet_transaction"))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
                CREATE TEMP TABLE bench_holders ON COMMIT DROP AS
                SELECT g AS i, nextval(pg_get_serial_sequence('accounts_user', 'id')) AS user_id,
                       nextval(pg_get_serial_sequence('wallet_ledgeraccount', 'id')) AS account_id,
                       nextval(pg_get_serial_sequence('wallet_transaction', 'id')) AS txn_id,
                       (1000 + (g::bigint * 7919) %% 50000)::numeric + ((g * 31) %% 100) / 100.0
                           AS amount
                  FROM generate_series(1, %(rows)s) AS g;
                INSERT INTO accounts_user (id, email, {copied})
                SELECT b.user_id, 'acc' || %(stamp)s || '-' || b.i || '@bench.example', {copied}
                  FROM bench_holders b, accounts_user t WHERE t.id = %(template)s;
                INSERT INTO wallet_ledgeraccount (id, kind, currency, code, shard, balance,
                    created_at, wallet_id, merchant_id)
                SELECT account_id, 'fund_holding', 'CNY',
                       'fund:' || %(product)s || ':user:' || user_id, 0, amount, %(opened)s,
                       NULL, NULL
                  FROM bench_holders;
                INSERT INTO wealth_holding (user_id, product_id, account_id, created_at)
                SELECT user_id, %(product)s, account_id, %(opened)s FROM bench_holders;
                INSERT INTO wallet_transaction (id, kind, status, initiated_by_id, idempotency_key,
                    request_fingerprint, reverses_id, description, note, metadata, created_at)
                SELECT txn_id, 'adjustment', 'completed', NULL, NULL, '', NULL,
                       'bench opening', '', '{{}}'::jsonb, %(opened)s
                  FROM bench_holders;
                INSERT INTO wallet_entry (transaction_id, account_id, amount, currency,
                    balance_after)
                SELECT txn_id, account_id, amount, 'CNY', amount FROM bench_holders
                UNION ALL
                SELECT txn_id, %(clearing)s, -amount, 'CNY',
                       %(clearing_balance)s - SUM(amount) OVER (ORDER BY txn_id)
                  FROM bench_holders;
                UPDATE wallet_ledgeraccount
                   SET balance = balance - (SELECT SUM(amount) FROM bench_holders)
                 WHERE id = %(clearing)s;
                """,  # noqa: S608 - column names from information_schema; values are parameters
            {
                "rows": rows,
                "stamp": stamp,
                "template": template.pk,
                "product": product.pk,
                "opened": opened,
                "clearing": clearing.pk,
                "clearing_balance": clearing.balance,
            },
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return product, day


ONE_STATEMENT = """
WITH late AS (
    SELECT e.account_id, SUM(e.amount) AS amount
      FROM wallet_transaction t JOIN wallet_entry e ON e.transaction_id = t.id
     WHERE t.created_at >= %(cutoff)s
     GROUP BY e.account_id
), running AS (
    SELECT h.id AS holding_id, h.account_id, h.user_id,
           ROUND((a.balance - COALESCE(late.amount, 0)) * 100) AS principal_cents,
           SUM(ROUND((a.balance - COALESCE(late.amount, 0)) * 100))
               OVER (ORDER BY h.id) * %(per_10k)s AS cum
      FROM wealth_holding h
      JOIN wallet_ledgeraccount a ON a.id = h.account_id
      LEFT JOIN late ON late.account_id = h.account_id
     WHERE h.product_id = %(product)s AND a.balance - COALESCE(late.amount, 0) > 0
), paid AS (
    SELECT holding_id, account_id, user_id, principal_cents,
           (div(cum + 50000000, 100000000)
            - div(cum - principal_cents * %(per_10k)s + 50000000, 100000000)) / 100.0 AS amount,
           nextval(pg_get_serial_sequence('wallet_transaction', 'id')) AS txn_id
      FROM running
     WHERE div(cum + 50000000, 100000000)
           > div(cum - principal_cents * %(per_10k)s + 50000000, 100000000)
), accruals AS (
    INSERT INTO wealth_yieldaccrual (holding_id, date, principal, amount, transaction_id)
    SELECT holding_id, %(day)s, principal_cents / 100.0, amount, txn_id FROM paid
), txns AS (
    INSERT INTO wallet_transaction (id, kind, status, initiated_by_id, idempotency_key,
        request_fingerprint, reverses_id, description, note, metadata, created_at)
    SELECT txn_id, 'fund_yield', 'completed', NULL, NULL, '', NULL, 'bench', '',
           jsonb_build_object('product', %(product)s, 'holding', holding_id, 'date',
                              %(day_text)s::text),
           now()
      FROM paid
), holdings AS (
    UPDATE wallet_ledgeraccount a SET balance = a.balance + p.amount
      FROM paid p WHERE a.id = p.account_id
), entries AS (
    INSERT INTO wallet_entry (transaction_id, account_id, amount, currency, balance_after)
    SELECT p.txn_id, p.account_id, p.amount, 'CNY', a.balance + p.amount
      FROM paid p JOIN wallet_ledgeraccount a ON a.id = p.account_id
    UNION ALL
    SELECT txn_id, %(income)s, -amount, 'CNY',
           %(income_balance)s - SUM(amount) OVER (ORDER BY txn_id)
      FROM paid
)
UPDATE wallet_ledgeraccount SET balance = balance - (SELECT SUM(amount) FROM paid)
 WHERE id = %(income)s
"""


def _one_statement_seconds(product, day) -> float:
    """The same work as one SQL statement, its deferred checks run, then rolled back."""
    from django.db import connection, transaction

    from wealth.services import day_start

    started = time.perf_counter()
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    ONE_STATEMENT,
                    {
                        "cutoff": day_start(day + timedelta(days=1)),
                        "per_10k": int(PER_10K * 10000),
                        "product": product.pk,
                        "day": day,
                        "day_text": day.isoformat(),
                        "income": product.income_account_id,
                        "income_balance": product.income_account.balance,
                    },
                )
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            seconds = time.perf_counter() - started
            raise _RollBack
    except _RollBack:
        pass
    return seconds


class _RollBack(Exception):
    pass


def run(*, rows: int = ROWS) -> AccrualBench:
    from wealth.accrual import yield_accrue
    from wealth.models import YieldAccrual

    started = time.perf_counter()
    product, day = _setup(rows)
    print(f"bench: {rows} holdings set up in {time.perf_counter() - started:.0f}s", flush=True)
    sql_seconds = _one_statement_seconds(product, day)
    started = time.perf_counter()
    result = yield_accrue(product=product, day=day)
    seconds = time.perf_counter() - started
    if YieldAccrual.objects.filter(holding__product=product, date=day).count() != result.paid:
        raise SystemExit("bench: accrual rows do not match the holdings paid")
    print(
        f"bench: accrual paid {result.paid} holdings ({result.total} CNY) in {seconds:.1f}s; "
        f"one statement {sql_seconds:.1f}s",
        flush=True,
    )
    return AccrualBench(rows=rows, paid=result.paid, seconds=seconds, sql_seconds=sql_seconds)


def print_lines(result: AccrualBench) -> None:
    print(f"yield_accrual_rows_per_s={result.rows_per_second:.0f}")
    print(f"yield_accrual_vs_sql_ratio={result.vs_sql_ratio:.3f}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    from bench import capture

    capture._django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print_lines(run())
