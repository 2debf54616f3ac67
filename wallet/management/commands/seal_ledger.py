"""Extend the ledger's hash chain now, or print the daily seals for auditors."""

import time

from django.core.management.base import BaseCommand

from wallet.chain import daily_seals_export, ledger_seal_pending


class Command(BaseCommand):
    help = (
        "Seal committed transactions into the ledger's hash chain (what the periodic task does), "
        "or print the daily seals for auditors."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, help="Transactions per sealing transaction.")
        parser.add_argument(
            "--rescan",
            action="store_true",
            help="Look for unsealed transactions in the whole ledger, not only above the watermark.",
        )
        parser.add_argument(
            "--export-daily",
            choices=["json", "csv"],
            nargs="?",
            const="json",
            help="Print the daily seals (date, last sequence, hash) as JSON lines or CSV.",
        )
        parser.add_argument(
            "--follow",
            type=float,
            metavar="SECONDS",
            help="Keep sealing for this many seconds (as a busy sealer would; used by make bench).",
        )
        parser.add_argument(
            "--every",
            type=float,
            default=1.0,
            metavar="SECONDS",
            help="With --follow: seal what committed since, once per this many seconds "
            "(default 1; the periodic task's default is LEDGER_SEAL_EVERY_SECONDS, 10).",
        )

    def handle(
        self, *args, batch=None, rescan=False, export_daily=None, follow=None, every=1.0, **options
    ):
        if export_daily:
            for line in daily_seals_export(fmt=export_daily):
                self.stdout.write(line)
            return
        if follow:
            self._follow(seconds=follow, every=every, batch=batch)
            return
        result = ledger_seal_pending(batch=batch, rescan=rescan)
        days = ", ".join(day.isoformat() for day in result.daily_seals)
        self.stdout.write(
            self.style.SUCCESS(
                f"sealed {result.sealed} transaction(s); chain head #{result.sequence} "
                f"{result.hash[:16]}…" + (f"; daily seals recorded for {days}" if days else "")
            )
        )

    def _follow(self, *, seconds: float, every: float, batch) -> None:
        """A sealer that keeps up: each tick seals everything committed since the last one, in
        batches. Ticking instead of polling flat out keeps its share of the machine small: the
        cost that remains is per transaction sealed, not per empty look."""
        stop_at, sealed, rounds = time.monotonic() + seconds, 0, 0
        while time.monotonic() < stop_at:
            tick = time.monotonic()
            sealed += ledger_seal_pending(batch=batch).sealed
            rounds += 1
            time.sleep(max(0.0, every - (time.monotonic() - tick)))
        self.stdout.write(f"sealed {sealed} transaction(s) in {rounds} round(s)")
