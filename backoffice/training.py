"""Staff training: which courses a staff member must take, their quiz, and the team's progress.

Reads and writes of the training feature live here rather than in selectors.py/services.py, so
that the training screens can be merged and reviewed on their own. A course is assigned to every
staff member holding one of its audience roles, from its publication (or their joining, if later);
it is due on its due date or N days after that; it is done once a quiz attempt passes.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import User

from .models import AuditEvent, Course, CourseAttempt, QuizChoice, QuizQuestion, StaffProfile
from .roles import BRANCH_MANAGER
from .selectors import staff_roles


@dataclass
class CourseStatus:
    course: Course
    due: datetime | None
    passed_at: datetime | None
    best_score: int | None

    @property
    def done(self) -> bool:
        return self.passed_at is not None

    @property
    def overdue(self) -> bool:
        return not self.done and self.due is not None and self.due < timezone.now()


def courses_for(user) -> QuerySet[Course]:
    """The active courses whose audience includes one of the user's roles."""
    return (
        Course.objects.filter(is_active=True, audience__user=user, published_at__lte=timezone.now())
        .distinct()
        .order_by("published_at", "pk")
    )


def _statuses(courses, user, attempts) -> list[CourseStatus]:
    rows = []
    for course in courses:
        mine = [a for a in attempts if a.course_id == course.pk]
        passed = [a.completed_at for a in mine if a.passed]
        rows.append(
            CourseStatus(
                course=course,
                due=course.due_for(user),
                passed_at=min(passed) if passed else None,
                best_score=max((a.score for a in mine), default=None),
            )
        )
    return rows


def training_statuses(user) -> list[CourseStatus]:
    """Each of the user's courses with when it is due and whether it is done: two queries."""
    courses = list(courses_for(user))
    attempts = list(
        CourseAttempt.objects.filter(staff=user, course__in=[c.pk for c in courses]).only(
            "course_id", "score", "passed", "completed_at"
        )
    )
    return _statuses(courses, user, attempts)


def training_due(user) -> list[CourseStatus]:
    """The courses the user has still to pass, the most urgent first."""
    far = datetime.max.replace(tzinfo=timezone.get_current_timezone())
    return sorted((s for s in training_statuses(user) if not s.done), key=lambda s: s.due or far)


def course_for_taking(*, user, pk: int) -> Course:
    """The course with its lessons and questions, if it is one of the user's; else Http404."""
    course = (
        courses_for(user)
        .filter(pk=pk)
        .prefetch_related(
            "lessons",
            Prefetch(
                "questions",
                queryset=QuizQuestion.objects.prefetch_related(
                    Prefetch("choices", queryset=QuizChoice.objects.order_by("pk"))
                ),
            ),
        )
        .first()
    )
    if course is None:
        raise Http404
    return course


def pass_percent() -> int:
    return settings.BACKOFFICE_TRAINING_PASS_PERCENT


def quiz_score(*, course: Course, answers: dict[int, int]) -> int:
    """The share of questions (percent, rounded down) answered with their right choice.

    `answers` maps a question id to the chosen choice id; the right answers are read from the
    database here, never taken from the form."""
    questions = list(course.questions.all())
    if not questions:
        return 100
    right = 0
    for question in questions:
        chosen = answers.get(question.pk)
        right += any(c.pk == chosen and c.is_correct for c in question.choices.all())
    return right * 100 // len(questions)


@transaction.atomic
def training_attempt_submit(
    *, staff: User, course: Course, answers: dict[int, int], request=None
) -> CourseAttempt:
    """Score the answers on the server, record the attempt and its audit event."""
    from .services import audit_record

    score = quiz_score(course=course, answers=answers)
    attempt = CourseAttempt.objects.create(
        staff=staff, course=course, score=score, passed=score >= pass_percent()
    )
    audit_record(
        actor=staff,
        action=AuditEvent.Action.TRAINING_ATTEMPT,
        detail={"course": course.pk, "score": score, "passed": attempt.passed},
        request=request,
    )
    return attempt


# --- the branch manager's view of the team ----------------------------------------------------


def can_see_team_training(user) -> bool:
    return user.is_authenticated and (user.is_superuser or BRANCH_MANAGER in staff_roles(user))


@dataclass
class TeamMemberTraining:
    member: User
    statuses: list[CourseStatus]

    @property
    def overdue(self) -> list[CourseStatus]:
        return [s for s in self.statuses if s.overdue]

    @property
    def done_count(self) -> int:
        return sum(s.done for s in self.statuses)


def team_training(manager) -> list[TeamMemberTraining]:
    """Training progress of the staff of the manager's branch (the manager excluded); a
    superuser without a branch sees every branch. Four queries, however large the team."""
    if not can_see_team_training(manager):
        raise PermissionDenied
    profile = StaffProfile.objects.filter(user=manager).only("branch_id").first()
    branch_id = profile.branch_id if profile else None
    members = User.objects.filter(is_staff=True, is_active=True).exclude(pk=manager.pk)
    if branch_id is not None:
        members = members.filter(staff_profile__branch_id=branch_id)
    elif not manager.is_superuser:
        return []
    members = list(members.prefetch_related("groups").order_by("full_name", "pk"))
    courses = list(
        Course.objects.filter(is_active=True, published_at__lte=timezone.now()).prefetch_related(
            "audience"
        )
    )
    attempts = list(
        CourseAttempt.objects.filter(staff__in=members).only(
            "staff_id", "course_id", "score", "passed", "completed_at"
        )
    )
    rows = []
    for member in members:
        group_ids = {g.pk for g in member.groups.all()}
        theirs = [c for c in courses if group_ids & {g.pk for g in c.audience.all()}]
        mine = [a for a in attempts if a.staff_id == member.pk]
        rows.append(TeamMemberTraining(member=member, statuses=_statuses(theirs, member, mine)))
    return rows
