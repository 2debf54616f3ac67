"""What the hash chain costs: transfers per second with a sealer running flat out, and how fast
the audit recomputes the chain (wallet/chain.py).

Both halves of the overhead pair run back to back on the same server with the backlog sealed
first, so each measures steady state: without a sealer, then with `seal_ledger --follow` sealing
whatever committed, once a second (ten times as often as the periodic task's default), as a
sealer keeping up with a busy day would.
"""

import contextlib
import subprocess
import sys
import time
from pathlib import Path

from bench import load

ROOT = Path(__file__).resolve().parent.parent


def _seal_backlog(env: dict) -> None:
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "seal_ledger"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def _sealer_running(env: dict):
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "seal_ledger", "--follow", "3600"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.0)  # past Django's start-up, sealing
        yield
    finally:
        process.terminate()  # mid-batch is fine: that batch rolls back, nothing half-sealed
        process.wait(timeout=15)


def seal_overhead(host: str, fixture, *, env: dict, clients: int, seconds: float, pairs: int = 3):
    """(transfers without a sealer, transfers with one): two `load.Result`s, each the sum of
    `pairs` runs taken in the order A B B A A B..., so that a machine getting busier or quieter
    during the measurement weighs on both halves alike."""
    without, with_sealer = [], []
    for pair in range(pairs):
        order = ("without", "with") if pair % 2 == 0 else ("with", "without")
        for half in order:
            _seal_backlog(env)
            if half == "without":
                without.append(
                    load.api_run(host, fixture, scenario="spread", clients=clients, seconds=seconds)
                )
                continue
            with _sealer_running(env):
                with_sealer.append(
                    load.api_run(host, fixture, scenario="spread", clients=clients, seconds=seconds)
                )
    return load.Result.combined(without), load.Result.combined(with_sealer)


def verify_rate(env: dict):
    """Seal everything, then time one full recomputation of the chain (in-process)."""
    _seal_backlog(env)
    from wallet.chain import chain_verify

    return chain_verify()
