"""Vouchers and discount budgets under concurrent payments, with real commits and connections."""

import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, connections

from config.api_errors import ApplicationError
from promotions import selectors
from promotions.models import Campaign, Redemption, Voucher
from tests.accounts.factories import UserFactory
from tests.wallet.factories import MerchantFactory, balance, funded_wallet, merchant_balance
from wallet import services as wallet_services
from wallet.models import Transaction

from .factories import discount_campaign, voucher_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_together(jobs):
    start = threading.Barrier(len(jobs))
    outcomes, errors = [], []

    def run(job):
        try:
            start.wait()
            outcomes.append(job())
        except ApplicationError as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes, errors


def test_one_voucher_used_by_two_concurrent_payments_is_applied_once():
    assert connection.vendor == "postgresql"
    payer = funded_wallet("500.00")
    shop = MerchantFactory()
    voucher = voucher_for(payer.user)

    def pay(key):
        return lambda: wallet_services.payment_create(
            payer_user=payer.user,
            merchant_code=shop.code,
            amount="80.00",
            currency="CNY",
            voucher=voucher.pk,
            idempotency_key=key,
        )

    outcomes, errors = _run_together([pay("a"), pay("b")])

    assert len(outcomes) == 1
    assert [e.get_codes() for e in errors] == ["voucher_used"]
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.USED
    assert voucher.used_by_transaction_id == outcomes[0].transaction.pk
    assert balance(payer) == Decimal("440.00")
    assert merchant_balance(shop) == Decimal("80.00")
    assert Transaction.objects.filter(kind=Transaction.Kind.PAYMENT).count() == 1
    call_command("ledger_audit")


def test_many_concurrent_discounted_payments_never_exceed_a_small_budget():
    shop = MerchantFactory()
    campaign = discount_campaign(merchants=[shop], budget=Decimal("30.00"), funding="1000.00")
    payers = [funded_wallet("500.00", user=UserFactory()) for _ in range(10)]

    def pay(wallet):
        return lambda: wallet_services.payment_create(
            payer_user=wallet.user,
            merchant_code=shop.code,
            amount="100.00",
            currency="CNY",
            idempotency_key="k",
        )

    outcomes, errors = _run_together([pay(w) for w in payers])

    # No customer confirmed an expected discount here: all pay, three of them 10 less.
    assert errors == []
    assert len(outcomes) == 10
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("30.00")
    assert Redemption.objects.filter(campaign=campaign).count() == 3
    assert sorted(balance(w) for w in payers) == [Decimal("400.00")] * 7 + [Decimal("410.00")] * 3
    assert merchant_balance(shop) == Decimal("1000.00")
    assert selectors.campaign_pool_balance(campaign) == Decimal("970.00")
    call_command("ledger_audit")


def test_a_pool_with_less_money_than_the_budget_never_goes_negative():
    shop = MerchantFactory()
    campaign = discount_campaign(merchants=[shop], budget=Decimal("500.00"), funding="20.00")
    payers = [funded_wallet("500.00", user=UserFactory()) for _ in range(6)]

    def pay(wallet):
        return lambda: wallet_services.payment_create(
            payer_user=wallet.user,
            merchant_code=shop.code,
            amount="100.00",
            currency="CNY",
            idempotency_key="k",
            expected_discount="10.00",  # each customer confirmed the discount
        )

    outcomes, errors = _run_together([pay(w) for w in payers])

    assert len(outcomes) == 2
    assert {e.get_codes() for e in errors} == {"discount_unavailable"}
    assert selectors.campaign_pool_balance(campaign) == Decimal("0.00")
    assert Campaign.objects.get(pk=campaign.pk).spent == Decimal("20.00")
    call_command("ledger_audit")
