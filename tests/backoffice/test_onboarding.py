"""Onboarding at the counter: the phone, identity and consent steps, and the one transaction
that opens the customer, their KYC level 2, branch and wallet, with a setup link."""

import re
from datetime import date, timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from accounts.identity import DocumentType
from accounts.models import Consent, IdentityDocument, SetupLink, User
from backoffice import onboarding as services
from backoffice import roles
from backoffice.models import AuditEvent, CustomerBranch, Onboarding
from config.api_errors import ApplicationError
from notifications.sms import LocmemSmsBackend
from tests.accounts.factories import UserFactory, resident_id
from wallet.models import Wallet

from .factories import branch, customer_at, staff, staff_client

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
BORN = date(1990, 3, 7)


@pytest.fixture(autouse=True)
def _sms_and_files(settings, tmp_path):
    settings.SMS_BACKEND = "notifications.sms.LocmemSmsBackend"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    LocmemSmsBackend.outbox.clear()


@pytest.fixture
def home():
    return branch("HOME")


@pytest.fixture
def teller(home):
    return staff(roles.TELLER, at=home)


def _last_code() -> str:
    return re.search(r"\b(\d{6})\b", LocmemSmsBackend.outbox[-1][1]).group(1)


def _photo(content=PNG, name="front.png"):
    return SimpleUploadedFile(name, content, content_type="image/png")


def _identity(**overrides) -> services.IdentityInput:
    values = {
        "full_name": "欧阳明月",
        "email": "ouyang.new@example.com",
        "document_type": DocumentType.RESIDENT_ID,
        "document_number": resident_id(born=BORN.strftime("%Y%m%d")),
        "date_of_birth": BORN,
        "address": "上海市浦东新区世纪大道 1 号",
    }
    return services.IdentityInput(**{**values, **overrides})


def _phone_verified(teller, phone="+8613912345678", capture=None) -> Onboarding:
    onboarding = services.onboarding_start(actor=teller)
    if capture is not None:
        with capture(execute=True):
            services.onboarding_phone_send(actor=teller, onboarding=onboarding, phone=phone)
    else:
        services.onboarding_phone_send(actor=teller, onboarding=onboarding, phone=phone)
    return services.onboarding_phone_confirm(actor=teller, onboarding=onboarding, code=_last_code())


def _ready(teller, capture, **identity) -> Onboarding:
    onboarding = _phone_verified(teller, capture=capture)
    onboarding = services.onboarding_identity_save(
        actor=teller, onboarding=onboarding, data=_identity(**identity), document_front=_photo()
    )
    return services.onboarding_consent_accept(actor=teller, onboarding=onboarding, accepted=True)


def _url_of(token):
    return f"https://wallet.example/accounts/setup/{token}/"


def _refusal(exc_info) -> tuple[str, dict]:
    return exc_info.value.get_codes(), exc_info.value.fields


# --- phone ------------------------------------------------------------------------------------


def test_the_code_goes_to_the_phone_and_a_right_code_moves_to_identity(
    teller, django_capture_on_commit_callbacks
):
    onboarding = _phone_verified(teller, capture=django_capture_on_commit_callbacks)
    assert LocmemSmsBackend.outbox[-1][0] == "+8613912345678"
    assert onboarding.step == Onboarding.Step.IDENTITY
    assert onboarding.phone_verified_at is not None
    # Only a keyed hash was ever stored, and it is cleared once used.
    assert onboarding.phone_code_hash == ""


def test_a_wrong_code_is_refused_and_counted(teller, django_capture_on_commit_callbacks):
    onboarding = services.onboarding_start(actor=teller)
    with django_capture_on_commit_callbacks(execute=True):
        services.onboarding_phone_send(actor=teller, onboarding=onboarding, phone="13912345678")
    wrong = "000000" if _last_code() != "000000" else "111111"
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        services.onboarding_phone_confirm(actor=teller, onboarding=onboarding, code=wrong)
    code, fields = _refusal(refused)
    assert code == "code_wrong"
    assert "not correct" in fields["code"][0]
    onboarding.refresh_from_db()
    assert onboarding.phone_code_attempts == 1
    assert onboarding.step == Onboarding.Step.PHONE


