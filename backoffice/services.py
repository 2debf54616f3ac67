"""Writes of the back office: roles and staff (the rest comes with the back-office issue)."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.models import User

from .models import Branch, StaffProfile
from .roles import ALL_ROLES, ROLE_PERMISSIONS


def role_groups_ensure() -> dict[str, Group]:
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ALL_ROLES}
    for name, perms in ROLE_PERMISSIONS.items():
        wanted = Permission.objects.none()
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted |= Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            )
        groups[name].permissions.add(*wanted)
    return groups


@transaction.atomic
def staff_member_upsert(
    *,
    email: str,
    password: str,
    full_name: str,
    role: str,
    branch: Branch | None,
    employee_number: str,
) -> User:
    if role not in ALL_ROLES:
        raise ValueError(f"Unknown role {role!r}")
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
    user.is_staff = True
    user.full_name = full_name
    user.save(update_fields=["is_staff", "full_name"])
    user.groups.add(role_groups_ensure()[role])
    StaffProfile.objects.update_or_create(
        user=user, defaults={"branch": branch, "employee_number": employee_number}
    )
    return user
