"""Identity verification (KYC): proving a phone number by SMS code, recording an identity
document, and the verification level that follows from them and sets the wallet's limits.

Level 1 needs a verified phone and a recorded document; level 2 is granted only by branch staff
who saw the document. A level is never lowered here.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError
from notifications.models import Notification
from notifications.services import notify, outbox_enqueue, sms_send

from .data_export import iso, register_export_section
from .identity import identity_number_validate
from .masking import identity_number_masked, phone_masked
from .models import IdentityDocument, PhoneVerification, SecurityEvent, User
from .phone import normalize_phone
from .services import security_event_record

KYC_LEVEL_RAISED = "accounts.kyc_level_raised"
CODE_DIGITS = 6
FULL_NAME_MAX = 150


def _code_hash(verification_salt: str, code: str) -> str:
    # Keyed with the secret key: a copy of the table alone does not let anyone try all codes.
    return salted_hmac(f"accounts.phone-code.{verification_salt}", code).hexdigest()


def _refuse(field: str, message: str, code: str, status_code: int | None = None):
    return ApplicationError(message, code=code, fields={field: [message]}, status_code=status_code)


# --- phone -----------------------------------------------------------------------------


def _throttle_check(*, user: User, phone: str, now) -> None:
    """One code per KYC_PHONE_CODE_RESEND_SECONDS, and a cap per hour per customer and number
    (so nobody can flood a stranger's phone from many accounts)."""
    latest = PhoneVerification.objects.filter(user=user).order_by("-created_at").first()
    wait = settings.KYC_PHONE_CODE_RESEND_SECONDS
    if latest and latest.created_at > now - timedelta(seconds=wait):
        seconds = int((latest.created_at + timedelta(seconds=wait) - now).total_seconds()) + 1
        raise _refuse(
            "phone",
            _("A code was just sent. You can ask for a new one in %(seconds)d seconds.")
            % {"seconds": seconds},
            "code_resend_too_soon",
            status_code=429,
        )
    hour_ago = now - timedelta(hours=1)
    per_hour = settings.KYC_PHONE_CODES_PER_HOUR
    sent = PhoneVerification.objects.filter(created_at__gt=hour_ago)
    if sent.filter(user=user).count() >= per_hour or sent.filter(phone=phone).count() >= per_hour:
        raise _refuse(
            "phone",
            _("Too many codes were asked for in the last hour. Try again in an hour."),
            "code_too_many",
            status_code=429,
        )


def _phone_owned_by_another(*, user: User, phone: str) -> bool:
    return User.objects.filter(phone=phone).exclude(pk=user.pk).exists()


def phone_verification_start(*, user: User, phone: str) -> PhoneVerification:
    """Send a fresh code to `phone` by SMS (after commit). Earlier codes stop counting."""
    try:
        phone = normalize_phone(phone)
    except ValidationError as exc:
        raise _refuse("phone", exc.messages[0], "invalid_phone") from exc
    if not phone:
        raise _refuse("phone", _("Enter your mobile phone number."), "required")
    if _phone_owned_by_another(user=user, phone=phone):
        raise _refuse(
            "phone",
            _("This phone number belongs to another account."),
            "phone_taken",
        )
    if user.phone == phone and user.phone_verified_at:
        raise _refuse("phone", _("This phone number is already verified."), "phone_verified")

    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one request at a time
        now = timezone.now()
        _throttle_check(user=user, phone=phone, now=now)
        verification = PhoneVerification(
            user=user,
            phone=phone,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.KYC_PHONE_CODE_TTL_SECONDS),
        )
        verification.save()
        verification.code_hash = _code_hash(str(verification.pk), code)
        verification.save(update_fields=["code_hash"])
        minutes = max(1, settings.KYC_PHONE_CODE_TTL_SECONDS // 60)
        body = _(
            "[Digital wallet] Your verification code is %(code)s, valid for %(minutes)d minutes. "
            "Never tell it to anyone, not even our staff."
        ) % {"code": code, "minutes": minutes}
        # The code exists only in this closure: never stored in plain, not in the outbox either.
        transaction.on_commit(lambda: sms_send(to=phone, body=body))
    return verification


def _latest_code(user: User):
    """Only the latest code counts: asking for a new one retires the earlier ones."""
    return (
        PhoneVerification.objects.select_for_update()
        .filter(user=user)
        .order_by("-created_at", "-id")
        .first()
    )


def phone_verification_confirm(*, user: User, code: str) -> User:
    """Check the code of the user's latest request; the right code makes the number theirs.

    A wrong code is counted (committed even though the call fails); after
    KYC_PHONE_CODE_MAX_ATTEMPTS wrong tries that code is dead and a new one is needed.
    """
    code = "".join((code or "").split())
    if not (len(code) == CODE_DIGITS and code.isdigit()):
        raise _refuse("code", _("Enter the 6-digit code from the SMS."), "invalid")
    max_attempts = settings.KYC_PHONE_CODE_MAX_ATTEMPTS
    refusal = None
    with transaction.atomic():
        verification = _latest_code(user)
        now = timezone.now()
        if verification is None or verification.confirmed_at is not None:
            refusal = _refuse(
                "code", _("Ask for a code first: enter your phone number."), "code_missing"
            )
        elif verification.expires_at <= now:
            refusal = _refuse(
                "code", _("This code has expired. Ask for a new one."), "code_expired"
            )
        elif verification.attempts >= max_attempts:
            refusal = _refuse("code", _("Too many wrong codes. Ask for a new one."), "code_dead")
        elif not constant_time_compare(
            verification.code_hash, _code_hash(str(verification.pk), code)
        ):
            verification.attempts += 1
            verification.save(update_fields=["attempts"])
            left = max_attempts - verification.attempts
            if left:
                message = _("That code is not correct. %(left)d tries left.") % {"left": left}
            else:
                message = _("That code is not correct. Too many wrong codes: ask for a new one.")
            refusal = _refuse("code", message, "code_wrong")
    if refusal is not None:
        raise refusal  # outside the transaction, so the counted try stays counted

    try:
        return _phone_confirmed(user=user, verification_id=verification.pk)
    except IntegrityError as exc:  # another account took the number a moment ago
        raise _refuse(
            "code", _("This phone number belongs to another account."), "phone_taken"
        ) from exc


@transaction.atomic
def _phone_confirmed(*, user: User, verification_id: int) -> User:
    verification = PhoneVerification.objects.select_for_update().get(pk=verification_id)
    if _phone_owned_by_another(user=user, phone=verification.phone):
        raise IntegrityError("phone taken")
    now = timezone.now()
    previous = user.phone
    verification.confirmed_at = now
    verification.save(update_fields=["confirmed_at"])
    user.phone = verification.phone
    user.phone_verified_at = now
    user.save(update_fields=["phone", "phone_verified_at"])
    security_event_record(
        user=user,
        kind=SecurityEvent.Kind.PHONE_VERIFIED,
        phone=phone_masked(verification.phone),
        previous_phone=phone_masked(previous) if previous and previous != user.phone else "",
    )
    kyc_level_refresh(user=user)
    return user


# --- identity document -----------------------------------------------------------------


def _identity_clean(*, document_type: str, number: str, full_name: str) -> tuple[str, str]:
    try:
        number = identity_number_validate(document_type, number)
    except ValidationError as exc:
        field = "document_type" if exc.code == "document_type" else "number"
        raise _refuse(field, exc.messages[0], "invalid") from exc
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise _refuse("full_name", _("Enter your full name as on the document."), "required")
    if len(full_name) > FULL_NAME_MAX:
        message = _("A full name has at most %(max)d characters.") % {"max": FULL_NAME_MAX}
        raise _refuse("full_name", message, "invalid")
    return number, full_name


def _identity_taken_refusal() -> ApplicationError:
    return _refuse(
        "number",
        _(
            "This document is already registered to another account. "
            "If it is yours, please visit a branch with it."
        ),
        "identity_taken",
    )


def _identity_save(
    *, user: User, document_type: str, number: str, full_name: str, **extra
) -> IdentityDocument:
    if (
        IdentityDocument.objects.filter(document_type=document_type, number=number)
        .exclude(user=user)
        .exists()
    ):
        raise _identity_taken_refusal()
    try:
        with transaction.atomic():
            document, created = IdentityDocument.objects.update_or_create(
                user=user,
                defaults={
                    "document_type": document_type,
                    "number": number,
                    "full_name": full_name,
                    "recorded_at": timezone.now(),
                    **extra,
                },
            )
    except IntegrityError as exc:  # recorded by another account a moment ago
        raise _identity_taken_refusal() from exc
    if user.full_name != full_name:
        user.full_name = full_name  # the legal name is the name the wallet shows (masked)
        user.save(update_fields=["full_name"])
    security_event_record(
        user=user,
        kind=SecurityEvent.Kind.IDENTITY_RECORDED,
        document_type=document_type,
        number=identity_number_masked(number),
        replaced=not created,
        recorded_by=extra["verified_by"].pk if extra.get("verified_by") else None,
    )
    return document


@transaction.atomic
def identity_document_record(
    *, user: User, document_type: str, number: str, full_name: str
) -> IdentityDocument:
    """The customer records (or corrects) their document; with a verified phone that is level 1.

    Once branch staff has checked the document in person, only a branch can change it.
    """
    number, full_name = _identity_clean(
        document_type=document_type, number=number, full_name=full_name
    )
    User.objects.select_for_update().filter(pk=user.pk).first()
    current = IdentityDocument.objects.filter(user=user).first()
    if current is not None and current.verified_at is not None:
        raise _refuse(
            "number",
            _("Your document was checked at a branch. To change it, please visit a branch."),
            "identity_locked",
        )
    document = _identity_save(
        user=user, document_type=document_type, number=number, full_name=full_name
    )
    kyc_level_refresh(user=user)
    return document


# --- levels ----------------------------------------------------------------------------


def kyc_level_reached(user: User) -> int:
    """The level the customer's own verification reaches (level 2 only comes from a branch)."""
    if user.phone_verified and IdentityDocument.objects.filter(user=user).exists():
        return User.KycLevel.PHONE_AND_ID
    return User.KycLevel.EMAIL_VERIFIED


def kyc_level_refresh(*, user: User) -> int:
    """Raise the user to the level their verification reaches; never lower them."""
    reached = kyc_level_reached(user)
    if reached > user.kyc_level:
        _kyc_level_set(user=user, level=reached)
    return user.kyc_level


def _kyc_level_set(*, user: User, level: int, verified_by: User | None = None) -> None:
    previous = user.kyc_level
    user.kyc_level = level
    user.save(update_fields=["kyc_level"])
    event = security_event_record(
        user=user,
        kind=SecurityEvent.Kind.KYC_LEVEL_CHANGED,
        previous=previous,
        level=level,
        verified_by=verified_by.pk if verified_by else None,
    )
    outbox_enqueue(
        topic=KYC_LEVEL_RAISED,
        payload={"security_event_id": event.pk},
        dedupe_key=f"security-event:{event.pk}",
    )


@transaction.atomic
def kyc_level2_grant(
    *,
    user: User,
    verified_by: User,
    document_type: str | None = None,
    number: str | None = None,
    full_name: str | None = None,
) -> IdentityDocument:
    """Branch staff saw the customer's document: record who and when, and raise them to level 2.

    With a document given, it is recorded (or replaces the one on file) as seen at the counter;
    without, the document on file is the one the staff member checked.
    """
    if not (verified_by.is_staff and verified_by.is_active):
        raise ApplicationError(
            _("Only bank staff can verify a customer in person."),
            code="staff_only",
            status_code=403,
        )
    if verified_by.pk == user.pk:
        raise ApplicationError(
            _("Staff cannot verify their own identity."), code="own_identity", status_code=403
        )
    User.objects.select_for_update().filter(pk=user.pk).first()
    now = timezone.now()
    if document_type or number:
        number, full_name = _identity_clean(
            document_type=document_type or "", number=number or "", full_name=full_name or ""
        )
        document = _identity_save(
            user=user,
            document_type=document_type,
            number=number,
            full_name=full_name,
            verified_at=now,
            verified_by=verified_by,
        )
    else:
        document = IdentityDocument.objects.filter(user=user).first()
        if document is None:
            raise _refuse(
                "document_type",
                _("Record the customer's identity document first."),
                "identity_missing",
            )
        document.verified_at = now
        document.verified_by = verified_by
        document.save(update_fields=["verified_at", "verified_by"])
    if user.kyc_level < User.KycLevel.VERIFIED_IN_PERSON:
        _kyc_level_set(user=user, level=User.KycLevel.VERIFIED_IN_PERSON, verified_by=verified_by)
    return document


def kyc_level_raised_send(*, security_event_id: int) -> None:
    """Tell the customer their limits went up (inbox, email and SMS: a security alert)."""
    event = SecurityEvent.objects.select_related("user").get(pk=security_event_id)
    notify(
        user=event.user,
        kind=Notification.Kind.SECURITY,
        title=_("Your verification level is now %(level)d") % {"level": event.detail["level"]},
        body=_(
            "Your identity verification reached level %(level)d, and your wallet's limits are "
            "higher now. If you did not do this, contact us at once."
        )
        % {"level": event.detail["level"]},
        dedupe_key=f"security-event:{event.pk}",
        link=reverse("accounts:verification"),
    )


def _export_section(user: User) -> dict:
    """The customer's own copy (data export): their document in full, as they gave it; never
    the codes' hashes nor who on the staff checked it."""
    document = IdentityDocument.objects.filter(user=user).first()
    return {
        "phone_verified_at": iso(user.phone_verified_at),
        "document": {
            "document_type": document.document_type,
            "number": document.number,
            "full_name": document.full_name,
            "recorded_at": iso(document.recorded_at),
            "verified_in_person_at": iso(document.verified_at),
        }
        if document
        else None,
    }


register_export_section("identity_verification", _export_section)
