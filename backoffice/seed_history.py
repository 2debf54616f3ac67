"""`seed_demo`'s history of staff activity, so the audit trail a risk officer opens in the demo
shows weeks of ordinary branch work, not an empty page.

Today's part goes through the real services (a search, customer views with reasons, a limit
override asked by the teller and approved by the branch manager). The weeks before are written
as the services would have written them, dated back: the trail is append-only and the services
stamp the present, so there is no other way to have a past. Those rows say so in their detail
(`"demo_history": true`), and none of them pretends a ledger movement that does not exist (past
cash movements name no transaction). Made once: re-seeding adds nothing.
"""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .approvals import approval_approve, approval_request_create
from .models import ApprovalRequest, AuditEvent
from .selectors import role_label_of
from .services import customer_open, customer_search

DEMO_HISTORY_DAYS = 21
DEMO_OVERRIDE_REASON = "客户购车需一次性付款，临时提高限额三天"
# What a weekday at the counter looks like, per (hour, minute): who, what, about whom, why.
_DAY = [
    (9, 12, "teller", AuditEvent.Action.CUSTOMER_SEARCH, None, "", {"query": "1380013****"}),
    (9, 13, "teller", AuditEvent.Action.CUSTOMER_VIEW, 0, "counter", {}),
    (9, 20, "teller", AuditEvent.Action.CASH_IN, 0, "", {"amount": "500.00", "currency": "CNY"}),
    (10, 41, "teller", AuditEvent.Action.CUSTOMER_VIEW, 1, "ticket: T-2026-0142", {}),
    (10, 43, "teller", AuditEvent.Action.REVEAL, 1, "", {"field": "phone"}),
    (11, 5, "teller", AuditEvent.Action.CASH_OUT, 1, "", {"amount": "200.00", "currency": "CNY"}),
    (14, 30, "risk", AuditEvent.Action.CUSTOMER_VIEW, 2, "risk_review", {}),
    (14, 32, "risk", AuditEvent.Action.REVEAL, 2, "", {"field": "document_number"}),
    (15, 10, "teller_bj", AuditEvent.Action.CUSTOMER_VIEW, 3, "counter", {}),
    (16, 2, "manager", AuditEvent.Action.CUSTOMER_VIEW, 0, "complaint", {}),
]


def _at(day, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def _past_events(*, staff: dict[str, User], customers: list[User]) -> list[AuditEvent]:
    today = timezone.localdate()
    events = []
    for back in range(DEMO_HISTORY_DAYS, 0, -1):
        day = today - timedelta(days=back)
        if day.weekday() >= 5:  # branches are closed at the weekend in the demo
            continue
        for hour, minute, who, action, whom, reason, detail in _DAY:
            actor = staff[who]
            events.append(
                AuditEvent(
                    actor=actor,
                    role=role_label_of(actor),
                    customer=customers[whom] if whom is not None else None,
                    action=action,
                    reason=reason,
                    detail={**detail, "demo_history": True},
                    created_at=_at(day, hour, minute),
                    ip_address="10.8.1.21",
                    request_id=f"demo-{day:%Y%m%d}-{hour:02d}{minute:02d}",
                )
            )
        # Once a week a reveal without a fresh code, refused: it shows up in the trail as well.
        if day.weekday() == 2:
            events.append(
                AuditEvent(
                    actor=staff["teller"],
                    role=role_label_of(staff["teller"]),
                    customer=customers[1],
                    action=AuditEvent.Action.REVEAL,
                    detail={"field": "email", "refused": "otp_invalid", "demo_history": True},
                    created_at=_at(day, 11, 30),
                    ip_address="10.8.1.21",
                    request_id=f"demo-{day:%Y%m%d}-1130",
                    outcome=AuditEvent.Outcome.REFUSED,
                )
            )
    return events


def demo_staff_history_ensure(*, staff: dict[str, User], customers: list[User]) -> None:
    """`staff`: teller, manager, risk (SH001 and bank-wide) and teller_bj; `customers`: three of
    SH001 then one of BJ001, as `_DAY` refers to them by position."""
    if AuditEvent.objects.filter(detail__demo_history=True).exists():
        return
    with transaction.atomic():
        AuditEvent.objects.bulk_create(_past_events(staff=staff, customers=customers))
    # Today, through the services: the teller looks a customer up and opens them at the counter;
    # the risk officer opens the BJ001 customer for a review; a limit override asked by the
    # teller and approved by the branch manager (its audit events and the override itself).
    customer_search(actor=staff["teller"], query=customers[0].phone or "张三", page_number=1)
    customer_open(actor=staff["teller"], pk=customers[0].pk, reason="counter")
    customer_open(actor=staff["risk"], pk=customers[3].pk, reason="risk_review")
    already = ApprovalRequest.objects.filter(
        customer=customers[1], action=ApprovalRequest.Action.LIMIT_OVERRIDE
    ).exists()
    if not already:
        approval = approval_request_create(
            actor=staff["teller"],
            customer_id=customers[1].pk,
            action=ApprovalRequest.Action.LIMIT_OVERRIDE,
            reason=DEMO_OVERRIDE_REASON,
            parameters={"per_transaction": "50000", "daily": "80000", "days": 3},
        )
        approval_approve(actor=staff["manager"], pk=approval.pk, note="已核实购车合同")
