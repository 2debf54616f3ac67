"""Helpers of the API contract guardrail (test_api_contract.py): the schema, the config, the data.

Schemathesis generates requests from the project's own OpenAPI document (drf-spectacular's, the
one `/api/schema/` serves) and sends them to pytest-django's live server as a logged-in customer
with an activated, funded wallet. Random strings alone would never name a payee, a merchant or a
payment request that exists, so `contract_world` creates a few with known identifiers and the
config mixes them into the generated values (schemathesis "dictionaries"): the success paths and
their 201 bodies are checked too, not only the refusals.
"""

import json
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import schemathesis
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.authtoken.models import Token

from tests.accounts.factories import UserFactory
from tests.wallet.factories import BillerFactory, MerchantFactory, WalletFactory, funded_wallet
from wallet import services
from wallet.models import FxQuote, FxRate, PaymentRequest, StepUpChallenge
from wallet.services.common import IDEMPOTENCY_KEY_MAX

# Fuzzed examples per operation (Hypothesis' max_examples). Schemathesis' coverage phase adds
# its own deterministic boundary cases (missing header, too long, wrong type...) on top.
MAX_EXAMPLES = 20
# The whole file must stay well under 3 minutes on 2 cores: an operation that would start after
# this many seconds is skipped, saying why (see `Budget`). A normal run needs a fraction of it.
TIME_BUDGET_SECONDS = 150
SEED = 20260501

# The checks of this guardrail. Left out, each with its reason:
# - positive_data_acceptance: a request that is valid by the schema may still break a business
#   rule (an unknown payee, a balance too small, a used quote): the API answers 400 with the
#   documented error shape, and no schema can say which payees exist.
# - use_after_free, ensure_resource_availability, object_level_authorization: they follow
#   OpenAPI links between operations (the stateful phase); the schema declares none, and
#   owner-only access is a question for the access guardrail, not for the schema.
# - max_response_time: timing on a shared 2-core CI machine is not a contract.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "ignored_auth",
    "unsupported_method",
    "allow_header_conformance",
)
SKIPPED_CHECKS = (
    "positive_data_acceptance",
    "use_after_free",
    "ensure_resource_availability",
    "object_level_authorization",
)

IDEMPOTENCY_HEADER = "Idempotency-Key"

# What `contract_world` creates, by the identifiers the generated requests may use.
PAYEE_HANDLE = "contractpayee"
PAYEE_EMAIL = "contract-payee@example.com"
MERCHANT_CODE = "CONTRACT01"
BILLER_CODE = "CONTRACTPOWER"
BILL_REFERENCE = "1234567890"
REQUEST_WITH_AMOUNT = "contractrequestfixed"
REQUEST_ANY_AMOUNT = "contractrequestopen"
QUOTE_TOKEN = "contractquote1"
CHALLENGE_TOKEN = "contractchallenge1"
# 2000.00 is above the step-up threshold (1000 CNY): the customer has no second factor, so 403.
AMOUNTS = ["1.00", "12.34", "0.5", 3, "2000.00"]

DICTIONARIES = {
    "payees": [PAYEE_HANDLE, PAYEE_EMAIL],
    "merchants": [MERCHANT_CODE],
    "billers": [BILLER_CODE],
    "references": [BILL_REFERENCE],
    "amounts": AMOUNTS,
    "tokens": [REQUEST_WITH_AMOUNT, REQUEST_ANY_AMOUNT, CHALLENGE_TOKEN],
    "quotes": [QUOTE_TOKEN],
}
# Which generated values may be replaced by a known one, and how often.
BINDINGS = {
    "body.to": "payees",
    "body.merchant": "merchants",
    "body.biller": "billers",
    "body.reference": "references",
    "body.amount": "amounts",
    "body.sell_amount": "amounts",
    "body.quote": "quotes",
    "path.token": "tokens",
}


def openapi_document() -> dict:
    """The OpenAPI document exactly as `/api/schema/?format=json` renders it, made in-process."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


def schemathesis_config() -> schemathesis.Config:
    checks = {name: {"enabled": True} for name in CHECKS}
    checks.update({name: {"enabled": False} for name in SKIPPED_CHECKS})
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                # A failure is reported as found, with its curl line: shrinking costs time.
                "no-shrink": True,
            },
            "phases": {"stateful": {"enabled": False}},
            "checks": checks,
            "dictionaries": {name: {"values": values} for name, values in DICTIONARIES.items()},
            "parameters": {
                key: {"dictionary": name, "probability": 0.5} for key, name in BINDINGS.items()
            },
        }
    )


def load_schema():
    return schemathesis.openapi.from_dict(openapi_document(), config=schemathesis_config())


def contract_world() -> dict:
    """The customer the requests come from, and what the known identifiers point at.

    Returns the headers that authenticate as the customer.
    """
    customer = funded_wallet(amount="5000.00")
    services.wallet_fund_from_clearing(
        wallet=customer, amount=Decimal("100.00"), currency="USD", description="contract funding"
    )
    payee = WalletFactory(handle=PAYEE_HANDLE, user=UserFactory(email=PAYEE_EMAIL))
    MerchantFactory(code=MERCHANT_CODE)
    BillerFactory(code=BILLER_CODE, reference_pattern=r"\d{10}")
    for currency, rate in (("USD", "7.10"), ("EUR", "7.80"), ("HKD", "0.91"), ("JPY", "0.048")):
        FxRate.objects.create(currency=currency, cny_per_unit=Decimal(rate), spread_bps=50)
    later = timezone.now() + timedelta(hours=1)
    PaymentRequest.objects.create(
        requester=payee, token=REQUEST_WITH_AMOUNT, amount=Decimal("8.80"), currency="CNY",
        expires_at=later,
    )  # fmt: skip
    PaymentRequest.objects.create(
        requester=payee, token=REQUEST_ANY_AMOUNT, currency="CNY", expires_at=later
    )
    FxQuote.objects.create(
        user=customer.user, token=QUOTE_TOKEN, sell_currency="CNY", buy_currency="USD",
        sell_amount=Decimal("71.00"), buy_amount=Decimal("9.95"), rate=Decimal("0.14014085"),
        expires_at=later,
    )  # fmt: skip
    StepUpChallenge.objects.create(
        user=customer.user, token=CHALLENGE_TOKEN, binding="0" * 64, description="合同测试",
        expires_at=later,
    )  # fmt: skip
    token, _created = Token.objects.get_or_create(user=customer.user)
    return {"Authorization": f"Token {token.key}"}


def fresh_idempotency_key(case) -> None:
    """A new key for each money request that carries a valid one, so that examples never collide.

    A key that schemathesis left out or made invalid on purpose (empty, too long, not printable)
    is sent as it is: that request tests that the API refuses it with a 400.
    """
    headers = case.headers or {}
    key = headers.get(IDEMPOTENCY_HEADER)
    if (
        isinstance(key, str)
        and key.strip()
        and len(key) <= IDEMPOTENCY_KEY_MAX
        and key.isprintable()
    ):
        headers[IDEMPOTENCY_HEADER] = f"contract-{uuid.uuid4().hex}"
        case.headers = headers


class Budget:
    """Wall-clock seconds for the whole file, counted from the first operation."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.started: float | None = None

    def start(self) -> None:
        if self.started is None:
            self.started = time.monotonic()

    def spent(self) -> float:
        return 0.0 if self.started is None else time.monotonic() - self.started

    def exhausted(self) -> bool:
        return self.spent() >= self.seconds
