"""A reversed merchant payment gives back what it earned: its points (a new entry, once), a
first-payment cashback (refused if unpaid, taken back if paid), and a discount's budget (the
discount itself goes back to the pool with the reversal)."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation

from notifications.models import OutboxMessage
from notifications.services import outbox_process
from promotions import payment_rewards, points, reversals, selectors, services
from promotions.models import Campaign, PointsEntry, Redemption, RewardGrant
from tests.accounts.factories import StaffFactory
from tests.wallet.factories import MerchantFactory, balance, funded_wallet, merchant_balance
from wallet import services as wallet_services
from wallet.models import Merchant, Transaction

from .factories import discount_campaign, funded_campaign, funded_points_programme

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def shop():
    return MerchantFactory(category=Merchant.Category.SHOPPING)


@pytest.fixture
def payer():
    return funded_wallet("500.00")


def pay(wallet, merchant, amount, key, **kwargs):
    return wallet_services.payment_create(
        payer_user=wallet.user,
        merchant_code=merchant.code,
        amount=amount,
        currency="CNY",
        idempotency_key=key,
        **kwargs,
    ).transaction


def reverse(payment):
    return wallet_services.transaction_reverse(
        original=payment, reversed_by=StaffFactory(), reason="merchant error"
    )


def reversal_row():
    return OutboxMessage.objects.get(topic=reversals.PAYMENT_REVERSED)


def deliver_again(payment, reversal):
    """The reversal's event delivered twice, and its handler run once more by hand."""
    outbox_process(message_id=reversal_row().pk)
    reversals.payment_reversal_apply(transaction_id=payment.pk, reversal_id=reversal.pk)


# --- points ------------------------------------------------------------------------------------


def test_the_points_of_a_reversed_payment_are_taken_back_once(
    payer, shop, django_capture_on_commit_callbacks
):
    funded_points_programme()
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(payer, shop, "120.00", "p1")
    earning = PointsEntry.objects.get(kind=PointsEntry.Kind.EARNED)
    assert selectors.points_balance(payer.user) == 120

    with django_capture_on_commit_callbacks(execute=True):
        reversal = reverse(payment)
    deliver_again(payment, reversal)

    assert selectors.points_balance(payer.user) == 0
    clawback = PointsEntry.objects.get(kind=PointsEntry.Kind.CLAWED_BACK)
    assert (clawback.points, clawback.shortfall, clawback.balance_after) == (-120, 0, 0)
    assert clawback.transaction == payment
    earning.refresh_from_db()
    assert (earning.points, earning.remaining) == (120, 120 - 120)  # the earning itself is kept
    assert PointsEntry.objects.count() == 2


def test_points_already_redeemed_take_the_balance_to_zero_and_the_rest_is_recorded(
    payer, shop, django_capture_on_commit_callbacks
):
    programme = funded_points_programme()
    with django_capture_on_commit_callbacks(execute=True):
        first = pay(payer, shop, "150.00", "p1")
        pay(payer, shop, "30.00", "p2")
    points.points_redeem(user=payer.user, points=100, idempotency_key="r1")  # 1.00 CNY paid
    assert selectors.points_balance(payer.user) == 80

    with django_capture_on_commit_callbacks(execute=True):
        reverse(first)

    assert selectors.points_balance(payer.user) == 0
    clawback = PointsEntry.objects.get(kind=PointsEntry.Kind.CLAWED_BACK)
    assert (clawback.points, clawback.shortfall) == (-80, 70)
    # Nothing of the second payment's earning is left to be redeemed or expire again.
    assert sum(PointsEntry.objects.values_list("remaining", flat=True)) == 0
    programme.refresh_from_db()
    assert programme.spent == Decimal("1.00")  # the cash paid for redeemed points stays paid
    call_command("ledger_audit")


def test_nothing_left_at_all_is_recorded_as_a_shortfall_entry_of_zero_points(
    payer, shop, django_capture_on_commit_callbacks
):
    funded_points_programme()
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(payer, shop, "100.00", "p1")
    points.points_redeem(user=payer.user, points=100, idempotency_key="r1")

    with django_capture_on_commit_callbacks(execute=True):
        reverse(payment)

    clawback = PointsEntry.objects.get(kind=PointsEntry.Kind.CLAWED_BACK)
    assert (clawback.points, clawback.shortfall, clawback.balance_after) == (0, 100, 0)


