"""Staff training: who gets which course, the quiz scored on the server, the team view."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone, translation

from backoffice import roles
from backoffice.models import AuditEvent, Course, CourseAttempt, Lesson, QuizChoice, QuizQuestion
from backoffice.seed_training import demo_training_ensure
from backoffice.training import team_training, training_due

from .factories import branch, staff, staff_client

pytestmark = pytest.mark.django_db


def make_course(*audience, questions=4, due_days=7, published_days_ago=30, title="课程"):
    course = Course.objects.create(
        title=title,
        title_en="Course",
        published_at=timezone.now() - timedelta(days=published_days_ago),
        due_days=due_days,
    )
    course.audience.set(Group.objects.filter(name__in=audience))
    Lesson.objects.create(course=course, position=1, title="第一课", body="正文", body_en="Body")
    for i in range(questions):
        question = QuizQuestion.objects.create(course=course, position=i, text=f"问题{i}")
        QuizChoice.objects.create(question=question, text="对", is_correct=True)
        QuizChoice.objects.create(question=question, text="错", is_correct=False)
    return course


def answers(course, right: int) -> dict:
    """Form data answering the first `right` questions rightly and the rest wrongly."""
    data = {}
    for i, question in enumerate(course.questions.order_by("position")):
        data[f"q{question.pk}"] = question.choices.get(is_correct=i < right).pk
    return data


def _age(user, days):
    user.date_joined = timezone.now() - timedelta(days=days)
    user.save(update_fields=["date_joined"])


@pytest.mark.parametrize(("right", "score", "passed"), [(4, 100, True), (3, 75, False)])
def test_quiz_is_scored_on_the_server_against_the_pass_mark(right, score, passed):
    teller = staff(roles.TELLER, branch("HOME"))
    course = make_course(roles.TELLER)
    url = reverse("backoffice:training_course", kwargs={"pk": course.pk})
    client = staff_client(teller)
    page = client.get(url)
    assert page.status_code == 200 and "第一课" in page.content.decode()
    assert "is_correct" not in page.content.decode()
    response = client.post(url, answers(course, right))
    assert response.status_code == 200
    attempt = CourseAttempt.objects.get()
    assert (attempt.staff, attempt.score, attempt.passed) == (teller, score, passed)
    event = AuditEvent.objects.get(action="training_attempt")
    assert event.detail == {"course": course.pk, "score": score, "passed": passed}
    assert (course in [s.course for s in training_due(teller)]) is not passed


def test_pass_mark_is_a_setting(settings):
    settings.BACKOFFICE_TRAINING_PASS_PERCENT = 50
    teller = staff(roles.TELLER, branch("HOME"))
    course = make_course(roles.TELLER)
    staff_client(teller).post(
        reverse("backoffice:training_course", kwargs={"pk": course.pk}), answers(course, 2)
    )
    assert CourseAttempt.objects.get().passed


def test_a_forged_choice_from_another_question_scores_nothing():
    teller = staff(roles.TELLER, branch("HOME"))
    course = make_course(roles.TELLER, questions=2)
    first, second = course.questions.order_by("position")
    right_of_first = first.choices.get(is_correct=True).pk
    response = staff_client(teller).post(
        reverse("backoffice:training_course", kwargs={"pk": course.pk}),
        {f"q{first.pk}": right_of_first, f"q{second.pk}": right_of_first},
    )
    assert response.status_code == 200  # refused by the form: not one of that question's answers
    assert not CourseAttempt.objects.exists()


def test_unanswered_questions_are_refused_with_the_field_named():
    teller = staff(roles.TELLER, branch("HOME"))
    course = make_course(roles.TELLER, questions=2)
    with translation.override("en"):
        response = staff_client(teller).post(
            reverse("backoffice:training_course", kwargs={"pk": course.pk}),
            {},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert "Choose an answer." in response.content.decode()
    assert not CourseAttempt.objects.exists()


def test_a_course_for_other_roles_is_not_found():
    agent = staff(roles.SUPPORT_AGENT)
    course = make_course(roles.TELLER, title="柜员专用课")
    client = staff_client(agent)
    assert (
        client.get(reverse("backoffice:training_course", kwargs={"pk": course.pk})).status_code
        == 404
    )
    assert course.title not in client.get(reverse("backoffice:training")).content.decode()


def test_due_counts_from_publication_or_joining_whichever_is_later():
    teller = staff(roles.TELLER, branch("HOME"))
    _age(teller, 100)
    course = make_course(roles.TELLER, due_days=7, published_days_ago=30)
    [status] = training_due(teller)
    assert status.overdue and status.due == course.published_at + timedelta(days=7)
    newcomer = staff(roles.TELLER, branch("HOME"))  # joined today: a week from now
    [status] = training_due(newcomer)
    assert not status.overdue


def test_team_view_shows_only_the_managers_branch_and_who_is_overdue():
    home, away = branch("HOME"), branch("AWAY")
    manager = staff(roles.BRANCH_MANAGER, home)
    late = staff(roles.TELLER, home)
    done = staff(roles.TELLER, home)
    elsewhere = staff(roles.TELLER, away)
    for user in (late, done, elsewhere):
        _age(user, 100)
    course = make_course(roles.TELLER, title="逾期课程")
    CourseAttempt.objects.create(staff=done, course=course, score=100, passed=True)
    rows = {row.member: row for row in team_training(manager)}
    assert set(rows) == {late, done}
    assert [s.course for s in rows[late].overdue] == [course]
    assert rows[done].overdue == [] and rows[done].done_count == 1
    page = staff_client(manager).get(reverse("backoffice:training_team")).content.decode()
    assert late.full_name in page and elsewhere.full_name not in page


@pytest.mark.parametrize("role", [roles.TELLER, roles.RISK_OFFICER, roles.SUPPORT_AGENT])
def test_only_branch_managers_see_team_training(role):
    client = staff_client(staff(role, branch("HOME")))
    assert client.get(reverse("backoffice:training_team")).status_code == 403


def test_team_view_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    home = branch("HOME")
    manager = staff(roles.BRANCH_MANAGER, home)
    make_course(roles.TELLER)
    make_course(roles.TELLER, roles.BRANCH_MANAGER)
    client = staff_client(manager)
    for _ in range(2):
        staff(roles.TELLER, home)
    with django_assert_max_num_queries(30) as small:
        assert client.get(reverse("backoffice:training_team")).status_code == 200
    for _ in range(8):
        CourseAttempt.objects.create(
            staff=staff(roles.TELLER, home), course=Course.objects.first(), score=10, passed=False
        )
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse("backoffice:training_team")).status_code == 200


def test_seeded_courses_read_in_both_languages():
    staff(roles.TELLER, branch("HOME"))
    courses = demo_training_ensure()
    assert len(courses) == 4 and demo_training_ensure() == courses  # idempotent
    for course in courses:
        assert course.lessons.exists() and course.questions.exists()
        for question in course.questions.all():
            assert question.choices.filter(is_correct=True).count() == 1
    with translation.override("en"):
        assert courses[0].localized("title") == "Explaining the wallet"
    with translation.override("zh-hans"):
        assert courses[0].localized("title") == "向客户讲解数字钱包"
