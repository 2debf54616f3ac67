"""Amounts and currencies. Decimal only; each currency has its ISO 4217 minor unit."""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.api_errors import ApplicationError

# ISO 4217 minor units of the currencies a wallet can hold.
MINOR_UNITS = {"CNY": 2, "HKD": 2, "USD": 2, "EUR": 2, "JPY": 0}
CURRENCY_NAMES = {
    "CNY": gettext_lazy("Chinese yuan"),
    "HKD": gettext_lazy("Hong Kong dollar"),
    "USD": gettext_lazy("US dollar"),
    "EUR": gettext_lazy("Euro"),
    "JPY": gettext_lazy("Japanese yen"),
}
CURRENCY_CODES = list(MINOR_UNITS)
CURRENCY_CHOICES = [(code, code) for code in MINOR_UNITS]
DEFAULT_CURRENCY = "CNY"


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS[currency])


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round a computed amount (an FX conversion, a fee) to the currency's minor unit."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_EVEN)


def parse_currency(value, *, field: str = "currency") -> str:
    code = str(value or "").strip().upper()
    if code not in MINOR_UNITS:
        raise ApplicationError(
            _("Unknown currency."),
            code="invalid_currency",
            fields={field: [_("Choose one of: %(codes)s.") % {"codes": ", ".join(MINOR_UNITS)}]},
        )
    return code


def _invalid(field: str, message: str, code: str = "invalid_amount"):
    return ApplicationError(message, code=code, fields={field: [message]})


def parse_amount(value, currency: str, *, field: str = "amount") -> Decimal:
    """A positive amount with no more places than the currency allows, at most the maximum.

    Accepts a string, int or Decimal (never a float: its binary value is not the amount the
    customer typed). Everything else is refused with a message naming the field.
    """
    if isinstance(value, (bool, float)) or value is None:
        raise _invalid(field, _("Enter the amount as a number such as 12.34."))
    try:
        amount = (
            Decimal(str(value).strip().replace(",", ""))
            if isinstance(value, str)
            else Decimal(value)
        )
    except (InvalidOperation, TypeError, ValueError):
        raise _invalid(field, _("Enter the amount as a number such as 12.34.")) from None
    if not amount.is_finite():
        raise _invalid(field, _("Enter the amount as a number such as 12.34."))
    if amount <= 0:
        raise _invalid(field, _("The amount must be greater than zero."))
    if amount > Decimal(settings.WALLET_MAX_AMOUNT):
        raise _invalid(
            field,
            _("The amount is above the maximum of %(maximum)s.")
            % {"maximum": settings.WALLET_MAX_AMOUNT},
        )
    places = MINOR_UNITS[currency]
    if amount.normalize().as_tuple().exponent < -places:
        raise _invalid(
            field,
            _("%(currency)s amounts have at most %(places)d decimal places.")
            % {"currency": currency, "places": places},
        )
    return quantize(amount, currency)


def format_money(amount: Decimal, currency: str) -> str:
    return f"{quantize(amount, currency):,.{MINOR_UNITS[currency]}f} {currency}"
