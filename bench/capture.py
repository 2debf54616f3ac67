"""Set up the bench database and capture the exact SQL of one API transfer and one payment."""

import re
from dataclasses import dataclass
from decimal import Decimal

import psycopg

# The two customers whose requests are captured get ids no other row has (user, wallet and
# account each their own), so their ids can be found in the captured SQL and replaced by pgbench
# variables without touching anything else.
CAPTURE_SENDER = {"user": 900001, "wallet": 910001, "account": 920001}
CAPTURE_RECIPIENT = {"user": 900002, "wallet": 910002, "account": 920002}
HOT_MERCHANT_CODE = "HOTBENCH"
OPENING_BALANCE = Decimal("100000.00")


def recreate_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


@dataclass
class Fixture:
    tokens: list[str]
    handles: list[str]
    sender: dict
    recipient: dict
    merchant_code: str
    shards: int


def _django():
    import django

    os_env = __import__("os").environ
    os_env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()


def _customer(i: int, *, ids: dict | None = None):
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from wallet import services
    from wallet.models import LedgerAccount, Wallet

    ids = ids or {}
    user = User(
        pk=ids.get("user"),
        email=f"bench{i}@bench.example",
        full_name=f"压测客户{i}",
        kyc_level=User.KycLevel.VERIFIED_IN_PERSON,
    )
    user.set_unusable_password()
    user.save()
    wallet = Wallet.objects.create(pk=ids.get("wallet"), user=user)
    if ids:
        LedgerAccount.objects.create(
            pk=ids["account"], wallet=wallet, currency="CNY", kind=LedgerAccount.Kind.CUSTOMER
        )
    services.wallet_activate(user=user)
    wallet.refresh_from_db()
    services.wallet_fund_from_clearing(
        wallet=wallet, amount=OPENING_BALANCE, currency="CNY", description="bench"
    )
    token = Token.objects.create(user=user)
    account = wallet.accounts.get(currency="CNY")
    return {
        "user_id": user.pk,
        "wallet_id": wallet.pk,
        "account_id": account.pk,
        "handle": wallet.handle,
        "email": user.email,
        "token": token.key,
    }


def prepare(*, customers: int) -> Fixture:
    _django()
    from django.core.management import call_command
    from django.db import connection

    from wallet import services
    from wallet.models import Merchant

    call_command("migrate", verbosity=0)
    rows = [_customer(i) for i in range(1, customers + 1)]
    sender = _customer(0, ids=CAPTURE_SENDER)
    recipient = _customer(-1, ids=CAPTURE_RECIPIENT)
    merchant = Merchant.objects.create(
        name="压测热门商户", code=HOT_MERCHANT_CODE, category=Merchant.Category.FOOD
    )
    shards = services.merchant_accounts_ensure(merchant=merchant, currency="CNY")

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_customers (i int PRIMARY KEY, user_id bigint, wallet_id bigint, "
            "account_id bigint, handle text, email text, token text)"
        )
        cursor.executemany(
            "INSERT INTO bench_customers VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    i,
                    r["user_id"],
                    r["wallet_id"],
                    r["account_id"],
                    r["handle"],
                    r["email"],
                    r["token"],
                )
                for i, r in enumerate(rows, start=1)
            ],
        )
        cursor.execute("CREATE TABLE bench_shards (k int PRIMARY KEY, account_id bigint)")
        cursor.executemany(
            "INSERT INTO bench_shards VALUES (%s, %s)",
            [(k, a.pk) for k, a in enumerate(shards, start=1)],
        )
        cursor.execute("ANALYZE")
    return Fixture(
        tokens=[r["token"] for r in rows],
        handles=[r["handle"] for r in rows],
        sender=sender,
        recipient=recipient,
        merchant_code=HOT_MERCHANT_CODE,
        shards=len(shards),
    )


# --- capturing -------------------------------------------------------------------------


@dataclass
class Statement:
    sql: str
    in_transaction: bool