def test_an_expired_code_is_refused(teller, django_capture_on_commit_callbacks):
    onboarding = services.onboarding_start(actor=teller)
    with django_capture_on_commit_callbacks(execute=True):
        services.onboarding_phone_send(actor=teller, onboarding=onboarding, phone="13912345678")
    code = _last_code()
    Onboarding.objects.filter(pk=onboarding.pk).update(
        phone_code_expires_at=timezone.now() - timedelta(seconds=1)
    )
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        services.onboarding_phone_confirm(actor=teller, onboarding=onboarding, code=code)
    assert _refusal(refused)[0] == "code_expired"
    assert "expired" in _refusal(refused)[1]["code"][0]


def test_a_phone_already_a_customers_shows_them_masked_and_sends_nothing(teller, home):
    existing = customer_at(home, full_name="欧阳明月", phone="+8613912345678")
    onboarding = services.onboarding_start(actor=teller)
    with pytest.raises(services.ExistingCustomerFound) as found:
        services.onboarding_phone_send(actor=teller, onboarding=onboarding, phone="13912345678")
    shown = found.value.existing
    assert shown.customer == existing and shown.visible
    assert "欧阳明月" not in shown.name and "12345678" not in shown.phone
    assert LocmemSmsBackend.outbox == []
    assert AuditEvent.objects.filter(
        customer=existing, detail__step="existing_customer_found"
    ).exists()


def test_a_customer_of_another_branch_is_shown_but_not_linked(teller):
    customer_at(branch("AWAY"), phone="+8613912345678")
    onboarding = services.onboarding_start(actor=teller)
    with pytest.raises(services.ExistingCustomerFound) as found:
        services.onboarding_phone_send(actor=teller, onboarding=onboarding, phone="13912345678")
    assert not found.value.existing.visible


# --- identity ---------------------------------------------------------------------------------


def test_a_resident_id_with_a_wrong_check_character_is_refused(
    teller, django_capture_on_commit_callbacks
):
    onboarding = _phone_verified(teller, capture=django_capture_on_commit_callbacks)
    good = resident_id(born="19900307")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        services.onboarding_identity_save(
            actor=teller,
            onboarding=onboarding,
            data=_identity(document_number=bad),
            document_front=_photo(),
        )
    code, fields = _refusal(refused)
    assert code == "id_checksum"
    assert "last character does not match" in fields["document_number"][0]


def test_under_16_is_refused(teller, django_capture_on_commit_callbacks):
    onboarding = _phone_verified(teller, capture=django_capture_on_commit_callbacks)
    born = timezone.localdate().replace(year=timezone.localdate().year - 15)
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        services.onboarding_identity_save(
            actor=teller,
            onboarding=onboarding,
            data=_identity(
                document_type=DocumentType.PASSPORT, document_number="E12345678", date_of_birth=born
            ),
            document_front=_photo(),
        )
    code, fields = _refusal(refused)
    assert code == "too_young"
    assert "at least 16 years old" in fields["date_of_birth"][0]


def test_the_birth_date_must_match_the_resident_id(teller, django_capture_on_commit_callbacks):
    onboarding = _phone_verified(teller, capture=django_capture_on_commit_callbacks)
    with pytest.raises(ApplicationError) as refused:
        services.onboarding_identity_save(
            actor=teller,
            onboarding=onboarding,
            data=_identity(date_of_birth=date(1990, 3, 8)),
            document_front=_photo(),
        )
    assert _refusal(refused)[0] == "birth_date_mismatch"


def test_a_document_already_a_customers_shows_them_and_creates_nobody(
    teller, home, django_capture_on_commit_callbacks
):
    existing = customer_at(home)
    number = resident_id(born="19900307")
    IdentityDocument.objects.create(
        user=existing,
        document_type=DocumentType.RESIDENT_ID,
        number=number,
        full_name="欧阳明月",
    )
    users_before = User.objects.count()
    onboarding = _phone_verified(teller, capture=django_capture_on_commit_callbacks)
    with pytest.raises(services.ExistingCustomerFound) as found:
        services.onboarding_identity_save(
            actor=teller,
            onboarding=onboarding,
            data=_identity(document_number=number),
            document_front=_photo(),
        )
    assert found.value.existing.customer == existing
    assert found.value.existing.matched_on == "document"
    assert User.objects.count() == users_before
    onboarding.refresh_from_db()
    assert onboarding.step == Onboarding.Step.IDENTITY


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(
    teller, django_capture_on_commit_callbacks
):
    onboarding = _phone_verified(teller, capture=django_capture_on_commit_callbacks)
    with pytest.raises(ApplicationError) as refused:
        services.onboarding_identity_save(
            actor=teller,
            onboarding=onboarding,
            data=_identity(),
            document_front=_photo(b"%PDF-1.7 not a photo", name="id.jpg"),
        )
    assert _refusal(refused)[0] == "not_an_image"


