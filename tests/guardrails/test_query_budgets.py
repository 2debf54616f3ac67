"""No page and no API list costs more database queries with 100 rows than with 10 (no N+1).

The pages are the crawler's start paths (every named URL without arguments), the API lists every
/api/v1/ pattern without parameters whose view answers GET, so both grow with the URLconf. A
customer with 10 of everything (transfers out and in, merchant and bill payments, payment
requests, some paid, budgets and their alerts, top-ups and withdrawals) loads each once, then a customer with 100 does;
the shared lists (billers, merchants) grow from 10 to 100 in between.
"""

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.bank.sandbox import sandbox_card_number, sandbox_link_verified
from tests.wallet.factories import BillerFactory, MerchantFactory, funded_wallet
from wallet import services
from wallet.models import Biller, Merchant, Wallet

from .access import all_endpoints
from .crawl import NOT_FOUND_PROBE, start_paths
from .report import record_summary

FEW, MANY = 10, 100


def page_paths() -> list[str]:
    return [p for p in start_paths() if p != NOT_FOUND_PROBE]


def api_list_paths() -> list[str]:
    """The /api/v1/ endpoints without parameters that answer GET."""
    paths = []
    for endpoint in all_endpoints():
        if not endpoint.route.startswith("api/v1/") or endpoint.params:
            continue
        view_class = getattr(endpoint.callback, "view_class", None)
        if view_class is not None and not hasattr(view_class, "get"):
            continue  # POST only
        paths.append(reverse(endpoint.key))
    return paths


def shared_rows_ensure(n: int) -> tuple[list[Merchant], list[Biller]]:
    """n shops over every category, and n billers: the lists every customer sees."""
    categories = Merchant.Category.values
    merchants = list(Merchant.objects.filter(biller__isnull=True).order_by("pk"))
    merchants += [
        MerchantFactory(category=categories[i % len(categories)]) for i in range(len(merchants), n)
    ]
    billers = list(Biller.objects.order_by("pk"))
    billers += [BillerFactory() for _ in range(len(billers), n)]
    return merchants, billers


def activity_create(wallet: Wallet, n: int, *, counterparty: Wallet, merchants, billers) -> None:
    """n of each kind of row a customer's lists show, made through wallet.services."""
    user = wallet.user
    for category in Merchant.Category.values:  # low budgets: the payments cross 80% and 100%
        services.budget_set(user=user, category=category, amount="5.00")
    card = sandbox_link_verified(
        user=user, kind="debit_card", holder_name="张三", number=sandbox_card_number()
    )
    for i in range(n):
        key = f"{user.pk}-{i}"
        for create in (services.topup_create, services.withdrawal_create):
            create(
                user=user,
                source_id=card.pk,
                amount="1.00",
                currency="CNY",
                idempotency_key=f"{create.__name__}-{key}",
            )
        services.transfer_create(
            sender_user=user,
            to=counterparty.handle,
            amount="1.00",
            currency="CNY",
            note=f"转出 {i}",
            idempotency_key=f"out-{key}",
        )
        services.transfer_create(
            sender_user=counterparty.user,
            to=wallet.handle,
            amount="2.00",
            currency="CNY",
            note=f"转入 {i}",
            idempotency_key=f"in-{key}",
        )
        services.payment_create(
            payer_user=user,
            merchant_code=merchants[i % len(merchants)].code,
            amount="1.00",
            currency="CNY",
            note=f"消费 {i}",
            idempotency_key=f"pay-{key}",
        )
        services.bill_payment_create(
            payer_user=user,
            biller_code=billers[i % len(billers)].code,
            reference="0123456789",
            amount="1.00",
            idempotency_key=f"bill-{key}",
        )
        request = services.payment_request_create(
            user=user, amount="3.00", currency="CNY", note=f"收款 {i}"
        )
        if i % 2:
            services.payment_request_pay(
                payer_user=counterparty.user, token=request.token, idempotency_key=f"req-{key}"
            )


def queries(client: Client, path: str) -> tuple[int, int]:
    """The status and the number of queries of a GET, after one GET to warm the caches."""
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    count = len(captured)  # right away: Django resets its query log on every request
    return response.status_code, count


@dataclass
class Budget:
    path: str
    status: int
    few: int
    many: int


def measure(paths: list[str], few: int, many: int) -> list[Budget]:
    counterparty = funded_wallet("100000.00", user__full_name="对方客户")
    counts = {}
    for n in (few, many):
        merchants, billers = shared_rows_ensure(n)
        wallet = funded_wallet("10000.00")
        activity_create(wallet, n, counterparty=counterparty, merchants=merchants, billers=billers)
        client = Client()
        client.force_login(wallet.user)
        counts[n] = {path: queries(client, path) for path in paths}
        if "/api/v1/transactions/" in paths:  # every list really has n rows
            listed = client.get("/api/v1/transactions/").json()["count"]
            assert listed >= 4 * n, f"{listed} history entries for n={n}"
    return [
        Budget(path, counts[many][path][0], counts[few][path][1], counts[many][path][1])
        for path in paths
    ]


def table(budgets: list[Budget], few: int, many: int) -> str:
    width = max(len(b.path) for b in budgets)
    lines = [f"{'path'.ljust(width)}  status  {few:>4} rows  {many:>4} rows"]
    lines += [
        f"{b.path.ljust(width)}  {b.status:>6}  {b.few:>9}  {b.many:>9}"
        + ("  <- more" if b.many > b.few else "")
        for b in budgets
    ]
    return "\n".join(lines)


def test_the_budgets_cover_every_page_and_api_list():
    pages, api = page_paths(), api_list_paths()
    for path in ("/dashboard/", "/wallet/history/", "/wallet/receive/", "/wallet/spending/"):
        assert path in pages
    for path in ("/api/v1/transactions/", "/api/v1/payment-requests/", "/api/v1/billers/"):
        assert path in api
    assert "/api/v1/transfers/" not in api  # POST only
    assert not [p for p in api if "<" in p]


@pytest.mark.django_db
def test_no_page_or_api_list_costs_more_queries_with_more_rows():
    paths = page_paths() + api_list_paths()
    budgets = measure(paths, FEW, MANY)
    report = f"{table(budgets, FEW, MANY)}\n{len(budgets)} query budgets checked"
    print(f"\n{report}")
    record_summary("query-budgets", report)
    assert not [b for b in budgets if b.status >= 500]
    offenders = [
        f"{b.path}: {b.few} queries with {FEW} rows, {b.many} with {MANY}"
        for b in budgets
        if b.many > b.few
    ]
    assert not offenders, "more rows, more queries (an N+1?):\n" + "\n".join(offenders)


@pytest.mark.django_db
@pytest.mark.urls("tests.guardrails.leaky_urls")
def test_the_budget_catches_a_list_with_a_query_per_row():
    assert "/leaky/history/" in page_paths()
    budgets = {b.path: b for b in measure(["/leaky/history/", "/wallet/history/"], 2, 4)}
    assert budgets["/leaky/history/"].many > budgets["/leaky/history/"].few
    assert budgets["/wallet/history/"].many <= budgets["/wallet/history/"].few
