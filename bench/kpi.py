"""`make bench-kpi`: the KPI dashboard at scale, on PostgreSQL (issue 9).

1. Creates and migrates the bench database (`BENCH_KPI_DATABASE`, default wallet_kpibench) and
   seeds the demo (branches, tellers, merchants, the risk officer with a TOTP device), unless it
   already holds data generated with the same `ROWS`: then it is reused as it is.
2. Generates `ROWS` transactions (default 10,000,000; customers = ROWS/10) in SQL
   (bench/kpi_data.py), printing rows/s.
3. Runs the roll-ups' full `rebuild()` and prints its time.
4. Serves the site with gunicorn (2 workers) on that database and loads `/backoffice/kpi/`
   `BENCH_KPI_LOADS` times (default 200), one after the other, with varied filters (ranges,
   grains, branches, staff, campaigns, channels) as the demo risk officer. The session is made
   directly in the session store, authenticated and second-factor verified (django-otp's device
   key set, as the second-factor page leaves it), rather than by typing a TOTP code.
   Prints `kpi_dashboard_p95_ms=`.
5. Times the same figures computed straight from the transactions,
   `dashboard(filters, source="raw")`, in this process, on a sample of `BENCH_KPI_RAW_SAMPLE`
   (default 20) of the filter sets, since each can take seconds at 10 million rows. Prints
   `kpi_rollup_vs_raw_ratio=` = the dashboard's p95 over HTTP ÷ the raw computation's p95
   (and, for a like-for-like comparison, the in-process roll-up p95 over the same sample).

The dashboard itself (package `backoffice.kpi`) is built in parallel; until it is in the tree,
steps 3-5 print why they are skipped. Not part of `make bench` (it takes long).
"""

import http.client
import os
import random
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import capture, load  # noqa: E402

ROWS = int(os.environ.get("ROWS", "10000000"))
BENCH_DB = os.environ.get("BENCH_KPI_DATABASE", "wallet_kpibench")
LOADS = int(os.environ.get("BENCH_KPI_LOADS", "200"))
RAW_SAMPLE = int(os.environ.get("BENCH_KPI_RAW_SAMPLE", "20"))
WORKERS = int(os.environ.get("BENCH_KPI_GUNICORN_WORKERS", "2"))
RISK_OFFICER = "risk@demo.example"
DASHBOARD_PATH = "/backoffice/kpi/"
RANGE_DAYS = (7, 30, 90, 365)
GRAINS = ("day", "week", "month")
CHANNELS = (None, None, "web", "app", "counter")


def _urls() -> tuple[str, str]:
    admin = os.environ.get("DATABASE_URL", "")
    if not admin.startswith(("postgres://", "postgresql://")):
        sys.exit("make bench-kpi needs DATABASE_URL=postgres://... (the data is made in SQL)")
    return admin, urlunsplit(urlsplit(admin)._replace(path=f"/{BENCH_DB}"))


