"""Currency exchange: a quote fixes the price, the exchange uses exactly it, once, in time."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from config.api_errors import ApplicationError
from wallet import services
from wallet.audit import ledger_breaches
from wallet.models import FxQuote, FxRate, LedgerAccount

from .factories import balance, funded_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rates():
    FxRate.objects.create(currency="USD", cny_per_unit=Decimal("7.10"), spread_bps=50)
    FxRate.objects.create(currency="JPY", cny_per_unit=Decimal("0.048"), spread_bps=50)


@pytest.fixture
def wallet():
    return funded_wallet("1000.00")


def _api(wallet):
    client = APIClient()
    client.force_authenticate(wallet.user)
    return client


def test_the_quoted_amounts_are_the_ones_posted(wallet):
    client = _api(wallet)
    quote = client.post(
        "/api/v1/exchanges/quotes/",
        {"sell_currency": "CNY", "buy_currency": "USD", "sell_amount": "710"},
        format="json",
    ).json()
    # 710 CNY at mid 7.10 is 100 USD; the 0.5% spread leaves 99.50.
    assert quote["buy_amount"] == "99.50"
    response = client.post(
        "/api/v1/exchanges/", {"quote": quote["quote"]}, format="json", HTTP_IDEMPOTENCY_KEY="x1"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["amount"] == "710.00"
    assert balance(wallet, "CNY") == Decimal("290.00")
    assert balance(wallet, "USD") == Decimal("99.50")
    position = {a.currency: a.balance for a in LedgerAccount.objects.filter(kind="fx_position")}
    assert position == {"CNY": Decimal("710.00"), "USD": Decimal("-99.50")}
    assert ledger_breaches() == []


def test_a_quote_is_used_once(wallet):
    quote = services.fx_quote_create(
        user=wallet.user, sell_currency="CNY", buy_currency="USD", sell_amount="10"
    )
    services.exchange_create(user=wallet.user, quote_token=quote.token, idempotency_key="a")
    replay = services.exchange_create(
        user=wallet.user, quote_token=quote.token, idempotency_key="a"
    )
    assert replay.replayed
    with pytest.raises(ApplicationError) as error:
        services.exchange_create(user=wallet.user, quote_token=quote.token, idempotency_key="b")
    assert error.value.get_codes() == "quote_used"
    assert balance(wallet, "CNY") == Decimal("990.00")


def test_an_expired_quote_is_refused(wallet):
    quote = services.fx_quote_create(
        user=wallet.user, sell_currency="CNY", buy_currency="USD", sell_amount="10"
    )
    FxQuote.objects.filter(pk=quote.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = _api(wallet).post(
        "/api/v1/exchanges/", {"quote": quote.token}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "quote_expired"
    assert balance(wallet, "CNY") == Decimal("1000.00")


def test_another_customers_quote_is_not_found(wallet):
    other = funded_wallet("1000.00")
    quote = services.fx_quote_create(
        user=other.user, sell_currency="CNY", buy_currency="USD", sell_amount="10"
    )
    response = _api(wallet).post(
        "/api/v1/exchanges/", {"quote": quote.token}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 400
    assert "quote" in response.json()["errors"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"buy_currency": "CNY"}, "buy_currency"),
        ({"buy_currency": "EUR"}, "buy_currency"),
        ({"sell_amount": "0.001"}, "sell_amount"),
        ({"sell_amount": "-5"}, "sell_amount"),
        ({"sell_currency": "XXX"}, "sell_currency"),
    ],
)
def test_bad_quotes_name_the_field(wallet, body, field):
    payload = {"sell_currency": "CNY", "buy_currency": "USD", "sell_amount": "10", **body}
    response = _api(wallet).post("/api/v1/exchanges/quotes/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()


def test_selling_more_than_the_balance_is_refused_at_exchange(wallet):
    quote = services.fx_quote_create(
        user=wallet.user, sell_currency="CNY", buy_currency="USD", sell_amount="1000.01"
    )
    with pytest.raises(ApplicationError):
        services.exchange_create(user=wallet.user, quote_token=quote.token, idempotency_key="k")
    assert balance(wallet, "CNY") == Decimal("1000.00")


def test_rates_board(wallet):
    board = _api(wallet).get("/api/v1/fx-rates/").json()
    usd = next(row for row in board if row["currency"] == "USD")
    assert (
        Decimal(usd["customer_buys_at"])
        > Decimal(usd["mid_cny_per_unit"])
        > Decimal(usd["customer_sells_at"])
    )


def test_exchange_pages(client, wallet):
    client.force_login(wallet.user)
    response = client.post(
        reverse("wallet:exchange"),
        {"sell_currency": "CNY", "buy_currency": "JPY", "sell_amount": "48"},
    )
    assert "JPY" in response.content.decode()
    response = client.post(reverse("wallet:exchange_confirm"), response.context["form"].initial)
    assert response.status_code == 302
    assert balance(wallet, "JPY") == Decimal(
        "995"
    )  # 48 CNY = 1000 JPY at mid, less the 0.5% spread


@settings(max_examples=40, deadline=None)
@given(
    sell=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2),
    to=st.sampled_from(["USD", "JPY"]),
)
def test_rounding_never_gives_the_customer_more_than_the_rate(sell, to):
    from tests.accounts.factories import UserFactory
    from wallet.services.fx import customer_rate

    wallet_user = UserFactory()
    services.wallet_activate(user=wallet_user)
    try:
        quote = services.fx_quote_create(
            user=wallet_user, sell_currency="CNY", buy_currency=to, sell_amount=str(sell)
        )
    except ApplicationError:
        return  # too small to buy one minor unit
    assert quote.buy_amount <= sell * customer_rate("CNY", to)
    assert quote.buy_amount > 0
