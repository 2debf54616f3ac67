"""`make bench`: the ledger under load, on PostgreSQL, side by side in one run.

Scenarios, each measured twice on the same database:
  spread  many customers transferring among each other
  hot     many customers paying one merchant
once through the real API served by gunicorn, and once as pgbench replaying exactly the SQL
one API request issues (captured from the code with an execute wrapper, then templated so
pgbench can pick random customers). Then reward settlement by real Celery workers on Redis
(`BENCH_REDIS_URL`, default redis://127.0.0.1:6379/14), with one and with two worker processes
(bench/settlement.py). Then the hash chain (bench/sealing.py): API transfers with and without a
sealer running, and how fast the audit recomputes the chain. Then the daily fund yield for
ROWS holdings (bench/accrual.py), against one SQL statement doing the same. Prints `name=value` lines; the
ratios come last. `BENCH_ONLY=` picks parts (see below).
"""

import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import accrual, capture, load, risk, sealing, settlement  # noqa: E402

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "200"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "12"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
BENCH_DB = os.environ.get("BENCH_DATABASE", "wallet_bench")
SETTLEMENT_GRANTS = int(os.environ.get("BENCH_SETTLEMENT_GRANTS", "400"))
# Each half of the sealing overhead pair (a shorter extra run).
SEAL_SECONDS = float(os.environ.get("BENCH_SEAL_SECONDS", str(min(SECONDS, 8))))


def bench_database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(
            "make bench needs DATABASE_URL=postgres://... (the ledger is measured on PostgreSQL)"
        )
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


# `BENCH_ONLY=sealing,risk` runs only those parts (ledger, sealing, risk, settlement, accrual);
# the chain's verification rate is always measured. Unset: everything.
ONLY = {part.strip() for part in os.environ.get("BENCH_ONLY", "").split(",") if part.strip()}


def _part(name: str) -> bool:
    return not ONLY or name in ONLY


def _ratio(numerator: float, denominator: float) -> float:
    """nan rather than a crash when a run completed nothing (a badly overloaded machine)."""
    return numerator / denominator if denominator else float("nan")


def main() -> None:
    url = bench_database_url()
    capture.recreate_database(os.environ["DATABASE_URL"], BENCH_DB)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", "bench-only-" + "x" * 50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SESSION_COOKIE_SECURE": "0",
        "DJANGO_CSRF_COOKIE_SECURE": "0",
        "REDIS_URL": "",
        "API_TOKEN_THROTTLE_RATE": "100000/minute",
        "LOG_LEVEL": "WARNING",
        # Alerts are still rendered and delivered, but not printed: the bench's output is figures.
        "EMAIL_URL": "dummymail://",
        "SMS_BACKEND": "notifications.sms.LocmemSmsBackend",
        # Persistent connections, as production runs (each new PostgreSQL backend costs a fork).
        "DATABASE_CONN_MAX_AGE": "60",
    }
    os.environ.update(env)
    print(
        f"bench: database {BENCH_DB}, {CUSTOMERS} customers, {CLIENTS} clients, {SECONDS:.0f}s per run",
        flush=True,
    )
    fixture = capture.prepare(customers=CUSTOMERS)
    scripts = capture.pgbench_scripts(fixture)

    results = {}
    with load.gunicorn(env=env, workers=WORKERS) as base_url:
        load.warm_up(base_url, fixture)
        if _part("ledger"):
            for scenario in ("spread", "hot"):
                results[f"{scenario}_api"] = load.api_run(
                    base_url, fixture, scenario=scenario, clients=CLIENTS, seconds=SECONDS
                )
                results[f"{scenario}_pgbench"] = load.pgbench_run(
                    url,
                    scripts[scenario],
                    clients=CLIENTS,
                    seconds=SECONDS,
                    customers=CUSTOMERS,
                    shards=fixture.shards,
                )
        if _part("sealing"):
            without_sealer, with_sealer = sealing.seal_overhead(
                base_url, fixture, env=env, clients=CLIENTS, seconds=SEAL_SECONDS
            )
            print(
                f"bench: transfers {without_sealer.tps:.1f}/s without a sealer, "
                f"{with_sealer.tps:.1f}/s with one",
                file=sys.stderr,
                flush=True,
            )
    if _part("risk"):
        # Risk rules on and off (bench/risk.py), each half a shorter run through its own server.
        risk_off_p50, risk_on_p50, risk_errors = risk.risk_overhead(
            fixture, env=env, workers=WORKERS, clients=CLIENTS, seconds=SEAL_SECONDS
        )
    chain_report = sealing.verify_rate(env)
    if _part("settlement"):
        settled = {
            workers: settlement.run(
                workers=workers, grants=SETTLEMENT_GRANTS, redis_url=settlement.redis_url(), env=env
            )
            for workers in (1, 2)
        }
    capture.assert_ledger_clean(chain_breaches=chain_report.breaches)
    if _part("accrual"):
        # After the audit: the accrual adds a million transactions the sealer has not seen yet.
        yield_accrual = accrual.run()

    for name, result in results.items():
        print(f"{name}_tps={result.tps:.1f}")
        print(f"{name}_p50_ms={result.p50_ms:.2f}")
        print(f"{name}_p95_ms={result.p95_ms:.2f}")
        print(f"{name}_errors={result.errors}")
    if _part("settlement"):
        for workers, result in settled.items():
            print(f"settlement_{workers}_worker_grants_per_s={result.grants_per_second:.1f}")
    if _part("sealing"):
        print(f"transfer_without_sealer_tps={without_sealer.tps:.1f}")
        print(f"transfer_with_sealer_tps={with_sealer.tps:.1f}")
        print(f"transfer_with_sealer_p95_ms={with_sealer.p95_ms:.2f}")
    if _part("risk"):
        print(f"transfer_risk_off_p50_ms={risk_off_p50:.2f}")
        print(f"transfer_risk_on_p50_ms={risk_on_p50:.2f}")
        print(f"transfer_risk_errors={risk_errors}")
    print(f"ledger_verify_rows={chain_report.verified}")
    print(f"ledger_verify_rows_per_s={chain_report.rows_per_second:.0f}")
    if _part("ledger"):
        spread, hot = results["spread_api"].tps, results["hot_api"].tps
        print(f"transfer_api_vs_pgbench_ratio={_ratio(spread, results['spread_pgbench'].tps):.3f}")
        print(f"hot_merchant_vs_spread_ratio={_ratio(hot, spread):.3f}")
    if _part("settlement"):
        two_vs_one = _ratio(settled[2].grants_per_second, settled[1].grants_per_second)
        print(f"settlement_2_vs_1_workers_ratio={two_vs_one:.3f}")
    if _part("sealing"):
        print(f"seal_overhead_ratio={_ratio(with_sealer.tps, without_sealer.tps):.3f}")
    if _part("accrual"):
        accrual.print_lines(yield_accrual)
    if _part("risk"):
        print(f"risk_overhead_ratio={_ratio(risk_on_p50, risk_off_p50):.3f}")


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"bench: done in {time.monotonic() - started:.0f}s", file=sys.stderr)
