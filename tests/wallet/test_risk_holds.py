"""Held payments: the money is set aside in the hold account, reaches the payee only when
released, comes back when rejected, each exactly once, and the customer is told."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from config.api_errors import ApplicationError
from notifications.models import Notification
from tests.accounts.factories import TOTPDeviceFactory, totp_code
from wallet import services
from wallet.audit import ledger_breaches
from wallet.models import LedgerAccount, PaymentRequest, RiskCase, RiskRule, Transaction
from wallet.risk import services as risk

from .factories import WalletFactory, balance, funded_wallet
from .risk_support import api, rule, transfer

pytestmark = pytest.mark.django_db


@pytest.fixture
def sender():
    return funded_wallet("1000.00")


@pytest.fixture
def payee():
    return WalletFactory()


@pytest.fixture
def officer(staff_user):
    return staff_user


def _hold_balance():
    account = LedgerAccount.objects.filter(kind=LedgerAccount.Kind.RISK_HOLD).first()
    return account.balance if account else Decimal(0)


def _held(sender, payee, amount="600.00", key="held", low_risk=False):
    if not RiskRule.objects.exists():
        rule(RiskRule.Code.LARGE_AMOUNT, amount_threshold="500", low_risk=low_risk)
    response = transfer(sender.user, payee.handle, amount, key)
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_held_transfer_reserves_the_money_and_the_api_says_held(sender, payee):
    body = _held(sender, payee)
    assert body["status"] == "held"
    assert balance(sender) == Decimal("400.00")
    assert balance(payee) == Decimal("0")
    assert _hold_balance() == Decimal("600.00")
    case = RiskCase.objects.get()
    assert case.held_transaction_id == body["id"] and case.status == "open"
    # The held money counts: the customer cannot spend it again.
    too_much = transfer(sender.user, payee.handle, "400.01", "again")
    assert too_much.status_code == 400
    # Listed in the history as held.
    listed = api(sender.user).get("/api/v1/transactions/").json()["results"][0]
    assert listed["status"] == "held"
    assert ledger_breaches() == []


def test_released_reaches_the_payee_once_and_the_customer_is_told(
    sender, payee, officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        body = _held(sender, payee)
    case = RiskCase.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        risk.held_release(case_id=case.pk, actor=officer, note="核实为本人")
    with pytest.raises(ApplicationError) as again:
        risk.held_release(case_id=case.pk, actor=officer)
    assert again.value.status_code == 409
    with pytest.raises(ApplicationError):
        risk.held_reject(case_id=case.pk, actor=officer)
    assert balance(payee) == Decimal("600.00")
    assert balance(sender) == Decimal("400.00")
    assert _hold_balance() == Decimal("0")
    assert Transaction.objects.get(pk=body["id"]).status == Transaction.Status.COMPLETED
    told = set(Notification.objects.filter(user=sender.user).values_list("dedupe_key", flat=True))
    assert {f"risk-case:{case.pk}:held:open", f"risk-case:{case.pk}:released:released"} <= told
    assert Notification.objects.filter(user=payee.user, title__contains="600").exists()
    assert ledger_breaches() == []
    call_command("ledger_audit")


def test_rejected_returns_the_money_once(
    sender, payee, officer, django_capture_on_commit_callbacks
):
    body = _held(sender, payee)
    case = RiskCase.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        risk.held_reject(case_id=case.pk, actor=officer, note="疑似诈骗")
    with pytest.raises(ApplicationError):
        risk.held_release(case_id=case.pk, actor=officer)
    assert balance(sender) == Decimal("1000.00")
    assert balance(payee) == Decimal("0")
    assert _hold_balance() == Decimal("0")
    assert Transaction.objects.get(pk=body["id"]).status == Transaction.Status.REJECTED
    assert Notification.objects.filter(
        user=sender.user, dedupe_key=f"risk-case:{case.pk}:rejected:rejected"
    ).exists()
    # A rejected payment no longer counts against the limits.
    assert transfer(sender.user, payee.handle, "10.00", "after").json()["status"] == "completed"
    assert ledger_breaches() == []
    call_command("ledger_audit")


def test_a_replayed_held_transfer_answers_the_same_and_holds_once(sender, payee):
    first = _held(sender, payee)
    again = transfer(sender.user, payee.handle, "600.00", "held")
    assert again.status_code == 201 and again.json()["id"] == first["id"]
    assert again.json()["status"] == "held"
    assert RiskCase.objects.count() == 1


def test_a_held_payment_request_is_paid_on_release_and_reopened_on_rejection(payee, officer):
    rule(RiskRule.Code.LARGE_AMOUNT, amount_threshold="50")
    payer = funded_wallet("100.00")
    request = services.payment_request_create(user=payee.user, amount="60.00", currency="CNY")
    result = services.payment_request_pay(
        payer_user=payer.user, token=request.token, idempotency_key="pr"
    )
    assert result.transaction.status == Transaction.Status.HELD
    request.refresh_from_db()
    assert request.status == PaymentRequest.Status.PAID
    risk.held_reject(case_id=RiskCase.objects.get().pk, actor=officer)
    request.refresh_from_db()
    assert (request.status, request.paid_by) == (PaymentRequest.Status.OPEN, None)
    assert balance(payer) == Decimal("100.00") and balance(payee) == Decimal("0")
    assert ledger_breaches() == []


def test_it_was_me_with_the_second_factor_releases_a_low_risk_hold(sender, payee, no_otp_throttle):
    body = _held(sender, payee, low_risk=True)
    device = TOTPDeviceFactory(user=sender.user)
    wrong = api(sender.user).post(
        f"/api/v1/transactions/{body['id']}/confirm/", {"otp": "000000"}, format="json"
    )
    assert wrong.status_code == 400 and "otp" in wrong.json()["errors"]
    ok = api(sender.user).post(
        f"/api/v1/transactions/{body['id']}/confirm/", {"otp": totp_code(device)}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "completed"
    assert balance(payee) == Decimal("600.00")
    case = RiskCase.objects.get()
    assert (case.status, case.decided_by) == (RiskCase.Status.RELEASED, sender.user)
    assert ledger_breaches() == []


def test_it_was_me_on_a_hold_not_low_risk_goes_back_to_the_officers(sender, payee, client):
    body = _held(sender, payee, low_risk=False)
    device = TOTPDeviceFactory(user=sender.user)
    client.force_login(sender.user)
    page = client.get(reverse("wallet:transaction", args=[body["id"]]))
    assert 'data-testid="held-review"' in page.content.decode()
    response = client.post(
        reverse("wallet:transaction_confirm", args=[body["id"]]), {"otp": totp_code(device)}
    )
    assert response.status_code == 302
    case = RiskCase.objects.get()
    assert case.status == RiskCase.Status.OPEN and case.customer_confirmed_at is not None
    assert balance(payee) == Decimal("0")
    assert case.notes.count() == 1


def test_another_customer_cannot_confirm_someone_elses_hold(sender, payee):
    body = _held(sender, payee, low_risk=True)
    stranger = WalletFactory()
    TOTPDeviceFactory(user=stranger.user)
    response = api(stranger.user).post(
        f"/api/v1/transactions/{body['id']}/confirm/", {"otp": "123456"}, format="json"
    )
    assert response.status_code == 404
    assert RiskCase.objects.get().status == RiskCase.Status.OPEN


def test_a_release_to_a_frozen_payee_is_refused_and_reject_still_works(sender, payee, officer):
    _held(sender, payee)
    services.wallet_freeze(wallet=payee)
    case = RiskCase.objects.get()
    with pytest.raises(ApplicationError):
        risk.held_release(case_id=case.pk, actor=officer)
    risk.held_reject(case_id=case.pk, actor=officer)
    assert balance(sender) == Decimal("1000.00")
    assert ledger_breaches() == []
