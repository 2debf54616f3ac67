"""Every staff role × every staff page or action about one customer × the customer's own branch
and another branch. A customer belongs to SH; each role is tried at SH and at BJ (risk officers
and campaign admins work bank-wide, with no branch).

The rules (DESIGN.md, "Staff roles and scope"): tellers and branch managers reach their own
branch's customers and get 404 for another branch's, as for a customer who does not exist;
support agents and leads reach customers only through tickets, and campaign admins not at all;
a customer never reaches a staff page. Whatever is refused changes nothing.
"""

import pytest
from django.urls import reverse

from accounts.models import SetupLink, User
from backoffice import roles
from backoffice.models import ApprovalRequest, AuditEvent
from tests.wallet.factories import funded_wallet
from wallet.models import LimitOverride, Transaction, Wallet

from .factories import branch, customer_at, staff, staff_client

pytestmark = pytest.mark.django_db

# (url name, method, form data): everything under /backoffice/ that names a customer.
CUSTOMER_ENDPOINTS = [
    ("backoffice:customer_view", "post", {"reason": "counter"}),
    ("backoffice:customer_action", "post", {"action": "freeze", "reason": "矩阵测试"}),
    ("backoffice:customer_reveal", "post", {"field": "phone", "otp": "000000"}),
    ("backoffice:cash_in", "get", None),
    ("backoffice:cash_out", "get", None),
    ("backoffice:cash_out_approval", "post", {"approval-amount": "30000.00"}),
    # issue 8's further actions: a new setup link, closing the account, a limit override
    ("backoffice:customer_setup_link", "post", {}),
    ("backoffice:customer_action", "post", {"action": "request_close", "reason": "矩阵测试"}),
    (
        "backoffice:customer_limit_override",
        "post",
        {"per_transaction": "5000", "daily": "8000", "days": "1", "reason": "矩阵测试"},
    ),
]
# Who may use which endpoint for a customer of their own branch (else 403 for the role).
OWN_BRANCH_ROLES = {
    "backoffice:customer_view": {roles.TELLER, roles.BRANCH_MANAGER, roles.RISK_OFFICER},
    "backoffice:customer_action": {roles.TELLER, roles.BRANCH_MANAGER, roles.RISK_OFFICER},
    "backoffice:customer_reveal": {roles.TELLER, roles.BRANCH_MANAGER, roles.RISK_OFFICER},
    "backoffice:cash_in": {roles.TELLER},
    "backoffice:cash_out": {roles.TELLER},
    "backoffice:cash_out_approval": {roles.TELLER},
    "backoffice:customer_setup_link": {roles.TELLER, roles.BRANCH_MANAGER},
    "backoffice:customer_limit_override": {
        roles.TELLER,
        roles.BRANCH_MANAGER,
        roles.RISK_OFFICER,
    },
}
NO_CUSTOMER_ROLES = {roles.SUPPORT_AGENT, roles.SUPPORT_LEAD, roles.CAMPAIGN_ADMIN}
BANK_WIDE_ROLES = {roles.RISK_OFFICER, roles.CAMPAIGN_ADMIN}


@pytest.fixture
def world():
    sh, bj = branch("SH"), branch("BJ")
    customer = customer_at(sh, full_name="欧阳明月")
    funded_wallet("500.00", user=customer)
    return {"SH": sh, "BJ": bj, "customer": customer}


def _state(customer) -> tuple:
    """What a refused request must leave as it was."""
    return (
        Wallet.objects.get(user=customer).status,
        Transaction.objects.count(),
        ApprovalRequest.objects.count(),
        SetupLink.objects.filter(user=customer).count(),
        LimitOverride.objects.count(),
        User.objects.get(pk=customer.pk).is_active,
    )


def _call(client, name, method, data, customer):
    url = reverse(name, args=[customer.pk])
    return client.post(url, data) if method == "post" else client.get(url)


def _cases():
    for role in roles.ALL_ROLES:
        for at in ("SH", "BJ"):
            if role in BANK_WIDE_ROLES and at == "BJ":
                continue  # bank-wide roles have no branch: tried once
            for name, method, data in CUSTOMER_ENDPOINTS:
                action = (data or {}).get("action", "")
                case_id = f"{role}-{at}-{name}" + (f"-{action}" if action else "")
                yield pytest.param(role, at, name, method, data, id=case_id)


@pytest.mark.parametrize(("role", "at", "name", "method", "data"), list(_cases()))
def test_staff_reach_a_customer_only_by_role_and_branch(world, role, at, name, method, data):
    member = staff(role, None if role in BANK_WIDE_ROLES else world[at])
    client = staff_client(member)
    if name != "backoffice:customer_view":  # most pages want a reason given first
        _call(client, "backoffice:customer_view", "post", {"reason": "counter"}, world["customer"])
    before = _state(world["customer"])

    response = _call(client, name, method, data, world["customer"])

    own_branch = at == "SH" or role in BANK_WIDE_ROLES
    if role in NO_CUSTOMER_ROLES or role not in OWN_BRANCH_ROLES[name]:
        assert response.status_code in (403, 404), response.status_code
        assert _state(world["customer"]) == before
    elif not own_branch:
        assert response.status_code == 404
        assert _state(world["customer"]) == before
        assert AuditEvent.objects.filter(actor=member, outcome="refused").exists()
    else:
        assert response.status_code in (200, 302, 400), response.status_code


@pytest.mark.parametrize(
    ("name", "method", "data"),
    [pytest.param(*e, id=f"{e[0]}-{(e[2] or {}).get('action', '')}") for e in CUSTOMER_ENDPOINTS],
)
def test_a_customer_never_reaches_a_staff_page(world, client, name, method, data):
    client.force_login(world["customer"])
    before = _state(world["customer"])
    assert _call(client, name, method, data, world["customer"]).status_code in (302, 403)
    assert _state(world["customer"]) == before
