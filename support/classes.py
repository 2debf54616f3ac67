"""Classes (培训课程): reads and writes — registering and cancelling, the reminder the day before,
attendance, and attendance per branch for the back office and the KPI dashboards.

Seats: registering locks the class row (select_for_update) and counts its active
registrations before adding one, so two customers taking the last seat at once are served one
after the other and exactly one gets it. The unique (class, customer) row makes a second
registration by the same customer impossible even without the lock.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError
from notifications.models import Notification
from notifications.services import notify, outbox_enqueue, register_handler

from .languages import language_now, speaking
from .models_classes import ClassRegistration, TrainingClass

Status = ClassRegistration.Status
CLASS_REMINDER = "support.class_reminder"
# The reminder goes out the day before: once a registration's class starts within this window.
REMINDER_WINDOW = timedelta(hours=24)

# Role (group) names, as backoffice/roles.py declares them (support does not import backoffice).
TELLER_GROUP = "teller"
BRANCH_MANAGER_GROUP = "branch_manager"
SUPPORT_LEAD_GROUP = "support_lead"
CAMPAIGN_ADMIN_GROUP = "campaign_admin"


def _refuse(message, *, field: str | None = None, code: str = "invalid", status_code=None):
    raise ApplicationError(
        message, code=code, fields={field: [message]} if field else {}, status_code=status_code
    )


# --- reads ----------------------------------------------------------------------------------


def _with_seats(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("branch").annotate(
        seats_taken=Count("registrations", filter=Q(registrations__status=Status.REGISTERED))
    )


def upcoming_classes() -> QuerySet[TrainingClass]:
    """Published classes not yet started, soonest first, each with `seats_taken`."""
    return _with_seats(TrainingClass.objects.filter(published=True, starts_at__gt=timezone.now()))


def upcoming_class_or_none(pk) -> TrainingClass | None:
    return upcoming_classes().filter(pk=pk).first()


def registrations_of(customer) -> QuerySet[ClassRegistration]:
    """The customer's active registrations, latest class first (past ones included)."""
    return (
        ClassRegistration.objects.filter(customer=customer, status=Status.REGISTERED)
        .select_related("training_class__branch")
        .order_by("-training_class__starts_at", "-pk")
    )


def registered_class_ids(customer) -> set[int]:
    if not customer.is_authenticated:
        return set()
    return set(
        ClassRegistration.objects.filter(
            customer=customer,
            status=Status.REGISTERED,
            training_class__starts_at__gt=timezone.now(),
        ).values_list("training_class_id", flat=True)
    )


def seats_left(training_class: TrainingClass) -> int:
    taken = getattr(training_class, "seats_taken", None)
    if taken is None:
        taken = training_class.registrations.filter(status=Status.REGISTERED).count()
    return max(training_class.capacity - taken, 0)


# --- customers ----------------------------------------------------------------------------


def _locked_class(pk: int) -> TrainingClass:
    training_class = (
        TrainingClass.objects.select_for_update(of=("self",))
        .select_related("branch")
        .filter(pk=pk, published=True)
        .first()
    )
    if training_class is None:
        _refuse(_("No such class."), code="not_found", status_code=404)
    return training_class


@transaction.atomic
def class_register(*, customer, class_id: int) -> ClassRegistration:
    """Take a seat: refused for a class that has started, a full class, or a second time."""
    training_class = _locked_class(class_id)
    if training_class.starts_at <= timezone.now():
        _refuse(
            _("This class has already started: you can no longer register for it."),
            field="class",
            code="class_started",
        )
    registration = ClassRegistration.objects.filter(
        training_class=training_class, customer=customer
    ).first()
    if registration is not None and registration.status == Status.REGISTERED:
        _refuse(
            _("You are already registered for this class."),
            field="class",
            code="already_registered",
        )
    taken = training_class.registrations.filter(status=Status.REGISTERED).count()
    if taken >= training_class.capacity:
        _refuse(
            _("This class is full. Choose another date or class."),
            field="class",
            code="class_full",
        )
    if registration is not None:  # registering again after cancelling
        registration.status = Status.REGISTERED
        registration.registered_at = timezone.now()
        registration.cancelled_at = None
        registration.language = language_now()
        registration.save(update_fields=["status", "registered_at", "cancelled_at", "language"])
        return registration
    try:
        with transaction.atomic():
            return ClassRegistration.objects.create(
                training_class=training_class, customer=customer, language=language_now()
            )
    except IntegrityError:
        _refuse(
            _("You are already registered for this class."),
            field="class",
            code="already_registered",
        )


