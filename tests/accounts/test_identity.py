"""Identity document numbers: what each kind looks like, the resident ID's check character and
birth date, and masking for anyone but the owner."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from accounts.identity import DocumentType, identity_number_validate, resident_id_check_char
from accounts.masking import identity_number_masked

from .factories import resident_id

RESIDENT = DocumentType.RESIDENT_ID


def test_the_standards_own_example_is_accepted_and_normalised():
    # GB 11643-1999's worked example; people type a lower-case x and group the digits.
    assert identity_number_validate(RESIDENT, "110105 19491231 002x") == "11010519491231002X"


@pytest.mark.parametrize(("language", "says"), [("en", "last character"), ("zh-hans", "校验码")])
def test_a_wrong_check_character_is_refused_with_a_clear_message(language, says):
    with translation.override(language), pytest.raises(ValidationError) as caught:
        identity_number_validate(RESIDENT, "110105194912310021")
    assert caught.value.code == "id_checksum"
    assert says in caught.value.messages[0]


@pytest.mark.parametrize(
    "number",
    ["11010519491231002", "1101051949123100211", "11010519491231002Y", "X10105194912310021"],
)
def test_a_resident_id_has_18_characters_17_digits_then_a_digit_or_x(number):
    with pytest.raises(ValidationError) as caught:
        identity_number_validate(RESIDENT, number)
    assert caught.value.code == "id_format"


@pytest.mark.parametrize("born", ["19900230", "19901301", "18991231"])
def test_the_birth_date_inside_must_be_a_real_date(born):
    with pytest.raises(ValidationError) as caught:
        identity_number_validate(RESIDENT, resident_id(born=born))
    assert caught.value.code == "id_birth_date"


def test_nobody_is_born_tomorrow():
    tomorrow = (timezone.localdate() + timedelta(days=1)).strftime("%Y%m%d")
    with pytest.raises(ValidationError):
        identity_number_validate(RESIDENT, resident_id(born=tomorrow))


birth_dates = st.dates(
    min_value=date(1900, 1, 1), max_value=timezone.localdate() - timedelta(days=1)
)
valid_ids = st.builds(
    lambda region, born, sequence: resident_id(
        region=f"{region:06d}", born=born.strftime("%Y%m%d"), sequence=f"{sequence:03d}"
    ),
    st.integers(110000, 829999),
    birth_dates,
    st.integers(0, 999),
)


@given(valid_ids)
def test_every_well_formed_resident_id_is_accepted(number):
    assert identity_number_validate(RESIDENT, number) == number
    assert identity_number_validate(RESIDENT, number.lower()) == number


@given(valid_ids, st.integers(0, 17), st.integers(1, 10))
def test_any_single_changed_character_is_refused(number, position, shift):
    if position == 17:  # the check character: any other of the 11 possible ones
        chars = "0123456789X"
        changed = chars[(chars.index(number[17]) + shift) % 11]
    else:  # a digit: any other digit (the check catches every single-digit error)
        changed = str((int(number[position]) + shift) % 10)
        if changed == number[position]:
            changed = str((int(changed) + 1) % 10)
    typo = number[:position] + changed + number[position + 1 :]
    assert typo != number
    with pytest.raises(ValidationError):
        identity_number_validate(RESIDENT, typo)


def test_the_check_character_follows_the_standards_weights():
    assert resident_id_check_char("11010519491231002") == "X"
    assert resident_id_check_char("44052418800101001") == "4"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("e1234 5678", "E12345678"), ("AB123", "AB123"), ("x" * 20, "X" * 20)],
)
def test_passport_numbers_are_5_to_20_letters_and_digits(raw, expected):
    assert identity_number_validate(DocumentType.PASSPORT, raw) == expected


@pytest.mark.parametrize("raw", ["AB12", "A" * 21, "E1234567!", "护照123456"])
def test_other_passport_numbers_are_refused(raw):
    with pytest.raises(ValidationError) as caught:
        identity_number_validate(DocumentType.PASSPORT, raw)
    assert caught.value.code == "passport_format"


@pytest.mark.parametrize(
    ("raw", "expected"), [("h12345678", "H12345678"), ("M1234567890", "M1234567890")]
)
def test_hk_macao_permits_are_h_or_m_and_8_or_10_digits(raw, expected):
    assert identity_number_validate(DocumentType.HK_MACAO_PERMIT, raw) == expected


@pytest.mark.parametrize("raw", ["H1234567", "H123456789", "C12345678", "H123456789012"])
def test_other_permit_numbers_are_refused(raw):
    with pytest.raises(ValidationError) as caught:
        identity_number_validate(DocumentType.HK_MACAO_PERMIT, raw)
    assert caught.value.code == "permit_format"


def test_an_unknown_document_type_or_an_empty_number_is_refused():
    with pytest.raises(ValidationError) as caught:
        identity_number_validate("driving_licence", "12345678")
    assert caught.value.code == "document_type"
    with pytest.raises(ValidationError) as caught:
        identity_number_validate(DocumentType.PASSPORT, "  ")
    assert caught.value.code == "required"


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("11010519491231002X", "1101**********002X"),
        ("E12345678", "E1*****78"),
        ("H1234567890", "H1*******90"),
        ("AB123", "A***3"),
    ],
)
def test_a_masked_number_shows_at_most_half_of_it(number, masked):
    assert identity_number_masked(number) == masked
    hidden = masked.count("*")
    assert hidden >= len(number) / 2
