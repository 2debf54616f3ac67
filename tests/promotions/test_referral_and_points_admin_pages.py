"""What the customer sees of referrals on /rewards/, and what the campaign admin configures."""

from decimal import Decimal

import pytest
from django.utils import timezone, translation

from promotions import referrals
from promotions.models import Campaign, PointsMultiplier, Referral
from tests.accounts.factories import UserFactory
from tests.wallet.factories import WalletFactory
from wallet.models import Merchant

from .conftest import verify_second_factor as _verified
from .factories import funded_referral_campaign

pytestmark = pytest.mark.django_db


def test_rewards_page_shows_my_code_link_copy_button_and_qr(client):
    funded_referral_campaign()
    user = WalletFactory().user
    client.force_login(user)
    page = client.get("/rewards/")
    html = page.content.decode()
    code = referrals.referral_code_ensure(user=user).code
    assert page.context["referral"]["code"] == code
    assert f"/r/{code}/" in html
    assert "data-copy-target" in html
    assert "<svg" in html
    assert 'name="code"' in html  # newly signed up: may still enter a friend's code


def test_entering_a_code_on_the_page_names_the_field_when_wrong(client):
    referrer = UserFactory()
    code = referrals.referral_code_ensure(user=referrer).code
    user = UserFactory()
    client.force_login(user)
    with translation.override("en"):
        wrong = client.post("/rewards/referral/", {"code": "NOPE2345"})
    assert wrong.status_code == 400
    assert wrong.context["code_form"].errors["code"]
    assert client.post("/rewards/referral/", {"code": code}).status_code == 302
    assert Referral.objects.get(referee=user).referrer == referrer
    assert 'name="code"' not in client.get("/rewards/").content.decode()


def test_a_bad_referral_link_still_leads_to_signup_without_a_code(client):
    response = client.get("/r/NOPE2345/")
    assert response.status_code == 302
    assert "referral_code" not in client.session


@pytest.fixture
def campaign_admin(campaign_admin, client):
    """The conftest's campaign admin, past the second factor."""
    _verified(client, campaign_admin)
    return campaign_admin


def test_campaign_admin_creates_a_points_programme_with_a_category_multiplier(
    client, campaign_admin
):
    now = timezone.localtime()
    later = now + timezone.timedelta(days=30)
    response = client.post(
        "/admin/promotions/campaign/add/",
        {
            "name": "积分计划",
            "kind": Campaign.Kind.POINTS,
            "reward_amount": "1.00",
            "starts_at_0": now.strftime("%Y-%m-%d"),
            "starts_at_1": now.strftime("%H:%M:%S"),
            "ends_at_0": later.strftime("%Y-%m-%d"),
            "ends_at_1": later.strftime("%H:%M:%S"),
            "budget": "5000.00",
            "per_customer_cap": "1",
            "min_kyc_level": "0",
            "is_active": "on",
            "points_per_cny": "1",
            "points_per_unit": "100",
            "points_valid_days": "365",
            # the fields of the other kinds, at the defaults the form shows
            "reward_type": "cash",
            "benefit": "fixed",
            "min_spend": "0",
            "voucher_valid_days": "30",
            "multipliers-TOTAL_FORMS": "1",
            "multipliers-INITIAL_FORMS": "0",
            "multipliers-0-category": Merchant.Category.FOOD,
            "multipliers-0-multiplier": "3.00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get(name="积分计划")
    assert campaign.points_valid_days == 365
    assert PointsMultiplier.objects.get(campaign=campaign).multiplier == Decimal("3.00")
    for page in ("referral", "pointsaccount", "pointsentry", "rewardgrant"):
        assert client.get(f"/admin/promotions/{page}/").status_code == 200, page
    change = client.get(f"/admin/promotions/campaign/{campaign.pk}/change/")
    assert change.status_code == 200
    assert "multipliers-0-multiplier" in change.content.decode()


def test_campaign_admin_sees_referrals_with_their_state(client, campaign_admin):
    funded_referral_campaign()
    referrer = UserFactory()
    referrals.referral_record(
        referee=UserFactory(), code=referrals.referral_code_ensure(user=referrer).code
    )
    page = client.get("/admin/promotions/referral/")
    assert page.status_code == 200
    assert referrer.email in page.content.decode()
