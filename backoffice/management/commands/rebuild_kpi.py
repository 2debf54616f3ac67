"""Recompute the KPI roll-up tables, all history or a range of the bank's days. Idempotent."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from backoffice.kpi import rollups


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--{name}: give a date as YYYY-MM-DD.") from error


class Command(BaseCommand):
    help = "Rebuild the KPI roll-ups (all history, or --from/--to, bank days YYYY-MM-DD)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start")
        parser.add_argument("--to", dest="end")

    def handle(self, *args, start=None, end=None, **options):
        first, last = _day(start, "from"), _day(end, "to")
        if first and last and first > last:
            raise CommandError("--from must not be after --to.")
        if (first is None) != (last is None):
            if first is None:
                first = rollups._first_day()
            else:
                last = rollups._today()
        days = rollups.rebuild(first, last)
        self.stdout.write(f"kpi_rebuilt_days={days}")
