"""Identity documents a customer can prove who they are with: the kinds we accept and how each
number is checked and normalised (masking is in accounts/masking.py).

Pure functions without models, so the back office's counter onboarding checks a document the
same way the customer's own verification page does.
"""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class DocumentType(models.TextChoices):
    RESIDENT_ID = "cn_resident_id", gettext_lazy("Resident identity card (mainland China)")
    PASSPORT = "passport", gettext_lazy("Passport")
    # 港澳居民来往内地通行证 (the "home return permit"): H (Hong Kong) or M (Macao) + digits.
    HK_MACAO_PERMIT = (
        "hk_macao_permit",
        gettext_lazy("Mainland Travel Permit for Hong Kong and Macao Residents"),
    )


# GB 11643-1999: the 18th character checks the first 17 digits.
RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK_CHARS = "10X98765432"
RESIDENT_ID_EARLIEST_BIRTH_YEAR = 1900

_RESIDENT_ID_SHAPE = re.compile(r"\d{17}[\dX]")
_PASSPORT_SHAPE = re.compile(r"[A-Z0-9]{5,20}")
_HK_MACAO_PERMIT_SHAPE = re.compile(r"[HM](\d{8}|\d{10})")
# People type numbers with spaces or dashes between the groups; they are not part of it.
_SEPARATORS = re.compile(r"[\s\-]+")


def resident_id_check_char(first17: str) -> str:
    """The check character GB 11643-1999 gives the first 17 digits of a resident ID."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first17, RESIDENT_ID_WEIGHTS, strict=True)
    )
    return RESIDENT_ID_CHECK_CHARS[total % 11]


def _resident_id_birth_date(number: str) -> date | None:
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None
    if born.year < RESIDENT_ID_EARLIEST_BIRTH_YEAR or born > timezone.localdate():
        return None
    return born


def _resident_id_validate(number: str) -> str:
    if not _RESIDENT_ID_SHAPE.fullmatch(number):
        raise ValidationError(
            _("A resident ID number has 18 characters: 17 digits, then a digit or X."),
            code="id_format",
        )
    if _resident_id_birth_date(number) is None:
        raise ValidationError(
            _("The date of birth in this ID number is not a real date. Check the number."),
            code="id_birth_date",
        )
    if resident_id_check_char(number[:17]) != number[17]:
        raise ValidationError(
            _("This ID number is not valid: its last character does not match. Check the number."),
            code="id_checksum",
        )
    return number


def _passport_validate(number: str) -> str:
    if not _PASSPORT_SHAPE.fullmatch(number):
        raise ValidationError(
            _("A passport number has 5 to 20 letters and digits."), code="passport_format"
        )
    return number


def _hk_macao_permit_validate(number: str) -> str:
    if not _HK_MACAO_PERMIT_SHAPE.fullmatch(number):
        raise ValidationError(
            _("A permit number is H or M followed by 8 or 10 digits."), code="permit_format"
        )
    return number


_VALIDATORS = {
    DocumentType.RESIDENT_ID: _resident_id_validate,
    DocumentType.PASSPORT: _passport_validate,
    DocumentType.HK_MACAO_PERMIT: _hk_macao_permit_validate,
}


def identity_number_normalize(number: str) -> str:
    return _SEPARATORS.sub("", number or "").upper()


def identity_number_validate(document_type: str, number: str) -> str:
    """The normalised number (upper case, no spaces or dashes), or a ValidationError saying what
    is wrong with it."""
    if document_type not in _VALIDATORS:
        raise ValidationError(_("Choose a document type."), code="document_type")
    number = identity_number_normalize(number)
    if not number:
        raise ValidationError(_("Enter the document number."), code="required")
    return _VALIDATORS[DocumentType(document_type)](number)
