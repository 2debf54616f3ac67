"""Daily yield accrual, in sets: a handful of INSERT ... SELECT / UPDATE ... FROM statements per
fund and day, whatever the number of holdings.

Each holding paid gets one ledger transaction of its own (fund income -> holding), so every
transaction keeps two entries: the database's deferred "entries sum to zero" trigger then
sums two rows per entry, and the hash chain seals small transactions as it always does. Rows
are only inserted (transactions, entries, accruals); balances change by one UPDATE ... FROM,
taken on the holding accounts before their entries are written, so `balance_after` is exact.

Exactly once per holding and day: the declared-yield row is locked first and marked accrued in
the same transaction; a second run (or a second worker waiting on that lock) finds it accrued
and pays nothing. The unique (holding, date) constraint is the database's last guard.

Rounding: the exact yield of holding i is principal_i x per_10k / 10,000. Holdings are taken
in id order and holding i is paid round(C_i) - round(C_(i-1)) cents, C being the running sum of
exact yields (half up). The residue of one holding is carried into the next, so every holding
gets its exact yield within one cent and the day's total is exactly the declared yield on the
total held, rounded to the cent. Integers throughout (cents x per_10k in 1/10,000): no float.

The principal is the holding's balance at the end of the day (bank time): its balance now, less
whatever was posted to it after that day (a later subscription, redemption or yield).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from wallet.models import LedgerAccount, Transaction

from .models import FundProduct, YieldDeclaration
from .services import day_start, product_accounts_ensure

SCALE = 100_000_000  # C is in 1/10^10 of a unit = 1/10^8 of a cent


@dataclass(frozen=True)
class AccrualResult:
    product: FundProduct
    date: date
    paid: int
    total: Decimal
    already: bool = False


def _dialect():
    if connection.vendor == "postgresql":
        return {
            "int": "numeric",
            "div": "div({a}, {b})",
            "next_txn": "nextval(pg_get_serial_sequence('wallet_transaction', 'id'))",
            "meta": "jsonb_build_object('product', h.product_id, 'holding', h.id, "
            "'date', %(day_text)s::text)",
        }
    return {
        "int": "INTEGER",
        "div": "(({a}) / ({b}))",
        "next_txn": None,
        "meta": "json_object('product', h.product_id, 'holding', h.id, 'date', %(day_text)s)",
    }


def _accrual_rows_sql(d) -> str:
    """Rows (holding_id, principal_cents, paid_cents) for the product and day, paid_cents > 0."""
    half = SCALE // 2
    num = d["int"]
    rounded_now = d["div"].format(a=f"cum + {half}", b=str(SCALE))
    rounded_before = d["div"].format(
        a=f"cum - principal_cents * %(per_10k)s + {half}", b=str(SCALE)
    )
    # Only fixed SQL fragments of this module are interpolated; values go as parameters.
    return f"""
        WITH late AS (
            SELECT e.account_id, SUM(e.amount) AS amount
              FROM wallet_transaction t
              JOIN wallet_entry e ON e.transaction_id = t.id
             WHERE t.created_at >= %(cutoff)s
             GROUP BY e.account_id
        ),
        held AS (
            SELECT h.id AS holding_id,
                   CAST(ROUND((a.balance - COALESCE(late.amount, 0)) * 100) AS {num})
                       AS principal_cents
              FROM wealth_holding h
              JOIN wallet_ledgeraccount a ON a.id = h.account_id
              LEFT JOIN late ON late.account_id = h.account_id
             WHERE h.product_id = %(product)s
        ),
        running AS (
            SELECT holding_id, principal_cents,
                   SUM(principal_cents) OVER (ORDER BY holding_id) * %(per_10k)s AS cum
              FROM held
             WHERE principal_cents > 0
        )
        SELECT holding_id, principal_cents, {rounded_now} - {rounded_before} AS paid_cents
          FROM running
    """  # noqa: S608 - only this module's fixed fragments are interpolated


def _insert_accruals(d, params) -> None:
    rows = _accrual_rows_sql(d)
    if d["next_txn"]:
        txn_id = d["next_txn"]
    else:
        # SQLite: one writer at a time (the declaration's UPDATE took the write lock), so the
        # ids after the current maximum are ours.
        txn_id = (
            "(SELECT COALESCE(MAX(id), 0) FROM wallet_transaction) "
            "+ ROW_NUMBER() OVER (ORDER BY holding_id)"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO wealth_yieldaccrual (holding_id, date, principal, amount, transaction_id)
            SELECT holding_id, %(day)s, principal_cents / 100.0, paid_cents / 100.0, {txn_id}
              FROM ({rows}) AS paid
             WHERE paid_cents > 0
            """,  # noqa: S608 - fixed fragments only; values are parameters
            params,
        )


