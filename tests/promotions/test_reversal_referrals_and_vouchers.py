"""A reversed merchant payment also undoes a referral it qualified and gives back a voucher it
used: a referral reward not yet paid is refused, one paid is taken back (as far as the wallet
goes), the referral waits for a genuine payment again (or is refused for good if a reward stayed
spent); the voucher is usable again unless it expired meanwhile. Once, however often the
reversal's event arrives, and the customer is told."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import Notification, OutboxMessage
from notifications.services import outbox_process
from promotions import payment_rewards, referrals, reversals, selectors
from promotions.models import Redemption, Referral, RewardGrant, Voucher
from tests.accounts.factories import UserFactory
from tests.wallet.factories import MerchantFactory, balance, funded_wallet, merchant_balance
from wallet.models import Transaction

from .factories import funded_referral_campaign, voucher_for
from .test_payment_reversal import pay
from .test_payment_reversal import reverse as reverse_payment
from .test_referrals import customer, with_identity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(english):
    """Reasons and notices are stored in the language active when written: English here."""


@pytest.fixture
def shop():
    return MerchantFactory()


def deliver_again(payment, reversal):
    """The reversal's event delivered again, and its handler run once more by hand."""
    row = OutboxMessage.objects.get(
        topic=reversals.PAYMENT_REVERSED, payload__transaction_id=payment.pk
    )
    outbox_process(message_id=row.pk)
    reversals.payment_reversal_apply(transaction_id=payment.pk, reversal_id=reversal.pk)


def referred_pair(campaign, referrer=None):
    """A referrer and the friend they brought, both identified with 1,000.00 CNY."""
    referrer, friend = referrer or customer(), customer()
    code = referrals.referral_code_ensure(user=referrer.user).code
    referrals.referral_record(referee=friend.user, code=code)
    return referrer, friend


def money(*wallets, campaign, merchant):
    return (
        sum(balance(w) for w in wallets)
        + selectors.campaign_pool_balance(campaign)
        + merchant_balance(merchant)
    )


# --- referrals ---------------------------------------------------------------------------------


def test_a_paid_referral_is_taken_back_once_and_a_later_genuine_payment_rewards_it_again(
    shop, django_capture_on_commit_callbacks
):
    campaign = funded_referral_campaign()
    referrer, friend = referred_pair(campaign)
    before = money(referrer, friend, campaign=campaign, merchant=shop)
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(friend, shop, "50.00", "p1")
    referral = Referral.objects.get(referee=friend.user)
    assert referral.status == Referral.Status.REWARDED
    assert (balance(referrer), balance(friend)) == (Decimal("1020.00"), Decimal("960.00"))

    with django_capture_on_commit_callbacks(execute=True):
        reversal = reverse_payment(payment)
    deliver_again(payment, reversal)

    assert (balance(referrer), balance(friend)) == (Decimal("1000.00"), Decimal("1000.00"))
    assert selectors.campaign_pool_balance(campaign) == Decimal("10000.00")
    assert money(referrer, friend, campaign=campaign, merchant=shop) == before
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("0")
    grants = RewardGrant.objects.filter(referral=referral)
    assert grants.count() == 2
    for grant in grants:
        assert grant.status == RewardGrant.Status.SETTLED  # it was paid; it stays on record
        assert grant.reversed_by == reversal
        assert grant.source_transaction == payment
        assert grant.clawback_transaction.kind == Transaction.Kind.REVERSAL
        assert grant.clawback_shortfall == Decimal("0")
        assert "reversed" in grant.reason
    referral.refresh_from_db()
    assert referral.status == Referral.Status.PENDING
    assert referral.qualifying_transaction is None
    assert "reversed" in referral.reason
    assert Transaction.objects.filter(kind=Transaction.Kind.REVERSAL).count() == 3  # pay + 2
    results = selectors.campaign_results(campaign)  # taken back in full: never really given
    assert (results.paid, results.rewarded, results.cost) == (0, 0, Decimal("0"))
    # Each side is told what was taken back, besides the usual money-out alert.
    for grant in grants:
        notice = Notification.objects.get(user=grant.user, dedupe_key=f"reward-undone:{grant.pk}")
        assert notice.title == "Reward taken back"
        assert "was reversed" in notice.body
        assert Notification.objects.filter(
            user=grant.user,
            link=reverse("wallet:transaction", args=[grant.clawback_transaction_id]),
        ).exists()
    call_command("ledger_audit")

    # The friend really pays later: the referral is rewarded again, once.
    with django_capture_on_commit_callbacks(execute=True):
        second = pay(friend, shop, "30.00", "p2")
        pay(friend, shop, "40.00", "p3")
    referral.refresh_from_db()
    assert (referral.status, referral.qualifying_transaction) == (
        Referral.Status.REWARDED,
        second,
    )
    live = RewardGrant.objects.filter(referral=referral, reversed_by__isnull=True)
    assert sorted(live.values_list("role", "status")) == [
        (RewardGrant.Role.REFEREE, RewardGrant.Status.SETTLED),
        (RewardGrant.Role.REFERRER, RewardGrant.Status.SETTLED),
    ]
    assert balance(referrer) == Decimal("1020.00")
    assert balance(friend) == Decimal("1000.00") - Decimal("70.00") + Decimal("10.00")
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("30.00")
    results = selectors.campaign_results(campaign)
    assert (results.paid, results.rewarded, results.cost) == (2, 2, Decimal("30.00"))
    call_command("ledger_audit")


