"""Identity verification: a phone proved by SMS code and an identity document raise a customer
to level 1 and its larger limits; only branch staff grant level 2; a level never goes down."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import kyc
from accounts.models import IdentityDocument, PhoneVerification, SecurityEvent, User
from config.api_errors import ApplicationError
from notifications.models import Notification
from notifications.sms import LocmemSmsBackend
from tests.wallet.factories import WalletFactory, funded_wallet
from wallet import services as wallet_services

from .factories import StaffFactory, UserFactory, resident_id

pytestmark = pytest.mark.django_db

PHONE = "13800138000"
PHONE_E164 = "+8613800138000"
ID_NUMBER = resident_id(born="19880512")


@pytest.fixture
def sms(settings):
    settings.SMS_BACKEND = "notifications.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()
    return LocmemSmsBackend.outbox


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Run what waits for the commit (the SMS, the outbox) as soon as each call returns."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def code_sent_to(sms, phone=PHONE_E164) -> str:
    to, text = sms[-1]
    assert to == phone
    return re.search(r"\b(\d{6})\b", text).group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def start(after_commit, client, phone=PHONE):
    return after_commit(client.post, "/api/v1/kyc/phone/", {"phone": phone}, format="json")


def transfer(sender, recipient, amount, key):
    return wallet_services.transfer_create(
        sender_user=sender.user,
        to=recipient.handle,
        amount=amount,
        currency="CNY",
        idempotency_key=key,
    )


def test_phone_and_document_raise_a_customer_to_level_1_and_a_larger_payment_goes_through(
    sms, after_commit, settings
):
    settings.WALLET_STEP_UP_THRESHOLD = "100000"  # this test is about limits, not step-up
    sender = funded_wallet("10000.00")
    recipient = WalletFactory()
    user = sender.user
    client = api_for(user)
    assert user.kyc_level == 0
    with pytest.raises(ApplicationError) as refused:
        transfer(sender, recipient, "3000.00", "before")
    assert refused.value.get_codes() == "limit_per_transaction"

    response = start(after_commit, client)
    assert response.status_code == 202
    assert response.json()["phone"] == "+86 138****8000"
    code = code_sent_to(sms)

    response = client.post("/api/v1/kyc/phone/confirm/", {"code": wrong(code)}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "code_wrong"
    assert "4" in response.json()["errors"]["code"][0]  # tries left
    assert PhoneVerification.objects.get(user=user).attempts == 1

    response = client.post("/api/v1/kyc/phone/confirm/", {"code": code}, format="json")
    assert response.status_code == 200
    assert response.json()["phone_verified"] is True
    assert response.json()["level"] == 0  # a phone alone is not level 1
    user.refresh_from_db()
    assert user.phone == PHONE_E164 and user.phone_verified_at is not None

    response = after_commit(
        client.post,
        "/api/v1/kyc/identity/",
        {"document_type": "cn_resident_id", "number": ID_NUMBER, "full_name": "王小明"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["level"] == 1
    user.refresh_from_db()
    assert user.kyc_level == 1 and user.full_name == "王小明"

    result = transfer(sender, recipient, "3000.00", "after")
    assert result.transaction.status == "completed"

    kinds = set(SecurityEvent.objects.filter(user=user).values_list("kind", flat=True))
    assert {"phone_verified", "identity_recorded", "kyc_level_changed"} <= kinds
    alert = Notification.objects.get(user=user, kind="security")
    assert "1" in alert.title
    assert alert.deliveries.filter(channel="sms", status="sent").exists()


def test_the_code_is_never_stored_in_plain(sms, after_commit, user):
    start(after_commit, api_for(user))
    code = code_sent_to(sms)
    verification = PhoneVerification.objects.get(user=user)
    stored = [
        str(value)
        for value in PhoneVerification.objects.filter(pk=verification.pk).values()[0].values()
    ]
    assert not any(code in value for value in stored)


def test_a_phone_of_another_customer_is_refused_naming_the_field(sms, after_commit):
    UserFactory(phone=PHONE_E164)
    response = start(after_commit, api_for(UserFactory()))
    assert response.status_code == 400
    assert response.json()["code"] == "phone_taken"
    assert "phone" in response.json()["errors"]
    assert sms == [] and not PhoneVerification.objects.exists()


def test_a_number_that_is_not_a_phone_is_refused_naming_the_field(sms, after_commit, user):
    response = start(after_commit, api_for(user), phone="12345")
    assert response.status_code == 400
    assert "phone" in response.json()["errors"]
    assert sms == []


def test_an_expired_code_is_refused(sms, after_commit, user):
    client = api_for(user)
    start(after_commit, client)
    code = code_sent_to(sms)
    PhoneVerification.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post("/api/v1/kyc/phone/confirm/", {"code": code}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "code_expired"
    user.refresh_from_db()
    assert user.phone_verified_at is None


def test_five_wrong_codes_kill_the_code_even_for_the_right_one(sms, after_commit, user):
    client = api_for(user)
    start(after_commit, client)
    code = code_sent_to(sms)
    for _ in range(5):
        response = client.post("/api/v1/kyc/phone/confirm/", {"code": wrong(code)}, format="json")
        assert response.json()["code"] == "code_wrong"
    response = client.post("/api/v1/kyc/phone/confirm/", {"code": code}, format="json")
    assert response.json()["code"] == "code_dead"
    user.refresh_from_db()
    assert not user.phone_verified


def test_only_the_latest_code_counts(sms, after_commit, user):
    client = api_for(user)
    start(after_commit, client)
    first = code_sent_to(sms)
    PhoneVerification.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    start(after_commit, client)
    latest = code_sent_to(sms)
    if first != latest:
        response = client.post("/api/v1/kyc/phone/confirm/", {"code": first}, format="json")
        assert response.json()["code"] == "code_wrong"
    response = client.post("/api/v1/kyc/phone/confirm/", {"code": latest}, format="json")
    assert response.status_code == 200
    response = client.post("/api/v1/kyc/phone/confirm/", {"code": latest}, format="json")
    assert response.json()["code"] == "code_missing"  # a used code cannot be used again


def test_codes_are_throttled_one_a_minute_and_five_an_hour(sms, after_commit, user):
    client = api_for(user)
    assert start(after_commit, client).status_code == 202
    response = start(after_commit, client)
    assert response.status_code == 429
    assert response.json()["code"] == "code_resend_too_soon"
    assert "60" in response.json()["errors"]["phone"][0]  # seconds to wait
    for _ in range(4):
        PhoneVerification.objects.update(created_at=timezone.now() - timedelta(seconds=61))
        assert start(after_commit, client).status_code == 202
    PhoneVerification.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    response = start(after_commit, client)
    assert response.status_code == 429
    assert response.json()["code"] == "code_too_many"
    assert len(sms) == 5


def test_one_number_gets_at_most_five_codes_an_hour_whoever_asks(sms, after_commit):
    for _ in range(5):
        assert start(after_commit, api_for(UserFactory())).status_code == 202
    response = start(after_commit, api_for(UserFactory()))
    assert response.status_code == 429
    assert len(sms) == 5


def test_a_resident_id_with_a_bad_check_character_is_refused_naming_the_field(user):
    bad = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")
    response = api_for(user).post(
        "/api/v1/kyc/identity/",
        {"document_type": "cn_resident_id", "number": bad, "full_name": "王小明"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["number"]
    assert not IdentityDocument.objects.exists()


def test_one_document_belongs_to_one_customer(user):
    kyc.identity_document_record(
        user=user, document_type="cn_resident_id", number=ID_NUMBER, full_name="王小明"
    )
    response = api_for(UserFactory()).post(
        "/api/v1/kyc/identity/",
        {"document_type": "cn_resident_id", "number": ID_NUMBER.lower(), "full_name": "李四"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "identity_taken"
    assert "number" in response.json()["errors"]
    assert IdentityDocument.objects.count() == 1


def test_the_api_shows_the_document_masked_and_the_limits_per_level(user, settings):
    kyc.identity_document_record(
        user=user, document_type="cn_resident_id", number=ID_NUMBER, full_name="王小明"
    )
    response = api_for(user).get("/api/v1/kyc/")
    assert response.status_code == 200
    body = response.json()
    assert body["document"]["number_masked"] == ID_NUMBER[:4] + "*" * 10 + ID_NUMBER[-4:]
    assert ID_NUMBER not in response.content.decode()
    assert body["level"] == 0 and body["phone_verified"] is False
    assert [row["level"] for row in body["limits"]] == [0, 1, 2]
    assert body["limits"][1]["per_transaction"] == "20000.00"


def test_a_document_without_a_verified_phone_is_not_level_1(user):
    user.phone = PHONE_E164  # a number typed in somewhere but never proved
    user.save()
    kyc.identity_document_record(
        user=user, document_type="passport", number="E12345678", full_name="Wang Xiaoming"
    )
    user.refresh_from_db()
    assert user.kyc_level == 0


def test_only_staff_grant_level_2_and_who_and_when_are_recorded(user):
    kyc.identity_document_record(
        user=user, document_type="cn_resident_id", number=ID_NUMBER, full_name="王小明"
    )
    with pytest.raises(ApplicationError) as refused:
        kyc.kyc_level2_grant(user=user, verified_by=UserFactory())
    assert refused.value.status_code == 403
    user.refresh_from_db()
    assert user.kyc_level == 0

    teller = StaffFactory()
    document = kyc.kyc_level2_grant(user=user, verified_by=teller)
    user.refresh_from_db()
    assert user.kyc_level == 2
    assert document.verified_by == teller and document.verified_at is not None
    event = SecurityEvent.objects.get(user=user, kind="kyc_level_changed")
    assert event.detail == {"previous": 0, "level": 2, "verified_by": teller.pk}


def test_staff_cannot_verify_themselves(staff_user):
    with pytest.raises(ApplicationError):
        kyc.kyc_level2_grant(
            user=staff_user,
            verified_by=staff_user,
            document_type="passport",
            number="E12345678",
            full_name="Staff",
        )
    assert staff_user.kyc_level == 0


def test_a_level_2_customer_stays_level_2_and_only_a_branch_changes_their_document(
    sms, after_commit, user
):
    kyc.kyc_level2_grant(
        user=user,
        verified_by=StaffFactory(),
        document_type="cn_resident_id",
        number=ID_NUMBER,
        full_name="王小明",
    )
    client = api_for(user)
    start(after_commit, client)
    client.post("/api/v1/kyc/phone/confirm/", {"code": code_sent_to(sms)}, format="json")
    user.refresh_from_db()
    assert user.kyc_level == 2 and user.phone_verified

    response = client.post(
        "/api/v1/kyc/identity/",
        {"document_type": "passport", "number": "E12345678", "full_name": "王小明"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "identity_locked"
    assert User.objects.get(pk=user.pk).identity_document.number == ID_NUMBER


def test_a_level_1_customer_may_correct_their_document_and_stays_level_1(sms, after_commit, user):
    client = api_for(user)
    start(after_commit, client)
    client.post("/api/v1/kyc/phone/confirm/", {"code": code_sent_to(sms)}, format="json")
    kyc.identity_document_record(
        user=user, document_type="passport", number="E12345678", full_name="王小明"
    )
    kyc.identity_document_record(
        user=user, document_type="cn_resident_id", number=ID_NUMBER, full_name="王小明"
    )
    user.refresh_from_db()
    assert user.kyc_level == 1
    assert user.identity_document.number == ID_NUMBER
    assert SecurityEvent.objects.filter(user=user, kind="kyc_level_changed").count() == 1


# --- the page ------------------------------------------------------------------------------


def test_the_page_shows_the_level_and_what_each_level_allows(client, user):
    client.force_login(user)
    response = client.get(reverse("accounts:verification"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "20,000.00" in page and "2,000,000.00" in page
    assert 'name="phone"' in page and 'name="document_type"' in page


def test_the_page_walks_through_phone_and_document_to_level_1(
    client, user, sms, django_capture_on_commit_callbacks
):
    client.force_login(user)
    url = reverse("accounts:verification")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "phone", "phone": PHONE})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert 'name="code"' in page and "+86 138****8000" in page

    response = client.post(url, {"action": "code", "code": "000000"})
    if code_sent_to(sms) != "000000":
        assert response.status_code == 200
        assert 'aria-invalid="true"' in response.content.decode()
    client.post(url, {"action": "code", "code": code_sent_to(sms)})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "action": "identity",
                "document_type": "cn_resident_id",
                "number": ID_NUMBER,
                "full_name": "王小明",
            },
        )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.kyc_level == 1
    page = client.get(url).content.decode()
    assert ID_NUMBER not in page and ID_NUMBER[:4] + "*" * 10 in page


def test_a_bad_id_on_the_page_is_shown_under_its_field(client, user):
    client.force_login(user)
    response = client.post(
        reverse("accounts:verification"),
        {
            "action": "identity",
            "document_type": "cn_resident_id",
            "number": "110105194912310021",
            "full_name": "王小明",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_number_error"' in page
    assert not IdentityDocument.objects.exists()


def test_the_security_page_and_the_dashboard_link_to_verification(client, user):
    WalletFactory(user=user)
    client.force_login(user)
    url = reverse("accounts:verification")
    assert url in client.get(reverse("accounts:security")).content.decode()
    assert url in client.get(reverse("dashboard")).content.decode()


def test_the_data_export_gives_the_customer_their_own_document_in_full(user):
    from accounts.data_export import data_export_build

    kyc.identity_document_record(
        user=user, document_type="cn_resident_id", number=ID_NUMBER, full_name="王小明"
    )
    section = data_export_build(user=user)["identity_verification"]
    assert section["document"]["number"] == ID_NUMBER
    assert section["document"]["verified_in_person_at"] is None
    assert section["phone_verified_at"] is None