def test_a_payment_reversed_before_its_points_were_credited_earns_none(
    payer, shop, django_capture_on_commit_callbacks
):
    funded_points_programme()
    payment = pay(payer, shop, "120.00", "p1")  # its outbox row is not processed yet
    earn_row = OutboxMessage.objects.get(topic=payment_rewards.PAYMENT_MADE)
    with django_capture_on_commit_callbacks(execute=True):
        reverse(payment)

    outbox_process(message_id=earn_row.pk)

    assert selectors.points_balance(payer.user) == 0
    assert not PointsEntry.objects.exists()


# --- merchant discount -------------------------------------------------------------------------


def test_a_reversed_discounted_payment_gives_the_discount_back_to_pool_and_budget_once(
    payer, shop, django_capture_on_commit_callbacks
):
    campaign = discount_campaign(merchants=[shop])
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(payer, shop, "120.00", "d1")  # 10 off: the customer pays 110
    assert selectors.campaign_pool_balance(campaign) == Decimal("990.00")

    with django_capture_on_commit_callbacks(execute=True):
        reversal = reverse(payment)
    deliver_again(payment, reversal)

    assert balance(payer) == Decimal("500.00")  # the customer gets back what they paid
    assert merchant_balance(shop) == Decimal("0")
    assert selectors.campaign_pool_balance(campaign) == Decimal("1000.00")
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("0")
    assert Redemption.objects.get(transaction=payment).reversed_by == reversal
    call_command("ledger_audit")


# --- first-payment cashback --------------------------------------------------------------------


def cashback_campaign():
    return funded_campaign(
        funding="100.00",
        name="首单返现",
        kind=Campaign.Kind.FIRST_PAYMENT_CASHBACK,
        benefit=Campaign.Benefit.PERCENT,
        percent=Decimal("10"),
        reward_amount=Decimal("0"),
        max_discount=Decimal("5.00"),
        budget=Decimal("100.00"),
    )


def test_a_paid_cashback_is_taken_back_once_when_its_payment_is_reversed(
    payer, shop, django_capture_on_commit_callbacks
):
    campaign = cashback_campaign()
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(payer, shop, "30.00", "c1")
    grant = RewardGrant.objects.get(campaign=campaign)
    assert (grant.status, grant.source_transaction) == (RewardGrant.Status.SETTLED, payment)
    assert balance(payer) == Decimal("473.00")

    with django_capture_on_commit_callbacks(execute=True):
        reversal = reverse(payment)
    deliver_again(payment, reversal)

    assert balance(payer) == Decimal("500.00")
    assert selectors.campaign_pool_balance(campaign) == Decimal("100.00")
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("0")
    grant.refresh_from_db()
    assert grant.clawback_transaction.kind == Transaction.Kind.REVERSAL
    assert grant.clawback_shortfall == Decimal("0")
    assert Transaction.objects.filter(metadata__reward_grant=grant.pk).count() == 2  # paid, back
    call_command("ledger_audit")


def test_a_cashback_already_spent_is_taken_back_as_far_as_the_balance_goes(
    shop, django_capture_on_commit_callbacks
):
    campaign = cashback_campaign()
    payer = funded_wallet("30.00")
    with django_capture_on_commit_callbacks(execute=True):
        payment = pay(payer, shop, "30.00", "c1")  # cashback 3.00
    reverse(payment)  # committed; promotions' handler has not run yet
    pay(payer, MerchantFactory(), "31.00", "spend")  # the refund and the cashback, spent but 2.00
    assert balance(payer) == Decimal("2.00")

    outbox_process(message_id=reversal_row().pk)

    grant = RewardGrant.objects.get(campaign=campaign)
    assert grant.clawback_shortfall == Decimal("1.00")
    assert balance(payer) == Decimal("0")
    assert selectors.campaign_pool_balance(campaign) == Decimal("99.00")
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("1.00")  # what the bank lost stays counted
    call_command("ledger_audit")


def test_an_unpaid_cashback_of_a_reversed_payment_is_refused_and_never_paid(
    payer, shop, django_capture_on_commit_callbacks
):
    campaign = cashback_campaign()
    payment = pay(payer, shop, "30.00", "c1")  # the grant is reserved; its settlement waits
    grant = RewardGrant.objects.get(campaign=campaign)
    settle_row = OutboxMessage.objects.get(topic=services.SETTLE_GRANT)
    with django_capture_on_commit_callbacks(execute=True):
        reverse(payment)

    outbox_process(message_id=settle_row.pk)

    grant.refresh_from_db()
    assert grant.status == RewardGrant.Status.REFUSED
    assert "reversed" in grant.reason
    assert balance(payer) == Decimal("500.00")
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("0")
    assert selectors.campaign_pool_balance(campaign) == Decimal("100.00")
    call_command("ledger_audit")
