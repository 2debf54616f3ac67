"""Linking cards and bank accounts: numbers checked, never kept; ownership proved by
micro-deposits, with a lock after repeated wrong answers; default and removal."""

from decimal import Decimal

import pytest
from django.utils import translation

from accounts import linking
from accounts.bank.sandbox import SandboxBankConnector, sandbox_card_number
from accounts.cards import luhn_valid
from accounts.models import LinkedAccount
from config.api_errors import ApplicationError
from notifications.models import Notification
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    """The messages are checked by their English words (zh-hans is the default language)."""
    with translation.override("en"):
        yield


def _link_card(user, number=None, **extra):
    return linking.linked_account_create(
        user=user,
        kind=extra.pop("kind", LinkedAccount.Kind.DEBIT_CARD),
        number=number or sandbox_card_number(),
        holder_name=extra.pop("holder_name", "张三"),
        expiry=extra.pop("expiry", "12/30"),
        **extra,
    )


def _deposits(account):
    return SandboxBankConnector().statement(token=account.token)


def _refusal(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    return caught.value


def test_luhn_check_accepts_known_good_numbers_and_refuses_a_changed_digit():
    assert luhn_valid("4111111111111111")
    assert luhn_valid(sandbox_card_number(prefix="621700", ending="0002"))
    assert not luhn_valid("4111111111111112")


def test_a_linked_card_keeps_the_token_bank_and_last_four_only():
    user = UserFactory()
    number = sandbox_card_number(prefix="622202", ending="4321")
    account = _link_card(user, number=f"{number[:4]} {number[4:8]} {number[8:12]} {number[12:]}")
    assert account.last4 == "4321"
    assert account.bank == "icbc"
    assert account.status == LinkedAccount.Status.UNVERIFIED
    assert number not in str(LinkedAccount.objects.filter(pk=account.pk).values().get())
    assert account.token.startswith("tok_")


@pytest.mark.parametrize(
    ("number", "expiry", "field", "words"),
    [
        ("4111111111111112", "12/30", "number", "not valid"),
        ("41111111", "12/30", "number", "13 to 19"),
        ("4111-1111-1111-111a", "12/30", "number", "digits"),
        ("4111111111111111", "13/30", "expiry", "month"),
        ("4111111111111111", "01/20", "expiry", "expired"),
        ("4111111111111111", "tomorrow", "expiry", "MM/YY"),
    ],
)
def test_bad_card_details_are_refused_naming_the_field_without_repeating_the_number(
    number, expiry, field, words
):
    user = UserFactory()
    error = _refusal(lambda: _link_card(user, number=number, expiry=expiry))
    assert field in error.fields
    assert words in error.fields[field][0]
    assert number not in str(error.detail) + str(error.fields)
    assert not LinkedAccount.objects.exists()


def test_a_bank_account_needs_its_bank():
    user = UserFactory()
    error = _refusal(
        lambda: linking.linked_account_create(
            user=user, kind="bank_account", number="6212260200001234", holder_name="张三"
        )
    )
    assert "bank" in error.fields
    account = linking.linked_account_create(
        user=user, kind="bank_account", number="6212260200001234", holder_name="张三", bank="ccb"
    )
    assert (account.bank, account.last4, account.expiry) == ("ccb", "1234", "")


def test_the_right_micro_deposits_verify_and_the_first_verified_source_becomes_default(
    django_capture_on_commit_callbacks,
):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        account = _link_card(user)
    first, second = _deposits(account)
    with django_capture_on_commit_callbacks(execute=True):
        verified = linking.linked_account_verify(
            user=user, account_id=account.pk, amount_1=str(second), amount_2=str(first)
        )
    assert verified.status == LinkedAccount.Status.VERIFIED
    assert verified.is_default
    # Linking and verifying are security alerts: the customer hears of both.
    alerts = Notification.objects.filter(user=user, kind=Notification.Kind.SECURITY)
    assert alerts.count() == 2
    assert all("••" + account.last4 in alert.body for alert in alerts)


def test_wrong_micro_deposits_fail_and_lock_after_repeated_failures(settings):
    settings.LINKED_ACCOUNT_MAX_VERIFY_ATTEMPTS = 3
    user = UserFactory()
    account = _link_card(user)
    first, second = _deposits(account)
    wrong = (first + Decimal("0.01")) if first < Decimal("0.99") else Decimal("0.01")
    for tries_left in (2, 1):
        error = _refusal(
            lambda: linking.linked_account_verify(
                user=user, account_id=account.pk, amount_1=wrong, amount_2=second
            )
        )
        assert f"{tries_left} tries left" in error.fields["amount_1"][0]
    error = _refusal(
        lambda: linking.linked_account_verify(
            user=user, account_id=account.pk, amount_1=wrong, amount_2=second
        )
    )
    assert error.get_codes() == "verification_locked"
    # Locked: even the right amounts no longer verify it.
    error = _refusal(
        lambda: linking.linked_account_verify(
            user=user, account_id=account.pk, amount_1=first, amount_2=second
        )
    )
    assert error.get_codes() == "verification_locked"
    account.refresh_from_db()
    assert account.status == LinkedAccount.Status.LOCKED
    assert account.failed_verifications == 3


@pytest.mark.parametrize("amount", ["abc", "1.50", "0.123", "0", "-0.10", "NaN"])
def test_micro_deposit_answers_that_are_not_deposits_are_refused_without_counting(amount):
    user = UserFactory()
    account = _link_card(user)
    error = _refusal(
        lambda: linking.linked_account_verify(
            user=user, account_id=account.pk, amount_1=amount, amount_2="0.10"
        )
    )
    assert "amount_1" in error.fields
    account.refresh_from_db()
    assert account.failed_verifications == 0


def test_another_customers_source_cannot_be_verified_or_removed():
    owner, other = UserFactory(), UserFactory()
    account = _link_card(owner)
    first, second = _deposits(account)
    for call in (
        lambda: linking.linked_account_verify(
            user=other, account_id=account.pk, amount_1=first, amount_2=second
        ),
        lambda: linking.linked_account_remove(user=other, account_id=account.pk),
    ):
        assert _refusal(call).status_code == 404
    account.refresh_from_db()
    assert account.status == LinkedAccount.Status.UNVERIFIED


def test_default_moves_on_request_and_to_another_source_when_the_default_is_removed():
    from accounts.bank.sandbox import sandbox_link_verified

    user = UserFactory()
    card = sandbox_link_verified(
        user=user, kind="debit_card", holder_name="张三", number=sandbox_card_number()
    )
    bank = sandbox_link_verified(
        user=user, kind="bank_account", holder_name="张三", number="6212260200005678", bank="boc"
    )
    assert card.is_default and not bank.is_default
    linking.linked_account_set_default(user=user, account_id=bank.pk)
    card.refresh_from_db()
    assert not card.is_default
    linking.linked_account_remove(user=user, account_id=bank.pk)
    card.refresh_from_db()
    bank.refresh_from_db()
    assert bank.status == LinkedAccount.Status.REMOVED and not bank.is_default
    assert card.is_default


def test_an_unverified_source_cannot_be_the_default():
    user = UserFactory()
    account = _link_card(user)
    error = _refusal(lambda: linking.linked_account_set_default(user=user, account_id=account.pk))
    assert "account" in error.fields
