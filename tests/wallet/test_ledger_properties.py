"""Whatever sequence of money operations customers make, the ledger's invariants hold."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.api_errors import ApplicationError
from wallet import ledger, services
from wallet.audit import ledger_breaches
from wallet.models import Entry, FxRate, LedgerAccount, Transaction

from .factories import MerchantFactory, funded_wallet

pytestmark = pytest.mark.django_db

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("400"), places=2)
operation = st.one_of(
    st.tuples(st.just("transfer"), st.integers(0, 3), st.integers(0, 3), amounts),
    st.tuples(st.just("pay"), st.integers(0, 3), st.just(0), amounts),
    st.tuples(st.just("exchange"), st.integers(0, 3), st.just(0), amounts),
    st.tuples(st.just("reverse"), st.integers(0, 3), st.just(0), st.just(Decimal(0))),
    st.tuples(st.just("request"), st.integers(0, 3), st.integers(0, 3), amounts),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, min_size=1, max_size=12))
def test_any_sequence_keeps_the_ledger_balanced(operations):
    FxRate.objects.get_or_create(
        currency="USD", defaults={"cny_per_unit": Decimal("7.10"), "spread_bps": 50}
    )
    wallets = [funded_wallet("500.00") for _ in range(4)]
    merchant = MerchantFactory()
    for n, (kind, a, b, amount) in enumerate(operations):
        payer, payee = wallets[a], wallets[b]
        key = f"op-{n}"
        try:
            if kind == "transfer":
                services.transfer_create(
                    sender_user=payer.user,
                    to=payee.handle,
                    amount=amount,
                    currency="CNY",
                    idempotency_key=key,
                )
            elif kind == "pay":
                services.payment_create(
                    payer_user=payer.user,
                    merchant_code=merchant.code,
                    amount=amount,
                    currency="CNY",
                    idempotency_key=key,
                )
            elif kind == "exchange":
                quote = services.fx_quote_create(
                    user=payer.user, sell_currency="CNY", buy_currency="USD", sell_amount=amount
                )
                services.exchange_create(
                    user=payer.user, quote_token=quote.token, idempotency_key=key
                )
            elif kind == "request":
                request = services.payment_request_create(
                    user=payee.user, amount=amount, currency="CNY"
                )
                services.payment_request_pay(
                    payer_user=payer.user, token=request.token, idempotency_key=key
                )
            else:
                last = (
                    Transaction.objects.filter(initiated_by=payer.user)
                    .exclude(kind="reversal")
                    .last()
                )
                if last is not None:
                    with transaction.atomic():
                        ledger.reverse(original=last)
        except ApplicationError:
            pass  # refused (overdraft, self-transfer, limit...): must have changed nothing

    assert ledger_breaches() == []
    for currency, total in Entry.objects.values_list("currency").annotate(Sum("amount")):
        assert total == 0, currency
    assert not LedgerAccount.objects.filter(
        kind__in=["customer", "merchant"], balance__lt=0
    ).exists()
