"""Fixtures of the guardrails: who logs in for each role, and a phone-sized zh-hans page.

The session-wide `browser` fixture (Debian's chromium through Playwright) is tests/conftest.py's.
"""

from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.selectors import has_second_factor
from backoffice.models import Branch
from backoffice.roles import ALL_ROLES, BRANCH_SCOPED_ROLES
from backoffice.seed import verified_email_ensure
from backoffice.services import staff_member_upsert
from tests.accounts.factories import PASSWORD, TOTPDeviceFactory, UserFactory

from .crawl import CUSTOMER, VISITOR, new_context


@dataclass
class Login:
    email: str
    password: str
    totp_device: TOTPDevice | None
    names: tuple[str, ...] = ()


def _login_for(user: User) -> Login:
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    device = None
    if user.is_staff or has_second_factor(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        device = device or TOTPDeviceFactory(user=user)
    return Login(user.email, PASSWORD, device, (user.full_name, user.get_short_name()))


def _top_up_once(customer: User) -> None:
    from wallet import services as wallet_services

    source = customer.linked_accounts.filter(status="verified").first()
    if source is not None:
        wallet_services.topup_create(
            user=customer,
            source_id=source.pk,
            amount="10.00",
            currency="CNY",
            idempotency_key="guardrails-top-up",
        )


@pytest.fixture
def role_logins(transactional_db) -> dict[str, Login | None]:
    """A login for every role: the demo data's users (so that pages have something to show).

    A role that the demo data has no user for gets one through `staff_member_upsert`, with a
    confirmed authenticator, so a role added to backoffice/roles.py is crawled too.
    """
    call_command("seed_demo", quiet=True)
    branch = Branch.objects.order_by("pk").first() or Branch.objects.create(
        code="GR001", name="护栏测试支行"
    )
    logins: dict[str, Login | None] = {VISITOR: None}
    customer = (
        User.objects.filter(is_staff=False, is_superuser=False, emailaddress__verified=True)
        .order_by("pk")
        .first()
    ) or UserFactory(full_name="护栏客户")
    logins[CUSTOMER] = _login_for(customer)
    _top_up_once(customer)  # so that the crawl reaches a top-up's page
    for role in ALL_ROLES:
        user = User.objects.filter(groups__name=role, is_staff=True).order_by("pk").first()
        if user is None:
            user = staff_member_upsert(
                email=f"guardrails-{role}@example.com",
                password=PASSWORD,
                full_name="护栏员工",
                role=role,
                branch=branch if role in BRANCH_SCOPED_ROLES else None,
                employee_number=f"GR-{role}",
            )
            verified_email_ensure(user)
        logins[role] = _login_for(user)
    return logins


@pytest.fixture
def zh_page(browser, live_server):
    """A visitor's page at 360x740 in zh-hans, for running single checks."""
    context = new_context(browser, live_server.url)
    page = context.new_page()
    yield page
    context.close()
