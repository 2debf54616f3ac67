"""Referrals: a customer's code brings a friend; the friend's first shop payment rewards both,
once, from the referral campaign's pool — and never a customer referring themselves."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.identity import DocumentType
from accounts.models import IdentityDocument, PhoneVerification, User
from config.api_errors import ApplicationError
from notifications.models import Notification, OutboxMessage
from notifications.services import outbox_process
from promotions import payment_rewards, referrals, selectors
from promotions.models import REFERRAL_CODE_ALPHABET, Referral, RewardGrant
from tests.accounts.factories import PASSWORD, UserFactory, resident_id
from tests.wallet.factories import MerchantFactory, balance, funded_wallet
from wallet import services as wallet_services

from .factories import funded_referral_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    """Refusal reasons are stored in the language active when written: English here."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


_ids = iter(range(100, 999))


def with_identity(user: User, number: str | None = None) -> User:
    IdentityDocument.objects.create(
        user=user,
        document_type=DocumentType.RESIDENT_ID,
        number=number or resident_id(sequence=f"{next(_ids):03d}"),
        full_name=user.full_name,
    )
    User.objects.filter(pk=user.pk).update(kyc_level=1)
    user.refresh_from_db()
    return user


def customer(**kwargs):
    """An identified customer with an active wallet holding 1,000.00 CNY."""
    wallet = funded_wallet("1000.00", user=UserFactory(**kwargs))
    with_identity(wallet.user)
    return wallet


def pay(wallet, merchant, amount, capture, key=None):
    with capture(execute=True):
        return wallet_services.payment_create(
            payer_user=wallet.user,
            merchant_code=merchant.code,
            amount=amount,
            currency="CNY",
            idempotency_key=key or f"pay-{wallet.pk}-{amount}-{merchant.pk}",
        )


def test_codes_are_short_random_and_unambiguous():
    codes = {referrals.referral_code_ensure(user=UserFactory()).code for _ in range(20)}
    assert len(codes) == 20
    for code in codes:
        assert len(code) == 8
        assert set(code) <= set(REFERRAL_CODE_ALPHABET)
        assert not set(code) & set("01OIL")
    user = UserFactory()
    assert referrals.referral_code_ensure(user=user) == referrals.referral_code_ensure(user=user)


def test_signup_through_the_link_then_first_payment_rewards_both_once(
    client, django_capture_on_commit_callbacks
):
    campaign = funded_referral_campaign()
    referrer_wallet = customer()
    code = referrals.referral_code_ensure(user=referrer_wallet.user).code

    # The friend opens the shared link and signs up.
    response = client.get(reverse("referral_link", args=[code.lower()]))
    assert response.status_code == 302
    assert response.url == reverse("account_signup")
    client.post(
        reverse("account_signup"),
        {
            "email": "friend@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "accept_terms": "on",
        },
    )
    friend = User.objects.get(email="friend@example.com")
    referral = Referral.objects.get(referee=friend)
    assert referral.referrer == referrer_wallet.user
    assert referral.campaign == campaign
    assert referral.status == Referral.Status.PENDING

    # The friend verifies identity, opens the wallet, gets money and pays a shop.
    with_identity(friend)
    friend_wallet = funded_wallet("100.00", user=friend)
    merchant = MerchantFactory()
    pay(friend_wallet, merchant, "9.99", django_capture_on_commit_callbacks)  # below the minimum
    referral.refresh_from_db()
    assert referral.status == Referral.Status.PENDING
    payment = pay(friend_wallet, merchant, "10.00", django_capture_on_commit_callbacks)

    referral.refresh_from_db()
    assert referral.status == Referral.Status.REWARDED
    assert referral.qualifying_transaction_id == payment.transaction.pk
    grants = {g.role: g for g in RewardGrant.objects.filter(referral=referral)}
    assert grants[RewardGrant.Role.REFEREE].user == friend
    assert grants[RewardGrant.Role.REFEREE].amount == Decimal("10.00")
    assert grants[RewardGrant.Role.REFERRER].user == referrer_wallet.user
    assert grants[RewardGrant.Role.REFERRER].amount == Decimal("20.00")
    assert all(g.status == RewardGrant.Status.SETTLED for g in grants.values())
    assert balance(referrer_wallet) == Decimal("1020.00")
    assert balance(friend_wallet) == Decimal("100.00") - Decimal("19.99") + Decimal("10.00")
    assert selectors.campaign_pool_balance(campaign) == Decimal("9970.00")
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("30.00")
    # Both are told the money arrived, like for any money in.
    for grant in grants.values():
        assert Notification.objects.filter(
            user=grant.user,
            kind=Notification.Kind.TRANSACTION,
            link=reverse("wallet:transaction", args=[grant.transaction_id]),
        ).exists()

    # The payment's event delivered again, and a later payment, pay nothing more.
    row = OutboxMessage.objects.get(dedupe_key=f"promotions-payment:{payment.transaction.pk}")
    assert outbox_process(message_id=row.pk) is False
    with django_capture_on_commit_callbacks(execute=True):
        payment_rewards.payment_rewards_apply(transaction_id=payment.transaction.pk)
    pay(friend_wallet, merchant, "50.00", django_capture_on_commit_callbacks)
    assert RewardGrant.objects.filter(referral=referral).count() == 2
    assert balance(referrer_wallet) == Decimal("1020.00")
    call_command("ledger_audit")


