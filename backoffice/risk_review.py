"""The risk officers' review queue and live monitor over the wallet's held payments.

The cases, the holds and the postings are the wallet's (wallet/risk/); this module adds who may
look, the customer's context, the audit trail and the staff portal's home card. Every decision
runs in one transaction with its audit event.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncMinute
from django.http import Http404
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import KnownDevice, LinkedAccount, User
from config.api_errors import ApplicationError
from wallet.models import Entry, FraudReport, RiskCase, RiskEvaluation, RiskHit, RiskRule
from wallet.risk import reports
from wallet.risk import services as risk

from . import home_cards, staff_actions
from .home_cards import Card, CardItem
from .models import AuditEvent
from .roles import RISK_OFFICER
from .selectors import staff_roles
from .services import audit_record

QUEUE_PAGE_SIZE = 50
CONTEXT_ROWS = 10
MONITOR_MINUTES = 15
HIT_RATE_HOURS = 24


def can_review_risk(user) -> bool:
    return user.is_authenticated and (user.is_superuser or RISK_OFFICER in staff_roles(user))


def _require(user) -> None:
    if not can_review_risk(user):
        raise PermissionDenied


def open_cases():
    return (
        RiskCase.objects.filter(status__in=RiskCase.OPEN_STATUSES)
        .select_related("wallet__user", "held_transaction", "evaluation", "payee_wallet__user")
        .order_by("due_at", "pk")
    )


def rule_labels(codes) -> list[str]:
    labels = dict(RiskRule.Code.choices)
    return [str(labels.get(code, code)) for code in codes]


@dataclass
class CaseRow:
    case: RiskCase
    amount: object
    currency: str
    rules: list[str]
    overdue: bool


def case_rows(cases) -> list[CaseRow]:
    now = timezone.now()
    return [
        CaseRow(
            case=case,
            amount=case.evaluation.amount,
            currency=case.evaluation.currency,
            rules=rule_labels(case.evaluation.rules_hit),
            overdue=case.due_at <= now,
        )
        for case in cases
    ]


@transaction.atomic
def case_open(*, actor: User, pk: int, request=None) -> dict:
    """A case with the customer's context; the look is audited. A fixed number of queries."""
    _require(actor)
    case = (
        RiskCase.objects.select_related(
            "wallet__user",
            "held_transaction",
            "evaluation",
            "payee_wallet__user",
            "decided_by",
            "release_transaction",
            "return_transaction",
        )
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    customer = case.wallet.user
    audit_record(
        actor=actor,
        action=AuditEvent.Action.RISK_CASE_VIEW,
        customer=customer,
        reason="risk_review",
        detail={"case": case.pk},
        request=request,
    )
    return {
        "case": case,
        "row": case_rows([case])[0],
        **_customer_context(customer, case.wallet, other_than=case),
        "notes": list(case.notes.select_related("author")),
    }


class Decision:
    RELEASE = "release"
    REJECT = "reject"
    FREEZE = "freeze"
    ASK = "ask"
    NOTE = "note"
    ALL = (RELEASE, REJECT, FREEZE, ASK, NOTE)


@transaction.atomic(durable=True)
def case_decide(*, actor: User, pk: int, decision: str, note: str = "", request=None) -> RiskCase:
    """Release, reject, freeze the wallet, ask the customer, or add a note; audited with it."""
    _require(actor)
    note = (note or "").strip()
    case = RiskCase.objects.select_related("wallet__user").filter(pk=pk).first()
    if case is None:
        raise Http404
    customer = case.wallet.user
    if decision == Decision.RELEASE:
        case = risk.held_release(case_id=pk, actor=actor, note=note)
        action, detail = (
            AuditEvent.Action.RISK_RELEASE,
            {"transaction": case.release_transaction_id},
        )
    elif decision == Decision.REJECT:
        case = risk.held_reject(case_id=pk, actor=actor, note=note)
        action, detail = AuditEvent.Action.RISK_REJECT, {"transaction": case.return_transaction_id}
    elif decision == Decision.ASK:
        case = risk.held_ask_customer(case_id=pk, actor=actor, note=note)
        action, detail = AuditEvent.Action.RISK_ASK, {}
    elif decision == Decision.FREEZE:
        reason = note or _("Risk review of held payment #%(pk)s") % {"pk": case.pk}
        # Audited by the freeze itself (wallet_freeze); the note keeps it on the case.
        staff_actions.wallet_freeze_by_staff(
            actor=actor, customer_id=customer.pk, reason=reason, request=request
        )
        risk.case_note_add(
            case_id=pk, actor=actor, text=_("Wallet frozen: %(reason)s") % {"reason": reason}
        )
        return case
    elif decision == Decision.NOTE:
        risk.case_note_add(case_id=pk, actor=actor, text=note)
        action, detail = AuditEvent.Action.RISK_NOTE, {}
    else:
        message = _("Choose a decision.")
        raise ApplicationError(message, code="decision_invalid", fields={"decision": [message]})
    audit_record(
        actor=actor,
        action=action,
        customer=customer,
        reason=note,
        detail={"case": case.pk, "held_transaction": case.held_transaction_id, **detail},
        request=request,
    )
    return case


# --- fraud reported by customers (support tickets of that category) ------------------------------


def open_reports():
    return reports.fraud_reports_open().order_by("due_at", "pk")


def _customer_context(customer, wallet, *, other_than: RiskCase | None = None) -> dict:
    """What an officer needs to judge a customer: recent money, devices, linked accounts and
    earlier cases (not the one being looked at)."""
    if wallet is None:
        activity, earlier = [], []
    else:
        activity = list(
            Entry.objects.filter(account__wallet=wallet)
            .select_related("transaction")
            .order_by("-transaction__created_at", "-pk")[:CONTEXT_ROWS]
        )
        cases = RiskCase.objects.filter(wallet=wallet)
        if other_than is not None:
            cases = cases.exclude(pk=other_than.pk)
        earlier = list(cases.select_related("evaluation").order_by("-created_at")[:CONTEXT_ROWS])
    return {
        "customer": customer,
        "activity": activity,
        "devices": list(KnownDevice.objects.filter(user=customer).order_by("-last_seen")[:5]),
        "linked": list(
            LinkedAccount.objects.filter(user=customer)
            .exclude(status=LinkedAccount.Status.REMOVED)
            .order_by("-created_at")[:5]
        ),
        "earlier": earlier,
    }


@transaction.atomic
def report_open(*, actor: User, pk: int, request=None) -> dict:
    """A fraud report with the customer's context; the look is audited. Fixed queries."""
    _require(actor)
    report = (
        FraudReport.objects.select_related("user", "wallet", "transaction", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404
    audit_record(
        actor=actor,
        action=AuditEvent.Action.RISK_REPORT_VIEW,
        customer=report.user,
        reason="risk_review",
        detail={"report": report.pk, "ticket": report.reference},
        request=request,
    )
    return {
        "report": report,
        "overdue": report.is_open and report.due_at <= timezone.now(),
        "other_reports": list(
            FraudReport.objects.filter(user=report.user)
            .exclude(pk=report.pk)
            .order_by("-created_at")[:CONTEXT_ROWS]
        ),
        **_customer_context(report.user, report.wallet),
    }


class ReportDecision:
    CONFIRM = "confirm"
    UNFOUNDED = "unfounded"
    FREEZE = "freeze"
    ALL = (CONFIRM, UNFOUNDED, FREEZE)


def _tell_the_ticket(report: FraudReport, actor: User) -> None:
    """The support agents working the ticket see the outcome as an internal note."""
    from support.models_tickets import Ticket
    from support.tickets import STAFF_MAY_WRITE, ticket_reply_by_agent

    ticket = Ticket.objects.filter(reference=report.reference).first()
    if ticket is None or ticket.state not in STAFF_MAY_WRITE:
        return
    body = _("Risk review of this fraud report: %(outcome)s. %(note)s") % {
        "outcome": report.get_status_display(),
        "note": report.decision_note,
    }
    ticket_reply_by_agent(ticket=ticket, agent=actor, body=body, internal=True)


@transaction.atomic(durable=True)
def report_decide(*, actor: User, pk: int, decision: str, note: str = "", request=None):
    """Close a fraud report (confirmed, or no fraud found) with the reason, or freeze the
    customer's wallet while it is looked at; audited in the same transaction."""
    _require(actor)
    report = FraudReport.objects.select_related("user").filter(pk=pk).first()
    if report is None:
        raise Http404
    if decision == ReportDecision.FREEZE:
        reason = (note or "").strip() or _("Fraud report %(ref)s") % {"ref": report.reference}
        # Audited by the freeze itself (wallet_freeze_by_staff).
        staff_actions.wallet_freeze_by_staff(
            actor=actor, customer_id=report.user_id, reason=reason, request=request
        )
        return report
    outcomes = {
        ReportDecision.CONFIRM: FraudReport.Status.CONFIRMED,
        ReportDecision.UNFOUNDED: FraudReport.Status.UNFOUNDED,
    }
    if decision not in outcomes:
        message = _("Choose a decision.")
        raise ApplicationError(message, code="decision_invalid", fields={"decision": [message]})
    report = reports.fraud_report_close(
        report_id=pk, actor=actor, outcome=outcomes[decision], note=note
    )
    _tell_the_ticket(report, actor)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.RISK_REPORT_CLOSE,
        customer=report.user,
        reason=report.decision_note,
        detail={"report": report.pk, "ticket": report.reference, "outcome": report.status},
        request=request,
    )
    return report


# --- the live monitor ----------------------------------------------------------------------------


def monitor_figures(now=None) -> dict:
    """Flagged events per minute (last 15), rule hit rates (last 24 h), open cases: 4 queries."""
    now = now or timezone.now()
    since = now - timedelta(minutes=MONITOR_MINUTES)
    per_minute = {
        row["minute"]: row["n"]
        for row in RiskEvaluation.objects.filter(created_at__gte=since)
        .exclude(outcome=RiskEvaluation.Outcome.ALLOW)
        .annotate(minute=TruncMinute("created_at"))
        .values("minute")
        .annotate(n=Count("id"))
    }
    start = timezone.localtime(since).replace(second=0, microsecond=0)
    minutes = []
    for i in range(1, MONITOR_MINUTES + 1):
        minute = start + timedelta(minutes=i)
        count = next((n for m, n in per_minute.items() if timezone.localtime(m) == minute), 0)
        minutes.append({"minute": minute, "count": count})
    peak = max([m["count"] for m in minutes] + [1])
    for m in minutes:
        m["percent"] = round(100 * m["count"] / peak)

    day = now - timedelta(hours=HIT_RATE_HOURS)
    evaluated = RiskEvaluation.objects.filter(created_at__gte=day).count()
    labels = dict(RiskRule.Code.choices)
    hits = {
        row["code"]: row["n"]
        for row in RiskHit.objects.filter(created_at__gte=day)
        .values("code")
        .annotate(n=Count("id"))
    }
    rates = [
        {
            "code": code,
            "label": labels[code],
            "hits": hits.get(code, 0),
            "rate": (100 * hits.get(code, 0) / evaluated) if evaluated else 0,
        }
        for code in RiskRule.Code.values
    ]
    cases = RiskCase.objects.aggregate(
        open=Count("id", filter=Q(status=RiskCase.Status.OPEN)),
        asked=Count("id", filter=Q(status=RiskCase.Status.ASKED)),
        overdue=Count("id", filter=Q(status__in=RiskCase.OPEN_STATUSES, due_at__lte=now)),
    )
    return {
        "minutes": minutes,
        "flagged_total": sum(m["count"] for m in minutes),
        "evaluated": evaluated,
        "rates": rates,
        "cases": cases,
        "updated_at": now,
    }


# --- the home card --------------------------------------------------------------------------------


def held_payments_card(user) -> Card:
    rows = case_rows(open_cases()[:5])
    now = timezone.now()
    items = [
        CardItem(
            text=f"#{row.case.pk} · {row.amount:,.2f} {row.currency} · {', '.join(row.rules)}",
            url=reverse("backoffice:risk_case", kwargs={"pk": row.case.pk}),
            note=_("Due %(time)s")
            % {
                "time": formats.date_format(
                    timezone.localtime(row.case.due_at), "SHORT_DATETIME_FORMAT"
                )
            },
            urgent=row.case.due_at <= now,
        )
        for row in rows
    ]
    return Card(
        key="risk-held",
        title=_("Held payments to review"),
        items=items,
        empty_text=_("No held payment is waiting."),
        link_url=reverse("backoffice:risk_queue"),
        link_text=_("Review queue and live monitor"),
        order=20,
    )


def register_cards() -> None:
    home_cards.register(RISK_OFFICER, held_payments_card)
