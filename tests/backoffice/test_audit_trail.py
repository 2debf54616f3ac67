"""The audit trail: written with what it records, read only, searchable by risk officers."""

import csv
import io

import pytest
from django.contrib.admin.sites import site
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import Client, RequestFactory
from django.urls import reverse

from backoffice import roles
from backoffice.models import AuditEvent
from backoffice.services import audit_record
from tests.accounts.factories import StaffFactory, TOTPDeviceFactory, UserFactory

from .factories import branch, customer_at, staff, staff_client

AUDIT = reverse("backoffice:audit_search")
CSV = reverse("backoffice:audit_csv")


@pytest.mark.django_db
def test_an_event_records_who_in_which_role_whom_why_from_where_and_the_request():
    teller = staff(roles.TELLER, branch("HOME"))
    customer = UserFactory()
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3", HTTP_X_REQUEST_ID="req-abc-12345")
    event = audit_record(
        actor=teller, action="customer_view", customer=customer, reason="counter", request=request
    )
    event.refresh_from_db()
    assert (event.actor, event.role, event.customer, event.reason) == (
        teller,
        "teller",
        customer,
        "counter",
    )
    assert (event.ip_address, event.request_id, event.outcome) == (
        "10.1.2.3",
        "req-abc-12345",
        "ok",
    )
    # Without a usable request id, each request gets its own uuid, shared by its events.
    request = RequestFactory().get("/", HTTP_X_REQUEST_ID="bad id; drop")
    first = audit_record(actor=teller, action="customer_search", request=request)
    second = audit_record(actor=teller, action="customer_search", request=request)
    assert len(first.request_id) == 32 and first.request_id == second.request_id


@pytest.mark.django_db
def test_an_event_is_lost_with_the_action_it_records():
    teller = staff(roles.TELLER, branch("HOME"))
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=teller, action="customer_search")
        raise RuntimeError("the action failed")
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_an_unknown_action_or_outcome_is_refused():
    teller = staff(roles.TELLER, branch("HOME"))
    with pytest.raises(ValueError):
        audit_record(actor=teller, action="coffee_break")
    with pytest.raises(ValueError):
        audit_record(actor=teller, action="customer_search", outcome="maybe")


def test_the_admin_shows_the_trail_read_only(rf):
    admin = site._registry[AuditEvent]
    request = rf.get("/")
    request.user = StaffFactory.build(is_superuser=True)
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request)
    assert not admin.has_delete_permission(request)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (roles.RISK_OFFICER, 200),
        (roles.TELLER, 403),
        (roles.BRANCH_MANAGER, 403),
        (roles.SUPPORT_AGENT, 403),
        (roles.SUPPORT_LEAD, 403),
        (roles.CAMPAIGN_ADMIN, 403),
    ],
)
@pytest.mark.django_db
def test_only_risk_officers_read_the_trail(role, status):
    at = branch("HOME") if role in roles.BRANCH_SCOPED_ROLES else None
    client = staff_client(staff(role, at))
    assert client.get(AUDIT).status_code == status
    assert client.get(CSV).status_code == status


@pytest.mark.django_db
def test_superusers_read_the_trail_customers_and_visitors_do_not(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    TOTPDeviceFactory(user=admin)
    assert staff_client(admin).get(AUDIT).status_code == 200
    client.force_login(UserFactory())
    assert client.get(AUDIT).status_code == 403
    assert Client().get(AUDIT).status_code == 302


@pytest.fixture
def trail():
    home = branch("HOME")
    teller, other_teller = staff(roles.TELLER, home), staff(roles.TELLER, home)
    customer = customer_at(home, email="findme@example.com")
    audit_record(actor=teller, action="customer_view", customer=customer, reason="=HYPERLINK(1)")
    audit_record(actor=teller, action="customer_search", detail={"query": "@SUM(A1)"})
    audit_record(actor=other_teller, action="customer_view", customer=UserFactory(), reason="ok")
    return {"teller": teller, "other": other_teller, "customer": customer}


@pytest.mark.django_db
def test_risk_officers_filter_by_staff_customer_action_and_date(trail):
    client = staff_client(staff(roles.RISK_OFFICER))
    page = client.get(AUDIT, {"staff": trail["teller"].email}).context["page"]
    assert page.paginator.count == 2
    page = client.get(AUDIT, {"customer": "findme@example.com"}).context["page"]
    assert [e.customer for e in page] == [trail["customer"]]
    page = client.get(AUDIT, {"action": "customer_view", "staff": trail["other"].pk}).context[
        "page"
    ]
    assert page.paginator.count == 1
    page = client.get(AUDIT, {"date_to": "2000-01-01"}).context["page"]
    assert page.paginator.count == 0
    bad = client.get(AUDIT, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert bad.status_code == 200 and "date_to" in bad.context["form"].errors


@pytest.mark.django_db
def test_the_csv_export_is_formula_safe_and_is_itself_audited(trail):
    risk = staff(roles.RISK_OFFICER)
    response = staff_client(risk).get(CSV, {"staff": trail["teller"].email})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + 2
    cells = [cell for row in rows[1:] for cell in row]
    assert "'=HYPERLINK(1)" in cells
    assert "'query=@SUM(A1)" not in cells and "query=@SUM(A1)" in cells  # not at a cell start
    assert not any(cell[:1] in "=+-@" for cell in cells if cell)
    assert trail["customer"].email not in response.content.decode("utf-8-sig")
    export = AuditEvent.objects.get(action="audit_export")
    assert export.actor == risk and export.detail["rows"] == 2


@pytest.mark.django_db
def test_the_trail_page_runs_a_fixed_number_of_queries(trail, django_assert_max_num_queries):
    client = staff_client(staff(roles.RISK_OFFICER))
    with django_assert_max_num_queries(12) as few:
        client.get(AUDIT)
    for _ in range(30):
        audit_record(actor=trail["teller"], action="customer_view", customer=UserFactory())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(AUDIT)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_to_update_or_delete_an_audit_event():
    assert connection.vendor == "postgresql"
    teller = staff(roles.TELLER, branch("HOME"))
    event = audit_record(actor=teller, action="customer_view", reason="counter")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="nothing to see")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM backoffice_auditevent")
    assert AuditEvent.objects.get(pk=event.pk).reason == "counter"
    assert AuditEvent.objects.count() == 1
