"""Check every ledger invariant and the hash chain; exit non-zero, naming each breach, if any."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from wallet.audit import Breach, invariant_breaches
from wallet.chain import MAX_NAMED_BREACHES, chain_verify
from wallet.models import Entry, LedgerAccount, Transaction


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--since wants a date as YYYY-MM-DD, not {value!r}") from error


class Command(BaseCommand):
    help = (
        "Check the ledger's invariants (DESIGN.md) and recompute its hash chain; "
        "exit non-zero on any breach."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since",
            type=_day,
            help="Trust that day's daily seal (YYYY-MM-DD) and verify the chain from there on.",
        )

    def handle(self, *args, since=None, **options):
        breaches = invariant_breaches()
        report = chain_verify(since=since)
        breaches += [Breach(b.invariant, b.detail) for b in report.breaches]
        for breach in breaches[:MAX_NAMED_BREACHES]:
            self.stderr.write(f"BREACH [{breach.invariant}] {breach.detail}")
        if len(breaches) > MAX_NAMED_BREACHES:
            self.stderr.write(f"... and {len(breaches) - MAX_NAMED_BREACHES} more")
        counts = (
            f"{Transaction.objects.count()} transactions, {Entry.objects.count()} entries, "
            f"{LedgerAccount.objects.count()} accounts"
        )
        start = f"daily seal of {since} (#{report.started_after})" if since else "the genesis"
        chain = (
            f"{report.verified} seals recomputed from {start} "
            f"at {report.rows_per_second:.0f} rows/s"
        )
        if breaches:
            raise CommandError(
                f"ledger audit failed: {len(breaches)} breach(es) in {counts}; {chain}"
            )
        self.stdout.write(self.style.SUCCESS(f"ledger audit clean: {counts}"))
        self.stdout.write(
            self.style.SUCCESS(
                f"chain verified up to the last seal: #{report.last_sequence} "
                f"{report.last_hash[:16]}…; {chain}"
            )
        )
