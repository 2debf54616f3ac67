"""Points redeemed for a voucher: a voucher campaign with a price in points sells one voucher per
Idempotency-Key for its points, within the rewards per customer; the voucher works at payment."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation
from rest_framework.test import APIClient

from config.api_errors import ApplicationError
from promotions import points, selectors
from promotions.models import Campaign, PointsAccount, PointsEntry, Voucher
from tests.wallet.factories import MerchantFactory, balance, funded_wallet
from wallet import services as wallet_services

from .factories import funded_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def voucher_offer(**kwargs) -> Campaign:
    """20.00 off 50 for 500 points, one per customer."""
    defaults = {
        "name": "积分换券",
        "kind": Campaign.Kind.MERCHANT_DISCOUNT,
        "reward_type": Campaign.RewardType.VOUCHER,
        "reward_amount": Decimal("20.00"),
        "min_spend": Decimal("50.00"),
        "budget": Decimal("1000.00"),
        "points_price": 500,
    }
    return funded_campaign(funding="1000.00", **{**defaults, **kwargs})


def with_points(user, count):
    account, _ = PointsAccount.objects.get_or_create(user=user)
    account.balance = count
    account.save()
    PointsEntry.objects.create(
        account=account,
        campaign=voucher_offer(name="earning", points_price=None),
        kind=PointsEntry.Kind.EARNED,
        points=count,
        balance_after=count,
        remaining=count,
    )


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    return client


def test_points_buy_a_voucher_once_per_key_and_it_is_used_at_payment():
    offer = voucher_offer()
    wallet = funded_wallet("100.00")
    with_points(wallet.user, 700)
    client = api(wallet.user)

    offers = client.get("/api/v1/rewards/").json()["points"]["voucher_offers"]
    assert [(o["campaign"], o["points_price"]) for o in offers] == [(offer.pk, 500)]
    first = client.post(
        "/api/v1/rewards/points/vouchers/",
        {"campaign": offer.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="buy-1",
    )
    again = client.post(
        "/api/v1/rewards/points/vouchers/",
        {"campaign": offer.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="buy-1",
    )

    assert first.status_code == 201, first.content
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert (first.json()["points"], first.json()["balance"]) == (500, 200)
    voucher = Voucher.objects.get(user=wallet.user, campaign=offer)
    assert first.json()["voucher"] == voucher.pk
    assert selectors.points_balance(wallet.user) == 200
    offer.refresh_from_db()
    assert offer.spent == 0  # a voucher reserves nothing until used

    result = wallet_services.payment_create(
        payer_user=wallet.user,
        merchant_code=MerchantFactory().code,
        amount="60.00",
        currency="CNY",
        idempotency_key="pay-with-it",
        voucher=voucher.pk,
    )
    assert result.transaction.metadata["discount"] == "20.00"
    assert balance(wallet) == Decimal("60.00")
    call_command("ledger_audit")


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        pytest.param({"points": 499}, "You have 499 points, fewer than 500.", id="too-few-points"),
        pytest.param({"offer": {"points_price": None}}, "not offered for points", id="no-price"),
        pytest.param({"offer": {"is_active": False}}, "not offered for points", id="paused"),
        pytest.param({"offer": {"min_kyc_level": 3}}, "not offered to you", id="not-eligible"),
        pytest.param({"twice": True}, "as many of these vouchers", id="cap-reached"),
    ],
)
def test_a_voucher_that_cannot_be_bought_is_refused_on_the_campaign_field(setup, message):
    offer = voucher_offer(**setup.get("offer", {}))
    wallet = funded_wallet("100.00")
    with_points(wallet.user, setup.get("points", 1000))
    if setup.get("twice"):
        points.points_redeem_voucher(user=wallet.user, campaign_id=offer.pk, idempotency_key="k0")

    response = api(wallet.user).post(
        "/api/v1/rewards/points/vouchers/",
        {"campaign": offer.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )

    assert response.status_code == 400
    assert message in response.json()["errors"]["campaign"][0]
    assert Voucher.objects.filter(user=wallet.user).count() == (1 if setup.get("twice") else 0)


def test_a_campaign_that_is_not_a_voucher_campaign_cannot_have_a_price_in_points():
    with pytest.raises(Exception, match="campaign_points_price_for_vouchers"):
        funded_campaign(points_price=100)  # a cash activation bonus


def test_the_page_lists_the_offer_and_buys_it(client):
    offer = voucher_offer(per_customer_cap=2)
    wallet = funded_wallet("100.00")
    with_points(wallet.user, 600)
    client.force_login(wallet.user)

    page = client.get("/rewards/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Get it for 500 points" in page
    response = client.post(
        "/rewards/points/voucher/", {"campaign": offer.pk, "idempotency_key": "page-1"}
    )
    assert response.status_code == 302
    assert Voucher.objects.filter(user=wallet.user, campaign=offer).exists()

    refused = client.post(
        "/rewards/points/voucher/",
        {"campaign": offer.pk, "idempotency_key": "page-2"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 400
    assert "You have 100 points, fewer than 500." in refused.content.decode()


def test_a_bad_campaign_id_is_a_400_naming_the_field():
    wallet = funded_wallet("10.00")
    response = api(wallet.user).post(
        "/api/v1/rewards/points/vouchers/",
        {"campaign": "x"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert response.status_code == 400
    assert "campaign" in response.json()["errors"]
    with pytest.raises(ApplicationError):
        points.points_redeem_voucher(user=wallet.user, campaign_id=999_999, idempotency_key="k2")
