"""Staff actions about classes and feedback (issue 7), each with its audit row in the same
transaction: marking a class's attendance, exporting customers' feedback."""

from django.db import transaction

from accounts.models import User
from support import classes
from support.models_classes import TrainingClass

from .models import AuditEvent
from .roles import BRANCH_MANAGER, CAMPAIGN_ADMIN, SUPPORT_LEAD, TELLER
from .selectors import staff_roles
from .services import audit_record

# Who reads attendance per branch (counts only, no customer's data), and customers' feedback.
ATTENDANCE_REPORT_ROLES = (BRANCH_MANAGER, SUPPORT_LEAD, CAMPAIGN_ADMIN)
FEEDBACK_ROLES = (SUPPORT_LEAD,)


def can_read_attendance_report(user) -> bool:
    return user.is_superuser or bool(set(staff_roles(user)) & set(ATTENDANCE_REPORT_ROLES))


def can_read_feedback(user) -> bool:
    return user.is_superuser or bool(set(staff_roles(user)) & set(FEEDBACK_ROLES))


def can_mark_any_attendance(user) -> bool:
    """Whether the staff member looks after any classes (by role; no query beyond the roles)."""
    roles = set(staff_roles(user))
    return user.is_superuser or bool(roles & {TELLER, BRANCH_MANAGER, SUPPORT_LEAD, CAMPAIGN_ADMIN})


@transaction.atomic
def class_attendance_record(
    *, staff: User, training_class: TrainingClass, attended_ids: set[int], request=None
):
    roster = classes.attendance_mark(
        training_class=training_class, attended_ids=attended_ids, staff=staff
    )
    audit_record(
        actor=staff,
        action=AuditEvent.Action.CLASS_ATTENDANCE,
        reason=f"class {training_class.pk}",
        detail={
            "class": training_class.pk,
            "registered": len(roster),
            "attended": sum(1 for r in roster if r.attended),
        },
        request=request,
    )
    return roster


def feedback_export_record(*, staff: User, filters: dict, rows: int, request=None) -> AuditEvent:
    return audit_record(
        actor=staff,
        action=AuditEvent.Action.FEEDBACK_EXPORT,
        detail={"filters": {k: str(v) for k, v in filters.items() if v}, "rows": rows},
        request=request,
    )
