"""Amounts: what a customer may type, and what is refused with a message naming the field."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.api_errors import ApplicationError
from wallet.money import MINOR_UNITS, parse_amount, parse_currency, quantize


@pytest.mark.parametrize(
    ("raw", "currency", "expected"),
    [
        ("12.34", "CNY", Decimal("12.34")),
        ("12.340", "CNY", Decimal("12.34")),
        ("1,000", "CNY", Decimal("1000.00")),
        (5, "USD", Decimal("5.00")),
        ("500", "JPY", Decimal("500")),
        (" 0.01 ", "EUR", Decimal("0.01")),
    ],
)
def test_accepted_amounts(raw, currency, expected, settings):
    assert parse_amount(raw, currency) == expected


@pytest.mark.parametrize(
    ("raw", "currency"),
    [
        ("-1", "CNY"),
        ("0", "CNY"),
        ("0.00", "CNY"),
        ("12.345", "CNY"),
        ("1.5", "JPY"),
        ("NaN", "CNY"),
        ("Infinity", "CNY"),
        ("-Infinity", "CNY"),
        ("1e400", "CNY"),
        ("abc", "CNY"),
        ("", "CNY"),
        (None, "CNY"),
        (True, "CNY"),
        (0.1, "CNY"),
        ("99999999999999999999", "CNY"),
        ([], "CNY"),
    ],
)
def test_refused_amounts_name_the_field(raw, currency):
    with pytest.raises(ApplicationError) as error:
        parse_amount(raw, currency, field="amount")
    assert list(error.value.fields) == ["amount"]
    assert error.value.fields["amount"][0]


def test_the_maximum_is_configurable(settings):
    settings.WALLET_MAX_AMOUNT = "500"
    assert parse_amount("500", "CNY") == Decimal("500.00")
    with pytest.raises(ApplicationError):
        parse_amount("500.01", "CNY")


@pytest.mark.parametrize("code", ["XXX", "", "cnyy", None, "BTC"])
def test_unknown_currencies_are_refused(code):
    with pytest.raises(ApplicationError) as error:
        parse_currency(code)
    assert "currency" in error.value.fields


def test_currency_codes_are_case_insensitive():
    assert parse_currency("usd") == "USD"


@given(
    currency=st.sampled_from(list(MINOR_UNITS)),
    amount=st.decimals(allow_nan=True, allow_infinity=True, places=None),
)
def test_parsing_either_gives_an_exact_positive_amount_or_a_field_error(currency, amount):
    try:
        parsed = parse_amount(str(amount), currency)
    except ApplicationError as error:
        assert "amount" in error.fields
    else:
        assert parsed > 0
        assert parsed == quantize(parsed, currency)
        assert parsed == amount  # never rounded: over-precise amounts are refused, not changed


@given(st.text(max_size=40))
def test_parsing_arbitrary_text_never_crashes(text):
    try:
        parse_amount(text, "CNY")
    except ApplicationError as error:
        assert "amount" in error.fields