def test_a_referral_reward_not_yet_paid_is_refused_and_its_budget_released(
    shop, django_capture_on_commit_callbacks
):
    campaign = funded_referral_campaign()
    referrer, friend = referred_pair(campaign)
    payment = pay(friend, shop, "50.00", "p1")  # nothing after commit runs yet
    outbox_process(
        message_id=OutboxMessage.objects.get(topic=payment_rewards.PAYMENT_MADE).pk
    )  # the referral qualifies; its two grants wait for settlement
    referral = Referral.objects.get(referee=friend.user)
    assert referral.status == Referral.Status.REWARDED
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("30.00")
    settle_rows = list(OutboxMessage.objects.filter(topic="promotions.settle_grant"))

    with django_capture_on_commit_callbacks(execute=True):
        reversal = reverse_payment(payment)
    deliver_again(payment, reversal)
    for row in settle_rows:
        outbox_process(message_id=row.pk)  # settlement arrives late: it pays nothing

    grants = RewardGrant.objects.filter(referral=referral)
    assert set(grants.values_list("status", flat=True)) == {RewardGrant.Status.REFUSED}
    assert {g.reversed_by_id for g in grants} == {reversal.pk}
    assert (balance(referrer), balance(friend)) == (Decimal("1000.00"), Decimal("1000.00"))
    assert selectors.campaign_pool_balance(campaign) == Decimal("10000.00")
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("0")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.PENDING
    notice = Notification.objects.get(user=friend.user, title="Reward cancelled")
    assert "will not be paid" in notice.body
    call_command("ledger_audit")


def test_a_referral_reward_already_spent_is_taken_back_as_far_as_it_goes_and_never_paid_again(
    shop, django_capture_on_commit_callbacks
):
    campaign = funded_referral_campaign()
    referrer = funded_wallet("100.00", user=with_identity(UserFactory()))
    referrer, friend = referred_pair(campaign, referrer)
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(friend, shop, "50.00", "p1")
    other_shop = MerchantFactory()
    with django_capture_on_commit_callbacks(execute=True):
        pay(referrer, other_shop, "110.00", "spend")  # 10.00 of the 20.00 reward is left
    before = money(referrer, friend, campaign=campaign, merchant=shop) + merchant_balance(
        other_shop
    )

    with django_capture_on_commit_callbacks(execute=True):
        reversal = reverse_payment(payment)
    deliver_again(payment, reversal)

    referrer_grant = RewardGrant.objects.get(role=RewardGrant.Role.REFERRER)
    assert referrer_grant.clawback_shortfall == Decimal("10.00")
    assert balance(referrer) == Decimal("0")
    assert balance(friend) == Decimal("1000.00")
    assert selectors.campaign_pool_balance(campaign) == Decimal("9990.00")
    after = money(referrer, friend, campaign=campaign, merchant=shop) + merchant_balance(other_shop)
    assert after == before
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("10.00")  # what the bank lost stays counted
    results = selectors.campaign_results(campaign)
    assert (results.paid, results.cost) == (1, Decimal("10.00"))  # the referrer's, in part
    referral = Referral.objects.get(referee=friend.user)
    assert referral.status == Referral.Status.REFUSED
    assert referral.qualifying_transaction == payment
    notice = Notification.objects.get(dedupe_key=f"reward-undone:{referrer_grant.pk}")
    assert "10.00 CNY had already been spent" in notice.body

    # The bank already paid for this friend: a later payment rewards nobody again.
    with django_capture_on_commit_callbacks(execute=True):
        pay(friend, shop, "30.00", "p2")
    assert RewardGrant.objects.filter(referral=referral).count() == 2
    assert balance(friend) == Decimal("970.00")
    call_command("ledger_audit")


