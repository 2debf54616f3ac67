"""What another person sees of a customer: enough to recognise them, not to identify them."""

import pytest

from accounts.masking import display_name_masked, email_masked, name_masked, phone_masked
from tests.accounts.factories import UserFactory


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("张三", "张*"),
        ("张小三", "张*三"),
        ("欧阳小明", "欧**明"),
        ("John Smith", "J*** S****"),
        ("", ""),
    ],
)
def test_a_name_keeps_its_first_and_last_character(name, shown):
    assert name_masked(name) == shown


@pytest.mark.parametrize(
    ("email", "shown"),
    [
        ("zhang.san@example.com", "z***@example.com"),
        ("a@b.cn", "a***@b.cn"),
        ("", ""),
    ],
)
def test_an_email_keeps_its_first_letter_and_domain(email, shown):
    assert email_masked(email) == shown


@pytest.mark.parametrize(
    ("phone", "shown"),
    [
        ("+8613812345678", "+86 138****5678"),
        ("13812345678", "+86 138****5678"),
        ("+85291234567", "+852 ****4567"),
        ("+14155552671", "+1 415***2671"),
        ("", ""),
    ],
)
def test_a_phone_keeps_its_country_prefix_and_last_four_digits(phone, shown):
    assert phone_masked(phone) == shown


@pytest.mark.django_db
def test_a_customer_is_shown_by_masked_name_or_else_masked_email():
    assert display_name_masked(UserFactory(full_name="王小明")) == "王*明"
    assert display_name_masked(UserFactory(full_name="", email="wang@example.com")) == (
        "w***@example.com"
    )


def test_the_wallet_uses_the_same_rules():
    from wallet import masking

    assert masking.display_name_masked is display_name_masked
