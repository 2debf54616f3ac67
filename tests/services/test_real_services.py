"""The real services this project depends on, exercised for real (CI provides them)."""

import time
import uuid

import pytest
from django.core.cache import caches
from django.db import connection

from config.tasks import healthcheck


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_database_is_postgresql_with_read_committed_isolation():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SHOW transaction_isolation")
        assert cursor.fetchone()[0] == "read committed"
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"


@pytest.mark.redis
def test_the_cache_round_trips_through_redis(settings):
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    key = f"test:{uuid.uuid4()}"
    cache.set(key, {"amount": "12.34"}, timeout=30)
    assert cache.get(key) == {"amount": "12.34"}
    cache.delete(key)


@pytest.mark.redis
def test_a_task_goes_through_redis_to_a_real_worker():
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    token = uuid.uuid4().hex
    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            healthcheck.delay(token)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                if caches["default"].get(f"celery-healthcheck:{token}") == "ok":
                    break
                time.sleep(0.1)
            else:
                pytest.fail("the worker never ran the task")
    finally:
        app.conf.task_always_eager = True
