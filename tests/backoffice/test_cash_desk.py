"""The cash desk: tills, cash in and cash out at the counter, the customer's authorisation of a
withdrawal, receipts, and the branch's end of day."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from backoffice import approvals, cash_services, roles
from backoffice.models import (
    ApprovalRequest,
    AuditEvent,
    BranchReconciliation,
    CashMovement,
    Till,
)
from config.api_errors import ApplicationError
from notifications.models import Notification
from tests.accounts.factories import TOTPDeviceFactory, totp_code
from tests.wallet.factories import balance, funded_wallet
from wallet.models import CashWithdrawalCode, LedgerAccount, Transaction
from wallet.services.cash import branch_cash_account, cash_code_issue

from .factories import branch, customer_at, staff, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    home, away = branch("SHX"), branch("BJX")
    teller = staff(roles.TELLER, home)
    customer = customer_at(home, full_name="欧阳明月", kyc_level=1)
    wallet = funded_wallet("500.00", user=customer)
    till = cash_services.till_open(teller=teller, opening_float="1000.00")
    return {
        "home": home,
        "away": away,
        "teller": teller,
        "customer": customer,
        "wallet": wallet,
        "till": till,
        "client": staff_client(teller),
    }


def _cash_in(desk, amount="200.00", key="key-1"):
    return cash_services.cash_in(
        teller=desk["teller"], customer_pk=desk["customer"].pk, amount=amount, idempotency_key=key
    )


def _code(desk, amount):
    _row, plain = cash_code_issue(user=desk["customer"], amount=amount)
    return plain


def _cash_out(desk, amount="100.00", key="out-1", **authorisation):
    return cash_services.cash_out(
        teller=desk["teller"],
        customer_pk=desk["customer"].pk,
        amount=amount,
        idempotency_key=key,
        **authorisation,
    )


def _ledger_clean():
    call_command("ledger_audit")  # exits non-zero (SystemExit) on any breach


# --- cash in -----------------------------------------------------------------------------------


def test_cash_in_credits_the_wallet_from_branch_cash_once_per_key(desk):
    first = _cash_in(desk)
    again = _cash_in(desk)
    assert not first.replayed and again.replayed
    assert again.transaction == first.transaction
    assert balance(desk["wallet"]) == Decimal("700.00")
    assert branch_cash_account(branch_code="SHX").balance == Decimal("-200.00")
    assert Transaction.objects.filter(kind=Transaction.Kind.CASH_IN).count() == 1
    movement = CashMovement.objects.get()
    assert movement.till == desk["till"] and movement.customer == desk["customer"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.CASH_IN)
    assert event.customer == desk["customer"] and event.detail["amount"] == "200.00"
    _ledger_clean()


def test_a_double_posted_form_posts_once_and_the_same_key_with_another_amount_is_refused(desk):
    url = reverse("backoffice:cash_in", args=[desk["customer"].pk])
    page = desk["client"].get(url)
    key = page.context["form"]["idempotency_key"].value()
    assert key and f'value="{key}"' in page.content.decode()
    for _click in range(2):
        response = desk["client"].post(url, {"amount": "50.00", "idempotency_key": key})
        assert response.status_code == 302
    assert balance(desk["wallet"]) == Decimal("550.00")
    response = desk["client"].post(
        url, {"amount": "60.00", "idempotency_key": key}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    assert "already used for a different request" in response.content.decode()
    assert balance(desk["wallet"]) == Decimal("550.00")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "greater than zero"),
        ("-5", "greater than zero"),
        ("1.234", "at most 2 decimal places"),
        ("abc", "as a number"),
        ("NaN", "as a number"),
    ],
)
def test_a_bad_amount_is_refused_under_the_amount_field(desk, amount, message):
    url = reverse("backoffice:cash_in", args=[desk["customer"].pk])
    response = desk["client"].post(
        url, {"amount": amount, "idempotency_key": "k"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["amount"])
    assert not Transaction.objects.filter(kind=Transaction.Kind.CASH_IN).exists()


def test_a_teller_of_another_branch_gets_404_and_nothing_moves(desk):
    elsewhere = staff(roles.TELLER, desk["away"])
    cash_services.till_open(teller=elsewhere, opening_float="100.00")
    client = staff_client(elsewhere)
    for name in ("backoffice:cash_in", "backoffice:cash_out"):
        url = reverse(name, args=[desk["customer"].pk])
        assert client.get(url).status_code == 404
        response = client.post(url, {"amount": "10.00", "idempotency_key": "x", "code": "1"})
        assert response.status_code == 404
    with pytest.raises(Exception) as refused:
        cash_services.cash_in(
            teller=elsewhere, customer_pk=desk["customer"].pk, amount="10", idempotency_key="s"
        )
    assert refused.type.__name__ == "Http404"
    assert balance(desk["wallet"]) == Decimal("500.00")
    assert AuditEvent.objects.filter(actor=elsewhere, outcome=AuditEvent.Outcome.REFUSED).exists()


@pytest.mark.parametrize("role", [roles.BRANCH_MANAGER, roles.RISK_OFFICER, roles.SUPPORT_AGENT])
def test_only_tellers_handle_cash_the_service_checks_it_too(desk, role):
    other = staff(role, desk["home"] if role == roles.BRANCH_MANAGER else None)
    url = reverse("backoffice:cash_in", args=[desk["customer"].pk])
    assert staff_client(other).get(url).status_code == 403
    with pytest.raises(Exception) as refused:
        cash_services.cash_in(
            teller=other, customer_pk=desk["customer"].pk, amount="10", idempotency_key="s"
        )
    assert refused.type.__name__ == "PermissionDenied"
    assert balance(desk["wallet"]) == Decimal("500.00")


def test_customers_cannot_open_the_cash_desk(desk):
    client = Client()
    client.force_login(desk["customer"])
    assert client.get(reverse("backoffice:cash_home")).status_code == 403


# --- cash out: the customer's authorisation ------------------------------------------------------


def test_cash_out_with_the_customers_code_pays_out_once(desk):
    code = _code(desk, "120.00")
    first = _cash_out(desk, amount="120.00", code=code)
    again = _cash_out(desk, amount="120.00", code=code)
    assert again.replayed and again.transaction == first.transaction
    assert balance(desk["wallet"]) == Decimal("380.00")
    assert branch_cash_account(branch_code="SHX").balance == Decimal("120.00")
    assert CashWithdrawalCode.objects.get().used_by == first.transaction
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CASH_OUT).count() == 1
    _ledger_clean()


def test_cash_out_without_authorisation_is_refused_and_nothing_moves(desk):
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        _cash_out(desk)
    assert "customer's authorisation" in str(refused.value.detail)
    assert "code" in refused.value.fields
    assert balance(desk["wallet"]) == Decimal("500.00")
    assert not Transaction.objects.filter(kind=Transaction.Kind.CASH_OUT).exists()
    assert not CashMovement.objects.exists()


def test_a_wrong_code_is_refused_and_five_wrong_codes_void_it(desk):
    code = _code(desk, "100.00")
    wrong = "000000" if code != "000000" else "111111"
    for attempt in range(1, 6):
        with pytest.raises(ApplicationError):
            _cash_out(desk, code=wrong, key=f"wrong-{attempt}")
    row = CashWithdrawalCode.objects.get()
    assert row.failed_attempts == 5 and row.voided_at is not None
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        _cash_out(desk, code=code, key="right-too-late")
    assert "no valid cash withdrawal code" in str(refused.value.detail)
    assert balance(desk["wallet"]) == Decimal("500.00")


def test_an_expired_code_is_refused(desk):
    code = _code(desk, "100.00")
    CashWithdrawalCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ApplicationError) as refused:
        _cash_out(desk, code=code)
    assert refused.value.get_codes() == "cash_code_invalid"
    assert balance(desk["wallet"]) == Decimal("500.00")


def test_a_used_code_does_not_work_for_a_second_withdrawal(desk):
    code = _code(desk, "100.00")
    _cash_out(desk, code=code, key="first")
    with pytest.raises(ApplicationError):
        _cash_out(desk, code=code, key="second")
    assert balance(desk["wallet"]) == Decimal("400.00")


def test_a_code_is_bound_to_its_amount(desk):
    code = _code(desk, "100.00")
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        _cash_out(desk, amount="300.00", code=code)
    assert "not for this amount" in str(refused.value.detail)
    assert balance(desk["wallet"]) == Decimal("500.00")
    assert CashWithdrawalCode.objects.get().failed_attempts == 0


def test_only_a_hash_of_the_code_is_kept(desk):
    row, plain = cash_code_issue(user=desk["customer"], amount="10.00")
    assert len(plain) == 6 and plain.isdigit()
    assert plain not in (row.code_hash, row.salt)


def test_the_customers_authenticator_code_authorises_a_withdrawal(desk):
    device = TOTPDeviceFactory(user=desk["customer"])
    result = _cash_out(desk, otp=totp_code(device, steps_ahead=1), key="good")
    assert result.transaction.metadata["authorised_by"] == "totp"
    assert balance(desk["wallet"]) == Decimal("400.00")


def test_a_wrong_authenticator_code_is_refused(desk):
    device = TOTPDeviceFactory(user=desk["customer"])
    wrong = "000000" if totp_code(device) != "000000" else "111111"
    with pytest.raises(ApplicationError) as refused:
        _cash_out(desk, otp=wrong)
    assert refused.value.get_codes() == "otp_invalid"
    assert balance(desk["wallet"]) == Decimal("500.00")


def test_cash_out_above_the_balance_is_refused_with_a_clear_message(desk):
    code = _code(desk, "800.00")
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        _cash_out(desk, amount="800.00", code=code)
    assert "balance is 500.00 CNY, less than this withdrawal" in str(refused.value.detail)
    assert balance(desk["wallet"]) == Decimal("500.00")
    # Nothing moved, so the customer's code still works for an amount they have.
    assert CashWithdrawalCode.objects.get().used_by is None


def test_cash_out_counts_against_the_customers_kyc_limits(desk, settings):
    settings.WALLET_LIMITS = {
        **settings.WALLET_LIMITS,
        1: {"per_transaction": "50", "daily": "5000", "monthly": "20000"},
    }
    code = _code(desk, "60.00")
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        _cash_out(desk, amount="60.00", code=code)
    assert refused.value.get_codes() == "limit_per_transaction"
    assert balance(desk["wallet"]) == Decimal("500.00")


def test_cash_out_above_the_approval_limit_needs_a_second_staff_member(desk, settings):
    settings.BACKOFFICE_CASH_OUT_APPROVAL_LIMIT = "300.00"
    code = _code(desk, "400.00")
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        _cash_out(desk, amount="400.00", code=code)
    assert "needs a branch manager's approval" in str(refused.value.detail)
    assert refused.value.fields["amount"]
    assert balance(desk["wallet"]) == Decimal("500.00")
    assert CashWithdrawalCode.objects.get().failed_attempts == 0


def _large_cash_out_approved(desk, amount="400.00"):
    manager = staff(roles.BRANCH_MANAGER, desk["home"])
    asked = cash_services.large_cash_out_request(
        teller=desk["teller"], customer_pk=desk["customer"].pk, amount=amount, reason="买房定金"
    )
    return approvals.approval_approve(actor=manager, pk=asked.pk)


def test_a_large_cash_out_approved_by_the_branch_manager_is_paid_out_once(desk, settings):
    settings.BACKOFFICE_CASH_OUT_APPROVAL_LIMIT = "300.00"
    approval = _large_cash_out_approved(desk)
    assert approval.status == ApprovalRequest.Status.EXECUTED
    assert balance(desk["wallet"]) == Decimal("500.00")  # approving moves nothing

    result = _cash_out(desk, amount="400.00", code=_code(desk, "400.00"))
    assert balance(desk["wallet"]) == Decimal("100.00")
    assert result.movement.approval == approval

    # The approval served once: a second withdrawal of that amount needs a new one.
    funded_again = _cash_in(desk, amount="400.00", key="again")
    assert funded_again.transaction
    with pytest.raises(ApplicationError) as refused:
        _cash_out(desk, amount="400.00", key="out-2", code=_code(desk, "400.00"))
    assert refused.value.get_codes() == "approval_required"
    assert balance(desk["wallet"]) == Decimal("500.00")
    _ledger_clean()


def test_a_large_cash_out_approval_covers_only_its_amount_and_its_teller(desk, settings):
    settings.BACKOFFICE_CASH_OUT_APPROVAL_LIMIT = "300.00"
    _large_cash_out_approved(desk, amount="400.00")
    with pytest.raises(ApplicationError):
        _cash_out(desk, amount="450.00", code=_code(desk, "450.00"))
    colleague = staff(roles.TELLER, desk["home"])
    cash_services.till_open(teller=colleague, opening_float="1000.00")
    with pytest.raises(ApplicationError):
        cash_services.cash_out(
            teller=colleague,
            customer_pk=desk["customer"].pk,
            amount="400.00",
            idempotency_key="colleague",
            code=_code(desk, "400.00"),
        )
    assert balance(desk["wallet"]) == Decimal("500.00")


def test_a_teller_cannot_approve_a_large_cash_out_and_small_ones_need_no_approval(desk, settings):
    settings.BACKOFFICE_CASH_OUT_APPROVAL_LIMIT = "300.00"
    with pytest.raises(ApplicationError) as small:
        cash_services.large_cash_out_request(
            teller=desk["teller"], customer_pk=desk["customer"].pk, amount="200.00", reason="x"
        )
    assert small.value.fields["amount"]
    asked = cash_services.large_cash_out_request(
        teller=desk["teller"], customer_pk=desk["customer"].pk, amount="400.00", reason="装修"
    )
    other_teller = staff(roles.TELLER, desk["home"])
    with pytest.raises((ApplicationError, Http404)):
        approvals.approval_approve(actor=other_teller, pk=asked.pk)
    asked.refresh_from_db()
    assert asked.status == ApprovalRequest.Status.PENDING


def test_the_cash_out_page_asks_for_approval_of_a_large_amount(desk, settings):
    settings.BACKOFFICE_CASH_OUT_APPROVAL_LIMIT = "300.00"
    url = reverse("backoffice:cash_out_approval", args=[desk["customer"].pk])
    response = desk["client"].post(url, {"approval-amount": "400.00", "approval-reason": "学费"})
    approval = ApprovalRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:approval_detail", args=[approval.pk])
    assert approval.parameters == {"amount": "400.00"}
    refused = desk["client"].post(url, {"approval-amount": "abc", "approval-reason": "学费"})
    assert refused.status_code == 400
    assert ApprovalRequest.objects.count() == 1


def test_cash_out_page_end_to_end_with_a_code_from_the_customers_wallet(desk):
    customer_client = Client()
    customer_client.force_login(desk["customer"])
    page = customer_client.post(reverse("wallet:cash_code"), {"amount": "88.00"})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    code = page.context["issued"]["code"]
    url = reverse("backoffice:cash_out", args=[desk["customer"].pk])
    key = desk["client"].get(url).context["form"]["idempotency_key"].value()
    response = desk["client"].post(url, {"amount": "88.00", "code": code, "idempotency_key": key})
    assert response.status_code == 302
    assert balance(desk["wallet"]) == Decimal("412.00")
    # The customer sees it in their history, with the branch, and can download its receipt.
    txn = Transaction.objects.get(kind=Transaction.Kind.CASH_OUT)
    history = customer_client.get(reverse("wallet:history"), HTTP_ACCEPT_LANGUAGE="en")
    history = history.content.decode()
    assert "Cash withdrawal at a branch" in history and "Cash at 支行 SHX" in history
    receipt = customer_client.get(reverse("wallet:receipt_pdf", args=[txn.pk]))
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"


# --- receipts -----------------------------------------------------------------------------------


def test_the_teller_downloads_the_receipt_another_branch_gets_404(desk):
    movement = _cash_in(desk).movement
    url = reverse("backoffice:cash_receipt", args=[movement.pk])
    response = desk["client"].get(url)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CUSTOMER_VIEW, detail__cash_movement=movement.pk
    ).exists()
    assert staff_client(staff(roles.TELLER, desk["away"])).get(url).status_code == 404


# --- tills --------------------------------------------------------------------------------------


def test_cash_needs_an_open_till_and_a_closed_till_takes_no_more_cash(desk):
    other_teller = staff(roles.TELLER, desk["home"])
    with pytest.raises(ApplicationError) as refused:
        cash_services.cash_in(
            teller=other_teller, customer_pk=desk["customer"].pk, amount="5", idempotency_key="k"
        )
    assert refused.value.get_codes() == "till_not_open"
    cash_services.till_close(teller=desk["teller"], till_id=desk["till"].pk, total="1000.00")
    with pytest.raises(ApplicationError) as refused:
        _cash_in(desk, key="after-close")
    assert refused.value.get_codes() == "till_not_open"
    assert balance(desk["wallet"]) == Decimal("500.00")


def test_till_close_records_expected_cash_and_the_difference(desk):
    _cash_in(desk, amount="200.00", key="in")
    _cash_out(desk, amount="50.00", key="out", code=_code(desk, "50.00"))
    # Counted by denomination: 11 × 100 + 4 × 10 + 5 × 1 = 1145.00; expected 1150.00.
    till = cash_services.till_close(
        teller=desk["teller"],
        till_id=desk["till"].pk,
        denominations={"100": 11, "10": 4, "1": 5},
    )
    assert till.status == Till.Status.CLOSED
    assert till.expected_cash == Decimal("1150.00")
    assert till.counted_cash == Decimal("1145.00")
    assert till.difference == Decimal("-5.00")
    assert till.counted_denominations == {"100": 11, "10": 4, "1": 5}
    event = AuditEvent.objects.get(action=AuditEvent.Action.TILL_CLOSE)
    assert event.detail["difference"] == "-5.00"
    with pytest.raises(ApplicationError) as refused:
        cash_services.till_close(teller=desk["teller"], till_id=till.pk, total="1150.00")
    assert refused.value.get_codes() == "till_closed"
    _ledger_clean()


def test_till_pages_open_and_close(desk):
    teller = staff(roles.TELLER, desk["home"])
    client = staff_client(teller)
    assert client.get(reverse("backoffice:cash_home")).status_code == 200
    response = client.post(reverse("backoffice:cash_till_open"), {"opening_float": "300"})
    assert response.status_code == 302
    assert Till.objects.get(teller=teller).opening_float == Decimal("300.00")
    assert AuditEvent.objects.filter(actor=teller, action=AuditEvent.Action.TILL_OPEN).exists()
    response = client.post(reverse("backoffice:cash_till_close"), {"counted_total": "300.00"})
    assert response.status_code == 302
    assert Till.objects.get(teller=teller).difference == Decimal("0")
    again = client.post(reverse("backoffice:cash_till_open"), {"opening_float": "300"})
    assert again.status_code == 400  # one till per teller per day


def test_the_till_page_has_a_fixed_number_of_queries(desk, django_assert_max_num_queries):
    url = reverse("backoffice:cash_home")
    _cash_in(desk, key="a")
    desk["client"].get(url)
    with django_assert_max_num_queries(14) as few:
        desk["client"].get(url)
    for i in range(6):
        _cash_in(desk, amount="1.00", key=f"more-{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = desk["client"].get(url)
    assert response.content.decode().count("PDF") >= 7


# --- end of day ----------------------------------------------------------------------------------


def test_end_of_day_records_a_difference_and_notifies_the_branch_manager(
    desk, django_capture_on_commit_callbacks
):
    manager = staff(roles.BRANCH_MANAGER, desk["home"])
    _cash_in(desk, amount="200.00", key="in")
    with pytest.raises(ApplicationError) as refused:
        cash_services.branch_day_reconcile(manager=manager)
    assert refused.value.get_codes() == "tills_open"
    cash_services.till_close(teller=desk["teller"], till_id=desk["till"].pk, total="1190.00")
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client(manager).post(reverse("backoffice:cash_end_of_day"))
    assert response.status_code == 302
    day = BranchReconciliation.objects.get()
    assert day.expected_cash == Decimal("1200.00")
    assert day.ledger_net_cash == Decimal("200.00")
    assert day.counted_cash == Decimal("1190.00")
    assert day.difference == Decimal("-10.00")
    assert AuditEvent.objects.filter(actor=manager, action=AuditEvent.Action.CASH_RECONCILE)
    alert = Notification.objects.get(user=manager, dedupe_key__startswith="cash-difference")
    assert "-10.00" in alert.body
    # A second reconciliation of the same day is refused.
    with pytest.raises(ApplicationError):
        cash_services.branch_day_reconcile(manager=manager)
    _ledger_clean()


def test_a_balanced_day_sends_no_alert(desk, django_capture_on_commit_callbacks):
    manager = staff(roles.BRANCH_MANAGER, desk["home"])
    cash_services.till_close(teller=desk["teller"], till_id=desk["till"].pk, total="1000.00")
    with django_capture_on_commit_callbacks(execute=True):
        cash_services.branch_day_reconcile(manager=manager)
    assert BranchReconciliation.objects.get().difference == 0
    assert not Notification.objects.filter(
        user=manager, dedupe_key__startswith="cash-difference"
    ).exists()


def test_tellers_cannot_reconcile_the_branch(desk):
    assert desk["client"].get(reverse("backoffice:cash_end_of_day")).status_code == 403


def test_the_end_of_day_page_has_a_fixed_number_of_queries(desk, django_assert_max_num_queries):
    manager = staff(roles.BRANCH_MANAGER, desk["home"])
    client = staff_client(manager)
    url = reverse("backoffice:cash_end_of_day")
    client.get(url)
    with django_assert_max_num_queries(14) as few:
        client.get(url)
    for _i in range(4):
        cash_services.till_open(teller=staff(roles.TELLER, desk["home"]), opening_float="10")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_branch_cash_account_is_a_system_account(desk):
    _cash_in(desk)
    account = LedgerAccount.objects.get(code="branch-cash:SHX")
    assert account.kind == LedgerAccount.Kind.BRANCH_CASH and account.may_go_negative


def test_seed_demo_gives_the_sh001_teller_an_open_till_with_cash_movements():
    call_command("seed_demo", quiet=True)
    call_command("seed_demo", quiet=True)
    till = Till.objects.get(teller__email="teller@demo.example")
    assert till.status == Till.Status.OPEN and till.branch.code == "SH001"
    assert till.opening_float == Decimal("5000.00")
    kinds = sorted(till.movements.values_list("transaction__kind", flat=True))
    assert kinds == [Transaction.Kind.CASH_IN, Transaction.Kind.CASH_OUT]
    _ledger_clean()
