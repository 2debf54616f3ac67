"""Shared by the PostgreSQL tests that race several requests against each other."""

import threading

from django.db import connections


def together(count, work):
    """Run `work(i)` in `count` threads released at the same moment; return, per thread,
    ("ok", result) or ("error", exception)."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(i):
        try:
            barrier.wait()
            outcomes[i] = ("ok", work(i))
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread met
            outcomes[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
