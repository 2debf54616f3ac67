"""Checks on card and bank account numbers typed by a customer, before the bank sees them.

The number itself never leaves these functions except to the bank connector: nothing here
logs it, and errors never repeat it.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CARD_LENGTHS = range(13, 20)
BANK_ACCOUNT_LENGTHS = range(8, 31)
SEPARATORS = re.compile(r"[\s-]")
EXPIRY = re.compile(r"^(\d{1,2})\s*/\s*(\d{2}|\d{4})$")


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check digit every card number carries."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _digits(raw: str, *, field_label: str) -> str:
    digits = SEPARATORS.sub("", raw or "")
    if not digits:
        raise ValidationError(_("Enter the %(field)s.") % {"field": field_label}, code="required")
    if not digits.isascii() or not digits.isdigit():
        raise ValidationError(
            _("The %(field)s can contain digits only.") % {"field": field_label}, code="digits"
        )
    return digits


def card_number_clean(raw: str) -> str:
    digits = _digits(raw, field_label=_("card number"))
    if len(digits) not in CARD_LENGTHS:
        raise ValidationError(
            _("A card number has 13 to 19 digits; this one has %(count)d.")
            % {"count": len(digits)},
            code="length",
        )
    if not luhn_valid(digits):
        raise ValidationError(
            _("This card number is not valid. Please check it digit by digit."), code="luhn"
        )
    return digits


def bank_account_number_clean(raw: str) -> str:
    digits = _digits(raw, field_label=_("account number"))
    if len(digits) not in BANK_ACCOUNT_LENGTHS:
        raise ValidationError(
            _("An account number has 8 to 30 digits; this one has %(count)d.")
            % {"count": len(digits)},
            code="length",
        )
    return digits


@dataclass(frozen=True)
class Expiry:
    month: int
    year: int

    def __str__(self) -> str:
        return f"{self.month:02d}/{self.year % 100:02d}"

    def has_passed(self, today: date) -> bool:
        return (self.year, self.month) < (today.year, today.month)


def card_expiry_clean(raw: str, *, today: date) -> Expiry:
    """`MM/YY` (or `MM/YYYY`); a card is valid to the end of its expiry month."""
    match = EXPIRY.match((raw or "").strip())
    if not match:
        raise ValidationError(_("Enter the expiry date as MM/YY, for example 08/29."), "format")
    month, year = int(match.group(1)), int(match.group(2))
    if year < 100:
        year += 2000
    if not 1 <= month <= 12:
        raise ValidationError(_("The expiry month must be between 01 and 12."), code="month")
    expiry = Expiry(month, year)
    if expiry.has_passed(today):
        raise ValidationError(_("This card has expired."), code="expired")
    if year > today.year + 20:
        raise ValidationError(_("This expiry date is too far in the future."), code="far")
    return expiry