def _generated_rows(url: str) -> int | None:
    """The ROWS the bench database was completely generated with, if any."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute("SELECT to_regclass('bench_kpi_meta') IS NOT NULL").fetchone()
            if not row[0]:
                return None
            row = conn.execute(
                "SELECT rows FROM bench_kpi_meta WHERE finished_at IS NOT NULL"
            ).fetchone()
            return row[0] if row else None
    except psycopg.OperationalError:  # no such database yet
        return None


def _manage(*args: str, env: dict) -> None:
    """A management command; its output (the demo's notification e-mails) is not the bench's."""
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _environment(url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", "bench-only-" + "x" * 50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SESSION_COOKIE_SECURE": "0",
        "DJANGO_CSRF_COOKIE_SECURE": "0",
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": "dummymail://",  # the officer's new-device alert is not a figure
        "SMS_BACKEND": "notifications.sms.LocmemSmsBackend",
        "DATABASE_CONN_MAX_AGE": "60",
        # Pages render static URLs; the bench fetches only the HTML, so no collected manifest
        # is needed (and the vendored Chart.js names a source map that is not there).
        "STATICFILES_STORAGE": "django.contrib.staticfiles.storage.StaticFilesStorage",
    }


def _filter_sets(count: int, *, today, branches, staff, campaigns, seed: int = 9) -> list[dict]:
    rng = random.Random(seed)  # noqa: S311  (load pattern, not security)
    sets = []
    for _ in range(count):
        days = rng.choice(RANGE_DAYS)
        end = today - timedelta(days=rng.randrange(0, 30))
        start = end - timedelta(days=days - 1)
        grain = "day" if days <= 30 else rng.choice(GRAINS)
        one = {"start": start, "end": end, "grain": grain}
        slice_by = rng.random()
        if slice_by < 0.3 and branches:
            one["branch_id"] = rng.choice(branches)
        elif slice_by < 0.45 and staff:
            one["staff_id"] = rng.choice(staff)
        elif slice_by < 0.55 and campaigns:
            one["campaign_id"] = rng.choice(campaigns)
        channel = rng.choice(CHANNELS)
        if channel:
            one["channel"] = channel
        sets.append(one)
    return sets


def _query(one: dict) -> str:
    params = {"start": one["start"].isoformat(), "end": one["end"].isoformat()}
    params["grain"] = one["grain"]
    for key, name in (
        ("branch_id", "branch"),
        ("staff_id", "staff"),
        ("campaign_id", "campaign"),
        ("channel", "channel"),
    ):
        params[name] = one.get(key, "")
    return f"{DASHBOARD_PATH}?{urlencode(params)}"


def _staff_session_cookie() -> str:
    """A session of the demo risk officer, logged in and second-factor verified."""
    from django.conf import settings
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.models import User

    officer = User.objects.get(email=RISK_OFFICER)
    client = Client()
    client.force_login(officer, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = officer.totpdevice_set.get().persistent_id
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _get(host: str, path: str, cookie: str) -> tuple[int, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, timeout=120)
    try:
        connection.request("GET", path, headers={"Cookie": cookie, "Accept-Language": "en"})
        response = connection.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000
    finally:
        connection.close()


def _load_dashboards(host: str, cookie: str, sets: list[dict]) -> tuple[list[float], int]:
    for one in sets[:4]:  # each worker imports the URLconf and connects on its first requests
        _get(host, _query(one), cookie)
    latencies, errors = [], 0
    for one in sets:
        status, elapsed = _get(host, _query(one), cookie)
        if status == 200:
            latencies.append(elapsed)
        else:
            errors += 1
            if errors <= 3:
                print(f"bench-kpi: {status} for {_query(one)}", file=sys.stderr, flush=True)
    return latencies, errors


def _time_figures(figures, filters_class, sets: list[dict], *, source: str) -> list[float]:
    times = []
    for one in sets:
        filters = filters_class(
            start=one["start"],
            end=one["end"],
            grain=one["grain"],
            branch_id=one.get("branch_id"),
            staff_id=one.get("staff_id"),
            campaign_id=one.get("campaign_id"),
            channel=one.get("channel"),
        )
        started = time.perf_counter()
        figures.dashboard(filters, source=source)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    admin_url, url = _urls()
    env = _environment(url)
    os.environ.update(env)
    print(f"bench-kpi: database {BENCH_DB}, ROWS={ROWS}", flush=True)
    fresh = _generated_rows(url) != ROWS
    if fresh:
        capture.recreate_database(admin_url, BENCH_DB)
        started = time.monotonic()
        _manage("migrate", "--noinput", "-v0", env=env)
        _manage("seed_demo", "--quiet", env=env)
        print(f"bench-kpi: migrated and seeded in {time.monotonic() - started:.0f}s", flush=True)
    else:
        print(f"bench-kpi: {BENCH_DB} already holds ROWS={ROWS}: reusing it", flush=True)
        _manage("migrate", "--noinput", "-v0", env=env)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.utils import timezone

    from accounts.models import User
    from backoffice import roles
    from backoffice.models import Branch
    from bench import kpi_data
    from promotions.models import Campaign

    if fresh:
        generated = kpi_data.generate(rows=ROWS)
        print(f"kpi_data_rows_per_s={generated.rows_per_second:.0f}")
        print(f"kpi_data_seconds={generated.seconds:.1f}")

    try:
        from backoffice.kpi import figures, rollups
        from backoffice.kpi.filters import KpiFilters
    except ImportError as error:
        print(
            f"bench-kpi: the KPI roll-ups are not in this tree yet ({error}); the data is "
            f"ready in {BENCH_DB}: run `make bench-kpi` again once backoffice.kpi is merged "
            "(the data is reused). No dashboard figures measured.",
            flush=True,
        )
        return

    started = time.monotonic()
    rollups.rebuild()
    print(f"kpi_rollup_rebuild_s={time.monotonic() - started:.1f}", flush=True)

    sets = _filter_sets(
        LOADS,
        today=timezone.localdate(),
        branches=list(Branch.objects.order_by("pk").values_list("pk", flat=True)),
        staff=list(
            User.objects.filter(groups__name=roles.TELLER)
            .order_by("pk")
            .values_list("pk", flat=True)
        ),
        campaigns=list(Campaign.objects.order_by("pk").values_list("pk", flat=True)),
    )
    cookie = _staff_session_cookie()
    with load.gunicorn(env=env, workers=WORKERS) as host:
        latencies, errors = _load_dashboards(host, cookie, sets)
    dashboard_p95 = load._percentile(latencies, 0.95)
    print(f"kpi_dashboard_loads={len(latencies)}")
    print(f"kpi_dashboard_errors={errors}")
    print(f"kpi_dashboard_p50_ms={load._percentile(latencies, 0.5):.1f}")
    print(f"kpi_dashboard_p95_ms={dashboard_p95:.1f}", flush=True)

    sample = sets[: max(1, RAW_SAMPLE)]
    rollup_times = _time_figures(figures, KpiFilters, sample, source="rollup")
    raw_times = _time_figures(figures, KpiFilters, sample, source="raw")
    raw_p95 = load._percentile(raw_times, 0.95)
    print(f"kpi_figures_sample={len(sample)}")
    print(f"kpi_figures_rollup_p95_ms={load._percentile(rollup_times, 0.95):.1f}")
    print(f"kpi_figures_raw_p95_ms={raw_p95:.1f}")
    ratio = dashboard_p95 / raw_p95 if raw_p95 else float("nan")
    print(f"kpi_rollup_vs_raw_ratio={ratio:.4f}")


if __name__ == "__main__":
    started = time.monotonic()
    main()
    print(f"bench-kpi: done in {time.monotonic() - started:.0f}s", file=sys.stderr)
