"""The points programme: points earned on shop payments (with category multipliers), once per
payment; redeemed for cash from the programme's pool once per key; old points expire."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from config.api_errors import ApplicationError
from notifications.models import Notification, OutboxMessage
from notifications.services import outbox_process
from promotions import payment_rewards, points, selectors, tasks
from promotions.models import PointsAccount, PointsEntry
from tests.accounts.factories import UserFactory
from tests.wallet.factories import MerchantFactory, WalletFactory, balance, funded_wallet
from wallet import services as wallet_services
from wallet.models import Merchant, Transaction

from .factories import funded_points_programme

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """Refusal reasons are stored in the language active when written: English here."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def pay(wallet, merchant, amount, capture, key=None):
    with capture(execute=True):
        return wallet_services.payment_create(
            payer_user=wallet.user,
            merchant_code=merchant.code,
            amount=amount,
            currency="CNY",
            idempotency_key=key or f"pay-{wallet.pk}-{amount}-{merchant.pk}",
        ).transaction


def earn(user, points_count, *, days_ago=0, campaign):
    """Points earned `days_ago` (as the payment handler would have written them)."""
    account, _ = PointsAccount.objects.get_or_create(user=user)
    account.balance += points_count
    account.save()
    when = timezone.now() - timedelta(days=days_ago)
    return PointsEntry.objects.create(
        account=account,
        campaign=campaign,
        kind=PointsEntry.Kind.EARNED,
        points=points_count,
        balance_after=account.balance,
        remaining=points_count,
        expires_at=when + timedelta(days=campaign.points_valid_days),
        created_at=when,
    )


def test_points_are_earned_per_cny_with_the_category_multiplier_rounded_down(
    django_capture_on_commit_callbacks,
):
    funded_points_programme(multipliers={Merchant.Category.FOOD: "2.00"})
    wallet = funded_wallet("1000.00")
    food = MerchantFactory(category=Merchant.Category.FOOD)
    shop = MerchantFactory(category=Merchant.Category.SHOPPING)

    pay(wallet, food, "12.75", django_capture_on_commit_callbacks)  # 25.5 → 25
    pay(wallet, shop, "30.99", django_capture_on_commit_callbacks)  # 30.99 → 30
    pay(wallet, shop, "0.50", django_capture_on_commit_callbacks)  # 0 points: no entry

    assert selectors.points_balance(wallet.user) == 55
    history = selectors.points_history(wallet.user)
    assert [e.points for e in history] == [30, 25]
    assert history[0].balance_after == 55
    assert history[1].expires_at > timezone.now() + timedelta(days=364)


def test_a_payment_earns_once_even_if_its_event_is_delivered_twice(
    django_capture_on_commit_callbacks,
):
    funded_points_programme()
    wallet = funded_wallet("1000.00")
    payment = pay(wallet, MerchantFactory(), "88.00", django_capture_on_commit_callbacks)
    row = OutboxMessage.objects.get(dedupe_key=f"promotions-payment:{payment.pk}")

    assert outbox_process(message_id=row.pk) is False
    payment_rewards.payment_rewards_apply(transaction_id=payment.pk)
    with django_capture_on_commit_callbacks(execute=True):
        payment_rewards.queue_payment_rewards(transaction_id=payment.pk)  # event emitted again

    assert selectors.points_balance(wallet.user) == 88
    assert PointsEntry.objects.filter(transaction=payment).count() == 1


def test_transfers_and_payments_without_a_programme_earn_nothing(
    django_capture_on_commit_callbacks,
):
    wallet = funded_wallet("1000.00")
    pay(wallet, MerchantFactory(), "50.00", django_capture_on_commit_callbacks)
    assert selectors.points_balance(wallet.user) == 0
    funded_points_programme()
    with django_capture_on_commit_callbacks(execute=True):
        wallet_services.transfer_create(
            sender_user=wallet.user,
            to=funded_wallet("1.00").handle,
            amount="10.00",
            currency="CNY",
            idempotency_key="t-1",
        )
    assert not PointsEntry.objects.exists()


def test_redeeming_moves_money_once_for_the_same_key(django_capture_on_commit_callbacks):
    campaign = funded_points_programme()
    wallet = WalletFactory()
    earn(wallet.user, 350, campaign=campaign)

    with django_capture_on_commit_callbacks(execute=True):
        first = points.points_redeem(user=wallet.user, points=300, idempotency_key="r-1")
    again = points.points_redeem(user=wallet.user, points=300, idempotency_key="r-1")

    assert not first.replayed and again.replayed
    assert again.entry.pk == first.entry.pk
    assert balance(wallet) == Decimal("3.00")
    assert selectors.points_balance(wallet.user) == 50
    assert Transaction.objects.filter(kind=Transaction.Kind.REWARD).count() == 1
    assert selectors.campaign_pool_balance(campaign) == Decimal("9997.00")
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("3.00")
    assert Notification.objects.filter(user=wallet.user, kind=Notification.Kind.TRANSACTION)
    with pytest.raises(ApplicationError) as conflict:
        points.points_redeem(user=wallet.user, points=100, idempotency_key="r-1")
    assert conflict.value.status_code == 409
    call_command("ledger_audit")


@pytest.mark.parametrize(
    ("amount", "message"),
    [(150, "multiple of 100"), (0, "multiple of 100"), (400, "fewer than")],
)
def test_redeeming_refuses_bad_amounts_naming_the_field(amount, message):
    campaign = funded_points_programme()
    wallet = WalletFactory()
    earn(wallet.user, 350, campaign=campaign)
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        points.points_redeem(user=wallet.user, points=amount, idempotency_key=f"bad-{amount}")
    assert message in refused.value.fields["points"][0]
    assert selectors.points_balance(wallet.user) == 350


