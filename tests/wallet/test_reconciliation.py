"""Reconciling the bank's daily camt.053 statement of the clearing account with the ledger:
next-business-day and late bookings match, the bank's fee, a returned payment, a duplicate
line, a different amount and a payment the bank never booked each open the right exception,
and reconciling the same statement again changes nothing."""

import dataclasses
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from accounts.bank.camt053 import (
    CODE_PAYMENT_RECEIVED,
    CREDIT,
    DEBIT,
    StatementEntry,
    add_business_days,
    camt053_render,
    next_business_day,
)
from accounts.bank.sandbox import SandboxBankConnector, sandbox_card_number, sandbox_link_verified
from accounts.models import Bank, SandboxOperation
from tests.wallet.factories import WalletFactory, balance
from wallet import services
from wallet.camt053 import StatementRefused, camt053_parse
from wallet.models import (
    BankStatement,
    BankStatementLine,
    Entry,
    ReconciliationException,
    ReconciliationMatch,
)
from wallet.services.reconciliation import bank_statement_import, reconcile_bank_day

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


Kind = ReconciliationException.Kind


@pytest.fixture
def customer_wallet(django_capture_on_commit_callbacks):
    wallet = WalletFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.wallet_fund_from_clearing(
            wallet=wallet, amount=Decimal("500.00"), currency="CNY", description="opening"
        )
    return wallet


def _source(user, ending, kind="debit_card"):
    return sandbox_link_verified(
        user=user,
        kind=kind,
        holder_name="张三",
        number=sandbox_card_number(ending=ending),
        bank=Bank.ICBC if kind == "bank_account" else "",
    )


def _fund(capture, *, wallet, source, amount, key, withdrawal=False):
    create = services.withdrawal_create if withdrawal else services.topup_create
    with capture(execute=True):
        result = create(
            user=wallet.user,
            source_id=source.pk,
            amount=amount,
            currency="CNY",
            idempotency_key=key,
        )
    result.order.refresh_from_db()
    return result.order


def _settled_on(order, day):
    """The bank decided at noon that day (the sandbox books it the next business day)."""
    noon = timezone.make_aware(
        timezone.datetime.combine(day, timezone.datetime.min.time()) + timedelta(hours=12)
    )
    SandboxOperation.objects.filter(reference=order.reference).update(decided_at=noon)


def _statement(day):
    return SandboxBankConnector().account_statement(day=day, currency="CNY")


def _with_extra_line(document, extra: StatementEntry) -> bytes:
    parsed = camt053_parse(document)
    return camt053_render(
        dataclasses.replace(
            parsed,
            entries=[*parsed.entries, extra],
            closing_balance=parsed.closing_balance + extra.signed_amount,
        )
    )


def _exceptions(statement):
    return sorted(
        (e.kind, e.reference, e.amount)
        for e in ReconciliationException.objects.filter(statement=statement)
    )


