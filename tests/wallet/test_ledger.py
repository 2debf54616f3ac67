"""Posting: balanced, locked, never below zero for customers, reversals as new transactions."""

from decimal import Decimal

import pgtrigger
import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from wallet import ledger, services
from wallet.audit import ledger_breaches
from wallet.models import Entry, LedgerAccount, Transaction

from .factories import WalletFactory, balance, funded_wallet

pytestmark = pytest.mark.django_db


def _accounts(currency="CNY"):
    a = services.wallet_account_ensure(wallet=WalletFactory(), currency=currency)
    b = services.wallet_account_ensure(wallet=WalletFactory(), currency=currency)
    return a, b


def test_funding_posts_a_balanced_transaction_and_moves_the_balance():
    wallet = funded_wallet("250.00")
    assert balance(wallet) == Decimal("250.00")
    txn = Transaction.objects.get()
    assert sorted(e.amount for e in txn.entries.all()) == [Decimal("-250.00"), Decimal("250.00")]
    assert ledger_breaches() == []


def test_unbalanced_legs_are_refused_before_anything_is_written():
    a, b = _accounts()
    with pytest.raises(ledger.UnbalancedPosting), transaction.atomic():
        ledger.post(
            kind="adjustment", legs=[ledger.Leg(a, Decimal("-1")), ledger.Leg(b, Decimal("2"))]
        )
    assert not Transaction.objects.exists()


def test_a_customer_account_cannot_be_overdrawn():
    source = services.wallet_account_ensure(wallet=funded_wallet("10.00"), currency="CNY")
    _, target = _accounts()
    with pytest.raises(ledger.InsufficientFunds), transaction.atomic():
        ledger.post(
            kind="transfer",
            legs=[ledger.Leg(source, Decimal("-10.01")), ledger.Leg(target, Decimal("10.01"))],
        )
    source.refresh_from_db()
    assert source.balance == Decimal("10.00")
    assert Transaction.objects.count() == 1  # only the funding


def test_the_database_refuses_a_negative_customer_balance_even_without_the_service():
    a, _ = _accounts()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerAccount.objects.filter(pk=a.pk).update(balance=Decimal("-0.01"))


def test_system_accounts_may_go_negative():
    funded_wallet("99.00")
    clearing = LedgerAccount.objects.get(kind=LedgerAccount.Kind.BANK_CLEARING)
    assert clearing.balance == Decimal("-99.00")


@pytest.mark.django_db(transaction=True)
def test_posting_outside_a_transaction_is_a_programming_error():
    a, b = _accounts()
    with pytest.raises(RuntimeError):
        ledger.post(
            kind="adjustment", legs=[ledger.Leg(a, Decimal("-1")), ledger.Leg(b, Decimal("1"))]
        )


def test_a_reversal_is_a_new_transaction_and_only_one_is_allowed():
    wallet = funded_wallet("40.00")
    original = Transaction.objects.get()
    with transaction.atomic():
        reversal = ledger.reverse(original=original)
    assert reversal.reverses == original
    assert balance(wallet) == Decimal("0.00")
    assert Transaction.objects.count() == 2
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017
        ledger.reverse(original=original)
    assert ledger_breaches() == []


def test_ledger_audit_is_clean_and_names_a_tampered_balance(capsys):
    wallet = funded_wallet("10.00")
    call_command("ledger_audit")
    assert "clean" in capsys.readouterr().out

    LedgerAccount.objects.filter(wallet=wallet).update(balance=Decimal("11.00"))
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("ledger_audit")
    assert "balance equals entries" in capsys.readouterr().err


def test_ledger_audit_names_an_unbalanced_transaction(capsys):
    # A row corrupted behind the ledger's back. PostgreSQL's trigger would refuse it (see
    # test_ledger_postgres.py), so it is switched off inside this test's transaction only.
    # PostgreSQL also refuses any edit of a posted entry; that trigger is ignored here too.
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE wallet_entry DISABLE TRIGGER wallet_entry_balanced")
    funded_wallet("10.00")
    entry = Entry.objects.filter(amount__gt=0).get()
    with pgtrigger.ignore("wallet.Entry:entry_append_only"):
        Entry.objects.filter(pk=entry.pk).update(amount=Decimal("9.00"))
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("ledger_audit")
    assert "entries sum to zero" in capsys.readouterr().err
