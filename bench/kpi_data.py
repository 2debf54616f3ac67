"""KPI benchmark data at scale, generated in SQL on PostgreSQL (issue 9).

`ROWS` transactions (default 10,000,000) for ROWS/10 activated customers, plus one registrant in
eight who never activated, spread over ~400 days: users (unusable hashed passwords), verified
e-mail addresses, KYC levels, wallets and their CNY ledger accounts, CustomerBranch rows over the
existing branches (two in three customers, half of those onboarded by one of the branch's
tellers), and per activated customer ten transactions of the customer-facing kinds: a first
top-up, an activation bonus (a reward from a campaign pool, with its RewardGrant) or a payment,
merchant payments, a transfer to another customer, a withdrawal, a second top-up or a cash
deposit at the counter, and for one customer in ten a reversal of an earlier payment or transfer.
One transaction in 97 sits a few seconds either side of midnight in Asia/Shanghai.

Each table is filled by one INSERT ... SELECT over generate_series with explicit ids (reserved on
its sequence first), so ids of related rows are arithmetic, not looked up. Every transaction has
two entries summing to zero; balances are set at the end by one UPDATE from the entries' sums,
and every customer's outflows are bounded below their first top-up, so no balance that must stay
at or above zero goes below it. The reference rows (branches, tellers, merchants and their
shards, the clearing, branch cash and campaign pool accounts, campaigns funded through
`campaign_fund`) go through the ordinary services first.

For speed the load runs with `session_replication_role = replica` (no triggers: not the deferred
balance check per entry, not pghistory's history rows of the generated users and wallets, not
the foreign-key checks) and `synchronous_commit = off`, with secondary indexes and unique
constraints of the loaded tables dropped and rebuilt afterwards, then ANALYZE. What the triggers
would have guaranteed is checked by `ledger_audit`'s invariants (tests/bench/test_kpi_data.py).
The generated transactions are left unsealed, above the hash chain's watermark: `seal_ledger`
would seal them (slowly, 10 million SHA-256 links), and `ledger_audit` does not count unsealed
transactions above the watermark as a breach.

Run through `bench/kpi.py` (`make bench-kpi`), or `generate(rows=...)` inside Django.
"""

import math
import time
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

# Tables the load writes to: their secondary indexes are dropped during it and rebuilt after.
LOADED_TABLES = (
    "accounts_user",
    "account_emailaddress",
    "wallet_wallet",
    "wallet_ledgeraccount",
    "backoffice_customerbranch",
    "wallet_transaction",
    "wallet_entry",
    "promotions_rewardgrant",
)
# Remembers what was generated, so the harness can skip a second generation of the same size.
META_TABLE = "bench_kpi_meta"
HISTORY_DAYS = 400
BENCH_EMAIL_DOMAIN = "kpi.bench.example"
ACTIVATION_BONUS = Decimal("8.88")
SLOTS = 10  # transactions per activated customer
CAMPAIGNS = (
    ("KPI bench: activation bonus", None),
    ("KPI bench: activation bonus (first branch)", 0),
    ("KPI bench: spring activation", None),
)


@dataclass
class Generated:
    rows: int
    customers: int
    registrants: int
    transactions: int
    entries: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        total = self.customers + self.registrants + self.transactions + self.entries
        return total / self.seconds if self.seconds else float("nan")


def already_generated(rows: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [META_TABLE])
        if cursor.fetchone()[0] is None:
            return False
        cursor.execute(f"SELECT rows FROM {META_TABLE} WHERE finished_at IS NOT NULL")  # noqa: S608
        row = cursor.fetchone()
    return row is not None and row[0] == rows


@dataclass
class _Reference:
    branches: list  # (branch id, [teller user ids])
    merchant_accounts: list[int]
    clearing: int
    branch_cash: list[int]  # per branch, same order
    campaigns: list[tuple[int, int]]  # (campaign id, pool account id)


