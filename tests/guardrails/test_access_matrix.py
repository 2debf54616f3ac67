"""Every object endpoint refuses everyone but its owner (access.py has the matrix and its rules).

The endpoints come from the URLconf, so a new one joins by itself: the first test fails until it
has a factory in access.FACTORIES or an exclusion with its reason in access.EXCLUDED.
"""

import pytest

from . import access
from .access import EXCEPTIONS, EXCLUDED, FACTORIES, exclusion_for, object_endpoints
from .report import record_summary


def _in_matrix():
    return [e for e in object_endpoints() if exclusion_for(e.key) is None]


def test_every_object_endpoint_has_a_factory_or_an_exclusion():
    endpoints = object_endpoints()
    missing = [
        f"{e.key} (/{e.route}{', unnamed: name it first' if e.key.endswith('>') else ''})"
        for e in endpoints
        if exclusion_for(e.key) is None and e.key not in FACTORIES
    ]
    assert not missing, (
        "object endpoints outside the access matrix: "
        + "; ".join(missing)
        + " - add a factory for each to tests/guardrails/access.py FACTORIES, or an exclusion "
        "with a reason to EXCLUDED"
    )
    keys = {e.key for e in endpoints}
    stale = [name for name in [*FACTORIES, *EXCLUDED] if "*" not in name and name not in keys]
    assert not stale, f"no such object endpoint any more, remove it: {stale}"
    assert set(EXCEPTIONS) <= set(FACTORIES)
    assert all(
        reason.strip() for reason in [*EXCLUDED.values(), *(e.reason for e in EXCEPTIONS.values())]
    )
    assert all(case.other_refusals_reason for case in FACTORIES.values() if case.other_refusals)


def test_discovery_finds_pages_and_api_with_every_kind_of_parameter():
    keys = {e.key: e for e in object_endpoints()}
    for name in (
        "wallet:transaction",  # <int:pk>
        "wallet:request_detail",  # <str:token>
        "wallet:merchant_pay",  # <str:merchant_code>
        "wallet:statement_pdf",  # <int:year>-<int:month>
        "accounts:second_factor_remove",  # <str:kind>/<int:pk>
        "api:payment-request",  # the API
        "account_confirm_email",  # allauth's regex patterns
    ):
        assert name in keys
    assert keys["wallet:statement_pdf"].params == ("year", "month")
    assert keys["api:step-up-verify"].is_api
    assert not {"dashboard", "wallet:history", "api:transactions"} & set(keys)


@pytest.mark.django_db
def test_only_the_owner_gets_an_object(no_otp_throttle):
    world = access.build_world()
    cells = []
    for endpoint in _in_matrix():
        cells += access.check_endpoint(endpoint, world)
    table = access.summary(cells)
    print(f"\n{table}")
    record_summary("access-matrix", f"{len(cells)} matrix cells checked\n{table}")
    problems = [f"{c.endpoint} as {c.actor}: {p}" for c in cells for p in c.problems]
    assert not problems, f"{len(problems)} access-control problems:\n" + "\n".join(problems)
    assert len(cells) == len(_in_matrix()) * len(access.ACTORS)


LEAKY_URLS = "tests.guardrails.leaky_urls"


@pytest.mark.urls(LEAKY_URLS)
def test_a_new_object_endpoint_without_a_factory_fails_the_matrix():
    with pytest.raises(AssertionError) as failure:
        test_every_object_endpoint_has_a_factory_or_an_exclusion()
    message = str(failure.value)
    for name in ("leaky-transaction", "leaky-cancel", "leaky-oracle"):
        assert f"{name} (/leaky/" in message
    assert "add a factory" in message
    assert "leaky-history" not in message  # no parameter: not an object endpoint


@pytest.mark.django_db
@pytest.mark.urls(LEAKY_URLS)
def test_the_matrix_catches_a_leak_a_quiet_write_and_an_existence_oracle(no_otp_throttle):
    world = access.build_world()
    endpoints = {e.key: e for e in object_endpoints()}
    cases = {
        "leaky-transaction": access.Case(access.FACTORIES["wallet:transaction"].make),
        "leaky-cancel": access.Case(
            access.FACTORIES["wallet:request_cancel"].make, method="POST", owner_status=(200,)
        ),
        "leaky-oracle": access.Case(access.FACTORIES["wallet:request_detail"].make),
    }
    found = {}
    for key, case in cases.items():
        for cell in access.check_endpoint(endpoints[key], world, case):
            found.setdefault(key, {})[cell.actor] = " | ".join(cell.problems)
    other = access.OTHER_CUSTOMER
    assert "not refused: HTTP 200" in found["leaky-transaction"][other]
    assert "shows the owner's wallet handle, transfer note" in found["leaky-transaction"][other]
    # The teller is the first logged-in caller to try, and cancels the owner's request.
    teller = access.TELLER_ELSEWHERE
    assert "POST changed the owner's data" in found["leaky-cancel"][teller]
    assert "not refused" not in found["leaky-cancel"][teller]  # its 404 alone looks right
    assert "can tell the owner's object exists" in found["leaky-oracle"][other]
    assert found["leaky-oracle"][access.OWNER] == ""
