"""The replica router (config/db_routers.py) and the settings that install it."""

import os
import subprocess
import sys
from pathlib import Path

from django.db.utils import ConnectionRouter

from accounts.models import User
from config.db_routers import ReplicaRouter
from wallet.models import Transaction

ROOT = Path(__file__).resolve().parent.parent


class RollupLike:
    """Stands for a KPI roll-up model: only the class attribute matters to the router."""

    read_from_replica = True

    class _meta:  # noqa: N801 - what Django's router reads from a model
        app_label = "kpi"
        model_name = "rollup"


def _router():
    return ConnectionRouter(["config.db_routers.ReplicaRouter"])


def test_reads_of_replica_models_go_to_the_replica():
    assert _router().db_for_read(RollupLike) == "replica"


def test_reads_of_every_other_model_stay_on_default():
    router = _router()
    assert router.db_for_read(Transaction) == "default"
    assert router.db_for_read(User) == "default"


def test_writes_always_go_to_default_even_for_replica_models():
    router = _router()
    assert router.db_for_write(RollupLike) == "default"
    assert router.db_for_write(Transaction) == "default"


def test_migrations_run_on_default_only():
    router = ReplicaRouter()
    assert router.allow_migrate("default", "wallet", "transaction") is True
    assert router.allow_migrate("replica", "wallet", "transaction") is False
    assert router.allow_migrate("replica", "kpi", "rollup") is False


def test_relations_between_objects_of_either_database_are_allowed():
    assert ReplicaRouter().allow_relation(object(), object()) is True


def _settings_with(**env_extra) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"}
    env.update(env_extra)
    code = (
        "import config.settings as s; "
        "print(sorted(s.DATABASES), s.DATABASE_ROUTERS, "
        "s.DATABASES.get('replica', {}).get('NAME'), s.DATABASES.get('replica', {}).get('HOST'))"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_without_a_replica_url_there_is_no_replica_and_no_router():
    assert _settings_with() == "['default'] [] None None"


def test_a_replica_url_adds_the_replica_database_and_the_router():
    out = _settings_with(DATABASE_REPLICA_URL="postgres://reader@replica.internal:5432/wallet")
    assert out == (
        "['default', 'replica'] ['config.db_routers.ReplicaRouter'] wallet replica.internal"
    )
