"""In-app feedback: from any page's footer (the path, never the query string), markup shown as
text, rate limited, the API (own feedback only), and the support lead's list and CSV."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from backoffice.models import AuditEvent
from backoffice.roles import SUPPORT_AGENT, SUPPORT_LEAD, TELLER
from support import feedback
from support.models_feedback import Feedback
from tests.accounts.factories import UserFactory
from tests.backoffice.factories import branch, staff, staff_client

from .factories import FeedbackFactory

pytestmark = pytest.mark.django_db
NEW = reverse("feedback:new")
SCRIPT = '<script>alert("x")</script><b>粗体</b>'


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_footer_of_a_page_leads_to_feedback_about_that_page(client):
    customer = UserFactory()
    client.force_login(customer)
    page = client.get(reverse("kb:home"), {"q": "密码"}).content.decode()
    assert f'href="{NEW}?from=%2Fhelp%2F"' in page  # the path only: the search stays out
    form = client.get(NEW, {"from": "/help/?q=密码"}).content.decode()
    assert 'value="/help/"' in form
    response = client.post(
        NEW, {"kind": "problem", "text": "页面打不开", "rating": "2", "page": "/help/?q=密码#x"}
    )
    assert response.status_code == 302 and response["Location"] == "/help/"
    item = Feedback.objects.get(customer=customer)
    assert (item.kind, item.text, item.rating, item.page) == ("problem", "页面打不开", 2, "/help/")


@pytest.mark.parametrize(
    "raw", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:x", ""]
)
def test_a_page_that_is_not_a_local_path_is_not_kept(raw):
    assert feedback.page_path_of(raw) == ""


def test_markup_is_shown_as_text(client):
    customer = UserFactory()
    client.force_login(customer)
    client.post(NEW, {"kind": "suggestion", "text": SCRIPT})
    page = client.get(NEW).content.decode()
    assert SCRIPT not in page and "&lt;script&gt;" in page
    lead_page = staff_client(staff(SUPPORT_LEAD)).get(reverse("backoffice:feedback"))
    assert SCRIPT not in lead_page.content.decode()
    assert "&lt;script&gt;" in lead_page.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "rant", "text": "x"}, "kind"),
        ({"kind": "praise", "text": "   "}, "text"),
        ({"kind": "praise", "text": "x" * 2001}, "text"),
        ({"kind": "praise", "text": "x", "rating": 6}, "rating"),
        ({"kind": "praise", "text": "x", "rating": "5"}, None),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(client, data, field):
    customer = UserFactory()
    answer = _api(customer).post("/api/v1/feedback/", data, format="json")
    if field is None:
        assert answer.status_code == 201
        return
    assert answer.status_code == 400 and field in answer.json()["errors"]
    client.force_login(customer)
    response = client.post(NEW, data)
    assert response.status_code == 200 and 'class="errors"' in response.content.decode()
    assert not Feedback.objects.exists()


@pytest.mark.usefixtures("english")
def test_feedback_is_rate_limited_per_customer(client, settings):
    settings.SUPPORT_FEEDBACK_PER_MINUTE = 2
    customer = UserFactory()
    client.force_login(customer)
    for _ in range(2):
        assert client.post(NEW, {"kind": "praise", "text": "好"}).status_code == 302
    refused = client.post(NEW, {"kind": "praise", "text": "好"})
    assert refused.status_code == 200
    assert "Please wait a minute" in refused.content.decode()
    answer = _api(customer).post(
        "/api/v1/feedback/", {"kind": "praise", "text": "好"}, format="json"
    )
    assert answer.status_code == 429 and answer.json()["code"] == "rate_limited"
    assert Feedback.objects.count() == 2
    # Another customer is not slowed down by the first.
    assert (
        _api(UserFactory())
        .post("/api/v1/feedback/", {"kind": "praise", "text": "好"}, format="json")
        .status_code
        == 201
    )


def test_the_api_lists_only_my_feedback():
    mine, theirs = UserFactory(), UserFactory()
    FeedbackFactory(customer=theirs, text="别人的反馈")
    created = _api(mine).post(
        "/api/v1/feedback/",
        {"kind": "suggestion", "text": "我的反馈", "page": "/wallet/?amount=100"},
        format="json",
    )
    assert created.status_code == 201 and created.json()["page"] == "/wallet/"
    listed = _api(mine).get("/api/v1/feedback/").json()
    assert [r["text"] for r in listed["results"]] == ["我的反馈"]
    assert APIClient().get("/api/v1/feedback/").status_code in (401, 403)


def test_the_support_lead_filters_and_exports_feedback(django_assert_max_num_queries):
    lead = staff(SUPPORT_LEAD)
    client = staff_client(lead)
    FeedbackFactory(kind="problem", text="=1+1 公式", rating=1, customer__full_name="张三丰")
    FeedbackFactory(kind="praise", text="很好用", rating=5)

    page = client.get(reverse("backoffice:feedback"), {"kind": "problem"}).content.decode()
    assert "=1+1 公式" in page and "很好用" not in page
    assert "张三丰" not in page  # names are masked
    page = client.get(reverse("backoffice:feedback"), {"rating": "5"}).content.decode()
    assert "很好用" in page and "公式" not in page

    csv = client.get(reverse("backoffice:feedback_csv"), {"kind": "problem"}).content.decode(
        "utf-8-sig"
    )
    lines = csv.strip().splitlines()
    assert len(lines) == 2 and "'=1+1 公式" in lines[1]  # a formula is defused
    assert AuditEvent.objects.get(action="feedback_export").detail["rows"] == 1

    def load(n):
        FeedbackFactory.create_batch(n)
        with django_assert_max_num_queries(20) as listed:
            assert client.get(reverse("backoffice:feedback")).status_code == 200
        with django_assert_max_num_queries(20) as exported:
            assert client.get(reverse("backoffice:feedback_csv")).status_code == 200
        return len(listed), len(exported)

    assert load(2) == load(30)


def test_only_the_support_lead_reads_feedback():
    for user in (staff(SUPPORT_AGENT), staff(TELLER, at=branch("CL001"))):
        client = staff_client(user)
        assert client.get(reverse("backoffice:feedback")).status_code == 403
        assert client.get(reverse("backoffice:feedback_csv")).status_code == 403
    assert not AuditEvent.objects.filter(action="feedback_export").exists()


def test_my_feedback_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    customer = UserFactory()
    client.force_login(customer)

    def load(n):
        FeedbackFactory.create_batch(n, customer=customer)
        with django_assert_max_num_queries(15) as captured:
            assert client.get(NEW).status_code == 200
        return len(captured)

    assert load(2) == load(25)