def _capture(call) -> list[Statement]:
    """Run `call` and record every statement as PostgreSQL received it."""
    from django.db import connection

    statements: list[Statement] = []

    def recorder(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        executed = connection.ops.last_executed_query(context["cursor"], sql, params)
        statements.append(Statement(" ".join(executed.split()), connection.in_atomic_block))
        return result

    with connection.execute_wrapper(recorder):
        call()
    return statements


# Rows the captured request inserts and later statements refer to by id (the alert's outbox
# row, notifications and deliveries): replayed, each insert's id is read back (`\gset`) and used
# in place of the captured one.
RETURNED_ID_TABLES = (
    "notifications_outboxmessage",
    "notifications_notification",
    "notifications_delivery",
)
RETURNED_ID_SPACING = 1000


def _distinct_transaction_ids(start: int) -> None:
    """The captured transaction's id, and the ids of RETURNED_ID_TABLES rows, must not equal
    any other number in the SQL: their sequences jump to distinct values first."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('wallet_transaction', 'id'), %s)", [start]
        )
        for k, table in enumerate(RETURNED_ID_TABLES, start=1):
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                [table, _returned_id_base(start, k)],
            )


def _returned_id_base(start: int, k: int) -> int:
    return start + 100 * RETURNED_ID_SPACING + k * RETURNED_ID_SPACING


def _api_request(method_path: str, body: dict, token: str, key: str):
    from rest_framework.test import APIClient

    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="127.0.0.1")
    response = client.post(method_path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    if response.status_code != 201:
        raise RuntimeError(
            f"capture request failed: {response.status_code} {response.content[:300]!r}"
        )
    return response.json()["id"]


def _replace_int(sql: str, value: int, variable: str) -> str:
    return re.sub(rf"(?<![\w.]){value}(?![\w.])", f":{variable}", sql)


def _variables_after_colons(sql: str, names) -> str:
    """pgbench reads `::` as a cast and does not substitute after it, so a variable right after
    a colon inside a string (an outbox key like 'txn-alert:<id>') is spliced in instead."""
    for name in set(names):
        sql = re.sub(rf"::{name}(?!\w)", f":' || :{name} || '", sql)
    return sql


PGHISTORY_CONTEXT = re.compile(
    r"^(SELECT set_config\('pghistory\.context_id'.*?, true\)); (.*)$", re.S
)
INSERT_INTO = re.compile(r'^INSERT INTO "(\w+)" .* RETURNING "\w+"\."id"$')


def _template(
    statements: list[Statement],
    *,
    replacements: list[tuple[str, str]],
    ints: list[tuple[int, str]],
    txn_id: int,
):
    """Turn captured SQL into a pgbench script: literals of the capture become variables."""
    lines = []
    open_block = False
    ints = list(ints)
    inserted: dict[str, int] = {}
    for statement in statements:
        sql = statement.sql
        context = PGHISTORY_CONTEXT.match(sql)
        if context:
            # django-pghistory prefixes each write with the request's context (set_config, local
            # to the transaction): replayed as a statement of its own, then the write itself.
            prefix, sql = context.group(1), context.group(2)
            for literal, text in replacements:
                prefix = prefix.replace(literal, text)
            lines.append(f"{prefix};")
        returned_into = None
        match = INSERT_INTO.match(sql)
        if match and match.group(1) in RETURNED_ID_TABLES:
            table = match.group(1)
            inserted[table] = inserted.get(table, 0) + 1
            k = RETURNED_ID_TABLES.index(table) + 1
            variable = f"{table.split('_')[-1][:5]}{inserted[table]}_"
            returned_into = variable
            captured_id = _returned_id_base(txn_id - 1, k) + inserted[table]
            ints.append((captured_id, f"{variable}id"))
        for literal, text in replacements:
            sql = sql.replace(literal, text)
        sql = _replace_int(sql, txn_id, "txn_id")
        for value, variable in ints:
            sql = _replace_int(sql, value, variable)
        sql = _variables_after_colons(sql, ["txn_id", *(name for _value, name in ints)])
        if statement.in_transaction and not open_block:
            lines.append("BEGIN;")
            open_block = True
        if not statement.in_transaction and open_block:
            lines.append("COMMIT;")
            open_block = False
        if sql.startswith('INSERT INTO "wallet_transaction"'):
            lines.append(f"{sql} \\gset txn_")
        elif returned_into:
            lines.append(f"{sql} \\gset {returned_into}")
        else:
            lines.append(f"{sql};")
    if open_block:
        lines.append("COMMIT;")
    return lines


PICK = """\\set s random(1, :n)
\\set r random(1, :n - 1)
\\set r case when :r >= :s then :r + 1 else :r end
\\set kid random(1, 999999999999)
SELECT user_id AS s_user, wallet_id AS s_wallet, account_id AS s_acct, handle AS s_handle, token AS s_token FROM bench_customers WHERE i = :s \\gset
SELECT user_id AS r_user, wallet_id AS r_wallet, account_id AS r_acct, handle AS r_handle FROM bench_customers WHERE i = :r \\gset
"""
PICK_SHARD = """\\set k random(1, :shards)
SELECT account_id AS shard_acct FROM bench_shards WHERE k = :k \\gset
"""


def _ids_to_variables(prefix: str, ids: dict) -> list[tuple[int, str]]:
    return [
        (ids["user"], f"{prefix}_user"),
        (ids["wallet"], f"{prefix}_wallet"),
        (ids["account"], f"{prefix}_acct"),
    ]


def pgbench_scripts(fixture: Fixture) -> dict[str, str]:
    from wallet.models import LedgerAccount

    sender, recipient = fixture.sender, fixture.recipient
    key = "bench-capture-key-spread"
    _distinct_transaction_ids(970000)
    statements = _capture(
        lambda: _api_request(
            "/api/v1/transfers/",
            {"to": recipient["handle"], "amount": "1.00", "currency": "CNY"},
            sender["token"],
            key,
        )
    )
    spread = _template(
        statements,
        replacements=[
            (sender["token"], ":s_token"),
            (sender["handle"], ":s_handle"),
            (recipient["handle"], ":r_handle"),
            (key, "pgb-:client_id-:kid"),
        ],
        ints=_ids_to_variables("s", CAPTURE_SENDER) + _ids_to_variables("r", CAPTURE_RECIPIENT),
        txn_id=_latest_transaction_id(),
    )

    key = "bench-capture-key-hot"
    _distinct_transaction_ids(980000)
    statements = _capture(
        lambda: _api_request(
            "/api/v1/payments/",
            {"merchant": fixture.merchant_code, "amount": "1.00", "currency": "CNY"},
            sender["token"],
            key,
        )
    )
    shard_ids = LedgerAccount.objects.filter(merchant__code=fixture.merchant_code).values_list(
        "pk", flat=True
    )
    hot = _template(
        statements,
        replacements=[
            (sender["token"], ":s_token"),
            (sender["handle"], ":s_handle"),
            (key, "pgb-:client_id-:kid"),
        ],
        ints=_ids_to_variables("s", CAPTURE_SENDER) + [(pk, "shard_acct") for pk in shard_ids],
        txn_id=_latest_transaction_id(),
    )
    return {
        "spread": PICK + "\n".join(spread) + "\n",
        "hot": PICK + PICK_SHARD + "\n".join(hot) + "\n",
    }


def customer_wallets() -> list[tuple[int, int]]:
    """(wallet id, user id) of the bench customers."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT wallet_id, user_id FROM bench_customers ORDER BY i")
        return list(cursor.fetchall())


def _latest_transaction_id() -> int:
    from wallet.models import Transaction

    return Transaction.objects.order_by("-pk").values_list("pk", flat=True).first()


def assert_ledger_clean(*, chain_breaches=None) -> None:
    """Every invariant; the hash chain too, unless the caller already verified it (its breaches)."""
    from wallet.audit import ledger_breaches

    breaches = ledger_breaches(include_chain=chain_breaches is None)
    breaches += list(chain_breaches or [])
    if breaches:
        raise SystemExit(f"bench: the ledger audit failed after the load: {breaches[:5]}")
    print("bench: ledger audit clean after the load", flush=True)
