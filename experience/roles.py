"""Who may start experience mode: branch staff who show the wallet at the counter."""

from backoffice.roles import BRANCH_MANAGER, TELLER
from backoffice.selectors import staff_roles

EXPERIENCE_ROLES = (TELLER, BRANCH_MANAGER)


def can_start_experience(user) -> bool:
    return bool(
        user.is_authenticated and user.is_staff and set(staff_roles(user)) & set(EXPERIENCE_ROLES)
    )
