"""Bank reconciliation in the staff portal: risk officers work the exceptions queue (filters,
age), resolve with a mandatory reason (audited), ask for an adjustment that a second risk
officer approves (a new ledger transaction, never the maker's own), and read the ops view:
statements per day, match rate, open exceptions by age and the daily seals."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.bank.camt053 import (
    DEBIT,
    Statement,
    StatementEntry,
    add_business_days,
    camt053_render,
    next_business_day,
)
from backoffice import approvals, reconciliation, roles
from backoffice.models import ApprovalRequest, AuditEvent
from config.api_errors import ApplicationError
from tests.wallet.factories import balance, funded_wallet
from tests.wallet.test_reconciliation import _fund, _settled_on, _source
from wallet.models import DailySeal, LedgerAccount, ReconciliationException, Transaction
from wallet.services.reconciliation import bank_statement_import, reconcile_bank_day

from .factories import branch, customer_at, staff, staff_client

pytestmark = pytest.mark.django_db
Kind = ReconciliationException.Kind
QUEUE = reverse("backoffice:reconciliation_queue")
OPS = reverse("backoffice:reconciliation_ops")


def _detail(exception):
    return reverse("backoffice:reconciliation_exception", args=[exception.pk])


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    home = branch("HOME")
    customer = customer_at(home, full_name="欧阳明月")
    wallet = funded_wallet("500.00", user=customer)
    today = timezone.localdate()
    paid_out = _fund(
        django_capture_on_commit_callbacks,
        wallet=wallet,
        source=_source(customer, "0077", kind="bank_account"),
        amount="40.00",
        key="w1",
        withdrawal=True,
    )
    _settled_on(paid_out, today)
    first_day = next_business_day(today)
    reconcile_bank_day(day=first_day)  # the withdrawal matches; the bank's fee does not
    reconcile_bank_day(day=add_business_days(first_day, 3))  # the return, and another fee
    return {
        "wallet": wallet,
        "order": paid_out,
        "returned": ReconciliationException.objects.get(line__kind="return"),
        "fee": ReconciliationException.objects.filter(line__kind="fee").first(),
        "risk": staff(roles.RISK_OFFICER),
        "risk2": staff(roles.RISK_OFFICER),
        "teller": staff(roles.TELLER, home),
        "manager": staff(roles.BRANCH_MANAGER, home),
    }


def test_risk_officers_see_the_queue_with_age_and_filters_and_branch_staff_do_not(world):
    client = staff_client(world["risk"])
    page = client.get(QUEUE).content.decode()
    assert world["order"].reference in page
    assert page.count("#" + str(world["fee"].pk)) == 1
    only_fees = client.get(QUEUE, {"state": "open", "kind": Kind.MISSING_IN_LEDGER}).content
    assert str(world["fee"].amount)[:4].encode() in only_fees
    none_resolved = client.get(QUEUE, {"state": "resolved"}).content.decode()
    assert world["order"].reference not in none_resolved
    assert client.get(QUEUE, {"since": "not-a-date"}).status_code == 200
    home = client.get(reverse("backoffice:home")).content.decode()
    assert 'id="card-reconciliation-exceptions"' in home
    for who in ("teller", "manager"):
        other = staff_client(world[who])
        assert other.get(QUEUE).status_code == 403
        assert other.get(_detail(world["fee"])).status_code == 403
        assert other.get(OPS).status_code == 403


def test_resolving_needs_a_reason_and_is_audited(world):
    client = staff_client(world["risk"])
    fee = world["fee"]
    refused = client.post(_detail(fee), {"step": "resolve", "reason": "  "})
    assert refused.status_code == 400
    fee.refresh_from_db()
    assert (
        fee.state == "open"
        and not AuditEvent.objects.filter(action=AuditEvent.Action.RECONCILIATION_RESOLVE).exists()
    )
    done = client.post(_detail(fee), {"step": "resolve", "reason": "银行服务费，已记入费用科目"})
    assert done.status_code == 302
    fee.refresh_from_db()
    assert (fee.state, fee.resolved_by, fee.resolution_reason) == (
        "resolved",
        world["risk"],
        "银行服务费，已记入费用科目",
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.RECONCILIATION_RESOLVE)
    assert (event.actor, event.detail["exception"]) == (world["risk"], fee.pk)
    again = client.post(_detail(fee), {"step": "resolve", "reason": "again"})
    assert again.status_code == 400
    assert AuditEvent.objects.filter(action=AuditEvent.Action.RECONCILIATION_RESOLVE).count() == 1


def test_an_adjustment_is_posted_only_when_a_second_risk_officer_approves(world):
    returned, wallet = world["returned"], world["wallet"]
    before = balance(wallet)
    maker = staff_client(world["risk"])
    page = maker.get(_detail(returned)).content.decode()
    assert 'name="adjustment_reason"' in page
    answer = maker.post(
        _detail(returned), {"step": "adjust", "adjustment_reason": "收款行退回，款项退还客户钱包"}
    )
    assert answer.status_code == 302
    approval = ApprovalRequest.objects.get(action=ApprovalRequest.Action.RECONCILIATION_ADJUSTMENT)
    assert balance(wallet) == before  # nothing posted on the maker's word
    with pytest.raises(ApplicationError):
        approvals.approval_approve(actor=world["risk"], pk=approval.pk)
    approvals.approval_approve(actor=world["risk2"], pk=approval.pk)
    approval.refresh_from_db()
    returned.refresh_from_db()
    assert approval.status == ApprovalRequest.Status.EXECUTED
    assert balance(wallet) == before + Decimal("40.00")
    assert returned.state == "resolved" and returned.resolved_by == world["risk2"]
    assert returned.adjustment.kind == Transaction.Kind.ADJUSTMENT
    call_command("ledger_audit")


@pytest.mark.usefixtures("english")
def test_a_bank_fee_is_booked_to_the_banks_charges_through_four_eyes_with_no_customer(world):
    fee = world["fee"]
    clearing = LedgerAccount.objects.get(kind=LedgerAccount.Kind.BANK_CLEARING, currency="CNY")
    clearing_before = clearing.balance
    maker = staff_client(world["risk"])
    assert 'name="adjustment_reason"' in maker.get(_detail(fee)).content.decode()
    answer = maker.post(
        _detail(fee), {"step": "adjust", "adjustment_reason": "账户管理费，记入银行费用"}
    )
    assert answer.status_code == 302
    approval = ApprovalRequest.objects.get(action=ApprovalRequest.Action.RECONCILIATION_ADJUSTMENT)
    assert approval.customer is None
    page = staff_client(world["risk2"]).get(
        reverse("backoffice:approval_detail", args=[approval.pk])
    )
    assert "the bank&#x27;s own books" in page.content.decode()
    # Branch staff never see or decide an approval about the bank's own books.
    assert not approvals.may_check(world["manager"], approval)
    assert not approvals.approvals_visible_to(world["manager"]).filter(pk=approval.pk).exists()

    approvals.approval_approve(actor=world["risk2"], pk=approval.pk)
    fee.refresh_from_db()
    clearing.refresh_from_db()
    charges = LedgerAccount.objects.get(kind=LedgerAccount.Kind.BANK_CHARGES, currency="CNY")
    assert fee.state == "resolved" and fee.adjustment.metadata["bank_fee"] == fee.reference
    assert (
        clearing.balance - clearing_before == fee.amount
    )  # the ledger now says what the bank does
    assert charges.balance == -fee.amount
    call_command("ledger_audit")


def test_a_teller_cannot_ask_for_an_approval_about_no_customer(world):
    with pytest.raises(Http404):
        approvals.approval_request_create(
            actor=world["teller"],
            customer_id=None,
            action=ApprovalRequest.Action.RECONCILIATION_ADJUSTMENT,
            reason="x",
            parameters={"exception": world["fee"].pk},
        )


def test_the_ops_view_shows_statements_match_rate_open_exceptions_by_age_and_seals(world):
    DailySeal.objects.create(date=timezone.localdate(), last_sequence=7, hash="ab" * 32)
    ReconciliationException.objects.filter(pk=world["fee"].pk).update(
        opened_at=timezone.now() - timedelta(days=10)
    )
    summary = reconciliation.ops_summary()
    assert [day.match_rate for day in summary["days"]] == [0, 50]  # return+fee; withdrawal+fee
    assert summary["open_total"] == 3
    assert [bucket["count"] for bucket in summary["by_age"]] == [2, 0, 0, 1, 0]
    page = staff_client(world["risk"]).get(OPS).content.decode()
    assert "50%" in page and "abababab" in page


def test_queue_and_ops_run_a_fixed_number_of_queries(
    world, settings, django_assert_max_num_queries
):
    client = staff_client(world["risk"])
    client.get(QUEUE)
    with django_assert_max_num_queries(30) as small:
        assert client.get(QUEUE).status_code == 200
    with django_assert_max_num_queries(30) as small_ops:
        assert client.get(OPS).status_code == 200
    # More days, statements and exceptions.
    start = add_business_days(timezone.localdate(), 10)
    for offset in range(4):
        day = add_business_days(start, offset)
        lines = [
            StatementEntry(
                amount=Decimal("1.00") + n,
                currency="CNY",
                direction=DEBIT,
                booking_date=day,
                value_date=day,
                account_servicer_ref=f"X{offset}-{n}",
                end_to_end_id=f"FUNKNOWN{offset}{n}",
            )
            for n in range(3)
        ]
        total = sum(line.signed_amount for line in lines)
        bank_statement_import(
            document=camt053_render(
                Statement(
                    message_id=f"M{offset}",
                    statement_id=f"S{offset}",
                    created_at=timezone.now(),
                    account_id=settings.BANK_CLEARING_ACCOUNT_ID,
                    currency="CNY",
                    day=day,
                    opening_balance=Decimal(0),
                    closing_balance=total,
                    entries=lines,
                )
            )
        )
    for offset in range(6):
        DailySeal.objects.create(
            date=timezone.localdate() - timedelta(days=offset + 1),
            last_sequence=offset,
            hash="c" * 64,
        )
    assert ReconciliationException.objects.count() == 15
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(QUEUE).status_code == 200
    with django_assert_max_num_queries(len(small_ops.captured_queries)):
        assert client.get(OPS).status_code == 200