def test_a_photo_over_5_mb_is_refused(teller, settings, django_capture_on_commit_callbacks):
    onboarding = _phone_verified(teller, capture=django_capture_on_commit_callbacks)
    big = PNG + b"\x00" * settings.ONBOARDING_DOCUMENT_MAX_BYTES
    with pytest.raises(ApplicationError) as refused:
        services.onboarding_identity_save(
            actor=teller, onboarding=onboarding, data=_identity(), document_front=_photo(big)
        )
    assert _refusal(refused)[0] == "file_too_large"


def test_document_photos_are_stored_privately_and_served_only_to_the_branch(
    teller, home, settings, django_capture_on_commit_callbacks
):
    onboarding = _phone_verified(teller, capture=django_capture_on_commit_callbacks)
    onboarding = services.onboarding_identity_save(
        actor=teller, onboarding=onboarding, data=_identity(), document_front=_photo()
    )
    stored = onboarding.document_front
    assert str(settings.PRIVATE_MEDIA_ROOT) in stored.path
    assert "static" not in stored.path and stored.name.endswith(".png")
    with pytest.raises(ValueError):
        stored.url  # noqa: B018  (no public URL exists for it)

    url = reverse("backoffice:onboarding_document", args=[onboarding.pk, "front"])
    response = staff_client(teller).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Cache-Control"] == "no-store, private"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DOCUMENT_IMAGE_VIEW).count() == 1

    elsewhere = staff(roles.TELLER, at=branch("AWAY"))
    assert staff_client(elsewhere).get(url).status_code == 404


# --- resuming and scope -----------------------------------------------------------------------


def test_a_resumed_onboarding_opens_at_its_step(teller, django_capture_on_commit_callbacks):
    onboarding = _phone_verified(teller, capture=django_capture_on_commit_callbacks)
    client = staff_client(teller)
    listing = client.get(reverse("backoffice:onboarding_list"))
    assert f'href="{reverse("backoffice:onboarding", args=[onboarding.pk])}"' in listing.text
    page = client.get(reverse("backoffice:onboarding", args=[onboarding.pk]))
    assert page.status_code == 200
    assert 'name="document_number"' in page.text  # the identity step, not the phone again
    assert 'capture="environment"' in page.text and 'accept="image/*"' in page.text


def test_a_teller_of_another_branch_gets_404_for_a_draft(teller):
    onboarding = services.onboarding_start(actor=teller)
    elsewhere = staff(roles.TELLER, at=branch("AWAY"))
    with pytest.raises(Http404):
        services.onboarding_for(actor=elsewhere, pk=onboarding.pk)
    client = staff_client(elsewhere)
    assert client.get(reverse("backoffice:onboarding", args=[onboarding.pk])).status_code == 404
    response = client.post(
        reverse("backoffice:onboarding", args=[onboarding.pk]),
        {"action": "send_code", "phone": "13912345678"},
    )
    assert response.status_code == 404
    assert LocmemSmsBackend.outbox == []


def test_customers_never_reach_the_onboarding_pages(teller):
    onboarding = services.onboarding_start(actor=teller)
    customer = UserFactory()
    from django.test import Client

    client = Client()
    client.force_login(customer)
    assert client.get(reverse("backoffice:onboarding_list")).status_code == 403
    assert client.get(reverse("backoffice:onboarding", args=[onboarding.pk])).status_code == 403


# --- completing -------------------------------------------------------------------------------


