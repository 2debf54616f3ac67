"""Funding under real concurrency on PostgreSQL: two workers settling one top-up settle it
once; withdrawals racing for one balance never overdraw; one key sent twice at once is one
order."""

from decimal import Decimal

import pytest

from accounts.bank.sandbox import sandbox_card_number, sandbox_link_verified
from config.api_errors import ApplicationError
from notifications.models import OutboxMessage
from notifications.services import outbox_process
from tests.concurrency import together
from wallet import services
from wallet.audit import ledger_breaches
from wallet.models import FundingOrder, Transaction

from .factories import WalletFactory, balance, funded_wallet

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _card(user):
    return sandbox_link_verified(
        user=user, kind="debit_card", holder_name="张三", number=sandbox_card_number()
    )


def test_two_workers_settling_the_same_top_up_credit_it_once(settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from notifications import services as outbox

    monkeypatch.setattr(outbox, "outbox_dispatch", lambda **kwargs: None)  # workers run it here
    wallet = WalletFactory()
    result = services.topup_create(
        user=wallet.user,
        source_id=_card(wallet.user).pk,
        amount="75.00",
        currency="CNY",
        idempotency_key="race-top-up",
    )
    row = OutboxMessage.objects.get(dedupe_key=f"funding:{result.order.pk}")
    outcomes = together(6, lambda i: outbox_process(message_id=row.pk))
    assert sorted(str(value) for _kind, value in outcomes) == ["False"] * 5 + ["True"]
    assert balance(wallet) == Decimal("75.00")
    assert Transaction.objects.filter(kind=Transaction.Kind.TOP_UP).count() == 1
    assert FundingOrder.objects.get().status == FundingOrder.Status.COMPLETED
    assert ledger_breaches() == []


def test_withdrawals_racing_for_one_balance_never_overdraw():
    wallet = funded_wallet("100.00")
    card = _card(wallet.user)

    def withdraw(i):
        return services.withdrawal_create(
            user=wallet.user,
            source_id=card.pk,
            amount="30.00",
            currency="CNY",
            idempotency_key=f"race-{i}",
        )

    outcomes = together(8, withdraw)
    succeeded = [value for kind, value in outcomes if kind == "ok"]
    refused = [value for kind, value in outcomes if kind == "error"]
    assert len(succeeded) == 3
    assert all(isinstance(error, ApplicationError) for error in refused)
    assert balance(wallet) == Decimal("10.00")
    assert ledger_breaches() == []


def test_one_key_sent_twice_at_once_makes_one_order():
    wallet = funded_wallet("100.00")
    card = _card(wallet.user)

    def withdraw(_i):
        return services.withdrawal_create(
            user=wallet.user,
            source_id=card.pk,
            amount="40.00",
            currency="CNY",
            idempotency_key="same-key",
        ).order.pk

    outcomes = together(4, withdraw)
    assert {kind for kind, _value in outcomes} == {"ok"}
    assert len({value for _kind, value in outcomes}) == 1
    assert FundingOrder.objects.count() == 1
    assert balance(wallet) == Decimal("60.00")
