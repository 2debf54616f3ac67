"""Pay a day's declared fund yield to every holding (what the nightly task does), once."""

from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wealth.accrual import yield_accrue_all


class Command(BaseCommand):
    help = (
        "Post each holding's yield for a date through the ledger, once per holding and date. "
        "The last line is paid=<number of holdings paid> (0 when the date was already paid)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", help="The day whose yield to pay, YYYY-MM-DD (default: yesterday)."
        )

    def handle(self, *args, date=None, **options):
        day = self._day(date)
        results = yield_accrue_all(day=day)
        if not results:
            self.stderr.write(f"no yield declared for {day.isoformat()}")
        for result in results:
            state = "already paid" if result.already else f"total {result.total}"
            self.stdout.write(
                f"{result.product.code} {day.isoformat()}: {result.paid} holdings, {state}"
            )
        self.stdout.write(f"paid={sum(r.paid for r in results)}")

    @staticmethod
    def _day(value):
        if not value:
            return timezone.localdate() - timedelta(days=1)
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise CommandError("--date must be YYYY-MM-DD") from None
