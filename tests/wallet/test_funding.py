"""Top-ups and withdrawals through the sandbox bank: pending until the bank answers, posted
exactly once, a rejection moves nothing (top-up) or gives the money back (withdrawal)."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation

from accounts import linking
from accounts.bank.sandbox import sandbox_card_number, sandbox_link_verified
from accounts.models import LinkedAccount
from config.api_errors import ApplicationError
from notifications.models import Notification, OutboxMessage
from notifications.services import outbox_process
from tests.wallet.factories import WalletFactory, balance, funded_wallet
from wallet import services
from wallet.models import FundingOrder, Transaction

pytestmark = pytest.mark.django_db


def _card(user, ending="1234", kind="debit_card"):
    return sandbox_link_verified(
        user=user, kind=kind, holder_name="张三", number=sandbox_card_number(ending=ending)
    )


def _top_up(wallet, source, amount="100.00", key="t1"):
    return services.topup_create(
        user=wallet.user, source_id=source.pk, amount=amount, currency="CNY", idempotency_key=key
    )


def _withdraw(wallet, source, amount="100.00", key="w1"):
    return services.withdrawal_create(
        user=wallet.user, source_id=source.pk, amount=amount, currency="CNY", idempotency_key=key
    )


def _audit_clean():
    call_command("ledger_audit")  # raises SystemExit on any breach


def _refusal(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    return caught.value


def test_a_top_up_is_pending_until_the_bank_settles_then_credits_the_wallet_once(
    django_capture_on_commit_callbacks,
):
    wallet = WalletFactory()
    source = _card(wallet.user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = _top_up(wallet, source)
    order = result.order
    assert order.status == FundingOrder.Status.PENDING
    assert balance(wallet) == 0  # nothing moves before the bank answers
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    order.refresh_from_db()
    assert order.status == FundingOrder.Status.COMPLETED
    assert order.transaction.kind == Transaction.Kind.TOP_UP
    assert balance(wallet) == Decimal("100.00")
    # The task running again (a lost acknowledgement) changes nothing.
    row = OutboxMessage.objects.get(dedupe_key=f"funding:{order.pk}")
    assert outbox_process(message_id=row.pk) is False
    services.funding.funding_progress(order_id=order.pk)
    assert balance(wallet) == Decimal("100.00")
    assert Transaction.objects.filter(kind=Transaction.Kind.TOP_UP).count() == 1
    titles = " ".join(Notification.objects.filter(user=wallet.user).values_list("title", flat=True))
    assert "100.00" in titles
    _audit_clean()


def test_a_top_up_the_bank_rejects_moves_nothing_and_says_why(django_capture_on_commit_callbacks):
    wallet = WalletFactory()
    source = _card(wallet.user, ending="0002")  # the sandbox: insufficient funds at the bank
    with django_capture_on_commit_callbacks(execute=True):
        result = _top_up(wallet, source)
    order = FundingOrder.objects.get(pk=result.order.pk)
    assert order.status == FundingOrder.Status.REJECTED
    assert order.rejection_reason == "insufficient_funds"
    assert order.transaction is None
    assert balance(wallet) == 0
    assert not Transaction.objects.filter(kind=Transaction.Kind.TOP_UP).exists()
    alert = Notification.objects.get(user=wallet.user, dedupe_key=f"funding-outcome:{order.pk}")
    assert services.rejection_reason_text("insufficient_funds") in alert.body
    _audit_clean()


def test_a_withdrawal_is_debited_at_once_and_completed_when_the_bank_pays(
    django_capture_on_commit_callbacks,
):
    wallet = funded_wallet("300.00")
    source = _card(wallet.user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order = _withdraw(wallet, source, "120.50").order
    assert balance(wallet) == Decimal("179.50")
    assert order.transaction.status == Transaction.Status.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    order.refresh_from_db()
    order.transaction.refresh_from_db()
    assert order.status == FundingOrder.Status.COMPLETED
    assert order.transaction.status == Transaction.Status.COMPLETED
    assert balance(wallet) == Decimal("179.50")
    _audit_clean()


def test_a_withdrawal_the_bank_rejects_is_reversed_by_a_new_transaction(
    django_capture_on_commit_callbacks,
):
    wallet = funded_wallet("300.00")
    source = sandbox_link_verified(
        user=wallet.user,
        kind="bank_account",
        holder_name="张三",
        number="62122602000000069",  # the sandbox: account closed
        bank="icbc",
    )
    with django_capture_on_commit_callbacks(execute=True):
        order = _withdraw(wallet, source, "100.00").order
    order.refresh_from_db()
    assert order.status == FundingOrder.Status.REJECTED
    assert order.rejection_reason == "account_closed"
    assert order.reversal.reverses_id == order.transaction_id
    assert order.reversal.kind == Transaction.Kind.REVERSAL
    order.transaction.refresh_from_db()
    assert order.transaction.status == Transaction.Status.REJECTED
    assert balance(wallet) == Decimal("300.00")
    # Both movements are still there: the debit and the reversal.
    assert wallet.accounts.get(currency="CNY").entries.count() == 3
    _audit_clean()


def test_the_sandbox_can_be_told_to_decline_a_share_of_operations(
    settings, django_capture_on_commit_callbacks
):
    settings.BANK_SANDBOX_FAILURE_RATE = 1.0
    wallet = WalletFactory()
    source = _card(wallet.user)
    with django_capture_on_commit_callbacks(execute=True):
        order = _top_up(wallet, source).order
    order.refresh_from_db()
    assert (order.status, order.rejection_reason) == ("rejected", "bank_declined")
    assert balance(wallet) == 0


def test_the_same_key_replays_the_first_order_and_another_body_is_refused():
    wallet = WalletFactory()
    source = _card(wallet.user)
    first = _top_up(wallet, source, "50.00", key="same")
    again = _top_up(wallet, source, "50.00", key="same")
    assert again.replayed and again.order.pk == first.order.pk
    error = _refusal(lambda: _top_up(wallet, source, "60.00", key="same"))
    assert error.status_code == 409
    assert FundingOrder.objects.count() == 1


def test_a_withdrawal_above_the_balance_is_refused_and_creates_nothing():
    wallet = funded_wallet("10.00")
    source = _card(wallet.user)
    error = _refusal(lambda: _withdraw(wallet, source, "10.01"))
    assert "amount" in error.fields
    assert not FundingOrder.objects.exists()
    assert balance(wallet) == Decimal("10.00")


def test_limits_of_the_kyc_level_apply_to_top_ups_and_withdrawals(settings):
    settings.WALLET_LIMITS = {
        0: {"per_transaction": "100", "daily": "150", "monthly": "1000"},
    }
    wallet = funded_wallet("500.00")
    source = _card(wallet.user)
    assert "amount" in _refusal(lambda: _top_up(wallet, source, "100.01")).fields
    _withdraw(wallet, source, "100.00", key="a")
    # A pending withdrawal counts against the daily limit.
    error = _refusal(lambda: _withdraw(wallet, source, "60.00", key="b"))
    assert error.get_codes() == "limit_daily"


@pytest.mark.parametrize(
    ("problem", "field"),
    [("unverified", "source"), ("credit_card", "source"), ("other_user", "source")],
)
def test_a_source_that_is_not_usable_is_refused_naming_the_field(problem, field):
    wallet = funded_wallet("500.00")
    if problem == "unverified":
        source = linking.linked_account_create(
            user=wallet.user,
            kind="debit_card",
            number=sandbox_card_number(),
            holder_name="张三",
            expiry="12/30",
        )
    elif problem == "credit_card":
        source = _card(wallet.user, kind="credit_card")
    else:
        source = _card(WalletFactory().user)
    error = _refusal(lambda: _withdraw(wallet, source, "10.00"))
    assert field in error.fields
    assert balance(wallet) == Decimal("500.00")


def test_a_credit_card_can_fund_but_not_receive_a_withdrawal():
    wallet = WalletFactory()
    card = _card(wallet.user, kind="credit_card")
    assert _top_up(wallet, card).order.status == FundingOrder.Status.PENDING
    assert not card.can_withdraw_to


def test_foreign_currency_funding_is_refused_naming_the_currency():
    wallet = WalletFactory()
    source = _card(wallet.user)
    error = _refusal(
        lambda: services.topup_create(
            user=wallet.user, source_id=source.pk, amount="5", currency="USD", idempotency_key="u"
        )
    )
    assert "currency" in error.fields


def test_a_source_with_a_pending_order_cannot_be_removed_until_the_bank_answers(
    django_capture_on_commit_callbacks,
):
    wallet = WalletFactory()
    source = _card(wallet.user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _top_up(wallet, source)
    error = _refusal(lambda: linking.linked_account_remove(user=wallet.user, account_id=source.pk))
    assert "account" in error.fields
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    linking.linked_account_remove(user=wallet.user, account_id=source.pk)
    source.refresh_from_db()
    assert source.status == LinkedAccount.Status.REMOVED


def test_a_pending_top_up_blocks_closing_the_account(django_capture_on_commit_callbacks):
    from accounts.closure import account_closure_check

    wallet = WalletFactory()
    source = _card(wallet.user)
    with django_capture_on_commit_callbacks(execute=False):
        _top_up(wallet, source, "5.00")
    with translation.override("en"):
        reasons = account_closure_check(user=wallet.user)
    assert "A top-up or withdrawal is waiting for your bank: wait for its answer." in reasons


def test_the_data_export_lists_linked_accounts_and_funding_without_numbers():
    from accounts.data_export import data_export_build

    wallet = funded_wallet("50.00")
    number = sandbox_card_number(ending="6161")
    source = sandbox_link_verified(
        user=wallet.user, kind="debit_card", holder_name="张三", number=number
    )
    order = _withdraw(wallet, source, "20.00").order
    export = data_export_build(user=wallet.user)
    assert [a["last4"] for a in export["linked_accounts"]] == ["6161"]
    funding = export["wallet"]["top_ups_and_withdrawals"]
    assert [(f["reference"], f["amount"]) for f in funding] == [(order.reference, "20.00")]
    assert number not in str(export) and source.token not in str(export)


def test_a_retried_top_up_gets_its_first_answer_even_after_the_card_is_removed(
    django_capture_on_commit_callbacks,
):
    wallet = WalletFactory()
    source = _card(wallet.user)
    with django_capture_on_commit_callbacks(execute=True):
        first = _top_up(wallet, source, "12.00", key="retry-me")
    linking.linked_account_remove(user=wallet.user, account_id=source.pk)
    again = _top_up(wallet, source, "12.00", key="retry-me")
    assert again.replayed and again.order.pk == first.order.pk
    assert "source" in _refusal(lambda: _top_up(wallet, source, "12.00", key="new-key")).fields
