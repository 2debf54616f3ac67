"""Fraud reported by customers (issue 9: "fraud reports from support tickets arrive here as
cases"). The support app opens a report when a customer files a suspected-fraud ticket; the risk
officers close it with an outcome and a reason. The wallet knows the ticket only by reference."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError

from ..models import Transaction, Wallet
from .models import FraudReport

NOTE_MAX = 500


def fraud_report_open(*, user, reference: str, summary: str, transaction_id=None) -> FraudReport:
    """Open the case for a report, once per reference (calling again returns the same case).
    A reported transaction is kept only if it is the reporter's own."""
    wallet = Wallet.objects.filter(user=user).order_by("pk").first()
    reported = None
    if transaction_id is not None and wallet is not None:
        reported = (
            Transaction.objects.filter(pk=transaction_id, entries__account__wallet__user=user)
            .distinct()
            .first()
        )
    report, _created = FraudReport.objects.get_or_create(
        reference=reference,
        defaults={
            "user": user,
            "wallet": wallet,
            "transaction": reported,
            "summary": summary[:200],
            "due_at": timezone.now() + timedelta(minutes=settings.RISK_REVIEW_DUE_MINUTES),
        },
    )
    return report


def fraud_reports_open():
    return FraudReport.objects.filter(status=FraudReport.Status.OPEN).select_related(
        "user", "wallet", "transaction"
    )


@transaction.atomic
def fraud_report_close(*, report_id: int, actor, outcome: str, note: str) -> FraudReport:
    """Close a report as confirmed fraud or unfounded, with the reason; once (a second officer
    closing at the same moment is told it is already closed)."""
    if outcome not in (FraudReport.Status.CONFIRMED, FraudReport.Status.UNFOUNDED):
        message = _("Choose an outcome.")
        raise ApplicationError(message, code="outcome_invalid", fields={"decision": [message]})
    note = (note or "").strip()
    if not note:
        message = _("Give the reason.")
        raise ApplicationError(message, code="required", fields={"note": [message]})
    if len(note) > NOTE_MAX:
        message = _("At most %(max)d characters.") % {"max": NOTE_MAX}
        raise ApplicationError(message, code="too_long", fields={"note": [message]})
    report = FraudReport.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise ApplicationError(_("No such fraud report."), code="not_found", status_code=404)
    if not report.is_open:
        message = _("This report was already closed: %(status)s.") % {
            "status": report.get_status_display()
        }
        raise ApplicationError(message, code="already_closed", status_code=409)
    report.status = outcome
    report.decided_by = actor
    report.decided_at = timezone.now()
    report.decision_note = note
    report.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return report
