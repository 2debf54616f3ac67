"""Import a day's bank statement of the clearing account and reconcile it with the ledger."""

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.bank import BankUnavailable
from wallet.camt053 import StatementRefused
from wallet.services.reconciliation import bank_statement_import, reconcile_bank_day


class Command(BaseCommand):
    help = (
        "Fetch the day's camt.053 statement of the bank clearing account from the bank connector "
        "(or read it from --file), import it and reconcile it with the ledger. Running it again "
        "changes nothing. The last line is `matched=<n> unmatched=<m>`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="The statement's day, YYYY-MM-DD.")
        parser.add_argument("--file", help="Read the statement from this camt.053 file instead.")

    def handle(self, *args, date=None, file=None, **options):
        day = _day(date)
        try:
            if file:
                with open(file, "rb") as handle:
                    results = [bank_statement_import(document=handle.read(), expected_day=day)]
            else:
                results = [
                    reconcile_bank_day(day=day, currency=currency)
                    for currency in settings.FUNDING_CURRENCIES
                ]
        except StatementRefused as refused:
            raise CommandError(f"statement refused: {refused.detail}") from None
        except (BankUnavailable, OSError) as error:
            raise CommandError(f"no statement: {error}") from None
        for result in results:
            statement = result.statement
            self.stdout.write(
                f"{statement.currency} {statement.date} "
                f"{'imported' if result.imported else 'already imported, nothing changed'}: "
                f"lines={statement.line_count} opening={statement.opening_balance:.2f} "
                f"closing={statement.closing_balance:.2f}"
            )
        matched = sum(result.matched for result in results)
        unmatched = sum(result.unmatched for result in results)
        self.stdout.write(f"matched={matched} unmatched={unmatched}")


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}") from None
