"""Every API operation keeps its OpenAPI contract under schemathesis' generated requests.

For each operation of `/api/schema/`, schemathesis sends its coverage cases (boundaries, missing
and malformed parameters) and a few fuzzed examples to the live server, as a customer with an
activated, funded wallet and an API token. The API must never answer 5xx, must answer only
documented status codes with documented content types, bodies and headers, must reject invalid
data with a 4xx and must refuse requests without credentials. The bounds, the checks left out
(with their reasons) and the known payees and merchants are in api_contract.py.
"""

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, settings

from .api_contract import (
    MAX_EXAMPLES,
    TIME_BUDGET_SECONDS,
    Budget,
    contract_world,
    fresh_idempotency_key,
    load_schema,
    openapi_document,
)

schema = load_schema()
BUDGET = Budget(TIME_BUDGET_SECONDS)
THROTTLED_OPERATION = "POST /api/v1/auth/token/"


@pytest.fixture
def api_customer(live_server, transactional_db):
    """The live server's address, and the headers of a customer with an active, funded wallet."""
    if BUDGET.exhausted():
        pytest.skip(
            f"the API contract's time budget ({TIME_BUDGET_SECONDS}s) is spent; "
            f"lower MAX_EXAMPLES ({MAX_EXAMPLES}) in tests/guardrails/api_contract.py"
        )
    BUDGET.start()
    return {"base_url": live_server.url, "headers": contract_world()}


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
# One customer per operation, shared by its examples on purpose: what they change (payments,
# requests, quotes) only makes the later examples more varied.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_api_operation_keeps_its_contract(case, api_customer):
    fresh_idempotency_key(case)
    if case.operation.label == THROTTLED_OPERATION:
        # 10 token requests a minute per address: past those, every example would only test
        # the (documented) 429. Forget the count so that the token logic itself is fuzzed.
        cache.clear()
    case.call_and_validate(base_url=api_customer["base_url"], headers=api_customer["headers"])


@pytest.mark.django_db
def test_the_contract_is_checked_against_the_schema_the_api_serves():
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response.json() == openapi_document()