@transaction.atomic
def class_registration_cancel(*, customer, class_id: int) -> ClassRegistration:
    """Give the seat back; refused once the class has started or when not registered."""
    training_class = _locked_class(class_id)
    registration = ClassRegistration.objects.filter(
        training_class=training_class, customer=customer, status=Status.REGISTERED
    ).first()
    if registration is None:
        _refuse(_("You are not registered for this class."), code="not_registered", status_code=404)
    if training_class.starts_at <= timezone.now():
        _refuse(
            _("This class has already started: the registration can no longer be cancelled."),
            field="class",
            code="class_started",
        )
    registration.status = Status.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at"])
    return registration


# --- the reminder the day before -------------------------------------------------------------


@transaction.atomic
def class_reminders_queue(*, now: datetime | None = None) -> int:
    """Queue one reminder per active registration whose class starts within the next 24 hours
    and that was not reminded yet. Run by a periodic task; a second run finds nothing to do."""
    now = now or timezone.now()
    due = list(
        ClassRegistration.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(
            status=Status.REGISTERED,
            reminded_at__isnull=True,
            training_class__published=True,
            training_class__starts_at__gt=now,
            training_class__starts_at__lte=now + REMINDER_WINDOW,
        )
        .values_list("pk", flat=True)
    )
    for pk in due:
        outbox_enqueue(
            topic=CLASS_REMINDER,
            payload={"registration_id": pk},
            dedupe_key=f"class-reminder:{pk}",
        )
    ClassRegistration.objects.filter(pk__in=due).update(reminded_at=now)
    return len(due)


