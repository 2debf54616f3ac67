"""The bank connector: how the wallet talks to the customer's bank.

No real bank is reachable, so `settings.BANK_CONNECTOR` names an implementation of
`BankConnector`; the sandbox (accounts.bank.sandbox) behaves like a bank. A real bank's adapter
replaces it by setting, nothing else. The connector is the only code that ever sees a full
card or account number: it answers with a token, and the wallet keeps the token.

Operations are asynchronous like a bank's: `debit_request`/`credit_request` only submit, and
`operation_status` (asked from a Celery task) answers pending, settled or rejected.
"""

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Tokenized:
    token: str
    bank: str  # a accounts.models.Bank value
    last4: str


@dataclass(frozen=True)
class OperationStatus:
    state: str  # "pending", "settled" or "rejected"
    reason: str = ""  # a REJECTION_REASONS key when rejected

    @property
    def is_final(self) -> bool:
        return self.state in ("settled", "rejected")


# What a bank may answer when it refuses, as the customer is told it.
REJECTION_REASONS = {
    "insufficient_funds": _("There is not enough money in the bank account or card."),
    "account_closed": _("The bank account or card is closed."),
    "bank_declined": _("The bank declined the operation. Please try again later."),
}


class BankUnavailable(Exception):
    """The bank did not answer; the caller retries later. Never shown as a rejection."""


class BankConnector(Protocol):
    is_sandbox: bool

    def tokenize(self, *, kind: str, number: str, bank: str | None) -> Tokenized: ...

    def micro_deposits_send(self, *, token: str) -> None:
        """Send two small deposits (under 1.00) to the account; the customer reads them on
        their bank statement and types them back to prove the account is theirs."""

    def micro_deposits_match(self, *, token: str, amounts: tuple[Decimal, Decimal]) -> bool: ...

    def debit_request(
        self, *, token: str, amount: Decimal, currency: str, reference: str
    ) -> None: ...

    def credit_request(
        self, *, token: str, amount: Decimal, currency: str, reference: str
    ) -> None: ...

    def operation_status(self, *, reference: str) -> OperationStatus: ...

    def account_statement(self, *, day: date, currency: str) -> bytes:
        """The day's ISO 20022 camt.053.001.08 statement of the wallet's clearing account at the
        bank (settings.BANK_CLEARING_ACCOUNT_ID), as the bank sends it (accounts/bank/camt053.py)."""


@functools.cache
def _connector_class(path: str):
    return import_string(path)


def bank_connector() -> BankConnector:
    return _connector_class(settings.BANK_CONNECTOR)()
