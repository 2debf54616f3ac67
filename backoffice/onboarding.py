"""Onboarding a client at the counter: the resumable draft (phone, identity, consent), and the
one transaction that opens everything at the end (customer, KYC level 2, branch, wallet, setup
link). Every step is a service here; each writes an audit event in its own transaction.

A draft belongs to a branch: the teller or branch manager of that branch may open it, anyone
else gets 404 (the same answer as for a draft that does not exist).
"""

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from accounts import kyc
from accounts.consent import consents_record
from accounts.identity import DocumentType, identity_number_validate
from accounts.masking import identity_number_masked, name_masked, phone_masked
from accounts.models import Consent, IdentityDocument, User
from accounts.phone import normalize_phone
from accounts.setup_links import setup_link_issue
from config.api_errors import ApplicationError
from notifications.services import sms_send
from wallet.services import wallet_activate_within

from .customer_actions import setup_link_resend_check
from .models import AuditEvent, Onboarding
from .roles import BRANCH_SCOPED_ROLES
from .selectors import customer_visible_or_none, staff_branch_id, staff_roles
from .services import audit_record, customer_branch_assign

Step = Onboarding.Step
CODE_DIGITS = 6


def _refuse(field: str, message: str, code: str, status_code: int | None = None):
    return ApplicationError(message, code=code, fields={field: [message]}, status_code=status_code)


# --- who may onboard, and which drafts they see -----------------------------------------------


def can_onboard(user) -> bool:
    """Tellers and branch managers with a branch: a customer is onboarded into a branch."""
    return (
        user.is_authenticated
        and bool(set(staff_roles(user)) & set(BRANCH_SCOPED_ROLES))
        and staff_branch_id(user) is not None
    )


def onboardings_visible_to(user):
    if not can_onboard(user):
        return Onboarding.objects.none()
    return Onboarding.objects.filter(branch_id=staff_branch_id(user))


def onboarding_for(*, actor: User, pk: int) -> Onboarding:
    """The draft if the staff member's branch owns it, else Http404 (as for no such draft)."""
    onboarding = onboardings_visible_to(actor).select_related("customer").filter(pk=pk).first()
    if onboarding is None:
        raise Http404
    return onboarding


def drafts_of(user):
    """The staff member's own unfinished onboardings, most recently touched first."""
    return onboardings_visible_to(user).filter(teller=user).exclude(step=Step.DONE)


def _advance(onboarding: Onboarding, to: str) -> None:
    """Move the draft forward to `to` (never back: a later step already reached stays reached)."""
    if Onboarding.STEP_ORDER.index(to) > onboarding.step_index():
        onboarding.step = to
    onboarding.updated_at = timezone.now()


def _audit_step(*, actor, onboarding, step: str, request=None, customer=None, **detail):
    return audit_record(
        actor=actor,
        action=AuditEvent.Action.ONBOARDING_STEP,
        customer=customer,
        detail={"onboarding": onboarding.pk, "step": step, **detail},
        request=request,
    )


@transaction.atomic
def onboarding_start(*, actor: User, request=None) -> Onboarding:
    if not can_onboard(actor):
        raise Http404
    onboarding = Onboarding.objects.create(branch_id=staff_branch_id(actor), teller=actor)
    _audit_step(actor=actor, onboarding=onboarding, step="start", request=request)
    return onboarding


# --- an existing customer is shown, never duplicated -------------------------------------------


@dataclass(frozen=True)
class ExistingCustomer:
    """Someone already a customer with this phone or document: shown masked; linked to the
    customer view only for staff who may open them."""

    customer: User
    matched_on: str  # "phone" or "document"
    name: str
    phone: str
    document: str
    visible: bool


class ExistingCustomerFound(Exception):
    def __init__(self, existing: ExistingCustomer):
        super().__init__(existing.matched_on)
        self.existing = existing


def _existing_customer(*, actor, onboarding, customer: User, matched_on: str, request=None):
    document = IdentityDocument.objects.filter(user=customer).first()
    existing = ExistingCustomer(
        customer=customer,
        matched_on=matched_on,
        name=name_masked(customer.full_name),
        phone=phone_masked(customer.phone or ""),
        document=document.number_masked if document else "",
        visible=customer_visible_or_none(user=actor, pk=customer.pk) is not None,
    )
    with transaction.atomic():
        _audit_step(
            actor=actor,
            onboarding=onboarding,
            step="existing_customer_found",
            customer=customer,
            request=request,
            matched_on=matched_on,
        )
    return ExistingCustomerFound(existing)