def class_reminder_send(*, registration_id: int) -> None:
    """The outbox handler: the customer's inbox (and their channels) hear of the class, unless
    they cancelled since, in the language they registered in (support/languages.py)."""
    registration = (
        ClassRegistration.objects.select_related("customer", "training_class__branch")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None or registration.status != Status.REGISTERED:
        return
    training_class = registration.training_class
    starts = timezone.localtime(training_class.starts_at)
    with speaking(registration.language):
        notify(
            user=registration.customer,
            kind=Notification.Kind.SUPPORT,
            title=_("Reminder: %(title)s tomorrow") % {"title": training_class.title},
            body=_("Your class starts at %(time)s. Place: %(place)s.")
            % {"time": starts.strftime("%Y-%m-%d %H:%M"), "place": training_class.place},
            dedupe_key=f"class-reminder:{registration.pk}",
            link=reverse("classes:list"),
        )


def connect() -> None:
    register_handler(CLASS_REMINDER, class_reminder_send)


# --- attendance --------------------------------------------------------------------------


def _group_names(user) -> set[str]:
    cached = getattr(user, "_support_group_names", None)
    if cached is None:
        cached = user._support_group_names = {g.name for g in user.groups.all()}
    return cached


def _staff_branch_id(user):
    profile = getattr(user, "staff_profile", None)
    return profile.branch_id if profile else None


def may_mark_attendance(user, training_class: TrainingClass) -> bool:
    """The teller or branch manager of the class's branch; for an online class, the support
    lead or a campaign admin."""
    if not (user.is_authenticated and user.is_staff):
        return False
    if user.is_superuser:
        return True
    groups = _group_names(user)
    if training_class.mode == TrainingClass.Mode.ONLINE:
        return bool(groups & {SUPPORT_LEAD_GROUP, CAMPAIGN_ADMIN_GROUP})
    return bool(groups & {TELLER_GROUP, BRANCH_MANAGER_GROUP}) and (
        _staff_branch_id(user) == training_class.branch_id
    )


def classes_for_staff(user) -> QuerySet[TrainingClass]:
    """The classes whose attendance this staff member may mark, latest first."""
    queryset = _with_seats(TrainingClass.objects.all()).order_by("-starts_at", "-pk")
    if user.is_superuser:
        return queryset
    groups = _group_names(user)
    allowed = Q(pk__in=[])
    if groups & {SUPPORT_LEAD_GROUP, CAMPAIGN_ADMIN_GROUP}:
        allowed |= Q(mode=TrainingClass.Mode.ONLINE)
    branch_id = _staff_branch_id(user)
    if groups & {TELLER_GROUP, BRANCH_MANAGER_GROUP} and branch_id:
        allowed |= Q(mode=TrainingClass.Mode.BRANCH, branch_id=branch_id)
    return queryset.filter(allowed)


def class_roster(training_class: TrainingClass) -> QuerySet[ClassRegistration]:
    return (
        training_class.registrations.filter(status=Status.REGISTERED)
        .select_related("customer")
        .order_by("registered_at", "pk")
    )


@transaction.atomic
def attendance_mark(
    *, training_class: TrainingClass, attended_ids: set[int], staff
) -> list[ClassRegistration]:
    """Record who came (every active registration: attended or not), once the class started."""
    if not may_mark_attendance(staff, training_class):
        _refuse(_("You may not mark attendance for this class."), status_code=403)
    now = timezone.now()
    if training_class.starts_at > now:
        _refuse(
            _("Attendance can be marked once the class has started."),
            field="attended",
            code="class_not_started",
        )
    roster = list(class_roster(training_class).select_for_update(of=("self",)))
    unknown = set(attended_ids) - {r.pk for r in roster}
    if unknown:
        _refuse(_("Choose among the registered customers."), field="attended")
    for registration in roster:
        registration.attended = registration.pk in attended_ids
        registration.attendance_marked_by = staff
        registration.attendance_marked_at = now
    ClassRegistration.objects.bulk_update(
        roster, ["attended", "attendance_marked_by", "attendance_marked_at"]
    )
    return roster


def _bounds(start, end) -> tuple[datetime, datetime]:
    """Dates are whole local days, the end day included; datetimes are taken as they are."""
    if not isinstance(start, datetime) and isinstance(start, date):
        start = timezone.make_aware(datetime.combine(start, time.min))
    if not isinstance(end, datetime) and isinstance(end, date):
        end = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    return start, end


def attendance_by_branch(start, end) -> list[dict]:
    """Attendance of the classes that started in [start, end) — dates count as whole days,
    the end day included — per branch (online classes together, with `branch_id` None).

    One query. Each row: branch_id, branch_code, branch_name, classes, registered (active
    registrations), marked (registrations whose attendance was recorded), attended, and
    attendance_rate (attended / marked as a Decimal share in 0..1 to 4 places, None if nothing
    was marked). For the back office's page and the KPI dashboards.
    """
    start, end = _bounds(start, end)
    active = Q(registrations__status=Status.REGISTERED)
    rows = (
        TrainingClass.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .values("branch_id", "branch__code", "branch__name")
        .annotate(
            classes=Count("pk", distinct=True),
            registered=Count("registrations", filter=active),
            marked=Count("registrations", filter=active & Q(registrations__attended__isnull=False)),
            attended=Count("registrations", filter=active & Q(registrations__attended=True)),
        )
        .order_by("branch__code")
    )
    result = []
    for row in rows:
        result.append(
            {
                "branch_id": row["branch_id"],
                "branch_code": row["branch__code"] or "",
                "branch_name": row["branch__name"] or "",
                "classes": row["classes"],
                "registered": row["registered"],
                "marked": row["marked"],
                "attended": row["attended"],
                "attendance_rate": (
                    (Decimal(row["attended"]) / Decimal(row["marked"])).quantize(Decimal("0.0001"))
                    if row["marked"]
                    else None
                ),
            }
        )
    return result