STATEMENTS = [
    # The holdings' balances first: the row locks are taken here, before `balance_after` is read.
    """
    UPDATE wallet_ledgeraccount
       SET balance = wallet_ledgeraccount.balance + y.amount
      FROM wealth_yieldaccrual y
      JOIN wealth_holding h ON h.id = y.holding_id
     WHERE y.date = %(day)s AND h.product_id = %(product)s
       AND wallet_ledgeraccount.id = h.account_id
    """,
    """
    INSERT INTO wallet_transaction (id, kind, status, initiated_by_id, idempotency_key,
        request_fingerprint, reverses_id, description, note, metadata, created_at)
    SELECT y.transaction_id, %(kind)s, %(status)s, NULL, NULL, '', NULL, %(description)s, '',
           {meta}, %(now)s
      FROM wealth_yieldaccrual y
      JOIN wealth_holding h ON h.id = y.holding_id
     WHERE y.date = %(day)s AND h.product_id = %(product)s
    """,
    """
    INSERT INTO wallet_entry (transaction_id, account_id, amount, currency, balance_after)
    SELECT y.transaction_id, h.account_id, y.amount, %(currency)s, a.balance
      FROM wealth_yieldaccrual y
      JOIN wealth_holding h ON h.id = y.holding_id
      JOIN wallet_ledgeraccount a ON a.id = h.account_id
     WHERE y.date = %(day)s AND h.product_id = %(product)s
    UNION ALL
    SELECT y.transaction_id, %(income)s, -y.amount, %(currency)s,
           %(income_balance)s - SUM(y.amount) OVER (ORDER BY y.transaction_id)
      FROM wealth_yieldaccrual y
      JOIN wealth_holding h ON h.id = y.holding_id
     WHERE y.date = %(day)s AND h.product_id = %(product)s
    """,
]


@transaction.atomic(durable=True)
def yield_accrue(*, product: FundProduct, day: date) -> AccrualResult:
    """Pay every holding of `product` its yield for `day`, once. Returns how many were paid."""
    declaration = (
        YieldDeclaration.objects.select_for_update().filter(product=product, date=day).first()
    )
    if declaration is None:
        return AccrualResult(product, day, 0, Decimal(0), already=False)
    if declaration.accrued_at is not None:
        return AccrualResult(product, day, 0, Decimal(0), already=True)
    product = product_accounts_ensure(product=product)
    now = timezone.now()
    # Take the write lock at once on SQLite (a no-op change elsewhere): see _insert_accruals.
    YieldDeclaration.objects.filter(pk=declaration.pk).update(accrued_at=now)
    income = LedgerAccount.objects.select_for_update().get(pk=product.income_account_id)
    d = _dialect()
    per_10k_units = int((declaration.per_10k * 10_000).to_integral_value())
    ops = connection.ops
    params = {
        "day": ops.adapt_datefield_value(day),
        "day_text": day.isoformat(),
        "product": product.pk,
        "per_10k": per_10k_units,
        "cutoff": ops.adapt_datetimefield_value(day_start(day + timedelta(days=1))),
        "kind": Transaction.Kind.FUND_YIELD.value,
        "status": Transaction.Status.COMPLETED.value,
        "description": f"Yield of {product.code} for {day.isoformat()}",
        "now": ops.adapt_datetimefield_value(now),
        "currency": product.currency,
        "income": product.income_account_id,
        "income_balance": income.balance,
    }
    _insert_accruals(d, params)
    with connection.cursor() as cursor:
        for statement in STATEMENTS:
            cursor.execute(statement.replace("{meta}", d["meta"]), params)
        cursor.execute(
            """
            SELECT COUNT(*), COALESCE(SUM(y.amount), 0)
              FROM wealth_yieldaccrual y JOIN wealth_holding h ON h.id = y.holding_id
             WHERE y.date = %(day)s AND h.product_id = %(product)s
            """,
            params,
        )
        paid, total = cursor.fetchone()
        total = Decimal(str(total)).quantize(Decimal("0.01"))
        if paid:
            cursor.execute(
                "UPDATE wallet_ledgeraccount SET balance = balance - %(total)s WHERE id = %(income)s",
                {**params, "total": total},
            )
    YieldDeclaration.objects.filter(pk=declaration.pk).update(
        accrued_at=now, holdings_paid=paid, total_paid=total
    )
    return AccrualResult(product, day, paid, total)


def yield_accrue_all(*, day: date) -> list[AccrualResult]:
    """Every fund with a yield declared for `day` (each fund in its own transaction)."""
    products = FundProduct.objects.filter(yields__date=day).order_by("pk")
    return [yield_accrue(product=product, day=day) for product in products]
