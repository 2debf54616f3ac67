"""A customer closes their account: only with nothing left in or on the way, and with their
password; then the wallet is closed, every login ends, and the bank's records stay."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.closure import _blockers as registered_blockers
from accounts.closure import account_close, account_closure_check, register_closure_blocker
from accounts.models import SecurityEvent, User
from config.api_errors import ApplicationError
from notifications.models import Notification
from tests.wallet.factories import WalletFactory, funded_wallet
from wallet import ledger, services
from wallet.models import Entry, PaymentRequest, Transaction, Wallet
from wallet.services.common import system_account_ensure, wallet_account_ensure

from .factories import PASSWORD

pytestmark = pytest.mark.django_db
CLOSE_API = "/api/v1/me/close/"


@pytest.fixture
def friend():
    return funded_wallet("100.00", user__full_name="李四海")


@pytest.fixture
def emptied(friend):
    """A customer who used the wallet and spent everything: records, but a zero balance."""
    wallet = funded_wallet("50.00", user__full_name="王小明")
    services.transfer_create(
        sender_user=wallet.user,
        to=friend.handle,
        amount="50.00",
        currency="CNY",
        idempotency_key="empty-it",
    )
    return wallet


def _api(user) -> APIClient:
    token, _created = Token.objects.get_or_create(user=user)
    return APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")


def _unchanged(wallet: Wallet) -> None:
    wallet.refresh_from_db()
    wallet.user.refresh_from_db()
    assert wallet.status == Wallet.Status.ACTIVE
    assert wallet.user.is_active
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ACCOUNT_CLOSED).exists()


def test_a_balance_blocks_closing_and_the_reason_names_currency_and_amount():
    wallet = funded_wallet("12.00")
    response = _api(wallet.user).post(CLOSE_API, {"password": PASSWORD}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "closure_blocked"
    (reason,) = body["errors"]["account"]
    assert "CNY" in reason and "12.00" in reason
    _unchanged(wallet)


def test_every_currency_with_money_left_is_named(friend):
    wallet = funded_wallet("12.00")
    services.wallet_fund_from_clearing(
        wallet=wallet, amount=Decimal("3.5"), currency="USD", description="test"
    )
    reasons = account_closure_check(user=wallet.user)
    assert len(reasons) == 2
    assert any("CNY" in r and "12.00" in r for r in reasons)
    assert any("USD" in r and "3.50" in r for r in reasons)


def test_a_pending_transaction_blocks_closing_even_with_a_zero_balance():
    wallet = funded_wallet("10.00")
    account = wallet_account_ensure(wallet=wallet, currency="CNY")
    clearing = system_account_ensure(kind="bank_clearing", currency="CNY")
    with transaction.atomic():  # a withdrawal on its way to the bank: balance 0, not settled
        ledger.post(
            kind=Transaction.Kind.WITHDRAWAL,
            status=Transaction.Status.PENDING,
            legs=[ledger.Leg(account, Decimal("-10.00")), ledger.Leg(clearing, Decimal("10.00"))],
        )
    with pytest.raises(ApplicationError) as refused:
        account_close(user=wallet.user, password=PASSWORD)
    (reason,) = refused.value.fields["account"]
    with translation.override("en"):
        assert "1 transaction is still pending" in account_closure_check(user=wallet.user)[0]
    _unchanged(wallet)


def test_a_wrong_password_is_refused_on_its_field_and_changes_nothing(emptied):
    response = _api(emptied.user).post(CLOSE_API, {"password": "not-my-password"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "wrong_password"
    assert response.json()["errors"]["password"]
    _unchanged(emptied)
    assert Token.objects.filter(user=emptied.user).exists()


def test_the_api_refuses_a_missing_password(emptied):
    response = _api(emptied.user).post(CLOSE_API, {}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["errors"]
    _unchanged(emptied)


def test_closing_an_empty_wallet_ends_everything_but_keeps_the_records(
    client, emptied, friend, django_capture_on_commit_callbacks, settings
):
    settings.RECORDS_RETENTION_YEARS = 7
    user = emptied.user
    entries_before = Entry.objects.filter(account__wallet=emptied).count()
    other_browser = type(client)()
    other_browser.force_login(user)
    api = _api(user)
    request = services.payment_request_create(user=user, amount="5.00", currency="CNY")
    client.force_login(user)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:close"), {"password": PASSWORD, "confirm": "on"})

    assert response.status_code == 302 and response["Location"] == reverse("accounts:closed")
    emptied.refresh_from_db()
    user.refresh_from_db()
    assert emptied.status == Wallet.Status.CLOSED
    assert not user.is_active
    # Every way in is shut: this session, another browser's, the app's token, a new login.
    assert client.get(reverse("dashboard")).status_code == 302
    assert other_browser.get(reverse("dashboard")).status_code == 302
    assert not Token.objects.filter(user=user).exists()
    assert api.get(reverse("api:me")).status_code == 401
    login = APIClient().post(
        "/api/v1/auth/token/", {"email": user.email, "password": PASSWORD}, format="json"
    )
    assert login.status_code == 400
    # Nobody can pay into the closed wallet; its open request is cancelled.
    with pytest.raises(ApplicationError) as refused:
        services.transfer_create(
            sender_user=friend.user,
            to=emptied.handle,
            amount="1.00",
            currency="CNY",
            idempotency_key="too-late",
        )
    assert refused.value.get_codes() == "wallet_closed"
    request.refresh_from_db()
    assert request.status == PaymentRequest.Status.CANCELLED
    # The bank's records stay.
    assert User.objects.filter(pk=user.pk).exists()
    assert Entry.objects.filter(account__wallet=emptied).count() == entries_before
    assert SecurityEvent.objects.filter(user=user, kind=SecurityEvent.Kind.ACCOUNT_CLOSED).exists()
    # The confirmation went out although the user is inactive now.
    (confirmation,) = [m for m in mail.outbox if m.to == [user.email]]
    notice = Notification.objects.get(user=user, kind=Notification.Kind.SECURITY)
    assert confirmation.subject.endswith(notice.title)
    assert re.search(r"\b7 (years|年)", confirmation.body)  # how long the records are kept


def test_guessing_the_password_on_the_close_page_locks_the_account(client, emptied, settings):
    client.force_login(emptied.user)
    statuses = [
        client.post(reverse("accounts:close"), {"password": "guess", "confirm": "on"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[-1] == 403
    login = type(client)().post(
        reverse("account_login"), {"login": emptied.user.email, "password": PASSWORD}
    )
    assert login.status_code == 403
    _unchanged(emptied)


def test_the_goodbye_page_is_public(client):
    response = client.get(reverse("accounts:closed"))
    assert response.status_code == 200


def test_the_api_closes_and_answers_closed(emptied):
    response = _api(emptied.user).post(CLOSE_API, {"password": PASSWORD}, format="json")
    assert response.status_code == 200
    assert response.json() == {"status": "closed"}
    emptied.refresh_from_db()
    assert emptied.status == Wallet.Status.CLOSED
    assert not Token.objects.filter(user=emptied.user).exists()


def test_a_customer_who_never_activated_a_wallet_can_close(user):
    WalletFactory(user=user, status=Wallet.Status.INACTIVE)
    account_close(user=user, password=PASSWORD)
    user.refresh_from_db()
    assert not user.is_active
    assert Wallet.objects.get(user=user).status == Wallet.Status.CLOSED


def test_looking_at_the_close_page_changes_nothing(client, emptied):
    client.force_login(emptied.user)
    response = client.get(reverse("accounts:close"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="password"' in html and 'name="confirm"' in html
    _unchanged(emptied)


def test_the_close_page_lists_what_blocks_closing_instead_of_the_form(client):
    wallet = funded_wallet("12.00")
    client.force_login(wallet.user)
    html = client.get(reverse("accounts:close")).content.decode()
    assert "12.00" in html and 'name="password"' not in html
    assert f'href="{reverse("dashboard")}"' in html
    response = client.post(reverse("accounts:close"), {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 200
    _unchanged(wallet)


def test_the_form_needs_the_box_ticked_and_the_right_password(client, emptied):
    client.force_login(emptied.user)
    response = client.post(reverse("accounts:close"), {"password": PASSWORD})
    assert response.context["form"].errors["confirm"]
    response = client.post(reverse("accounts:close"), {"password": "wrong", "confirm": "on"})
    assert response.context["form"].errors["password"]
    _unchanged(emptied)


def test_a_frozen_wallet_cannot_be_closed_by_its_customer():
    wallet = WalletFactory(status=Wallet.Status.FROZEN)
    assert account_closure_check(user=wallet.user)


def test_staff_accounts_are_not_closed_here(staff_user):
    assert account_closure_check(user=staff_user)


def test_another_app_can_block_closing_with_one_call(emptied):
    def pending_top_up(user):
        return ["A top-up is still pending."]

    register_closure_blocker(pending_top_up)
    try:
        assert account_closure_check(user=emptied.user) == ["A top-up is still pending."]
    finally:
        registered_blockers.remove(pending_top_up)
