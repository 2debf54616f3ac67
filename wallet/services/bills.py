"""Paying a bill (electricity, water, gas, mobile top-up) from the wallet."""

import re

import phonenumbers
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError

from ..models import Biller, Transaction
from .common import MovementResult
from .payments import payment_create


def biller_resolve(code: str) -> Biller:
    biller = (
        Biller.objects.select_related("merchant")
        .filter(code=(code or "").strip(), is_active=True)
        .first()
    )
    if biller is None:
        message = _("Choose a biller from the list.")
        raise ApplicationError(message, code="biller_not_found", fields={"biller": [message]})
    return biller


def bill_reference_clean(biller: Biller, reference: str) -> str:
    """The customer's account number with this biller, checked by the biller's own rule."""
    reference = "".join((reference or "").split())
    if biller.kind == Biller.Kind.MOBILE:
        try:
            number = phonenumbers.parse(reference, "CN")
        except phonenumbers.NumberParseException:
            number = None
        if (
            number is None
            or phonenumbers.number_type(number)
            not in (
                phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
            )
            or not phonenumbers.is_valid_number(number)
        ):
            message = _("Enter a valid mobile number.")
            raise ApplicationError(
                message, code="invalid_reference", fields={"reference": [message]}
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not reference or not re.fullmatch(biller.reference_pattern, reference):
        message = _("This is not a valid account number for %(biller)s. %(hint)s") % {
            "biller": biller.name,
            "hint": biller.reference_hint,
        }
        raise ApplicationError(
            message.strip(), code="invalid_reference", fields={"reference": [message.strip()]}
        )
    return reference


def bill_payment_prepare(*, biller_code: str, reference: str) -> tuple[Biller, str]:
    biller = biller_resolve(biller_code)
    return biller, bill_reference_clean(biller, reference)


def bill_payment_create(
    *,
    payer_user,
    biller_code: str,
    reference: str,
    amount,
    currency="CNY",
    idempotency_key: str,
    step_up: str | None = None,
) -> MovementResult:
    biller, reference = bill_payment_prepare(biller_code=biller_code, reference=reference)
    return payment_create(
        payer_user=payer_user,
        merchant_code=biller.merchant.code,
        amount=amount,
        currency=currency,
        idempotency_key=idempotency_key,
        step_up=step_up,
        kind=Transaction.Kind.BILL,
        extra={"biller": biller.code, "biller_kind": biller.kind, "reference": reference},
    )