def test_redeeming_stays_within_the_budget():
    campaign = funded_points_programme(funding="5.00", budget=Decimal("5.00"))
    wallet = WalletFactory()
    earn(wallet.user, 1000, campaign=campaign)
    points.points_redeem(user=wallet.user, points=400, idempotency_key="a")
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        points.points_redeem(user=wallet.user, points=200, idempotency_key="b")
    assert "cannot pay out" in refused.value.fields["points"][0]
    assert balance(wallet) == Decimal("4.00")
    assert selectors.points_balance(wallet.user) == 600


def test_the_expiry_task_expires_only_points_past_their_date():
    campaign = funded_points_programme(points_valid_days=365)
    user = UserFactory()
    old = earn(user, 120, days_ago=400, campaign=campaign)
    fresh = earn(user, 80, days_ago=10, campaign=campaign)
    other = earn(UserFactory(), 30, days_ago=366, campaign=campaign)

    assert tasks.expire_points.delay().get() == 150
    assert tasks.expire_points.delay().get() == 0  # a second run expires nothing more

    assert selectors.points_balance(user) == 80
    expired = PointsEntry.objects.get(account__user=user, kind=PointsEntry.Kind.EXPIRED)
    assert (expired.points, expired.balance_after) == (-120, 80)
    old.refresh_from_db()
    fresh.refresh_from_db()
    other.refresh_from_db()
    assert (old.remaining, fresh.remaining, other.remaining) == (0, 80, 0)


def test_redemption_spends_the_oldest_points_first_so_expiry_takes_only_what_is_left():
    campaign = funded_points_programme(points_valid_days=365)
    wallet = WalletFactory()
    old = earn(wallet.user, 150, days_ago=300, campaign=campaign)
    earn(wallet.user, 100, days_ago=10, campaign=campaign)
    points.points_redeem(user=wallet.user, points=100, idempotency_key="k")
    old.refresh_from_db()
    assert old.remaining == 50

    assert points.points_expire(now=timezone.now() + timedelta(days=70)) == 50
    assert selectors.points_balance(wallet.user) == 100


def test_the_expiry_task_is_scheduled_in_beat(settings):
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "promotions.expire_points" in schedule


# --- API and page -------------------------------------------------------------------------


def test_redeem_api_replays_the_same_key_and_rewards_api_shows_points(client):
    campaign = funded_points_programme()
    wallet = WalletFactory()
    earn(wallet.user, 250, campaign=campaign)
    client.force_login(wallet.user)

    def redeem(amount, key):
        return client.post(
            "/api/v1/rewards/points/redeem/",
            {"points": amount},
            content_type="application/json",
            headers={"Idempotency-Key": key},
        )

    first = redeem(200, "api-1")
    assert first.status_code == 201, first.json()
    body = first.json()
    assert (body["points"], body["balance"], body["amount"], body["status"]) == (
        200,
        50,
        "2.00",
        "completed",
    )
    again = redeem(200, "api-1")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["transaction"] == body["transaction"]
    assert redeem(100, "api-1").status_code == 409
    assert balance(wallet) == Decimal("2.00")

    with translation.override("en"):
        missing = client.post(
            "/api/v1/rewards/points/redeem/", {"points": 100}, content_type="application/json"
        )
    assert missing.status_code == 400
    assert "idempotency_key" in missing.json()["errors"]

    rewards = client.get("/api/v1/rewards/").json()
    assert rewards["points"]["balance"] == 50
    assert [e["kind"] for e in rewards["points"]["history"]] == ["redeemed", "earned"]
    assert rewards["points"]["programme"]["points_per_unit"] == 100
    call_command("ledger_audit")


def test_rewards_page_shows_points_and_redeems_with_the_form(client):
    campaign = funded_points_programme()
    wallet = WalletFactory()
    earn(wallet.user, 300, campaign=campaign)
    client.force_login(wallet.user)
    page = client.get("/rewards/")
    assert page.status_code == 200
    assert page.context["points_balance"] == 300
    key = page.context["redeem_form"]["idempotency_key"].value()

    for _ in range(2):  # a double submit of the same form redeems once
        response = client.post("/rewards/points/redeem/", {"points": "100", "idempotency_key": key})
        assert response.status_code == 302
    assert selectors.points_balance(wallet.user) == 200
    assert balance(wallet) == Decimal("1.00")

    refused = client.post("/rewards/points/redeem/", {"points": "150", "idempotency_key": "x2"})
    assert refused.status_code == 400
    assert refused.context["redeem_form"].errors["points"]


def test_rewards_pages_cost_the_same_queries_with_more_points_history(client):
    campaign = funded_points_programme()
    wallet = WalletFactory()
    client.force_login(wallet.user)
    counts = {}
    for n in (2, 25):
        while PointsEntry.objects.filter(account__user=wallet.user).count() < n:
            earn(wallet.user, 10, campaign=campaign)
        for path in ("/rewards/", "/api/v1/rewards/", "/api/v1/referrals/"):
            client.get(path)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(path).status_code == 200
            counts[(n, path)] = len(captured)
    for path in ("/rewards/", "/api/v1/rewards/", "/api/v1/referrals/"):
        assert counts[(2, path)] == counts[(25, path)], path
