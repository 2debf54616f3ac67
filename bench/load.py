"""Drive load: HTTP clients against gunicorn, and pgbench against the same database."""

import contextlib
import http.client
import json
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    tps: float
    p50_ms: float
    p95_ms: float
    errors: int

    @classmethod
    def combined(cls, runs: list["Result"]) -> "Result":
        """Runs of equal length as one: mean throughput, the middle p50, the worst p95."""
        return cls(
            tps=statistics.fmean(run.tps for run in runs),
            p50_ms=statistics.median(run.p50_ms for run in runs),
            p95_ms=max(run.p95_ms for run in runs),
            errors=sum(run.errors for run in runs),
        )


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(*, env: dict, workers: int):
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            time.sleep(0.1)
        else:
            raise SystemExit("bench: gunicorn did not start")
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:  # a loaded machine: do not lose the results over it
            process.kill()
            process.wait()


def _request(host: str, path: str, body: dict, token: str) -> tuple[int, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection(host, timeout=30)
    try:
        connection.request(
            "POST",
            path,
            body=json.dumps(body),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Token {token}",
                "Idempotency-Key": uuid.uuid4().hex,
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status, (time.perf_counter() - started) * 1000
    finally:
        connection.close()


def warm_up(host: str, fixture, *, requests: int = 64, clients: int = 8) -> None:
    """Each gunicorn worker imports the URLconf and opens its connection on its first requests;
    that start-up is not what is being measured."""

    def client(offset: int):
        for i in range(offset, requests, clients):
            connection = http.client.HTTPConnection(host, timeout=30)
            connection.request(
                "GET",
                "/api/v1/wallets/",
                headers={"Authorization": f"Token {fixture.tokens[i % len(fixture.tokens)]}"},
            )
            connection.getresponse().read()
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def api_run(host: str, fixture, *, scenario: str, clients: int, seconds: float) -> Result:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    customers = len(fixture.tokens)

    def client(seed: int):
        nonlocal errors
        rng = random.Random(seed)  # noqa: S311  (load pattern, not security)
        mine, failed = [], 0
        while time.monotonic() < stop_at:
            sender = rng.randrange(customers)
            if scenario == "spread":
                recipient = (sender + rng.randrange(1, customers)) % customers
                path, body = (
                    "/api/v1/transfers/",
                    {"to": fixture.handles[recipient], "amount": "1.00"},
                )
            else:
                path, body = (
                    "/api/v1/payments/",
                    {"merchant": fixture.merchant_code, "amount": "1.00"},
                )
            status, elapsed = _request(host, path, body, fixture.tokens[sender])
            if status == 201:
                mine.append(elapsed)
            else:
                failed += 1
        with lock:
            latencies.extend(mine)
            errors += failed

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return Result(
        len(latencies) / elapsed, _percentile(latencies, 0.5), _percentile(latencies, 0.95), errors
    )


def pgbench_run(
    url: str, script: str, *, clients: int, seconds: float, customers: int, shards: int
) -> Result:
    if shutil.which("pgbench") is None:
        raise SystemExit(
            "bench: pgbench is not installed (Debian: postgresql-client or the server package)"
        )
    with tempfile.TemporaryDirectory() as tmp:
        script_path = Path(tmp) / "script.sql"
        script_path.write_text(script)
        command = [
            "pgbench",
            "--no-vacuum",
            "--client",
            str(clients),
            "--jobs",
            "2",
            "--time",
            str(int(seconds)),
            "--file",
            str(script_path),
            "--define",
            f"n={customers}",
            "--define",
            f"shards={shards}",
            "--log",
            "--log-prefix",
            str(Path(tmp) / "tx"),
            url,
        ]
        run = subprocess.run(command, capture_output=True, text=True, cwd=tmp)  # noqa: S603
        if run.returncode != 0:
            raise SystemExit(
                f"bench: pgbench failed:\n{run.stderr[-2000:]}\nscript:\n{script[:3000]}"
            )
        latencies, failed = [], 0
        for log in Path(tmp).glob("tx*"):
            for line in log.read_text().splitlines():
                fields = line.split()
                # client_id transaction_no time script_no time_epoch time_us [schedule_lag]
                if fields[2] in ("failed", "skipped"):
                    failed += 1
                else:
                    latencies.append(int(fields[2]) / 1000)
        tps = next(
            float(line.split("=")[1].split()[0])
            for line in run.stdout.splitlines()
            if line.startswith("tps =")
        )
    return Result(tps, _percentile(latencies, 0.5), _percentile(latencies, 0.95), failed)
