"""An activation bonus paid in points: granted once per customer through the pending grant and
its settlement, budgeted at the points' cash value, visible on the customer's points."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation

from notifications.models import Notification, OutboxMessage
from notifications.services import outbox_process
from promotions import selectors, services
from promotions.admin import CampaignForm
from promotions.models import Campaign, PointsEntry, RewardGrant
from tests.accounts.factories import UserFactory
from tests.wallet.factories import balance
from wallet import services as wallet_services
from wallet.models import Transaction

from .conftest import verify_second_factor
from .factories import CampaignFactory, funded_points_programme
from .test_rewards_pages_and_admin import _campaign_form

pytestmark = pytest.mark.django_db


def points_bonus(**kwargs) -> Campaign:
    """500 points on activation; 100 points = 1.00 CNY, so each reward is budgeted at 5.00."""
    defaults = {
        "name": "开户送积分",
        "reward_type": Campaign.RewardType.POINTS,
        "reward_points": 500,
        "reward_amount": Decimal("1.00"),
        "points_per_unit": 100,
        "points_valid_days": 90,
        "budget": Decimal("1000.00"),
    }
    return CampaignFactory(**{**defaults, **kwargs})  # never funded: points cost no cash yet


def activate(user, capture):
    with capture(execute=True):
        return wallet_services.wallet_activate(user=user)


def test_activation_credits_the_points_once_and_budgets_their_cash_value(
    django_capture_on_commit_callbacks,
):
    campaign = points_bonus()
    user = UserFactory()

    wallet = activate(user, django_capture_on_commit_callbacks)

    grant = RewardGrant.objects.get(user=user, campaign=campaign)
    assert grant.status == RewardGrant.Status.SETTLED
    assert (grant.points, grant.amount, grant.transaction) == (500, Decimal("5.00"), None)
    assert selectors.points_balance(user) == 500
    entry = PointsEntry.objects.get(account__user=user)
    assert (entry.kind, entry.points, entry.remaining, entry.grant) == ("earned", 500, 500, grant)
    assert (entry.expires_at - grant.settled_at).days == 90
    # No money moved: the wallet holds none and the ledger has no reward.
    assert balance(wallet) == Decimal("0")
    assert not Transaction.objects.filter(kind=Transaction.Kind.REWARD).exists()
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("5.00")
    assert Notification.objects.filter(user=user, dedupe_key=f"reward-points:{grant.pk}").exists()
    call_command("ledger_audit")


def test_settling_twice_credits_the_points_once():
    points_bonus()
    user = UserFactory()
    wallet_services.wallet_activate(user=user)  # on_commit never runs: the grant waits
    grant = RewardGrant.objects.get(user=user)
    assert grant.status == RewardGrant.Status.PENDING
    assert selectors.points_balance(user) == 0
    row = OutboxMessage.objects.get(topic=services.SETTLE_GRANT)

    assert outbox_process(message_id=row.pk) is True
    assert outbox_process(message_id=row.pk) is False
    services.reward_grant_settle(grant_id=grant.pk)  # the handler itself, run again

    assert selectors.points_balance(user) == 500
    assert PointsEntry.objects.filter(account__user=user).count() == 1


def test_the_cap_and_the_budget_hold(django_capture_on_commit_callbacks):
    campaign = points_bonus(budget=Decimal("10.00"))  # two rewards of 5.00
    first = UserFactory()
    activate(first, django_capture_on_commit_callbacks)
    activate(first, django_capture_on_commit_callbacks)  # once per customer
    second, third = UserFactory(), UserFactory()
    activate(second, django_capture_on_commit_callbacks)
    activate(third, django_capture_on_commit_callbacks)

    assert [selectors.points_balance(u) for u in (first, second, third)] == [500, 500, 0]
    campaign.refresh_from_db()
    assert campaign.spent == campaign.budget
    assert RewardGrant.objects.count() == 2


def test_the_cash_value_is_rounded_up_to_the_fen():
    campaign = points_bonus(reward_points=1, reward_amount=Decimal("1.00"), points_per_unit=3)
    assert campaign.points_reward_value == Decimal("0.34")


def test_the_points_can_be_redeemed_through_the_points_programme(
    client, django_capture_on_commit_callbacks
):
    programme = funded_points_programme()
    points_bonus()
    user = UserFactory()
    wallet = activate(user, django_capture_on_commit_callbacks)
    client.force_login(user)

    response = client.post(
        "/api/v1/rewards/points/redeem/",
        {"points": 500},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="redeem-bonus",
    )

    assert response.status_code == 201, response.content
    assert balance(wallet) == Decimal("5.00")
    programme.refresh_from_db()
    assert programme.spent == Decimal("5.00")
    call_command("ledger_audit")


def test_the_customer_sees_the_points_reward_in_the_api_and_the_page(
    client, django_capture_on_commit_callbacks
):
    campaign = points_bonus()
    user = UserFactory()
    activate(user, django_capture_on_commit_callbacks)
    client.force_login(user)

    body = client.get("/api/v1/rewards/").json()
    (item,) = body["results"]
    assert (item["campaign"], item["points"], item["transaction"]) == (campaign.name, 500, None)
    assert body["points"]["balance"] == 500
    assert body["points"]["history"][0]["points"] == 500

    page = client.get("/rewards/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "+500 points" in page
    assert campaign.name in page


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"kind": "merchant_discount"}, "reward_type", id="not-an-activation-bonus"),
        pytest.param({"reward_points": "0"}, "reward_points", id="no-points"),
    ],
)
def test_the_admin_form_refuses_a_points_reward_that_cannot_work(changes, field):
    data = _campaign_form(
        CampaignFactory.build(),
        reward_type="points",
        reward_points="500",
        points_per_unit="100",
        points_valid_days="90",
    )
    data.update(changes)
    with translation.override("en"):
        form = CampaignForm(data=data)
        assert not form.is_valid()
    assert field in form.errors


def test_the_campaign_admin_configures_points_and_reads_the_results(
    client, campaign_admin, django_capture_on_commit_callbacks
):
    verify_second_factor(client, campaign_admin)
    template = CampaignFactory.build(name="开户送积分 admin")
    response = client.post(
        "/admin/promotions/campaign/add/",
        _campaign_form(
            template,
            reward_type="points",
            reward_amount="1.00",
            reward_points="300",
            points_per_unit="100",
            points_valid_days="60",
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get(name=template.name)
    assert (campaign.reward_points, campaign.points_reward_value) == (300, Decimal("3.00"))

    change = client.get(f"/admin/promotions/campaign/{campaign.pk}/change/").content.decode()
    assert 'name="reward_points"' in change
    activate(UserFactory(), django_capture_on_commit_callbacks)

    results = client.get(
        f"/admin/promotions/campaign/{campaign.pk}/results/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Points given" in results
    assert "300" in results
    csv = client.get(f"/admin/promotions/campaign/{campaign.pk}/results.csv")
    lines = b"".join(csv.streaming_content if csv.streaming else [csv.content]).decode()
    assert ",300," in lines.splitlines()[1]
    listing = client.get("/admin/promotions/campaign/", HTTP_ACCEPT_LANGUAGE="en")
    assert "300 points" in listing.content.decode()
