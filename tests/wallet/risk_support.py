"""Helpers for the risk tests: rules as a risk officer would configure them."""

from decimal import Decimal

from rest_framework.test import APIClient

from wallet.models import RiskRule


def rule(code, action=RiskRule.Action.HOLD, **thresholds) -> RiskRule:
    for name in ("amount_threshold",):
        if thresholds.get(name) is not None:
            thresholds[name] = Decimal(thresholds[name])
    return RiskRule.objects.create(code=code, action=action, **thresholds)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def transfer(user, to, amount, key):
    return api(user).post(
        "/api/v1/transfers/",
        {"to": to, "amount": str(amount), "currency": "CNY"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