# --- step 1: the phone --------------------------------------------------------------------------


def _code_hash(onboarding_pk: int, code: str) -> str:
    # Keyed with the secret key, as PhoneVerification's codes: the table alone reveals nothing.
    return salted_hmac(f"backoffice.onboarding-code.{onboarding_pk}", code).hexdigest()


def _draft(onboarding: Onboarding, *, lock: bool = True) -> Onboarding:
    """The draft, locked, refusing any change once it is done."""
    query = Onboarding.objects.select_for_update() if lock else Onboarding.objects
    onboarding = query.get(pk=onboarding.pk)
    if onboarding.is_done:
        raise _refuse("step", _("This onboarding is finished: nothing can change now."), "done")
    return onboarding


def onboarding_phone_send(*, actor: User, onboarding: Onboarding, phone: str, request=None):
    """Send a code to the customer's phone; they read it out to the teller. A phone that is
    already a customer's raises ExistingCustomerFound (and nothing is sent)."""
    try:
        phone = normalize_phone(phone)
    except ValidationError as exc:
        raise _refuse("phone", exc.messages[0], "invalid_phone") from exc
    if not phone:
        raise _refuse("phone", _("Enter the customer's mobile phone number."), "required")
    owner = User.objects.filter(phone=phone).first()
    if owner is not None:
        raise _existing_customer(
            actor=actor, onboarding=onboarding, customer=owner, matched_on="phone", request=request
        )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    with transaction.atomic():
        onboarding = _draft(onboarding)
        now = timezone.now()
        wait = settings.KYC_PHONE_CODE_RESEND_SECONDS
        sent = onboarding.phone_code_sent_at
        if sent and onboarding.phone == phone and sent > now - timedelta(seconds=wait):
            seconds = int((sent + timedelta(seconds=wait) - now).total_seconds()) + 1
            raise _refuse(
                "phone",
                _("A code was just sent. You can ask for a new one in %(seconds)d seconds.")
                % {"seconds": seconds},
                "code_resend_too_soon",
                status_code=429,
            )
        onboarding.phone = phone
        onboarding.phone_code_hash = _code_hash(onboarding.pk, code)
        onboarding.phone_code_sent_at = now
        onboarding.phone_code_expires_at = now + timedelta(
            seconds=settings.KYC_PHONE_CODE_TTL_SECONDS
        )
        onboarding.phone_code_attempts = 0
        onboarding.phone_verified_at = None
        onboarding.updated_at = now
        onboarding.save()
        _audit_step(
            actor=actor,
            onboarding=onboarding,
            step="phone_code_sent",
            request=request,
            phone=phone_masked(phone),
        )
        minutes = max(1, settings.KYC_PHONE_CODE_TTL_SECONDS // 60)
        body = _(
            "[Digital wallet] Your verification code is %(code)s, valid for %(minutes)d minutes. "
            "Tell it only to the bank teller serving you at the counter now."
        ) % {"code": code, "minutes": minutes}
        # The code exists only in this closure: never stored in plain.
        transaction.on_commit(lambda: sms_send(to=phone, body=body))
    return onboarding


def onboarding_phone_confirm(
    *, actor: User, onboarding: Onboarding, code: str, request=None
) -> Onboarding:
    """The code the customer read out; right, the phone is proven and the draft moves on. A
    wrong code is counted (kept even though the call fails)."""
    code = "".join((code or "").split())
    if not (len(code) == CODE_DIGITS and code.isdigit()):
        raise _refuse("code", _("Enter the 6-digit code from the SMS."), "invalid")
    max_attempts = settings.KYC_PHONE_CODE_MAX_ATTEMPTS
    refusal = None
    with transaction.atomic():
        onboarding = _draft(onboarding)
        now = timezone.now()
        if not onboarding.phone_code_hash or onboarding.phone_verified_at:
            refusal = _refuse("code", _("Send a code to the phone first."), "code_missing")
        elif onboarding.phone_code_expires_at <= now:
            refusal = _refuse("code", _("This code has expired. Send a new one."), "code_expired")
        elif onboarding.phone_code_attempts >= max_attempts:
            refusal = _refuse("code", _("Too many wrong codes. Send a new one."), "code_dead")
        elif not constant_time_compare(onboarding.phone_code_hash, _code_hash(onboarding.pk, code)):
            onboarding.phone_code_attempts += 1
            onboarding.save(update_fields=["phone_code_attempts"])
            left = max_attempts - onboarding.phone_code_attempts
            if left:
                message = _("That code is not correct. %(left)d tries left.") % {"left": left}
            else:
                message = _("That code is not correct. Too many wrong codes: send a new one.")
            refusal = _refuse("code", message, "code_wrong")
        else:
            onboarding.phone_verified_at = now
            onboarding.phone_code_hash = ""
            _advance(onboarding, Step.IDENTITY)
            onboarding.save()
            _audit_step(actor=actor, onboarding=onboarding, step="phone_verified", request=request)
    if refusal is not None:
        raise refusal  # outside the transaction, so the counted try stays counted
    return onboarding


# --- step 2: identity ----------------------------------------------------------------------------

# What an image file starts with (its "magic"): the type is read from the content, never
# trusted from the name or the browser's Content-Type.
_IMAGE_SIGNATURES = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1")


def image_kind(head: bytes) -> str | None:
    """The image type from the first bytes of a file (jpg, png, webp, heic), or None."""
    for signature, kind in _IMAGE_SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "heic"
    return None


def _document_image_clean(upload, field: str):
    if upload is None:
        return None
    if upload.size > settings.ONBOARDING_DOCUMENT_MAX_BYTES:
        megabytes = settings.ONBOARDING_DOCUMENT_MAX_BYTES // (1024 * 1024)
        raise _refuse(
            field,
            _("This file is too large: at most %(mb)d MB.") % {"mb": megabytes},
            "file_too_large",
        )
    upload.seek(0)
    kind = image_kind(upload.read(16))
    upload.seek(0)
    if kind is None:
        raise _refuse(
            field,
            _(
                "This file is not a photo. Take a picture of the document, or upload a JPEG, PNG, WebP or HEIC image."
            ),
            "not_an_image",
        )
    upload.name = f"document.{kind}"
    return upload


def _age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass(frozen=True)
class IdentityInput:
    full_name: str
    email: str
    document_type: str
    document_number: str
    date_of_birth: date | None
    address: str


def _identity_clean(data: IdentityInput) -> IdentityInput:
    full_name = " ".join((data.full_name or "").split())
    if not full_name:
        raise _refuse("full_name", _("Enter the full name as on the document."), "required")
    email = (data.email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise _refuse("email", _("Enter a valid email address."), "invalid_email") from exc
    try:
        number = identity_number_validate(data.document_type, data.document_number)
    except ValidationError as exc:
        field = "document_type" if exc.code == "document_type" else "document_number"
        raise _refuse(field, exc.messages[0], exc.code or "invalid") from exc
    born = data.date_of_birth
    if born is None:
        raise _refuse("date_of_birth", _("Enter the date of birth."), "required")
    today = timezone.localdate()
    if born > today:
        raise _refuse("date_of_birth", _("The date of birth is in the future."), "invalid")
    if _age_on(born, today) < settings.ONBOARDING_MIN_AGE_YEARS:
        raise _refuse(
            "date_of_birth",
            _("Customers must be at least %(age)d years old to open a wallet.")
            % {"age": settings.ONBOARDING_MIN_AGE_YEARS},
            "too_young",
        )
    if data.document_type == DocumentType.RESIDENT_ID and number[6:14] != born.strftime("%Y%m%d"):
        raise _refuse(
            "date_of_birth",
            _("The date of birth does not match the one in the ID number. Check both."),
            "birth_date_mismatch",
        )
    address = " ".join((data.address or "").split())
    if not address:
        raise _refuse("address", _("Enter the customer's address."), "required")
    return IdentityInput(full_name, email, data.document_type, number, born, address[:255])


def onboarding_identity_save(
    *,
    actor: User,
    onboarding: Onboarding,
    data: IdentityInput,
    document_front=None,
    document_back=None,
    request=None,
) -> Onboarding:
    """Record who the customer is, from the document the teller holds. Someone who is already a
    customer with this document raises ExistingCustomerFound and nothing is recorded."""
    if onboarding.step_index() < Onboarding.STEP_ORDER.index(Step.IDENTITY):
        raise _refuse("step", _("Verify the customer's phone first."), "step_order")
    data = _identity_clean(data)
    owner = (
        IdentityDocument.objects.select_related("user")
        .filter(document_type=data.document_type, number=data.document_number)
        .first()
    )
    if owner is not None:
        raise _existing_customer(
            actor=actor,
            onboarding=onboarding,
            customer=owner.user,
            matched_on="document",
            request=request,
        )
    if User.objects.filter(email__iexact=data.email).exists():
        raise _refuse(
            "email",
            _(
                "This email address belongs to an existing account. Ask the customer for another, or look them up."
            ),
            "email_taken",
        )
    front = _document_image_clean(document_front, "document_front")
    back = _document_image_clean(document_back, "document_back")
    with transaction.atomic():
        onboarding = _draft(onboarding)
        if front is None and not onboarding.document_front:
            raise _refuse("document_front", _("Take a photo of the document's front."), "required")
        onboarding.full_name = data.full_name
        onboarding.email = data.email
        onboarding.document_type = data.document_type
        onboarding.document_number = data.document_number
        onboarding.date_of_birth = data.date_of_birth
        onboarding.address = data.address
        if front is not None:
            onboarding.document_front.save(front.name, front, save=False)
        if back is not None:
            onboarding.document_back.save(back.name, back, save=False)
        _advance(onboarding, Step.CONSENT)
        onboarding.save()
        _audit_step(
            actor=actor,
            onboarding=onboarding,
            step="identity_recorded",
            request=request,
            document_type=data.document_type,
            number=identity_number_masked(data.document_number),
        )
    return onboarding


# --- step 3: consent ------------------------------------------------------------------------------


@transaction.atomic
def onboarding_consent_accept(
    *, actor: User, onboarding: Onboarding, accepted: bool, request=None
) -> Onboarding:
    """The customer read the terms and the privacy notice on the counter screen and accepted
    them; the versions are kept, and recorded as the customer's consent when they are created."""
    onboarding = _draft(onboarding)
    if onboarding.step_index() < Onboarding.STEP_ORDER.index(Step.CONSENT):
        raise _refuse("accept", _("Record the customer's identity first."), "step_order")
    if not accepted:
        raise _refuse(
            "accept",
            _("The customer needs to accept the terms and the privacy notice to open a wallet."),
            "required",
        )
    onboarding.terms_version = settings.TERMS_VERSION
    onboarding.privacy_version = settings.PRIVACY_VERSION
    onboarding.consented_at = timezone.now()
    _advance(onboarding, Step.REVIEW)
    onboarding.save()
    _audit_step(
        actor=actor,
        onboarding=onboarding,
        step="consent_accepted",
        request=request,
        terms=onboarding.terms_version,
        privacy=onboarding.privacy_version,
    )
    return onboarding


# --- step 4: open everything at once --------------------------------------------------------------


@transaction.atomic
def onboarding_complete(
    *, actor: User, onboarding: Onboarding, url_of, request=None
) -> tuple[Onboarding, str]:
    """In one transaction: the customer (no usable password), their consent, KYC level 2
    verified by the teller, their branch, the wallet opened and activated, the audit events and
    a setup link (sent by SMS after commit). Any error and nothing of it exists.

    Returns the onboarding and the setup link's token (shown once, as a QR code)."""
    onboarding = _draft(onboarding)
    if onboarding.step != Step.REVIEW or not onboarding.phone_verified_at:
        raise _refuse("step", _("Finish the earlier steps first."), "step_order")
    if User.objects.filter(phone=onboarding.phone).exists():
        raise _refuse(
            "phone", _("This phone number belongs to an existing customer."), "phone_taken"
        )
    if IdentityDocument.objects.filter(
        document_type=onboarding.document_type, number=onboarding.document_number
    ).exists():
        raise _refuse(
            "document_number",
            _("This document belongs to an existing customer."),
            "identity_taken",
        )
    if User.objects.filter(email__iexact=onboarding.email).exists():
        raise _refuse(
            "email", _("This email address belongs to an existing account."), "email_taken"
        )

    customer = User.objects.create_user(
        email=onboarding.email,
        password=None,  # unusable: the customer sets their own with the setup link
        full_name=onboarding.full_name,
        phone=onboarding.phone,
        phone_verified_at=onboarding.phone_verified_at,
    )
    # Given at the counter, not yet proven by the customer: allauth asks them to confirm it
    # the first time they log in with it.
    EmailAddress.objects.create(user=customer, email=customer.email, primary=True, verified=False)
    consents_record(user=customer, choices={Consent.Kind.TERMS: True, Consent.Kind.PRIVACY: True})
    kyc.kyc_level2_grant(
        user=customer,
        verified_by=actor,
        document_type=onboarding.document_type,
        number=onboarding.document_number,
        full_name=onboarding.full_name,
    )
    customer.refresh_from_db()
    customer_branch_assign(customer=customer, branch=onboarding.branch, onboarded_by=actor)
    wallet = wallet_activate_within(user=customer)
    now = timezone.now()
    onboarding.customer = customer
    onboarding.step = Step.DONE
    onboarding.completed_at = now
    onboarding.updated_at = now
    onboarding.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.ONBOARDING_COMPLETED,
        customer=customer,
        detail={"onboarding": onboarding.pk, "wallet": wallet.handle, "kyc_level": 2},
        request=request,
    )
    token = _setup_link_issue(actor=actor, onboarding=onboarding, url_of=url_of, request=request)
    return onboarding, token


def _setup_link_issue(*, actor, onboarding, url_of, request=None) -> str:
    _link, token = setup_link_issue(
        user=onboarding.customer,
        created_by=actor,
        send_to_phone=onboarding.customer.phone or "",
        url_of=url_of,
    )
    audit_record(
        actor=actor,
        action=AuditEvent.Action.SETUP_LINK_ISSUED,
        customer=onboarding.customer,
        detail={"onboarding": onboarding.pk},
        request=request,
    )
    return token


@transaction.atomic
def onboarding_setup_link_resend(
    *, actor: User, onboarding: Onboarding, url_of, request=None
) -> str:
    """A new setup link for a customer who lost or let expire theirs; the old one is void."""
    onboarding = (
        Onboarding.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=onboarding.pk)
    )
    if not onboarding.is_done or onboarding.customer is None:
        raise _refuse("step", _("Finish the onboarding first."), "step_order")
    # Not once the customer set a password (a link would set another), and rate-limited.
    setup_link_resend_check(User.objects.select_for_update().get(pk=onboarding.customer_id))
    return _setup_link_issue(actor=actor, onboarding=onboarding, url_of=url_of, request=request)


# --- the document images ---------------------------------------------------------------------------


def _document_visible_to(actor: User, onboarding: Onboarding) -> bool:
    """A draft's photos: its branch's onboarding staff. Once the customer exists: whoever may
    see that customer (their branch's tellers and managers, risk officers)."""
    if onboarding.customer_id:
        return customer_visible_or_none(user=actor, pk=onboarding.customer_id) is not None
    return onboardings_visible_to(actor).filter(pk=onboarding.pk).exists()


@transaction.atomic
def document_image_open(*, actor: User, pk: int, side: str, request=None):
    """The stored image (an open file) for staff who may see the draft or, once done, the
    customer; the viewing is audited. Anyone else, or no such image: Http404."""
    onboarding = Onboarding.objects.select_related("customer").filter(pk=pk).first()
    if onboarding is None or not _document_visible_to(actor, onboarding):
        raise Http404
    field = {"front": onboarding.document_front, "back": onboarding.document_back}.get(side)
    if not field:
        raise Http404
    audit_record(
        actor=actor,
        action=AuditEvent.Action.DOCUMENT_IMAGE_VIEW,
        customer=onboarding.customer,
        detail={"onboarding": onboarding.pk, "side": side},
        request=request,
    )
    return field.open("rb")