def test_a_reversal_of_another_payment_of_the_friend_leaves_the_referral_alone(
    shop, django_capture_on_commit_callbacks
):
    campaign = funded_referral_campaign()
    referrer, friend = referred_pair(campaign)
    with django_capture_on_commit_callbacks(execute=True):
        pay(friend, shop, "50.00", "p1")
        later = pay(friend, shop, "20.00", "p2")
        reverse_payment(later)

    referral = Referral.objects.get(referee=friend.user)
    assert referral.status == Referral.Status.REWARDED
    assert not RewardGrant.objects.filter(reversed_by__isnull=False).exists()
    assert balance(referrer) == Decimal("1020.00")


# --- vouchers ----------------------------------------------------------------------------------


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_voucher_used_at_a_reversed_payment_can_be_used_again_and_is_counted_once(
    client, shop, django_capture_on_commit_callbacks
):
    payer = funded_wallet("500.00")
    voucher = voucher_for(payer.user)
    campaign = voucher.campaign
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(payer, shop, "80.00", "v1", voucher=voucher.pk)  # 20 off
    assert selectors.campaign_results(campaign).vouchers_used == 1

    with django_capture_on_commit_callbacks(execute=True):
        reversal = reverse_payment(payment)
    deliver_again(payment, reversal)

    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.AVAILABLE
    assert (voucher.used_by_transaction, voucher.used_at) == (None, None)
    assert Redemption.objects.get(voucher=voucher).reversed_by == reversal  # the record
    assert balance(payer) == Decimal("500.00")
    assert selectors.campaign_pool_balance(campaign) == Decimal("1000.00")
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("0")
    results = selectors.campaign_results(campaign)
    assert (results.vouchers_used, results.discounts, results.cost) == (0, 0, Decimal("0"))
    # The customer sees it among their vouchers again, on the page and in the app, and is told.
    client.force_login(payer.user)
    page = client.get(reverse("promotions:rewards"), HTTP_ACCEPT_LANGUAGE="en")
    assert voucher.label in page.content.decode()
    rows = api(payer.user).get("/api/v1/vouchers/").json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert [(r["id"], r["status"], r["used_at"]) for r in rows] == [(voucher.pk, "available", None)]
    notice = Notification.objects.get(user=payer.user, title="Voucher available again")
    assert voucher.label in notice.body
    assert OutboxMessage.objects.filter(topic=reversals.REVERSAL_NOTICE).count() == 1

    # Used again: a second redemption, counted once in the results.
    with django_capture_on_commit_callbacks(execute=True):
        again = pay(payer, shop, "80.00", "v2", voucher=voucher.pk)
    voucher.refresh_from_db()
    assert (voucher.status, voucher.used_by_transaction) == (Voucher.Status.USED, again)
    assert Redemption.objects.filter(voucher=voucher).count() == 2
    results = selectors.campaign_results(campaign)
    assert (results.vouchers_used, results.discounts, results.cost) == (1, 1, Decimal("20.00"))
    # A late re-delivery of the first reversal does not take it from the second payment.
    reversals.payment_reversal_apply(transaction_id=payment.pk, reversal_id=reversal.pk)
    voucher.refresh_from_db()
    assert voucher.used_by_transaction == again
    call_command("ledger_audit")


def test_a_voucher_that_expired_meanwhile_stays_expired(shop, django_capture_on_commit_callbacks):
    payer = funded_wallet("500.00")
    voucher = voucher_for(payer.user)
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(payer, shop, "80.00", "v1", voucher=voucher.pk)
    Voucher.objects.filter(pk=voucher.pk).update(expires_at=timezone.now() - timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        reversal = reverse_payment(payment)
    deliver_again(payment, reversal)

    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.EXPIRED
    assert voucher.used_by_transaction is None
    assert not selectors.vouchers_usable(payer.user, timezone.now()).exists()
    assert selectors.campaign_results(voucher.campaign).vouchers_used == 0
    notice = Notification.objects.get(user=payer.user, dedupe_key__startswith="voucher-back:")
    assert notice.title == "Voucher given back, but expired"
    assert "cannot be used again" in notice.body
    assert balance(payer) == Decimal("500.00")
    call_command("ledger_audit")


def test_a_qualification_that_reaches_the_referral_after_the_reversal_rewards_nothing(shop):
    """The payment's own handler checks for a reversal first; one already past that check
    checks again under the referral's lock, where the reversal's handler also waits."""
    campaign = funded_referral_campaign()
    referrer, friend = referred_pair(campaign)
    payment = pay(friend, shop, "50.00", "p1")  # nothing after commit runs yet
    reverse_payment(payment)

    referral = referrals.referral_qualify(
        referee_id=friend.user.pk, payment_id=payment.pk, amount=Decimal("50.00")
    )

    assert referral.status == Referral.Status.PENDING
    assert not RewardGrant.objects.exists()
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("0")