def _reference(*, customers: int) -> _Reference:
    """Branches with tellers, merchants, system accounts and funded campaigns, via the services."""
    from accounts.models import User
    from backoffice import roles
    from backoffice.models import Branch
    from backoffice.seed import DEMO_PASSWORD, demo_merchants_ensure
    from backoffice.services import role_groups_ensure, staff_member_upsert
    from promotions import services as promotion_services
    from promotions.models import Campaign
    from promotions.services import campaign_pool_ensure
    from wallet.models import LedgerAccount
    from wallet.services.cash import branch_cash_account
    from wallet.services.common import system_account_ensure
    from wallet.services.payments import merchant_accounts_ensure

    role_groups_ensure()
    if not Branch.objects.exists():
        Branch.objects.get_or_create(code="SH001", defaults={"name": "上海陆家嘴支行"})
        Branch.objects.get_or_create(code="BJ001", defaults={"name": "北京国贸支行"})
    branches = []
    for index, branch in enumerate(Branch.objects.order_by("pk")):
        tellers = list(
            User.objects.filter(staff_profile__branch=branch, groups__name=roles.TELLER)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not tellers:
            teller = staff_member_upsert(
                email=f"teller.{branch.code.lower()}@staff.{BENCH_EMAIL_DOMAIN}",
                password=DEMO_PASSWORD,
                full_name=f"Bench teller {branch.code}",
                role=roles.TELLER,
                branch=branch,
                employee_number=f"KPI{index:04d}",
            )
            tellers = [teller.pk]
        branches.append((branch, tellers))
    merchants = demo_merchants_ensure()
    merchant_accounts = [
        account.pk
        for merchant in merchants
        for account in merchant_accounts_ensure(merchant=merchant, currency="CNY")
    ]
    clearing = system_account_ensure(kind=LedgerAccount.Kind.BANK_CLEARING, currency="CNY")
    branch_cash = [branch_cash_account(branch_code=branch.code).pk for branch, _ in branches]
    now = timezone.now()
    # Activation bonuses go to even customers, spread over the campaigns; each pool is funded
    # once with what its grants will take, through the ledger.
    grants_per_campaign = math.ceil(math.ceil(customers / 2) / len(CAMPAIGNS)) + 1
    need = ACTIVATION_BONUS * grants_per_campaign
    campaigns = []
    for name, branch_index in CAMPAIGNS:
        campaign, _created = Campaign.objects.get_or_create(
            name=name,
            kind=Campaign.Kind.ACTIVATION_BONUS,
            defaults={
                "reward_amount": ACTIVATION_BONUS,
                "budget": need,
                "starts_at": now - timezone.timedelta(days=HISTORY_DAYS + 1),
                "ends_at": now + timezone.timedelta(days=30),
                "branch": branches[branch_index][0] if branch_index is not None else None,
                "is_active": False,  # history only: real activations keep the demo's campaign
            },
        )
        pool = campaign_pool_ensure(campaign=campaign)
        if pool.balance < need:
            if campaign.budget < need:
                Campaign.objects.filter(pk=campaign.pk).update(budget=need)
                campaign.refresh_from_db()
            # One posting may move at most WALLET_MAX_AMOUNT: a large pool is funded in parts.
            largest = Decimal(settings.WALLET_MAX_AMOUNT)
            missing = need - pool.balance
            while missing > 0:
                part = min(missing, largest)
                promotion_services.campaign_fund(campaign=campaign, amount=part, funded_by=None)
                missing -= part
        campaigns.append((campaign.pk, pool.pk))
    return _Reference(
        branches=[(branch.pk, tellers) for branch, tellers in branches],
        merchant_accounts=merchant_accounts,
        clearing=clearing.pk,
        branch_cash=branch_cash,
        campaigns=campaigns,
    )


def _reserve(cursor, table: str, count: int) -> int:
    """Move the table's id sequence past `count` new ids; returns the id before the first.
    (Run on the bench's own database: nothing else inserts while it loads.)"""
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
        f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM {table}), "
        f"(SELECT last_value FROM {_sequence(cursor, table)})) + %s) - %s",
        [table, count, count],
    )
    return cursor.fetchone()[0]


def _sequence(cursor, table: str) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    return cursor.fetchone()[0]


