import itertools

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.models import User
from backoffice.models import Branch
from backoffice.services import customer_branch_assign, staff_member_upsert
from tests.accounts.factories import PASSWORD, TOTPDeviceFactory, UserFactory

_numbers = itertools.count(1)


def branch(code: str) -> Branch:
    return Branch.objects.get_or_create(code=code, defaults={"name": f"支行 {code}"})[0]


def staff(role: str, at: Branch | None = None) -> User:
    n = next(_numbers)
    user = staff_member_upsert(
        email=f"staff{n}-{role}@example.com",
        password=PASSWORD,
        full_name=f"员工{n}",
        role=role,
        branch=at,
        employee_number=f"T{n:05d}",
    )
    TOTPDeviceFactory(user=user)
    return user


def customer_at(at: Branch | None, **kwargs) -> User:
    user = UserFactory(**kwargs)
    if at is not None:
        customer_branch_assign(customer=user, branch=at)
    return user


def staff_client(user: User) -> Client:
    """A logged-in session that passed the second factor (as the second-factor page leaves it)."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = user.totpdevice_set.get().persistent_id
    session.save()
    return client
