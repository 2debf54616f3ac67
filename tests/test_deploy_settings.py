"""Production settings pass Django's deployment checklist without a single warning."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _production_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="wallet.example.com",
        DJANGO_SETTINGS_MODULE="config.settings",
        WEBAUTHN_RP_ID="wallet.example.com",
        WEBAUTHN_ALLOWED_ORIGINS="https://wallet.example.com",
        **extra,
    )
    return env


def _manage(*args, env):
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_no_warning():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = _production_env()
    env.pop("DJANGO_SECRET_KEY")
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("flag", ["DJANGO_SECURE_SSL_REDIRECT", "DJANGO_SESSION_COOKIE_SECURE"])
def test_turning_off_a_protection_in_production_is_reported(flag):
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env=_production_env(**{flag: "0"})
    )
    assert result.returncode != 0
