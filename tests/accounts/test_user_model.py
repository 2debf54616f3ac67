import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from hypothesis import given
from hypothesis import strategies as st

from accounts.phone import normalize_phone

pytestmark = pytest.mark.django_db


def test_create_user_with_email_is_the_login():
    user = get_user_model().objects.create_user(email="A.Wang@Example.COM", password="x" * 12)
    assert user.email == "a.wang@example.com"
    assert user.check_password("x" * 12)
    assert not user.is_staff


def test_phone_is_normalised_to_e164_and_unique():
    User = get_user_model()
    user = User.objects.create_user(
        email="a@example.com", password="pw-123456789", phone="138 0013 8000"
    )
    assert user.phone == "+8613800138000"
    with pytest.raises(ValidationError):
        User.objects.create_user(
            email="b@example.com", password="pw-123456789", phone="not a phone"
        )


def test_two_users_cannot_share_a_phone():
    User = get_user_model()
    User.objects.create_user(email="a@example.com", password="pw-123456789", phone="+8613800138000")
    with pytest.raises(IntegrityError):
        User.objects.create_user(
            email="b@example.com", password="pw-123456789", phone="13800138000"
        )


def test_users_without_phone_do_not_collide():
    User = get_user_model()
    User.objects.create_user(email="a@example.com", password="pw-123456789")
    User.objects.create_user(email="b@example.com", password="pw-123456789", phone="")
    assert User.objects.filter(phone__isnull=True).count() == 2


@pytest.mark.postgres
def test_email_is_unique_whatever_its_case_in_the_database():
    """The database itself refuses a second spelling of one address, even bypassing the manager."""
    from django.db import connection

    assert connection.vendor == "postgresql"
    User = get_user_model()
    User.objects.create_user(email="same@example.com", password="pw-123456789")
    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(email="SAME@example.com")])


@given(st.text(max_size=30))
def test_phone_normalisation_either_gives_e164_or_a_clear_error(raw):
    try:
        result = normalize_phone(raw)
    except ValidationError as exc:
        assert exc.code == "invalid_phone"
    else:
        assert result == "" or (result.startswith("+") and result[1:].isdigit())
