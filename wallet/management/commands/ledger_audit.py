"""Check every ledger invariant; exit non-zero, naming each breach, if any is broken."""

from django.core.management.base import BaseCommand, CommandError

from wallet.audit import ledger_breaches
from wallet.models import Entry, LedgerAccount, Transaction


class Command(BaseCommand):
    help = "Check the ledger's invariants (DESIGN.md) and exit non-zero on any breach."

    def handle(self, *args, **options):
        breaches = ledger_breaches()
        for breach in breaches:
            self.stderr.write(f"BREACH [{breach.invariant}] {breach.detail}")
        counts = (
            f"{Transaction.objects.count()} transactions, {Entry.objects.count()} entries, "
            f"{LedgerAccount.objects.count()} accounts"
        )
        if breaches:
            raise CommandError(f"ledger audit failed: {len(breaches)} breach(es) in {counts}")
        self.stdout.write(self.style.SUCCESS(f"ledger audit clean: {counts}"))
