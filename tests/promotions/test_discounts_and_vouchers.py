"""Merchant discounts (满减) and vouchers at payment time: the merchant gets the full amount,
the customer pays less, the campaign's pool pays the difference, all in one transaction."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone, translation
from rest_framework.test import APIClient

from promotions import selectors
from promotions.models import Campaign, Redemption, Voucher
from tests.accounts.factories import UserFactory
from tests.wallet.factories import MerchantFactory, balance, funded_wallet, merchant_balance
from wallet import services as wallet_services
from wallet.models import Merchant, Transaction

from .factories import discount_campaign, funded_campaign, voucher_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop():
    return MerchantFactory(name="全家便利店", code="FAMILY01", category=Merchant.Category.SHOPPING)


@pytest.fixture
def payer():
    return funded_wallet("500.00")


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")  # the messages asserted are in English
    return client


def _pay(client, body, key="k-1"):
    return client.post("/api/v1/payments/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def _pay_service(wallet, merchant, amount, key="s-1", **kwargs):
    return wallet_services.payment_create(
        payer_user=wallet.user,
        merchant_code=merchant.code,
        amount=amount,
        currency="CNY",
        idempotency_key=key,
        **kwargs,
    )


def _nothing_moved(wallet, merchant, before):
    assert balance(wallet) == before
    assert merchant_balance(merchant) == Decimal("0")
    assert not Transaction.objects.filter(kind=Transaction.Kind.PAYMENT).exists()


# --- merchant discount -----------------------------------------------------------------------


def test_a_merchant_discount_is_paid_by_the_pool_in_one_three_leg_transaction(payer, shop):
    campaign = discount_campaign(merchants=[shop])

    result = _pay_service(payer, shop, "120.00")

    txn = result.transaction
    legs = sorted(e.amount for e in txn.entries.all())
    assert legs == [Decimal("-110.00"), Decimal("-10.00"), Decimal("120.00")]
    assert balance(payer) == Decimal("390.00")
    assert merchant_balance(shop) == Decimal("120.00")  # the merchant gets the full amount
    assert selectors.campaign_pool_balance(campaign) == Decimal("990.00")
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("10.00")
    assert Redemption.objects.get(transaction=txn).amount == Decimal("10.00")
    call_command("ledger_audit")


def test_below_the_minimum_spend_or_at_another_merchant_there_is_no_discount(payer, shop):
    discount_campaign(merchants=[shop])
    other = MerchantFactory()

    _pay_service(payer, shop, "99.99", key="a")
    _pay_service(payer, other, "150.00", key="b")

    assert balance(payer) == Decimal("500.00") - Decimal("99.99") - Decimal("150.00")
    assert not Redemption.objects.exists()


def test_a_category_discount_applies_to_every_merchant_of_the_category(payer, shop):
    discount_campaign(
        merchant_categories=[Merchant.Category.SHOPPING],
        benefit=Campaign.Benefit.PERCENT,
        percent=Decimal("15"),
        reward_amount=Decimal("0"),
        max_discount=Decimal("12.00"),
        min_spend=Decimal("0"),
    )
    _pay_service(payer, shop, "40.00", key="a")  # 15% = 6.00
    _pay_service(payer, shop, "200.00", key="b")  # 15% = 30.00, capped at 12.00
    assert balance(payer) == Decimal("500.00") - Decimal("34.00") - Decimal("188.00")


def test_an_empty_budget_means_no_discount_and_a_confirmed_one_is_refused(payer, shop):
    campaign = discount_campaign(merchants=[shop], budget=Decimal("10.00"))
    Campaign.objects.filter(pk=campaign.pk).update(spent=Decimal("10.00"))

    _prepared, quote = wallet_services.payment_preview(
        payer_user=payer.user, merchant_code=shop.code, amount="100.00", currency="CNY"
    )
    assert quote.discount == 0
    with translation.override("en"), pytest.raises(Exception) as refused:
        _pay_service(payer, shop, "100.00", expected_discount="10.00")
    assert refused.value.get_codes() == "discount_unavailable"
    assert "no longer available" in str(refused.value.detail)
    _nothing_moved(payer, shop, Decimal("500.00"))

    _pay_service(payer, shop, "100.00", key="without")  # nothing expected: pays in full
    assert balance(payer) == Decimal("400.00")


def test_eligibility_kyc_level_new_customers_and_branch(shop):
    from backoffice.models import Branch, CustomerBranch

    branch = Branch.objects.create(code="B001", name="总行营业部")
    discount_campaign(merchants=[shop], branch=branch, min_kyc_level=2)
    low = funded_wallet("500.00", user=UserFactory(kyc_level=1))
    elsewhere = funded_wallet("500.00", user=UserFactory(kyc_level=2))
    ours = funded_wallet("500.00", user=UserFactory(kyc_level=2))
    CustomerBranch.objects.create(user=ours.user, branch=branch)

    for i, wallet in enumerate((low, elsewhere, ours)):
        _pay_service(wallet, shop, "100.00", key=f"k{i}")

    assert [balance(w) for w in (low, elsewhere, ours)] == [
        Decimal("400.00"),
        Decimal("400.00"),
        Decimal("410.00"),
    ]


def test_a_discount_never_reaches_the_whole_payment(payer, shop):
    discount_campaign(merchants=[shop], reward_amount=Decimal("50.00"), min_spend=Decimal("0"))
    result = _pay_service(payer, shop, "30.00")
    # The customer always pays the smallest unit: a payment stays their own debit.
    assert balance(payer) == Decimal("499.99")
    assert result.transaction.metadata["discount"] == "29.99"
    call_command("ledger_audit")


def test_a_bill_payment_gets_no_merchant_discount(payer, shop):
    discount_campaign(merchants=[shop])
    _pay_service(payer, shop, "100.00", kind=Transaction.Kind.BILL)
    assert balance(payer) == Decimal("400.00")


# --- vouchers --------------------------------------------------------------------------------


def test_a_voucher_is_used_once_through_the_api(payer, shop):
    voucher = voucher_for(payer.user)
    client = _api(payer.user)

    preview = client.post(
        "/api/v1/payments/preview/",
        {"merchant": shop.code, "amount": "80.00", "voucher": voucher.pk},
        format="json",
    )
    assert preview.status_code == 200, preview.json()
    assert preview.json()["discount"] == "20.00"
    assert preview.json()["charged"] == "60.00"

    response = _pay(
        client,
        {
            "merchant": shop.code,
            "amount": "80.00",
            "voucher": voucher.pk,
            "expected_discount": "20.00",
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["discount"], body["charged"]) == ("80.00", "20.00", "60.00")
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.USED
    assert voucher.used_by_transaction_id == body["id"]
    assert balance(payer) == Decimal("440.00")
    assert merchant_balance(shop) == Decimal("80.00")

    # The same key and body replay; the voucher is not used again.
    replay = _pay(
        client,
        {
            "merchant": shop.code,
            "amount": "80.00",
            "voucher": voucher.pk,
            "expected_discount": "20.00",
        },
    )
    assert replay.status_code == 201
    assert replay["Idempotent-Replayed"] == "true"
    # The same key with another voucher is another request.
    conflict = _pay(client, {"merchant": shop.code, "amount": "80.00"})
    assert conflict.status_code == 409

    with translation.override("en"):
        again = _pay(
            client, {"merchant": shop.code, "amount": "80.00", "voucher": voucher.pk}, "k-2"
        )
    assert again.status_code == 400
    assert again.json()["errors"]["voucher"] == ["This voucher has already been used."]
    assert balance(payer) == Decimal("440.00")
    call_command("ledger_audit")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("expired", "This voucher has expired."),
        ("someone_elses", "You have no such voucher."),
        ("other_merchant", "This voucher cannot be used at this merchant."),
        ("below_minimum", "This voucher needs a payment of at least 50.00 CNY."),
        ("missing", "You have no such voucher."),
    ],
)
def test_a_voucher_that_does_not_apply_is_refused_on_the_voucher_field(payer, shop, case, message):
    voucher = voucher_for(payer.user)
    amount = "80.00"
    if case == "expired":
        Voucher.objects.filter(pk=voucher.pk).update(expires_at=timezone.now() - timedelta(days=1))
    elif case == "someone_elses":
        voucher = voucher_for(UserFactory(), campaign=voucher.campaign)
    elif case == "other_merchant":
        voucher.merchants.set([MerchantFactory()])
    elif case == "below_minimum":
        amount = "49.99"
    voucher_id = 999_999 if case == "missing" else voucher.pk

    with translation.override("en"):
        for path in ("/api/v1/payments/preview/", "/api/v1/payments/"):
            response = _api(payer.user).post(
                path,
                {"merchant": shop.code, "amount": amount, "voucher": voucher_id},
                format="json",
                HTTP_IDEMPOTENCY_KEY="k-1",
            )
            assert response.status_code == 400, response.json()
            assert response.json()["errors"]["voucher"] == [message]
    _nothing_moved(payer, shop, Decimal("500.00"))
    assert not Voucher.objects.filter(status=Voucher.Status.USED).exists()


def test_a_voucher_whose_campaign_has_no_money_left_is_refused(payer, shop):
    voucher = voucher_for(payer.user)
    Campaign.objects.filter(pk=voucher.campaign_id).update(budget=Decimal("5.00"))
    with translation.override("en"):
        response = _pay(
            _api(payer.user), {"merchant": shop.code, "amount": "80.00", "voucher": voucher.pk}
        )
    assert response.status_code == 400
    assert "run out of money" in response.json()["errors"]["voucher"][0]
    _nothing_moved(payer, shop, Decimal("500.00"))


def test_a_percent_voucher_takes_its_cap(payer, shop):
    voucher = voucher_for(
        payer.user,
        benefit=Campaign.Benefit.PERCENT,
        amount=None,
        percent=Decimal("10"),
        max_discount=Decimal("8.00"),
        min_spend=Decimal("0"),
    )
    result = _pay_service(payer, shop, "200.00", voucher=voucher.pk)
    assert result.transaction.metadata["discount"] == "8.00"
    assert balance(payer) == Decimal("308.00")


def test_a_chosen_voucher_replaces_the_merchant_discount(payer, shop):
    discount_campaign(merchants=[shop])
    voucher = voucher_for(payer.user)
    _pay_service(payer, shop, "100.00", voucher=voucher.pk)
    assert balance(payer) == Decimal("420.00")  # 20 off by the voucher, not 30 by both
    assert Redemption.objects.count() == 1


def test_the_vouchers_api_lists_them_in_a_fixed_number_of_queries(
    payer, shop, django_assert_max_num_queries
):
    campaign = voucher_for(payer.user).campaign
    for _ in range(5):
        voucher_for(payer.user, campaign=campaign).merchants.set([shop])
    voucher_for(UserFactory(), campaign=campaign)  # someone else's: not listed
    client = _api(payer.user)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/vouchers/")
    assert response.status_code == 200
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert len(rows) == 6
    assert {r["status"] for r in rows} == {"available"}
    assert rows[-1]["merchants"] == [{"code": shop.code, "name": shop.name}]


def test_voucher_expiry_marks_them_expired(payer):
    from promotions.vouchers import vouchers_expire

    voucher = voucher_for(payer.user)
    Voucher.objects.filter(pk=voucher.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert vouchers_expire() == 1
    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.EXPIRED


# --- first-payment cashback ------------------------------------------------------------------


def test_the_first_payment_earns_cashback_once(payer, shop, django_capture_on_commit_callbacks):
    campaign = funded_campaign(
        name="首单返现",
        kind=Campaign.Kind.FIRST_PAYMENT_CASHBACK,
        benefit=Campaign.Benefit.PERCENT,
        percent=Decimal("10"),
        reward_amount=Decimal("0"),
        max_discount=Decimal("5.00"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        _pay_service(payer, shop, "30.00", key="first")
    with django_capture_on_commit_callbacks(execute=True):
        _pay_service(payer, shop, "30.00", key="second")

    grant = campaign.grants.get()
    assert grant.user == payer.user
    assert grant.amount == Decimal("3.00")
    assert grant.status == "settled"
    assert balance(payer) == Decimal("500.00") - Decimal("60.00") + Decimal("3.00")
    call_command("ledger_audit")


def test_an_activation_bonus_can_reward_a_voucher(django_capture_on_commit_callbacks):
    campaign = funded_campaign(reward_type=Campaign.RewardType.VOUCHER, reward_amount=Decimal("5"))
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        wallet_services.wallet_activate(user=user)
    voucher = Voucher.objects.get(user=user)
    assert voucher.campaign == campaign
    assert voucher.amount == Decimal("5.00")
    assert not campaign.grants.exists()