def test_a_day_with_a_late_booking_a_fee_a_returned_payment_and_a_duplicate_line(
    customer_wallet, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    wallet, today = customer_wallet, timezone.localdate()
    card = _source(wallet.user, "1234")
    returning = _source(wallet.user, "0077", kind="bank_account")
    closed = _source(wallet.user, "0069", kind="bank_account")
    top_up = _fund(capture, wallet=wallet, source=card, amount="100.00", key="t1")
    paid_out = _fund(
        capture, wallet=wallet, source=returning, amount="40.00", key="w1", withdrawal=True
    )
    rejected = _fund(
        capture, wallet=wallet, source=closed, amount="30.00", key="w2", withdrawal=True
    )
    late = _fund(capture, wallet=wallet, source=card, amount="25.00", key="t2")
    assert rejected.status == "rejected"  # the ledger gave it back: it nets out, no exception
    for order in (top_up, paid_out):
        _settled_on(order, today)
    first_day = next_business_day(today)
    _settled_on(late, first_day)  # the bank took its time: booked a business day late
    # The bank's file of the first day also repeats the top-up's line (a duplicate).
    document = _with_extra_line(
        _statement(first_day),
        StatementEntry(
            amount=Decimal("100.00"),
            currency="CNY",
            direction=CREDIT,
            booking_date=first_day,
            value_date=today,
            account_servicer_ref="SBX-DUP-1",
            end_to_end_id=top_up.reference,
            bank_code=CODE_PAYMENT_RECEIVED,
        ),
    )
    first = bank_statement_import(document=document, expected_day=first_day)
    assert (first.matched, first.unmatched) == (2, 2)
    assert _exceptions(first.statement) == sorted(
        [
            (Kind.DUPLICATE, top_up.reference, Decimal("-100.00")),
            (Kind.MISSING_IN_LEDGER, f"SBX{first_day:%Y%m%d}00003", Decimal("5.00")),
        ]
    )
    # The rejected withdrawal and its reversal are settled between themselves.
    assert ReconciliationMatch.objects.filter(line__isnull=True).count() == 2

    late_day = next_business_day(first_day)
    late_result = reconcile_bank_day(day=late_day)
    assert late_result.matched == 1  # booked days after the ledger, inside the window
    line = BankStatementLine.objects.get(end_to_end_id=late.reference)
    assert line.match.entry.transaction_id == late.transaction_id
    assert [e.kind for e in late_result.statement.exceptions.all()] == [Kind.MISSING_IN_LEDGER]

    returned = reconcile_bank_day(day=add_business_days(first_day, 3))
    back = ReconciliationException.objects.get(line__kind=BankStatementLine.Kind.RETURN)
    assert back.statement == returned.statement
    assert (back.kind, back.reference, back.amount) == (
        Kind.MISSING_IN_LEDGER,
        paid_out.reference,
        Decimal("-40.00"),
    )
    assert "AC04" in back.detail
    # Nothing is ever matched silently: every exception waits for a person.
    assert not ReconciliationException.objects.exclude(state="open").exists()
    assert balance(wallet) == Decimal("500.00") - 40 + 100 + 25


def test_reconciling_the_same_statement_twice_changes_nothing(
    customer_wallet, django_capture_on_commit_callbacks
):
    wallet, today = customer_wallet, timezone.localdate()
    order = _fund(
        django_capture_on_commit_callbacks,
        wallet=wallet,
        source=_source(wallet.user, "1234"),
        amount="80.00",
        key="t1",
    )
    _settled_on(order, today)
    day = next_business_day(today)
    out = StringIO()
    call_command("reconcile_bank", "--date", day.isoformat(), stdout=out)
    first_last_line = out.getvalue().strip().splitlines()[-1]
    assert first_last_line == "matched=1 unmatched=1"  # the top-up; the bank's fee
    counts = (
        BankStatement.objects.count(),
        BankStatementLine.objects.count(),
        ReconciliationMatch.objects.count(),
        ReconciliationException.objects.count(),
    )
    again = StringIO()
    call_command("reconcile_bank", "--date", day.isoformat(), stdout=again)
    assert again.getvalue().strip().splitlines()[-1] == first_last_line
    assert "nothing changed" in again.getvalue()
    assert counts == (
        BankStatement.objects.count(),
        BankStatementLine.objects.count(),
        ReconciliationMatch.objects.count(),
        ReconciliationException.objects.count(),
    )


def test_an_amount_the_bank_booked_differently_opens_an_exception_and_matches_nothing(
    customer_wallet, django_capture_on_commit_callbacks
):
    wallet, today = customer_wallet, timezone.localdate()
    order = _fund(
        django_capture_on_commit_callbacks,
        wallet=wallet,
        source=_source(wallet.user, "1234"),
        amount="80.00",
        key="t1",
    )
    _settled_on(order, today)
    day = next_business_day(today)
    parsed = camt053_parse(_statement(day))
    changed = [
        dataclasses.replace(e, amount=Decimal("79.00")) if e.end_to_end_id else e
        for e in parsed.entries
    ]
    document = camt053_render(
        dataclasses.replace(parsed, entries=changed, closing_balance=parsed.closing_balance - 1)
    )
    result = bank_statement_import(document=document)
    assert result.matched == 0
    differs = ReconciliationException.objects.get(kind=Kind.AMOUNT_DIFFERS)
    assert differs.amount == Decimal("1.00")  # the ledger took 80.00 from clearing, bank 79.00
    assert differs.entry.transaction_id == order.transaction_id
    assert "79.00" in differs.detail


def test_a_payment_the_bank_never_booked_is_missing_at_the_bank_once_its_window_passed(
    customer_wallet, django_capture_on_commit_callbacks, settings
):
    wallet, today = customer_wallet, timezone.localdate()
    source = _source(wallet.user, "1234")
    # The withdrawal is debited at once; the bank never hears of it (its task never runs).
    with django_capture_on_commit_callbacks(execute=False):
        order = services.withdrawal_create(
            user=wallet.user,
            source_id=source.pk,
            amount="60.00",
            currency="CNY",
            idempotency_key="w",
        ).order
    entry = Entry.objects.get(transaction=order.transaction, account__kind="bank_clearing")
    inside = today + timedelta(days=settings.RECONCILIATION_WINDOW_DAYS - 1)
    assert reconcile_bank_day(day=inside).unmatched == 0  # the bank may still book it
    last = today + timedelta(days=settings.RECONCILIATION_WINDOW_DAYS)
    result = reconcile_bank_day(day=last)
    missing = ReconciliationException.objects.get(kind=Kind.MISSING_AT_BANK)
    assert (missing.entry, missing.reference, missing.amount) == (
        entry,
        order.reference,
        Decimal("-60.00"),
    )
    assert result.unmatched == 1
    # Raised once: later days do not raise it again.
    assert reconcile_bank_day(day=last + timedelta(days=1)).unmatched == 0


def test_a_statement_for_another_account_or_currency_or_a_second_file_for_a_day_is_refused(
    settings,
):
    day = next_business_day(timezone.localdate())
    document = _statement(day)
    parsed = camt053_parse(document)
    other_account = camt053_render(dataclasses.replace(parsed, account_id="CN-SOMEONE-ELSE"))
    with pytest.raises(StatementRefused, match="CN-SOMEONE-ELSE"):
        bank_statement_import(document=other_account)
    usd = camt053_render(dataclasses.replace(parsed, currency="USD"))
    with pytest.raises(StatementRefused, match="USD"):
        bank_statement_import(document=usd)
    bank_statement_import(document=document)
    corrected = camt053_render(dataclasses.replace(parsed, message_id="SBX-CORRECTED"))
    with pytest.raises(StatementRefused, match="already imported"):
        bank_statement_import(document=corrected)
    assert BankStatement.objects.count() == 1


def test_a_line_with_an_unknown_reference_is_missing_in_the_ledger():
    day = next_business_day(timezone.localdate())
    document = _with_extra_line(
        _statement(day),
        StatementEntry(
            amount=Decimal("12.34"),
            currency="CNY",
            direction=DEBIT,
            booking_date=day,
            value_date=day,
            account_servicer_ref="SBX-X",
            end_to_end_id="FNOSUCHREFERENCE",
        ),
    )
    result = bank_statement_import(document=document)
    exception = result.statement.exceptions.get()
    assert (exception.kind, exception.reference, exception.amount) == (
        Kind.MISSING_IN_LEDGER,
        "FNOSUCHREFERENCE",
        Decimal("12.34"),
    )


def test_a_refused_statement_stores_nothing_and_the_command_says_why(tmp_path):
    day = next_business_day(timezone.localdate())
    broken = tmp_path / "broken.xml"
    broken.write_bytes(_statement(day)[:-40])
    with pytest.raises(CommandError, match="not well-formed"):
        call_command("reconcile_bank", "--date", day.isoformat(), "--file", str(broken))
    assert not BankStatement.objects.exists()
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("reconcile_bank", "--date", "27/11/2026")


def test_the_periodic_task_reconciles_the_previous_business_day_once(settings):
    from accounts.bank.camt053 import previous_business_day
    from wallet import tasks

    assert "wallet.reconcile_bank" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    first = tasks.reconcile_bank()
    assert tasks.reconcile_bank() == first == {"CNY": {"matched": 0, "unmatched": 0}}
    assert list(BankStatement.objects.values_list("date", flat=True)) == [
        previous_business_day(timezone.localdate())
    ]


@pytest.mark.postgres
def test_imported_lines_and_matches_cannot_be_changed_or_removed(
    customer_wallet, django_capture_on_commit_callbacks
):
    from django.db import DatabaseError, transaction

    wallet, today = customer_wallet, timezone.localdate()
    order = _fund(
        django_capture_on_commit_callbacks,
        wallet=wallet,
        source=_source(wallet.user, "1234"),
        amount="80.00",
        key="t1",
    )
    _settled_on(order, today)
    reconcile_bank_day(day=next_business_day(today))
    assert ReconciliationMatch.objects.count() == 1
    with pytest.raises(DatabaseError, match="pgtrigger"), transaction.atomic():
        ReconciliationMatch.objects.all().delete()
    with pytest.raises(DatabaseError, match="pgtrigger"), transaction.atomic():
        BankStatementLine.objects.update(amount=Decimal("1.00"))
    with pytest.raises(DatabaseError, match="pgtrigger"), transaction.atomic():
        ReconciliationMatch.objects.update(line=None)