def test_referral_via_the_api_after_signup(client, django_capture_on_commit_callbacks):
    funded_referral_campaign()
    referrer = customer()
    code = referrals.referral_code_ensure(user=referrer.user).code
    friend = customer()
    client.force_login(friend.user)

    overview = client.get("/api/v1/referrals/").json()
    assert overview["can_enter_code"] is True
    assert overview["referred_by_someone"] is False
    assert overview["code"] != code
    assert overview["link"].endswith(f"/r/{overview['code']}/")
    assert overview["qr_svg"].lstrip().startswith("<?xml") or "<svg" in overview["qr_svg"]
    assert overview["campaign"]["referee_reward"] == "10.00"

    with translation.override("en"):
        wrong = client.post(
            "/api/v1/referrals/", {"code": "ZZZZ2222"}, content_type="application/json"
        )
        assert wrong.status_code == 400
        assert "does not exist" in wrong.json()["errors"]["code"][0]
        own = client.post(
            "/api/v1/referrals/", {"code": overview["code"]}, content_type="application/json"
        )
        assert own.status_code == 400
        assert "your own" in own.json()["errors"]["code"][0]

    made = client.post(
        "/api/v1/referrals/", {"code": f" {code.lower()} "}, content_type="application/json"
    )
    assert made.status_code == 201, made.json()
    assert made.json()["status"] == "pending"
    with translation.override("en"):
        again = client.post("/api/v1/referrals/", {"code": code}, content_type="application/json")
        assert again.status_code == 400
        assert "already been referred" in again.json()["errors"]["code"][0]

    pay(friend, MerchantFactory(), "10.00", django_capture_on_commit_callbacks)
    client.force_login(referrer.user)
    mine = client.get("/api/v1/referrals/").json()
    assert (mine["referred"], mine["rewarded"], mine["pending"]) == (1, 1, 0)
    call_command("ledger_audit")


def test_a_code_cannot_be_entered_after_the_entry_window(client, settings):
    referrer = customer()
    code = referrals.referral_code_ensure(user=referrer.user).code
    late = customer(
        date_joined=timezone.now() - timedelta(days=settings.PROMOTIONS_REFERRAL_ENTRY_DAYS + 1)
    )
    client.force_login(late.user)
    with translation.override("en"):
        response = client.post(
            "/api/v1/referrals/", {"code": code}, content_type="application/json"
        )
    assert response.status_code == 400
    assert "within 7 days" in response.json()["errors"]["code"][0]
    assert not Referral.objects.exists()


def _referred(referrer_wallet, friend_wallet) -> Referral:
    code = referrals.referral_code_ensure(user=referrer_wallet.user).code
    return referrals.referral_record(referee=friend_wallet.user, code=code)


