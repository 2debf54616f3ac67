"""A real Celery worker process (solo pool) that, on its first reward settlement, stops after
the ledger posting and before the commit, writes the grant's id to PAUSED_WORKER_MARKER, and
sleeps: the test kills it there with SIGKILL, the worst moment for exactly-once.

Run as `python -m tests.promotions.paused_worker` with DJANGO_SETTINGS_MODULE, DATABASE_URL and
REDIS_URL in the environment.
"""

import os
import time

import django


def _pause_after_first_settlement(marker: str) -> None:
    from notifications import services as outbox
    from promotions.services import SETTLE_GRANT

    settle = outbox._handlers[SETTLE_GRANT]
    paused = []

    def settle_then_pause(*, grant_id):
        result = settle(grant_id=grant_id)
        if not paused:
            paused.append(grant_id)
            with open(marker, "w") as file:
                file.write(str(grant_id))
            time.sleep(120)  # killed here, inside the outbox row's uncommitted transaction
        return result

    outbox._handlers[SETTLE_GRANT] = settle_then_pause


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    marker = os.environ.get("PAUSED_WORKER_MARKER")
    if marker:
        _pause_after_first_settlement(marker)
    from config.celery import app

    app.worker_main(
        [
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ]
    )


if __name__ == "__main__":
    main()