def _drop_secondary_indexes(cursor) -> list[str]:
    """Drop the loaded tables' non-primary indexes and unique constraints; return how to
    recreate them."""
    cursor.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
          FROM pg_constraint c
         WHERE c.contype = 'u' AND c.conrelid::regclass::text = ANY(%s)
        """,
        [list(LOADED_TABLES)],
    )
    constraints = cursor.fetchall()
    recreate = [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for table, name, definition in constraints
    ]
    for table, name, _definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
          FROM pg_index i
         WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisprimary
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [list(LOADED_TABLES)],
    )
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in indexes] + recreate


def _timed(label: str, cursor, sql: str, params=None, *, verbose: bool) -> int:
    started = time.monotonic()
    cursor.execute(sql, params)
    if verbose:
        print(
            f"bench-kpi: {label}: {cursor.rowcount} rows in {time.monotonic() - started:.1f}s",
            flush=True,
        )
    return cursor.rowcount


def generate(*, rows: int, verbose: bool = True) -> Generated:
    """Generate `rows` transactions (rounded down to whole customers of ten) and everything they
    stand on. Call on a PostgreSQL database that is migrated; not twice on the same database."""
    if connection.vendor != "postgresql":
        raise RuntimeError("bench/kpi_data.py generates in PostgreSQL's SQL only")
    started = time.monotonic()
    customers = max(rows // SLOTS, 2)
    registrants = customers // 8
    users = customers + registrants
    transactions = customers * SLOTS
    entries = transactions * 2
    reference = _reference(customers=customers)
    now = timezone.now()
    # One database transaction: DDL is transactional in PostgreSQL, so a failure anywhere leaves
    # the database as it was, indexes included. The settings are LOCAL to it.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {META_TABLE} (rows bigint, finished_at timestamptz)"
        )
        cursor.execute(f"DELETE FROM {META_TABLE}")  # noqa: S608
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        _load(
            cursor,
            reference=reference,
            now=now,
            customers=customers,
            users=users,
            transactions=transactions,
            entries=entries,
            verbose=verbose,
        )
        cursor.execute(
            f"INSERT INTO {META_TABLE} (rows, finished_at) VALUES (%s, now())",  # noqa: S608
            [rows],
        )
    started_analyze = time.monotonic()
    with connection.cursor() as cursor:
        for table in LOADED_TABLES:
            cursor.execute(f"ANALYZE {table}")
    if verbose:
        print(f"bench-kpi: ANALYZE in {time.monotonic() - started_analyze:.1f}s", flush=True)
    seconds = time.monotonic() - started
    result = Generated(rows, customers, registrants, transactions, entries, seconds)
    if verbose:
        print(
            f"bench-kpi: generated {customers} customers (+{registrants} never activated), "
            f"{transactions} transactions, {entries} entries in {seconds:.1f}s "
            f"({result.rows_per_second:.0f} rows/s)",
            flush=True,
        )
    return result


def _load(cursor, *, reference, now, customers, users, transactions, entries, verbose):
    p = {
        "now": now,
        "days": HISTORY_DAYS,
        "n": customers,
        "users": users,
        "slots": SLOTS,
        "domain": BENCH_EMAIL_DOMAIN,
        "bonus": ACTIVATION_BONUS,
        "clearing": reference.clearing,
        "merchant_accounts": reference.merchant_accounts,
        "n_merchant_accounts": len(reference.merchant_accounts),
        "branch_ids": [branch for branch, _tellers in reference.branches],
        "n_branches": len(reference.branches),
        "branch_cash": reference.branch_cash,
        # Tellers of each branch, flattened: branch i's tellers at teller_start[i] ...
        "tellers": [t for _branch, tellers in reference.branches for t in tellers],
        "teller_start": _starts([len(t) for _b, t in reference.branches]),
        "teller_count": [len(t) for _b, t in reference.branches],
        "campaign_ids": [c for c, _pool in reference.campaigns],
        "pools": [pool for _c, pool in reference.campaigns],
        "n_campaigns": len(reference.campaigns),
    }
    p["u0"] = _reserve(cursor, "accounts_user", users)
    p["e0"] = _reserve(cursor, "account_emailaddress", users)
    p["w0"] = _reserve(cursor, "wallet_wallet", users)
    p["a0"] = _reserve(cursor, "wallet_ledgeraccount", customers)
    p["cb0"] = _reserve(cursor, "backoffice_customerbranch", users)
    p["t0"] = _reserve(cursor, "wallet_transaction", transactions)
    p["en0"] = _reserve(cursor, "wallet_entry", entries)
    p["g0"] = _reserve(cursor, "promotions_rewardgrant", customers)
    recreate = _drop_secondary_indexes(cursor)

    # One customer c (1..users): joined along a curve that grows towards today (sqrt), the
    # last ones never activated. Customers 1..n are activated within three days of joining.
    customer_cte = """
        WITH c AS (
          SELECT c,
                 %(now)s::timestamptz - make_interval(days => %(days)s)
                   + make_interval(secs => (%(days)s - 20) * 86400.0
                                           * sqrt((c - 0.5) / %(users)s::float8)) AS joined
            FROM generate_series(1, %(users)s) AS c
        )
    """
    _timed(
        "users",
        cursor,
        customer_cte
        + """
        INSERT INTO accounts_user (id, password, last_login, is_superuser, email, phone,
               full_name, kyc_level, phone_verified_at, second_factor_required, is_staff,
               is_active, date_joined)
        SELECT %(u0)s + c, '!' || md5('kpi-bench-' || c) || left(md5(c::text), 8), NULL, false,
               'kpi' || c || '@' || %(domain)s, NULL, '',
               CASE WHEN c %% 10 < 4 THEN 0 WHEN c %% 10 < 8 THEN 1 ELSE 2 END,
               CASE WHEN c %% 10 >= 4 THEN joined + interval '20 minutes' END,
               false, false, true, joined
          FROM c
        """,
        p,
        verbose=verbose,
    )
    _timed(
        "email addresses",
        cursor,
        """
        INSERT INTO account_emailaddress (id, email, verified, "primary", user_id)
        SELECT %(e0)s + c, 'kpi' || c || '@' || %(domain)s, c %% 12 <> 0, true, %(u0)s + c
          FROM generate_series(1, %(users)s) AS c
        """,
        p,
        verbose=verbose,
    )
    _timed(
        "wallets",
        cursor,
        """
        INSERT INTO wallet_wallet (id, user_id, handle, status, activated_at, created_at)
        SELECT %(w0)s + c, %(u0)s + c, 'k' || to_hex(%(u0)s + c),
               CASE WHEN c <= %(n)s THEN 'active' ELSE 'inactive' END,
               CASE WHEN c <= %(n)s THEN u.date_joined + make_interval(hours => c %% 72 + 1) END,
               u.date_joined
          FROM generate_series(1, %(users)s) AS c
          JOIN accounts_user u ON u.id = %(u0)s + c
        """,
        p,
        verbose=verbose,
    )
    _timed(
        "ledger accounts",
        cursor,
        """
        INSERT INTO wallet_ledgeraccount (id, kind, currency, wallet_id, merchant_id, code, shard,
               balance, created_at)
        SELECT %(a0)s + c, 'customer', 'CNY', %(w0)s + c, NULL, '', 0, 0, w.activated_at
          FROM generate_series(1, %(n)s) AS c
          JOIN wallet_wallet w ON w.id = %(w0)s + c
        """,
        p,
        verbose=verbose,
    )
    # Two in three customers have a branch; of those, every other one was onboarded there.
    _timed(
        "customer branches",
        cursor,
        """
        INSERT INTO backoffice_customerbranch (id, user_id, branch_id, onboarded_by_id, created_at)
        SELECT %(cb0)s + c, %(u0)s + c, (%(branch_ids)s::bigint[])[b + 1],
               CASE WHEN c %% 3 = 1
                    THEN (%(tellers)s::bigint[])[(%(teller_start)s::int[])[b + 1]
                                                 + (c / 3) %% (%(teller_count)s::int[])[b + 1] + 1]
               END,
               u.date_joined
          FROM generate_series(1, %(users)s) AS c
          CROSS JOIN LATERAL (SELECT (c / 7) %% %(n_branches)s AS b) AS pick
          JOIN accounts_user u ON u.id = %(u0)s + c
         WHERE c %% 3 <> 0
        """,
        p,
        verbose=verbose,
    )
    # The transactions. g = (c - 1) * 10 + k + 1 for customer c and slot k; transaction id
    # t0 + g, its entries en0 + 2g - 1 (the debit) and en0 + 2g (the credit).
    #   k=0 top-up 2000..4900        k=1 activation bonus (even c) or a payment
    #   k=2,3,4,6 payments 5..99.99  k=5 transfer 1..49.99 to another customer
    #   k=7 withdrawal 50..249       k=8 top-up 100..599, or cash in at the counter (c % 5 = 0)
    #   k=9 a reversal of slot 3's payment (c % 20 = 0) or slot 5's transfer (c % 20 = 10),
    #       otherwise a payment.
    # Outflows stay below 850, the first top-up is at least 2000: no customer goes below zero.
    legs_cte = """
        WITH t AS (
          SELECT g, c, k, w.activated_at AS activated, h,
                 CASE
                   WHEN k = 0 THEN 'top_up'
                   WHEN k = 1 AND c %% 2 = 0 THEN 'reward'
                   WHEN k = 5 THEN 'transfer'
                   WHEN k = 7 THEN 'withdrawal'
                   WHEN k = 8 AND c %% 5 = 0 THEN 'cash_in'
                   WHEN k = 8 THEN 'top_up'
                   WHEN k = 9 AND c %% 20 IN (0, 10) THEN 'reversal'
                   ELSE 'payment'
                 END AS kind
            FROM (SELECT g, (g - 1) / %(slots)s + 1 AS c, (g - 1) %% %(slots)s AS k,
                         (g * 2654435761) %% 1000003 AS h
                    FROM generate_series(1, %(n)s::bigint * %(slots)s) AS g) AS s
            JOIN wallet_wallet w ON w.id = %(w0)s + c
        ),
        legs AS (
          SELECT t.*,
                 CASE
                   WHEN kind = 'top_up' AND k = 0 THEN 2000 + (c %% 30) * 100
                   WHEN kind IN ('top_up', 'cash_in') THEN 100 + h %% 500
                   WHEN kind = 'reward' THEN %(bonus)s
                   WHEN kind = 'transfer' THEN 1 + (h %% 4900) / 100.0
                   WHEN kind = 'withdrawal' THEN 50 + h %% 200
                   WHEN kind = 'reversal' THEN 0  -- the original's amount, below
                   ELSE 5 + (h %% 9500) / 100.0
                 END::numeric(20, 4) AS amount,
                 %(a0)s + c AS own,
                 %(a0)s + ((c * 7919 + k) %% %(n)s) + 1 AS peer,
                 (%(merchant_accounts)s::bigint[])[(h %% %(n_merchant_accounts)s) + 1] AS shop,
                 (%(pools)s::bigint[])[(c / 2) %% %(n_campaigns)s + 1] AS pool,
                 (%(branch_cash)s::bigint[])[(c / 7) %% %(n_branches)s + 1] AS till,
                 -- Time: the first top-up and the bonus right after activation; the rest
                 -- anywhere in the customer's life so far, the reversed payment or transfer
                 -- in its first half and its reversal in the second.
                 activated + CASE
                   WHEN k = 0 THEN interval '5 minutes'
                   WHEN k = 1 THEN interval '10 minutes'
                   ELSE interval '15 minutes'
                        + (%(now)s::timestamptz - interval '1 hour' - activated)
                          * CASE WHEN k IN (3, 5) THEN (h %% 1000) / 2000.0
                                 WHEN k = 9 THEN 0.5 + (h %% 1000) / 2000.0
                                 ELSE (h %% 1000) / 1000.0 END
                 END AS at
            FROM t
        )
    """
    # The peer of a transfer is another customer: (c * 7919 + 5) % n + 1 equals c only when
    # c * 7918 + 5 is a multiple of n; then the transfer goes to the next customer instead.
    peer = "CASE WHEN peer = own THEN %(a0)s + (c %% %(n)s) + 1 ELSE peer END"
    original = "%(t0)s + g - CASE WHEN c %% 20 = 0 THEN 6 ELSE 4 END"
    _timed(
        "transactions",
        cursor,
        legs_cte
        + f"""
        INSERT INTO wallet_transaction (id, kind, status, initiated_by_id, idempotency_key,
               request_fingerprint, reverses_id, description, note, metadata, created_at)
        SELECT %(t0)s + g, kind, 'completed',
               CASE WHEN kind IN ('reward', 'reversal') THEN NULL
                    WHEN kind = 'cash_in' THEN NULL
                    ELSE %(u0)s + c END,
               NULL, '',
               CASE WHEN kind = 'reversal' THEN {original} END,
               CASE WHEN kind = 'reversal' THEN 'Reversal of #' || ({original}) ELSE '' END,
               '',
               jsonb_build_object('channel',
                   CASE WHEN kind = 'cash_in' THEN 'counter'
                        WHEN kind = 'reward' OR kind = 'reversal' THEN 'system'
                        WHEN h %% 5 < 3 THEN 'app' ELSE 'web' END,
                   'kpi_bench', true),
               -- One in 97 payments a few seconds before or after midnight in Shanghai.
               CASE WHEN k IN (2, 4, 6) AND g %% 97 = 0 AND at > activated + interval '1 day'
                    THEN date_trunc('day', at AT TIME ZONE 'Asia/Shanghai')
                         AT TIME ZONE 'Asia/Shanghai' - make_interval(secs => 30 - h %% 60)
                    ELSE at END
          FROM legs
        """,
        p,
        verbose=verbose,
    )
    # Entries: (debit account, credit account) per kind; a reversal swaps its original's legs.
    _timed(
        "entries",
        cursor,
        legs_cte
        + f""",
        pairs AS (
          SELECT g, amount,
                 CASE kind
                   WHEN 'top_up' THEN %(clearing)s
                   WHEN 'cash_in' THEN till
                   WHEN 'reward' THEN pool
                   WHEN 'withdrawal' THEN own
                   WHEN 'transfer' THEN own
                   WHEN 'payment' THEN own
                 END AS debit,
                 CASE kind
                   WHEN 'top_up' THEN own
                   WHEN 'cash_in' THEN own
                   WHEN 'reward' THEN own
                   WHEN 'withdrawal' THEN %(clearing)s
                   WHEN 'transfer' THEN {peer}
                   WHEN 'payment' THEN shop
                 END AS credit
            FROM legs WHERE kind <> 'reversal'
        )
        INSERT INTO wallet_entry (id, transaction_id, account_id, amount, currency, balance_after)
        SELECT %(en0)s + 2 * g - 1, %(t0)s + g, debit, -amount, 'CNY', NULL::numeric FROM pairs
        UNION ALL
        SELECT %(en0)s + 2 * g, %(t0)s + g, credit, amount, 'CNY', NULL::numeric FROM pairs
        """,
        p,
        verbose=verbose,
    )
    _timed(
        "reversal entries",
        cursor,
        """
        INSERT INTO wallet_entry (id, transaction_id, account_id, amount, currency, balance_after)
        SELECT %(en0)s + 2 * (r.id - %(t0)s) - 1 + (e.id - %(en0)s + 1) %% 2,
               r.id, e.account_id, -e.amount, 'CNY', NULL
          FROM wallet_transaction r
          JOIN wallet_entry e ON e.transaction_id = r.reverses_id
         WHERE r.id > %(t0)s AND r.kind = 'reversal'
        """,
        p,
        verbose=verbose,
    )
    _timed(
        "reward grants",
        cursor,
        """
        INSERT INTO promotions_rewardgrant (id, campaign_id, user_id, sequence, amount, currency,
               status, reason, transaction_id, role, referral_id, points, source_transaction_id,
               clawback_transaction_id, clawback_shortfall, attempts, created_at, settled_at)
        SELECT %(g0)s + (t.id - %(t0)s - 2) / %(slots)s + 1,
               (%(campaign_ids)s::bigint[])[((t.id - %(t0)s - 2) / %(slots)s + 1) / 2
                                            %% %(n_campaigns)s + 1],
               %(u0)s + (t.id - %(t0)s - 2) / %(slots)s + 1, 1, %(bonus)s, 'CNY', 'settled', '',
               t.id, '', NULL, 0, NULL, NULL, 0, 1, t.created_at, t.created_at
          FROM wallet_transaction t
         WHERE t.id > %(t0)s AND t.kind = 'reward'
        """,
        p,
        verbose=verbose,
    )
    _timed(
        "campaign spend",
        cursor,
        """
        UPDATE promotions_campaign c SET spent = c.spent + s.total, updated_at = %(now)s
          FROM (SELECT campaign_id, SUM(amount) AS total FROM promotions_rewardgrant
                 WHERE id > %(g0)s GROUP BY campaign_id) AS s
         WHERE c.id = s.campaign_id
        """,
        p,
        verbose=verbose,
    )
    started = time.monotonic()
    for statement in recreate:
        cursor.execute(statement)
    if verbose:
        print(
            f"bench-kpi: {len(recreate)} indexes and unique constraints rebuilt in "
            f"{time.monotonic() - started:.1f}s",
            flush=True,
        )
    _timed(
        "balances",
        cursor,
        """
        UPDATE wallet_ledgeraccount a SET balance = s.total
          FROM (SELECT account_id, SUM(amount) AS total FROM wallet_entry GROUP BY account_id) s
         WHERE a.id = s.account_id AND a.balance <> s.total
        """,
        p,
        verbose=verbose,
    )


def _starts(counts: list[int]) -> list[int]:
    starts, total = [], 0
    for count in counts:
        starts.append(total)
        total += count
    return starts