def test_a_phone_the_referrer_verified_is_refused(django_capture_on_commit_callbacks):
    campaign = funded_referral_campaign()
    referrer = customer(phone="+8613900002222")
    PhoneVerification.objects.create(
        user=referrer.user,
        phone="+8613900002222",
        code_hash="x",
        expires_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    friend = customer()
    referral = _referred(referrer, friend)
    # The referrer moves the number to the second account (a phone is one account's at a time).
    User.objects.filter(pk=referrer.user.pk).update(phone=None)
    User.objects.filter(pk=friend.user.pk).update(phone="+8613900002222")

    pay(friend, MerchantFactory(), "10.00", django_capture_on_commit_callbacks)

    referral.refresh_from_db()
    assert referral.status == Referral.Status.REFUSED
    with translation.override("en"):
        assert "phone" in referral.reason
    assert not RewardGrant.objects.exists()
    campaign.refresh_from_db()
    assert campaign.spent == 0


def test_the_referrers_own_identity_document_is_refused(django_capture_on_commit_callbacks):
    funded_referral_campaign()
    referrer = customer()
    twin = funded_wallet("100.00", user=UserFactory())
    referral = _referred(referrer, twin)
    # The referrer replaces their document and records the old one on the second account.
    document = referrer.user.identity_document
    old_number = document.number
    document.number = resident_id(sequence="997")
    document.save()
    with_identity(twin.user, number=old_number)

    pay(twin, MerchantFactory(), "10.00", django_capture_on_commit_callbacks)

    referral.refresh_from_db()
    assert referral.status == Referral.Status.REFUSED
    with translation.override("en"):
        assert "identity document" in referral.reason
    assert not RewardGrant.objects.exists()


def test_a_person_is_rewarded_as_a_referred_customer_once(django_capture_on_commit_callbacks):
    campaign = funded_referral_campaign()
    merchant = MerchantFactory()
    referrer = customer()
    first_friend = customer()
    first = _referred(referrer, first_friend)
    pay(first_friend, merchant, "10.00", django_capture_on_commit_callbacks)
    first.refresh_from_db()
    assert first.status == Referral.Status.REWARDED

    # The same person comes back with a new account (the old one's document removed) and is
    # referred again, even by someone else: no second reward.
    document = first_friend.user.identity_document
    number = document.number
    document.delete()
    second_friend = funded_wallet("100.00", user=UserFactory())
    with_identity(second_friend.user, number=number)
    second = _referred(customer(), second_friend)
    pay(second_friend, merchant, "10.00", django_capture_on_commit_callbacks)

    second.refresh_from_db()
    assert second.status == Referral.Status.REFUSED
    with translation.override("en"):
        assert "already rewarded" in second.reason
    assert RewardGrant.objects.filter(referral=second).count() == 0
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("30.00")
    call_command("ledger_audit")


def test_an_unidentified_referee_waits_and_is_rewarded_after_verification(
    django_capture_on_commit_callbacks,
):
    funded_referral_campaign()
    referrer = customer()
    friend = funded_wallet("100.00", user=UserFactory())  # no identity document yet
    referral = _referred(referrer, friend)
    merchant = MerchantFactory()
    pay(friend, merchant, "10.00", django_capture_on_commit_callbacks)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.PENDING
    with translation.override("en"):
        assert "identity verification" in referral.reason

    with_identity(friend.user)
    pay(friend, merchant, "12.00", django_capture_on_commit_callbacks)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.REWARDED


def test_own_code_at_signup_is_ignored_and_refused_in_the_service():
    user = customer().user
    code = referrals.referral_code_ensure(user=user).code
    with pytest.raises(ApplicationError) as refused:
        referrals.referral_record(referee=user, code=code)
    assert refused.value.get_codes() == "referral_code_own"
    assert referrals.referral_record_from_signup(user=user, code=code) is None
    assert not Referral.objects.exists()


def test_the_referrer_cap_stops_the_referrers_reward_not_the_friends(
    django_capture_on_commit_callbacks,
):
    campaign = funded_referral_campaign(referrals_per_referrer=2)
    merchant = MerchantFactory()
    referrer = customer()
    friends = [customer() for _ in range(3)]
    for friend in friends:
        _referred(referrer, friend)
        pay(friend, merchant, "10.00", django_capture_on_commit_callbacks)

    referrer_grants = RewardGrant.objects.filter(user=referrer.user, role=RewardGrant.Role.REFERRER)
    assert referrer_grants.count() == 2
    assert balance(referrer) == Decimal("1040.00")
    assert RewardGrant.objects.filter(role=RewardGrant.Role.REFEREE).count() == 3
    last = Referral.objects.get(referee=friends[-1].user)
    assert last.status == Referral.Status.REWARDED
    with translation.override("en"):
        assert "limit" in last.reason
    campaign.refresh_from_db()
    assert campaign.spent == Decimal("70.00")
    call_command("ledger_audit")


def test_no_reward_when_the_budget_cannot_pay_both(django_capture_on_commit_callbacks):
    campaign = funded_referral_campaign(funding="25.00", budget=Decimal("25.00"))
    referrer, friend = customer(), customer()
    referral = _referred(referrer, friend)
    pay(friend, MerchantFactory(), "10.00", django_capture_on_commit_callbacks)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.PENDING
    assert not RewardGrant.objects.exists()
    campaign.refresh_from_db()
    assert campaign.spent == 0


def test_referrals_api_costs_the_same_queries_with_many_referrals(client):
    referrer = customer()
    funded_referral_campaign()
    client.force_login(referrer.user)
    counts = []
    for n in (1, 8):
        while Referral.objects.filter(referrer=referrer.user).count() < n:
            _referred(referrer, funded_wallet("1.00"))
        client.get("/api/v1/referrals/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/referrals/").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