def test_completing_opens_everything_at_once(teller, home, django_capture_on_commit_callbacks):
    onboarding = _ready(teller, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        onboarding, token = services.onboarding_complete(
            actor=teller, onboarding=onboarding, url_of=_url_of
        )
    customer = onboarding.customer
    assert not customer.has_usable_password()  # staff never know it
    assert customer.kyc_level == User.KycLevel.VERIFIED_IN_PERSON
    assert customer.phone == "+8613912345678" and customer.phone_verified
    document = customer.identity_document
    assert document.verified_by == teller and document.verified_at is not None
    branch_row = CustomerBranch.objects.get(user=customer)
    assert branch_row.branch == home and branch_row.onboarded_by == teller
    assert Wallet.objects.get(user=customer).status == Wallet.Status.ACTIVE
    kinds = set(Consent.objects.filter(user=customer, granted=True).values_list("kind", flat=True))
    assert kinds == {Consent.Kind.TERMS, Consent.Kind.PRIVACY}
    assert AuditEvent.objects.filter(
        customer=customer, action=AuditEvent.Action.ONBOARDING_COMPLETED, actor=teller
    ).exists()
    link = SetupLink.objects.get(user=customer)
    assert token not in link.token_hash and len(link.token_hash) == 64
    phone, text = LocmemSmsBackend.outbox[-1]
    assert phone == "+8613912345678" and _url_of(token) in text
    assert onboarding.step == Onboarding.Step.DONE
    assert not services.drafts_of(teller).exists()


def test_an_error_at_the_end_leaves_nothing_half_created(
    teller, django_capture_on_commit_callbacks
):
    onboarding = _ready(teller, django_capture_on_commit_callbacks)
    users_before = User.objects.count()
    with (
        mock.patch.object(services, "wallet_activate_within", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        services.onboarding_complete(actor=teller, onboarding=onboarding, url_of=_url_of)
    assert User.objects.count() == users_before
    assert not IdentityDocument.objects.filter(number=onboarding.document_number).exists()
    assert not SetupLink.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ONBOARDING_COMPLETED).exists()
    onboarding.refresh_from_db()
    assert onboarding.step == Onboarding.Step.REVIEW and onboarding.customer is None


def test_someone_who_became_a_customer_meanwhile_is_not_duplicated(
    teller, django_capture_on_commit_callbacks
):
    onboarding = _ready(teller, django_capture_on_commit_callbacks)
    UserFactory(phone="+8613912345678")
    users_before = User.objects.count()
    with pytest.raises(ApplicationError) as refused:
        services.onboarding_complete(actor=teller, onboarding=onboarding, url_of=_url_of)
    assert _refusal(refused)[0] == "phone_taken"
    assert User.objects.count() == users_before


def test_a_finished_onboarding_changes_no_more(teller, django_capture_on_commit_callbacks):
    onboarding = _ready(teller, django_capture_on_commit_callbacks)
    onboarding, _token = services.onboarding_complete(
        actor=teller, onboarding=onboarding, url_of=_url_of
    )
    with pytest.raises(ApplicationError):
        services.onboarding_consent_accept(actor=teller, onboarding=onboarding, accepted=True)


def test_the_whole_flow_through_the_pages(teller, django_capture_on_commit_callbacks):
    client = staff_client(teller)
    response = client.post(reverse("backoffice:onboarding_start"))
    url = response["Location"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "send_code", "phone": "13912345678"})
    client.post(url, {"action": "confirm_code", "code": _last_code()})
    data = {
        "action": "identity",
        "full_name": "欧阳明月",
        "email": "ouyang.page@example.com",
        "document_type": DocumentType.RESIDENT_ID,
        "document_number": resident_id(born="19900307"),
        "date_of_birth": "1990-03-07",
        "address": "上海市浦东新区世纪大道 1 号",
        "document_front": _photo(),
    }
    assert client.post(url, data).status_code == 302
    page = client.get(url)
    assert "legal" not in page.text or "terms" in page.text.lower()
    assert client.post(url, {"action": "consent", "accept": "on"}).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "complete"}).status_code == 302
    done = client.get(url)
    assert 'data-testid="setup-link"' in done.text and "<svg" in done.text
    # Shown once: the token is not kept anywhere to show it again.
    assert 'data-testid="setup-link"' not in client.get(url).text
    first = SetupLink.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "resend_link"})
    first.refresh_from_db()
    assert first.voided_at is not None
    assert SetupLink.objects.filter(voided_at__isnull=True).count() == 1


def test_once_onboarded_the_photos_follow_who_may_see_the_customer(
    teller, django_capture_on_commit_callbacks
):
    onboarding = _ready(teller, django_capture_on_commit_callbacks)
    onboarding, _token = services.onboarding_complete(
        actor=teller, onboarding=onboarding, url_of=_url_of
    )
    url = reverse("backoffice:onboarding_document", args=[onboarding.pk, "front"])
    risk = staff(roles.RISK_OFFICER)
    assert staff_client(risk).get(url).status_code == 200
    assert staff_client(staff(roles.TELLER, at=branch("AWAY"))).get(url).status_code == 404
    assert staff_client(staff(roles.SUPPORT_AGENT)).get(url).status_code == 404

    client = staff_client(teller)
    view = reverse("backoffice:customer_view", args=[onboarding.customer.pk])
    client.post(view, {"reason": "counter"})
    page = client.get(view, HTTP_ACCEPT_LANGUAGE="en")
    assert teller.full_name in page.text  # onboarded by
    assert url in page.text
