"""The reversal's handler run twice at the same moment (a re-delivered event racing the first)
undoes a referral and gives back a voucher once, with real commits and real connections."""

import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from notifications import services as notification_services
from promotions import referrals, reversals, selectors
from promotions.models import Redemption, Referral, RewardGrant, Voucher
from tests.accounts.factories import StaffFactory
from tests.wallet.factories import MerchantFactory, balance, merchant_balance
from wallet import services as wallet_services
from wallet.models import Transaction

from .factories import funded_referral_campaign, voucher_for
from .test_referrals import customer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_concurrent_runs_of_the_reversal_handler_act_once(monkeypatch):
    assert connection.vendor == "postgresql"
    campaign = funded_referral_campaign()
    referrer, friend = customer(), customer()
    referrals.referral_record(
        referee=friend.user, code=referrals.referral_code_ensure(user=referrer.user).code
    )
    voucher = voucher_for(friend.user)
    shop = MerchantFactory()
    payment = wallet_services.payment_create(
        payer_user=friend.user,
        merchant_code=shop.code,
        amount="80.00",
        currency="CNY",
        idempotency_key="v1",
        voucher=voucher.pk,
    ).transaction  # 20 off: 60 charged; after commit the referral pays 10 and 20 (eager)
    assert Referral.objects.get(referee=friend.user).status == Referral.Status.REWARDED
    assert (balance(referrer), balance(friend)) == (Decimal("1020.00"), Decimal("950.00"))

    def pools():
        return selectors.campaign_pool_balance(campaign) + selectors.campaign_pool_balance(
            voucher.campaign
        )

    before = balance(referrer) + balance(friend) + merchant_balance(shop) + pools()
    with monkeypatch.context() as paused:  # the reversal's outbox row is left for the threads
        paused.setattr(notification_services, "outbox_dispatch", lambda **kwargs: None)
        reversal = wallet_services.transaction_reverse(
            original=payment, reversed_by=StaffFactory(), reason="merchant error"
        )
    start = threading.Barrier(2)
    errors = []

    def run_handler():
        try:
            start.wait()
            with transaction.atomic():
                reversals.payment_reversal_apply(transaction_id=payment.pk, reversal_id=reversal.pk)
        except Exception as exc:  # noqa: BLE001  surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run_handler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert (balance(referrer), balance(friend)) == (Decimal("1000.00"), Decimal("1000.00"))
    assert merchant_balance(shop) == Decimal("0")
    assert balance(referrer) + balance(friend) + merchant_balance(shop) + pools() == before
    grants = RewardGrant.objects.filter(campaign=campaign)
    assert grants.count() == 2
    assert {g.reversed_by_id for g in grants} == {reversal.pk}
    # The payment's own reversal, and one take-back per reward.
    assert Transaction.objects.filter(kind=Transaction.Kind.REVERSAL).count() == 3
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("0")
    referral = Referral.objects.get(referee=friend.user)
    assert (referral.status, referral.qualifying_transaction_id) == (Referral.Status.PENDING, None)
    voucher.refresh_from_db()
    assert (voucher.status, voucher.used_by_transaction_id) == (Voucher.Status.AVAILABLE, None)
    assert Redemption.objects.get(voucher=voucher).reversed_by_id == reversal.pk
    voucher.campaign.refresh_from_db()
    assert voucher.campaign.spent == Decimal("0")
    call_command("ledger_audit")
