"""An activation bonus: the customer who activates is paid once from the campaign's pool."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from notifications.models import Notification, OutboxMessage
from notifications.services import outbox_process
from promotions import selectors, services
from promotions.models import Campaign, RewardGrant
from tests.accounts.factories import UserFactory
from tests.wallet.factories import balance
from wallet import services as wallet_services
from wallet.models import LedgerAccount, Transaction

from .factories import CampaignFactory, funded_campaign

pytestmark = pytest.mark.django_db


def activate(user, capture):
    with capture(execute=True):
        return wallet_services.wallet_activate(user=user)


def test_activation_pays_the_bonus_once_from_the_pool(django_capture_on_commit_callbacks):
    campaign = funded_campaign()
    user = UserFactory()

    wallet = activate(user, django_capture_on_commit_callbacks)

    grant = RewardGrant.objects.get(user=user, campaign=campaign)
    assert grant.status == RewardGrant.Status.SETTLED
    assert grant.transaction.kind == Transaction.Kind.REWARD
    assert balance(wallet) == Decimal("8.88")
    assert selectors.campaign_pool_balance(campaign) == Decimal("9991.12")
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("8.88")
    # The customer is told, like for any money in.
    assert Notification.objects.filter(user=user, kind=Notification.Kind.TRANSACTION).exists()
    call_command("ledger_audit")


def test_the_grant_is_pending_until_the_outbox_row_is_processed():
    campaign = funded_campaign()
    user = UserFactory()
    wallet = wallet_services.wallet_activate(user=user)  # on_commit never runs in this test
    grant = RewardGrant.objects.get(user=user, campaign=campaign)
    assert grant.status == RewardGrant.Status.PENDING
    assert balance(wallet) == Decimal("0")
    row = OutboxMessage.objects.get(topic=services.SETTLE_GRANT)
    assert row.payload == {"grant_id": grant.pk}


def test_an_outbox_row_processed_twice_pays_once():
    campaign = funded_campaign()
    user = UserFactory()
    wallet = wallet_services.wallet_activate(user=user)
    row = OutboxMessage.objects.get(topic=services.SETTLE_GRANT)

    assert outbox_process(message_id=row.pk) is True
    assert outbox_process(message_id=row.pk) is False
    # Even the handler called again directly (a worker that lost the row's state) pays nothing.
    services.reward_grant_settle(grant_id=RewardGrant.objects.get().pk)

    assert balance(wallet) == Decimal("8.88")
    assert Transaction.objects.filter(kind=Transaction.Kind.REWARD).count() == 1
    assert selectors.campaign_pool_balance(campaign) == Decimal("9991.12")
    call_command("ledger_audit")


def test_activating_twice_grants_once(django_capture_on_commit_callbacks):
    campaign = funded_campaign()
    user = UserFactory()
    activate(user, django_capture_on_commit_callbacks)
    activate(user, django_capture_on_commit_callbacks)
    assert RewardGrant.objects.filter(user=user, campaign=campaign).count() == 1


@pytest.mark.parametrize(
    ("campaign_kwargs", "user_kwargs"),
    [
        pytest.param({"min_kyc_level": 2}, {"kyc_level": 1}, id="kyc-level-too-low"),
        pytest.param(
            {"new_customers_only": True},
            {"date_joined": timezone.now() - timedelta(days=10)},
            id="joined-before-start",
        ),
        pytest.param(
            {
                "starts_at": timezone.now() - timedelta(days=10),
                "ends_at": timezone.now() - timedelta(days=1),
            },
            {},
            id="campaign-ended",
        ),
        pytest.param({"is_active": False}, {}, id="campaign-paused"),
    ],
)
def test_an_ineligible_customer_gets_nothing(
    campaign_kwargs, user_kwargs, django_capture_on_commit_callbacks
):
    campaign = funded_campaign(**campaign_kwargs)
    user = UserFactory(**user_kwargs)
    wallet = activate(user, django_capture_on_commit_callbacks)
    assert not RewardGrant.objects.filter(user=user).exists()
    assert balance(wallet) == Decimal("0")
    campaign.refresh_from_db()
    assert campaign.spent == 0


def test_a_new_customer_of_a_new_customers_only_campaign_is_rewarded(
    django_capture_on_commit_callbacks,
):
    funded_campaign(new_customers_only=True)
    wallet = activate(UserFactory(), django_capture_on_commit_callbacks)
    assert balance(wallet) == Decimal("8.88")


def test_a_spent_budget_grants_nothing_more(django_capture_on_commit_callbacks):
    campaign = funded_campaign(budget=Decimal("17.76"))
    wallets = [activate(UserFactory(), django_capture_on_commit_callbacks) for _ in range(3)]
    assert [balance(w) for w in wallets] == [Decimal("8.88"), Decimal("8.88"), Decimal("0")]
    campaign.refresh_from_db()
    assert campaign.spent == campaign.budget
    assert RewardGrant.objects.count() == 2


def test_an_empty_pool_fails_the_grant_and_a_retry_after_funding_pays(
    django_capture_on_commit_callbacks,
):
    campaign = CampaignFactory()  # never funded
    user = UserFactory()
    wallet = activate(user, django_capture_on_commit_callbacks)

    grant = RewardGrant.objects.get(user=user)
    assert grant.status == RewardGrant.Status.FAILED
    assert grant.reason
    campaign.refresh_from_db()
    assert campaign.spent == 0  # the reservation went back
    assert balance(wallet) == Decimal("0")

    services.campaign_fund(campaign=campaign, amount="100.00", funded_by=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.reward_grant_retry(grant=grant)

    grant.refresh_from_db()
    assert grant.status == RewardGrant.Status.SETTLED
    assert balance(wallet) == Decimal("8.88")
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("8.88")
    assert selectors.campaign_pool_balance(campaign) == Decimal("91.12")
    call_command("ledger_audit")


def test_only_a_failed_grant_can_be_retried(django_capture_on_commit_callbacks):
    funded_campaign()
    activate(UserFactory(), django_capture_on_commit_callbacks)
    grant = RewardGrant.objects.get()
    with pytest.raises(services.ApplicationError):
        services.reward_grant_retry(grant=grant)


def test_funding_moves_money_from_the_marketing_account_and_refuses_bad_amounts():
    campaign = CampaignFactory()
    txn = services.campaign_fund(campaign=campaign, amount="500.00", funded_by=None)
    assert txn.metadata == {"campaign_funding": campaign.pk}
    marketing = LedgerAccount.objects.get(kind=LedgerAccount.Kind.MARKETING)
    assert marketing.balance == Decimal("-500.00")
    assert selectors.campaign_pool_balance(campaign) == Decimal("500.00")
    for bad in ("0", "-5", "1.234", "abc"):
        with pytest.raises(services.ApplicationError) as caught:
            services.campaign_fund(campaign=campaign, amount=bad, funded_by=None)
        assert "amount" in caught.value.fields
    assert selectors.campaign_pool_balance(campaign) == Decimal("500.00")
    call_command("ledger_audit")


def test_a_pool_never_goes_negative():
    from django.db import IntegrityError, transaction

    campaign = CampaignFactory()
    pool = services.campaign_pool_ensure(campaign=campaign)
    assert not pool.may_go_negative
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=pool.pk).update(balance=Decimal("-1"))


def test_campaign_admin_figures():
    campaign = funded_campaign(funding="50.00")
    row = selectors.campaigns_with_figures().get(pk=campaign.pk)
    assert row.pool_balance == Decimal("50.00")
    assert row.grants_count == 0
    assert Campaign.objects.count() == 1
