"""Expire four-eyes requests left pending past their 24 hours (also a periodic task)."""

from django.core.management.base import BaseCommand

from backoffice.approvals import approvals_expire


class Command(BaseCommand):
    help = "Mark pending approval requests past their expiry as expired (audited)."

    def handle(self, *args, **options):
        count = approvals_expire()
        self.stdout.write(f"{count} approval request(s) expired.")
