"""The cash desk under real concurrency on PostgreSQL: a double click that arrives as two
simultaneous POSTs posts once; a till being closed takes no cash at the same moment."""

import threading
from decimal import Decimal

import pytest
from django.core.management import call_command

from backoffice import cash_services, roles
from backoffice.models import CashMovement, Till
from tests.concurrency import together
from tests.wallet.factories import balance, funded_wallet
from wallet.models import Transaction
from wallet.services.cash import cash_code_issue

from .factories import branch, customer_at, staff

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk():
    home = branch("PGX")
    teller = staff(roles.TELLER, home)
    customer = customer_at(home, kyc_level=1)
    wallet = funded_wallet("500.00", user=customer)
    till = cash_services.till_open(teller=teller, opening_float="1000.00")
    return {"teller": teller, "customer": customer, "wallet": wallet, "till": till}


def test_concurrent_cash_in_posts_with_one_key_move_money_once(desk):
    outcomes = together(
        4,
        lambda i: cash_services.cash_in(
            teller=desk["teller"],
            customer_pk=desk["customer"].pk,
            amount="100.00",
            idempotency_key="double-click",
        ),
    )
    assert [kind for kind, _value in outcomes] == ["ok"] * 4, outcomes
    assert sorted(value.replayed for _kind, value in outcomes) == [False, True, True, True]
    assert len({value.transaction.pk for _kind, value in outcomes}) == 1
    assert balance(desk["wallet"]) == Decimal("600.00")
    assert Transaction.objects.filter(kind=Transaction.Kind.CASH_IN).count() == 1
    assert CashMovement.objects.count() == 1
    call_command("ledger_audit")


def test_concurrent_cash_out_posts_with_one_key_and_one_code_pay_out_once(desk):
    _row, code = cash_code_issue(user=desk["customer"], amount="80.00")
    outcomes = together(
        3,
        lambda i: cash_services.cash_out(
            teller=desk["teller"],
            customer_pk=desk["customer"].pk,
            amount="80.00",
            idempotency_key="double-click-out",
            code=code,
        ),
    )
    assert [kind for kind, _value in outcomes] == ["ok"] * 3, outcomes
    assert balance(desk["wallet"]) == Decimal("420.00")
    assert Transaction.objects.filter(kind=Transaction.Kind.CASH_OUT).count() == 1
    call_command("ledger_audit")


def test_cash_racing_a_till_close_is_either_in_the_till_count_or_refused(desk):
    def work(i):
        if i == 0:
            return cash_services.till_close(
                teller=desk["teller"], till_id=desk["till"].pk, total="1000.00"
            )
        return cash_services.cash_in(
            teller=desk["teller"],
            customer_pk=desk["customer"].pk,
            amount="10.00",
            idempotency_key=f"race-{i}",
        )

    together(4, work)
    till = Till.objects.get()
    posted = CashMovement.objects.filter(till=till).count()
    # Whatever was posted before the close is in its expected cash; nothing after it.
    assert till.expected_cash == Decimal("1000.00") + 10 * posted
    assert balance(desk["wallet"]) == Decimal("500.00") + 10 * posted
    call_command("ledger_audit")


def test_one_large_cash_out_approval_pays_out_once_when_two_withdrawals_race(
    desk, settings, monkeypatch
):
    """Two withdrawals with different keys, each authorised by the customer (a code and their
    authenticator), race for one branch manager's approval: one pays out, the other is refused
    with a clear message — never a server error, never twice."""
    from backoffice import approvals
    from config.api_errors import ApplicationError
    from tests.accounts.factories import TOTPDeviceFactory, totp_code

    settings.BACKOFFICE_CASH_OUT_APPROVAL_LIMIT = "300.00"
    cash_services.cash_in(
        teller=desk["teller"],
        customer_pk=desk["customer"].pk,
        amount="400.00",
        idempotency_key="in",
    )
    manager = staff(roles.BRANCH_MANAGER, branch("PGX"))
    asked = cash_services.large_cash_out_request(
        teller=desk["teller"], customer_pk=desk["customer"].pk, amount="400.00", reason="学费"
    )
    approvals.approval_approve(actor=manager, pk=asked.pk)
    _row, code = cash_code_issue(user=desk["customer"], amount="400.00")
    otp = totp_code(TOTPDeviceFactory(user=desk["customer"]), steps_ahead=1)
    authorisations = [{"code": code}, {"otp": otp}]
    # Both have passed the first look for an unused approval before either posts; the teller's
    # till row lock then orders the two postings, so the second sees the first's movement.
    both_authorised = threading.Barrier(2, timeout=30)
    authorise = cash_services.cash_out_authorise

    def authorise_then_wait(**kwargs):
        result = authorise(**kwargs)
        both_authorised.wait()
        return result

    monkeypatch.setattr(cash_services, "cash_out_authorise", authorise_then_wait)

    outcomes = together(
        2,
        lambda i: cash_services.cash_out(
            teller=desk["teller"],
            customer_pk=desk["customer"].pk,
            amount="400.00",
            idempotency_key=f"race-{i}",
            **authorisations[i],
        ),
    )
    kinds = sorted(kind for kind, _value in outcomes)
    assert kinds == ["error", "ok"], outcomes
    refusal = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(refusal, ApplicationError), refusal
    assert refusal.get_codes() == "approval_required"
    assert balance(desk["wallet"]) == Decimal("500.00")
    assert Transaction.objects.filter(kind=Transaction.Kind.CASH_OUT).count() == 1
    call_command("ledger_audit")
