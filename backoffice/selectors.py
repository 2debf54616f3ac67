from django.contrib.auth.models import Group

from .roles import ALL_ROLES


def staff_roles(user) -> list[str]:
    """The role names a user holds, in the order roles are declared."""
    if not user.is_authenticated or not user.is_staff:
        return []
    names = {g.name for g in user.groups.all()}
    return [role for role in ALL_ROLES if role in names]


def role_groups():
    return Group.objects.filter(name__in=ALL_ROLES)
