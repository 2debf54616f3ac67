"""Classes (培训课程): browsing, registering and cancelling (page and API), seats and refusals,
the reminder the day before, attendance by staff, and attendance per branch."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from backoffice.models import AuditEvent
from backoffice.roles import (
    BRANCH_MANAGER,
    CAMPAIGN_ADMIN,
    SUPPORT_AGENT,
    SUPPORT_LEAD,
    TELLER,
)
from config.api_errors import ApplicationError
from notifications.models import Notification
from support import classes
from support.models_classes import ClassRegistration
from tests.accounts.factories import UserFactory
from tests.backoffice.factories import branch, staff, staff_client

from .factories import OnlineClassFactory, TrainingClassFactory, past_class

pytestmark = pytest.mark.django_db
LIST = reverse("classes:list")


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


# --- browsing, registering, cancelling ---------------------------------------------------------


def test_a_customer_browses_registers_and_cancels_on_the_page(client):
    upcoming = TrainingClassFactory(title_zh_hans="老年人安全使用数字钱包", capacity=2)
    past_class(title_zh_hans="已经开始的课")
    TrainingClassFactory(title_zh_hans="未发布的课", published=False)
    customer = UserFactory()
    client.force_login(customer)
    page = client.get(LIST).content.decode()
    assert "老年人安全使用数字钱包" in page
    assert "已经开始的课" not in page and "未发布的课" not in page
    assert reverse("classes:register", args=[upcoming.pk]) in page

    response = client.post(reverse("classes:register", args=[upcoming.pk]), follow=True)
    assert ClassRegistration.objects.get(customer=customer).status == "registered"
    page = response.content.decode()
    assert reverse("classes:cancel", args=[upcoming.pk]) in page
    assert 'data-testid="my-classes"' in page

    response = client.post(reverse("classes:cancel", args=[upcoming.pk]), follow=True)
    assert ClassRegistration.objects.get(customer=customer).status == "cancelled"
    # Registering again after cancelling reuses the one row.
    client.post(reverse("classes:register", args=[upcoming.pk]))
    assert ClassRegistration.objects.get(customer=customer).status == "registered"


def test_the_page_is_in_english_too(client):
    TrainingClassFactory(title_zh_hans="老年人课程", title_en="Class for seniors")
    client.cookies["django_language"] = "en"
    page = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Class for seniors" in page and "Upcoming classes" in page


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("full", "This class is full"),
        ("past", "already started"),
        ("twice", "already registered"),
    ],
)
def test_registrations_refused_with_a_clear_message(client, setup, message):
    customer = UserFactory()
    training_class = past_class() if setup == "past" else TrainingClassFactory(capacity=1)
    if setup == "full":
        classes.class_register(customer=UserFactory(), class_id=training_class.pk)
    if setup == "twice":
        classes.class_register(customer=customer, class_id=training_class.pk)
    before = list(ClassRegistration.objects.values_list("pk", "status"))
    client.force_login(customer)
    response = client.post(reverse("classes:register", args=[training_class.pk]), follow=True)
    assert message in response.content.decode() or message in str(
        [str(m) for m in response.context["messages"]]
    )
    assert list(ClassRegistration.objects.values_list("pk", "status")) == before
    # The API refuses the same way, naming the field, with nothing changed.
    answer = _api(customer).post(f"/api/v1/classes/{training_class.pk}/registration/")
    assert answer.status_code == 400
    assert message in answer.json()["detail"] and "class" in answer.json()["errors"]
    assert list(ClassRegistration.objects.values_list("pk", "status")) == before


@pytest.mark.usefixtures("english")
def test_cancelling_a_started_class_is_refused():
    customer = UserFactory()
    training_class = past_class()
    ClassRegistration.objects.create(training_class=training_class, customer=customer)
    with pytest.raises(ApplicationError, match="already started"):
        classes.class_registration_cancel(customer=customer, class_id=training_class.pk)


def test_the_classes_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    customer = UserFactory()
    client.force_login(customer)

    def load(n):
        for _ in range(n):
            c = TrainingClassFactory()
            classes.class_register(customer=customer, class_id=c.pk)
            classes.class_register(customer=UserFactory(), class_id=c.pk)
        with django_assert_max_num_queries(12) as captured:
            assert client.get(LIST).status_code == 200
        return len(captured)

    assert load(2) == load(20)


# --- the API ----------------------------------------------------------------------------------


def test_the_api_lists_registers_lists_mine_and_cancels():
    customer = UserFactory()
    online = OnlineClassFactory(capacity=3)
    api = _api(customer)
    listed = api.get("/api/v1/classes/").json()
    assert listed["count"] == 1
    row = listed["results"][0]
    assert row["id"] == online.pk and row["seats_left"] == 3 and row["mode"] == "online"
    assert "join_url" not in row  # the link goes to registered customers only

    created = api.post(f"/api/v1/classes/{online.pk}/registration/")
    assert created.status_code == 201
    assert created.json()["join_url"] == online.join_url
    assert created.json()["training_class"]["seats_left"] == 2
    mine = api.get("/api/v1/classes/registrations/").json()
    assert [r["training_class"]["id"] for r in mine["results"]] == [online.pk]

    assert api.delete(f"/api/v1/classes/{online.pk}/registration/").status_code == 204
    assert api.get("/api/v1/classes/registrations/").json()["count"] == 0
    # Nothing left to cancel: 404, as for a class that does not exist.
    assert api.delete(f"/api/v1/classes/{online.pk}/registration/").status_code == 404
    assert api.post("/api/v1/classes/999999/registration/").status_code == 404


def test_another_customer_cannot_touch_my_registration():
    owner, other = UserFactory(), UserFactory()
    training_class = TrainingClassFactory()
    classes.class_register(customer=owner, class_id=training_class.pk)
    assert _api(other).delete(f"/api/v1/classes/{training_class.pk}/registration/").status_code == (
        404
    )
    assert _api(other).get("/api/v1/classes/registrations/").json()["count"] == 0
    assert ClassRegistration.objects.get(customer=owner).status == "registered"


def test_the_registration_needs_a_login():
    training_class = TrainingClassFactory()
    assert APIClient().post(f"/api/v1/classes/{training_class.pk}/registration/").status_code in (
        401,
        403,
    )
    assert not ClassRegistration.objects.exists()


# --- the reminder the day before -------------------------------------------------------------


def test_one_reminder_per_registration_the_day_before(django_capture_on_commit_callbacks):
    tomorrow = TrainingClassFactory(
        title_zh_hans="明天的课", starts_at=timezone.now() + timedelta(hours=20)
    )
    later = TrainingClassFactory(starts_at=timezone.now() + timedelta(days=3))
    customer, cancelled = UserFactory(), UserFactory()
    for c in (tomorrow, later):
        classes.class_register(customer=customer, class_id=c.pk)
    classes.class_register(customer=cancelled, class_id=tomorrow.pk)
    classes.class_registration_cancel(customer=cancelled, class_id=tomorrow.pk)

    with django_capture_on_commit_callbacks(execute=True):
        assert classes.class_reminders_queue() == 1
    reminders = Notification.objects.filter(user=customer, kind="support")
    assert reminders.count() == 1 and "明天的课" in reminders.get().title
    assert not Notification.objects.filter(user=cancelled).exists()
    # A second run (the periodic task every 15 minutes) sends nothing again.
    with django_capture_on_commit_callbacks(execute=True):
        assert classes.class_reminders_queue() == 0
    assert reminders.count() == 1
    # Two days later the other class is within a day: its reminder goes then.
    with django_capture_on_commit_callbacks(execute=True):
        assert classes.class_reminders_queue(now=timezone.now() + timedelta(days=2, hours=1)) == 1
    assert reminders.count() == 2


@pytest.mark.parametrize(
    "language,title,body",
    [
        ("en", "Reminder: Evening class tomorrow", "Your class starts at"),
        ("zh-hans", "提醒：明天上课：晚间课", "您的课程将于"),
    ],
)
def test_the_reminder_speaks_the_language_the_customer_registered_in(
    settings, django_capture_on_commit_callbacks, language, title, body
):
    # The worker's default language is Chinese; an English customer still reads English, and
    # the other way round.
    settings.LANGUAGE_CODE = "en" if language == "zh-hans" else "zh-hans"
    online = OnlineClassFactory(
        title_zh_hans="晚间课",
        title_en="Evening class",
        starts_at=timezone.now() + timedelta(hours=20),
    )
    customer = UserFactory()
    with translation.override(language):
        registration = classes.class_register(customer=customer, class_id=online.pk)
    assert registration.language == language

    with django_capture_on_commit_callbacks(execute=True):
        assert classes.class_reminders_queue() == 1
    reminder = Notification.objects.get(user=customer, kind="support")
    assert reminder.title == title
    assert reminder.body.startswith(body)
    assert ("Online" if language == "en" else "线上") in reminder.body
    sent = [m for m in mail.outbox if customer.email in m.to]
    assert [m.subject for m in sent] == [title]


def test_registering_on_the_english_page_gives_an_english_reminder(
    client, django_capture_on_commit_callbacks
):
    later = TrainingClassFactory(
        title_en="Paying by QR", starts_at=timezone.now() + timedelta(hours=6)
    )
    customer = UserFactory()
    client.force_login(customer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post(reverse("classes:register", args=[later.pk]))
    assert ClassRegistration.objects.get(customer=customer).language == "en"
    with django_capture_on_commit_callbacks(execute=True):
        classes.class_reminders_queue()
    assert Notification.objects.get(user=customer).title == "Reminder: Paying by QR tomorrow"


def test_a_registration_from_before_languages_were_recorded_reads_in_the_default_language(
    django_capture_on_commit_callbacks,
):
    soon = TrainingClassFactory(
        title_zh_hans="老课程", starts_at=timezone.now() + timedelta(hours=3)
    )
    registration = classes.class_register(customer=UserFactory(), class_id=soon.pk)
    ClassRegistration.objects.filter(pk=registration.pk).update(language="")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        classes.class_reminders_queue()
    assert Notification.objects.get(user=registration.customer).title == "提醒：明天上课：老课程"


def test_the_reminder_is_a_registered_periodic_task(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "support.class_reminders" in tasks
    from support.tasks import class_reminders

    assert class_reminders() == 0


# --- attendance ------------------------------------------------------------------------------


def test_the_branch_teller_marks_attendance_and_it_is_audited():
    here = branch("CL001")
    training_class = past_class(branch=here)
    a, b = UserFactory(), UserFactory()
    ra = ClassRegistration.objects.create(training_class=training_class, customer=a)
    rb = ClassRegistration.objects.create(training_class=training_class, customer=b)
    teller = staff(TELLER, at=here)
    client = staff_client(teller)
    url = reverse("backoffice:class_attendance", args=[training_class.pk])
    page = client.get(url)
    assert page.status_code == 200 and f'value="{ra.pk}"' in page.content.decode()
    response = client.post(url, {"attended": [ra.pk]})
    assert response.status_code == 302
    ra.refresh_from_db()
    rb.refresh_from_db()
    assert (ra.attended, rb.attended) == (True, False)
    assert ra.attendance_marked_by == teller
    event = AuditEvent.objects.get(action="class_attendance")
    assert event.actor == teller and event.detail["attended"] == 1


def test_who_may_mark_attendance():
    here, there = branch("CL001"), branch("CL002")
    at_branch = past_class(branch=here)
    online = OnlineClassFactory(
        starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now() + timedelta(hours=1)
    )

    def status(user, training_class):
        url = reverse("backoffice:class_attendance", args=[training_class.pk])
        return staff_client(user).get(url).status_code

    assert status(staff(BRANCH_MANAGER, at=here), at_branch) == 200
    assert status(staff(TELLER, at=there), at_branch) == 404
    assert status(staff(SUPPORT_LEAD), at_branch) == 404
    assert status(staff(SUPPORT_LEAD), online) == 200
    assert status(staff(CAMPAIGN_ADMIN), online) == 200
    assert status(staff(TELLER, at=here), online) == 404
    assert status(staff(SUPPORT_AGENT), online) == 404


@pytest.mark.usefixtures("english")
def test_attendance_before_the_class_starts_is_refused():
    here = branch("CL001")
    training_class = TrainingClassFactory(branch=here)
    registration = classes.class_register(customer=UserFactory(), class_id=training_class.pk)
    client = staff_client(staff(TELLER, at=here))
    response = client.post(
        reverse("backoffice:class_attendance", args=[training_class.pk]),
        {"attended": [registration.pk]},
        follow=True,
    )
    assert "once the class has started" in response.content.decode()
    registration.refresh_from_db()
    assert registration.attended is None
    # Nonsense ids are refused too, and change nothing.
    started = past_class(branch=here)
    response = staff_client(staff(TELLER, at=here)).post(
        reverse("backoffice:class_attendance", args=[started.pk]), {"attended": ["x"]}
    )
    assert response.status_code == 200


def test_the_attendance_sheet_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    here = branch("CL001")
    client = staff_client(staff(TELLER, at=here))

    def load(n):
        training_class = past_class(branch=here, capacity=200)
        for _ in range(n):
            ClassRegistration.objects.create(training_class=training_class, customer=UserFactory())
        url = reverse("backoffice:class_attendance", args=[training_class.pk])
        with django_assert_max_num_queries(30) as captured:
            assert client.get(url).status_code == 200
        with django_assert_max_num_queries(30) as listed:
            assert client.get(reverse("backoffice:classes")).status_code == 200
        return len(captured), len(listed)

    assert load(2) == load(25)


def _attendance_world():
    sh, bj = branch("CL001"), branch("CL002")
    start = timezone.now() - timedelta(days=10)
    rows = []
    for where, attended, missed, unmarked in ((sh, 3, 1, 0), (bj, 1, 1, 2)):
        c = TrainingClassFactory(branch=where, starts_at=start, ends_at=start + timedelta(hours=1))
        rows += [(c, True)] * attended + [(c, False)] * missed + [(c, None)] * unmarked
    online = OnlineClassFactory(starts_at=start, ends_at=start + timedelta(hours=1))
    rows += [(online, True)]
    for c, attended in rows:
        ClassRegistration.objects.create(
            training_class=c, customer=UserFactory(), attended=attended
        )
    # Cancelled registrations and classes outside the period do not count.
    ClassRegistration.objects.create(
        training_class=online, customer=UserFactory(), status="cancelled", attended=True
    )
    TrainingClassFactory(branch=sh, starts_at=timezone.now() - timedelta(days=200))
    return sh, bj


def test_attendance_by_branch_on_known_numbers():
    sh, bj = _attendance_world()
    today = timezone.localdate()
    rows = {
        r["branch_code"]: r for r in classes.attendance_by_branch(today - timedelta(days=30), today)
    }
    assert rows["CL001"]["classes"] == 1 and rows["CL001"]["registered"] == 4
    assert rows["CL001"]["attended"] == 3 and rows["CL001"]["attendance_rate"] == Decimal("0.75")
    assert (rows["CL002"]["registered"], rows["CL002"]["marked"], rows["CL002"]["attended"]) == (
        4,
        2,
        1,
    )
    assert rows["CL002"]["attendance_rate"] == Decimal("0.5000")
    assert rows[""]["branch_id"] is None and rows[""]["attended"] == 1
    assert rows[""]["registered"] == 1
    # Datetimes work as a half-open range; a period with nothing is empty.
    assert classes.attendance_by_branch(date(2000, 1, 1), date(2000, 1, 2)) == []


def test_the_attendance_report_page_and_csv(django_assert_max_num_queries):
    _attendance_world()
    client = staff_client(staff(BRANCH_MANAGER, at=branch("CL001")))
    with django_assert_max_num_queries(20):
        page = client.get(reverse("backoffice:class_attendance_report"))
    text = page.content.decode()
    assert page.status_code == 200 and "CL001" in text and "75%" in text
    csv = client.get(reverse("backoffice:class_attendance_report_csv")).content.decode("utf-8-sig")
    lines = csv.strip().splitlines()
    assert len(lines) == 4  # header, two branches, online
    assert any(line.startswith("CL001,") and ",4,4,3,0.7500" in line for line in lines)
    bad = client.get(reverse("backoffice:class_attendance_report"), {"start": "x", "end": "y"})
    assert (
        bad.status_code == 200 and 'data-testid="attendance-by-branch"' not in bad.content.decode()
    )
    # A teller or an agent does not read the report.
    assert (
        staff_client(staff(TELLER, at=branch("CL001")))
        .get(reverse("backoffice:class_attendance_report"))
        .status_code
        == 403
    )
    assert (
        staff_client(staff(SUPPORT_AGENT))
        .get(reverse("backoffice:class_attendance_report_csv"))
        .status_code
        == 403
    )


def test_seed_is_idempotent():
    from support.models_classes import TrainingClass
    from support.models_feedback import Feedback
    from support.seed_classes import demo_classes_ensure, demo_feedback_ensure

    branches = {"SH001": branch("SH001"), "BJ001": branch("BJ001")}
    customers = [UserFactory() for _ in range(3)]
    teller = staff(TELLER, at=branches["SH001"])
    for _ in range(2):
        demo_classes_ensure(branches=branches, customers=customers, teller=teller)
        demo_feedback_ensure(customers=customers)
    assert TrainingClass.objects.count() == 5
    assert TrainingClass.objects.filter(title_en__contains="for seniors").count() == 2
    assert ClassRegistration.objects.filter(attended=True).count() == 2
    assert (
        ClassRegistration.objects.filter(training_class__starts_at__gt=timezone.now()).count() == 4
    )
    assert Feedback.objects.count() == 3
