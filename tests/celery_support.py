"""Shared by the tests that run real Celery workers against real Redis."""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def wait_for(condition, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def reset_broker_connections(app):
    """Close every pooled broker connection, so the next publish connects to the current URL."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def celery_through_broker(broker_url: str):
    """Tasks go through `broker_url` (not run eagerly) until the block ends; then as before."""
    from config.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    reset_broker_connections(app)
    app.conf.broker_url = broker_url
    app.conf.task_always_eager = False
    try:
        yield app
    finally:
        for key, value in saved.items():
            app.conf[key] = value
        reset_broker_connections(app)


def purge_default_queue(app) -> None:
    """Drop messages other tests left in the broker's default queue."""
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(app.conf.task_default_queue)


def test_database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database), for a worker
    started as a separate process."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def worker_process(module: str, *, redis_url: str, extra_env: dict | None = None):
    """A real worker in its own process group (so SIGKILL reaches it and its children)."""
    # The worker is told its Redis database outright: it must not move it on again as a pytest-xdist
    # process would (config/settings.py).
    inherited = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}
    env = {
        **inherited,
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **(extra_env or {}),
    }
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", module],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def kill_hard(process) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def stop(process) -> str:
    """Stop a worker (warm shutdown, then SIGKILL) and return what it wrote on stderr."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            kill_hard(process)
    return process.stderr.read().decode(errors="replace") if process.stderr else ""
