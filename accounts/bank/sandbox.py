"""The sandbox bank: behaves like a bank, for the demo and the tests.

- A card's bank comes from its first digits (the issuer identification number).
- Numbers ending in 0002 are refused for insufficient funds, 0069 as closed (as test cards
  at card networks do); any other number settles.
- `BANK_SANDBOX_FAILURE_RATE` (0 to 1) declines that share of operations at random and
  `BANK_SANDBOX_DELAY_SECONDS` makes every answer that slow, to rehearse a bad day.
- Micro-deposits are two random amounts between 0.01 and 0.99; `statement` shows them, as
  the customer's own bank statement would.
- Numbers ending in 0077 pay withdrawals out, then the receiving bank returns the payment
  BANK_SANDBOX_RETURN_AFTER_DAYS business days later.
- `account_statement` writes a day's camt.053 statement of the wallet's clearing account at
  the bank, as a real bank would: what it settled is booked on the next business day, it
  charges a fee on every day with activity, and returned payments come back later.

It keeps no number: only the token, how the number told it to behave and what it sent.
"""

import secrets
import time
from collections import defaultdict
from datetime import date, datetime
from datetime import time as day_time
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import Bank, LinkedAccount, SandboxInstrument, SandboxOperation
from . import BankUnavailable, OperationStatus, Tokenized
from .camt053 import (
    CODE_FEE,
    CODE_PAYMENT_RECEIVED,
    CODE_PAYMENT_SENT,
    CODE_RETURN,
    CREDIT,
    DEBIT,
    Statement,
    StatementEntry,
    add_business_days,
    camt053_render,
    next_business_day,
)

ISSUERS = {
    "622202": Bank.ICBC,
    "621226": Bank.ICBC,
    "621700": Bank.CCB,
    "436742": Bank.CCB,
    "622848": Bank.ABC,
    "621661": Bank.BOC,
    "456351": Bank.BOC,
    "622262": Bank.BOCOM,
    "622588": Bank.CMB,
    "621483": Bank.CMB,
}
BEHAVIOUR_BY_ENDING = {
    "0002": SandboxInstrument.Behaviour.INSUFFICIENT_FUNDS,
    "0069": SandboxInstrument.Behaviour.ACCOUNT_CLOSED,
    "0077": SandboxInstrument.Behaviour.RETURNS_PAYMENTS,
}
_random = secrets.SystemRandom()


def _micro_amount() -> Decimal:
    return Decimal(_random.randint(1, 99)) / 100


class SandboxBankConnector:
    is_sandbox = True

    def tokenize(self, *, kind: str, number: str, bank: str | None) -> Tokenized:
        if kind != LinkedAccount.Kind.BANK_ACCOUNT or not bank:
            bank = ISSUERS.get(number[:6], Bank.OTHER)
        instrument = SandboxInstrument.objects.create(
            token="tok_" + secrets.token_urlsafe(18),
            behaviour=BEHAVIOUR_BY_ENDING.get(number[-4:], SandboxInstrument.Behaviour.NORMAL),
        )
        return Tokenized(token=instrument.token, bank=bank, last4=number[-4:])

    def micro_deposits_send(self, *, token: str) -> None:
        first, second = _micro_amount(), _micro_amount()
        SandboxInstrument.objects.filter(token=token).update(
            micro_deposit_1=first, micro_deposit_2=second
        )

    def micro_deposits_match(self, *, token: str, amounts: tuple[Decimal, Decimal]) -> bool:
        instrument = SandboxInstrument.objects.filter(token=token).first()
        if instrument is None or instrument.micro_deposit_1 is None:
            return False
        sent = sorted([instrument.micro_deposit_1, instrument.micro_deposit_2])
        return sorted(amounts) == sent

    def statement(self, *, token: str) -> list[Decimal]:
        """What the customer's bank statement shows: the sandbox's stand-in for their bank app."""
        instrument = SandboxInstrument.objects.filter(token=token).first()
        if instrument is None or instrument.micro_deposit_1 is None:
            return []
        return [instrument.micro_deposit_1, instrument.micro_deposit_2]

    def debit_request(self, *, token: str, amount: Decimal, currency: str, reference: str) -> None:
        self._submit(
            token=token, direction="debit", amount=amount, currency=currency, ref=reference
        )

    def credit_request(self, *, token: str, amount: Decimal, currency: str, reference: str) -> None:
        self._submit(
            token=token, direction="credit", amount=amount, currency=currency, ref=reference
        )

    def _submit(self, *, token, direction, amount, currency, ref) -> None:
        # The same reference twice is one operation, as at a bank that dedupes by reference.
        SandboxOperation.objects.get_or_create(
            reference=ref,
            defaults={
                "token": token,
                "direction": direction,
                "amount": amount,
                "currency": currency,
            },
        )

    def operation_status(self, *, reference: str) -> OperationStatus:
        delay = settings.BANK_SANDBOX_DELAY_SECONDS
        if delay:
            time.sleep(delay)
        with transaction.atomic():
            operation = (
                SandboxOperation.objects.select_for_update().filter(reference=reference).first()
            )
            if operation is None:
                raise BankUnavailable(f"sandbox bank knows no operation {reference}")
            if operation.outcome == SandboxOperation.Outcome.PENDING:
                self._decide(operation)
        return OperationStatus(state=operation.outcome, reason=operation.reason)

    def _decide(self, operation: SandboxOperation) -> None:
        """Decided once and remembered: asking again gets the same answer."""
        instrument = SandboxInstrument.objects.filter(token=operation.token).first()
        behaviour = (
            instrument.behaviour if instrument else SandboxInstrument.Behaviour.ACCOUNT_CLOSED
        )
        reason = ""
        if behaviour == SandboxInstrument.Behaviour.ACCOUNT_CLOSED:
            reason = "account_closed"
        elif behaviour == SandboxInstrument.Behaviour.INSUFFICIENT_FUNDS and (
            operation.direction == "debit"
        ):
            reason = "insufficient_funds"
        elif _random.random() < settings.BANK_SANDBOX_FAILURE_RATE:
            reason = "bank_declined"
        operation.outcome = (
            SandboxOperation.Outcome.REJECTED if reason else SandboxOperation.Outcome.SETTLED
        )
        operation.reason = reason
        operation.decided_at = timezone.now()
        operation.save(update_fields=["outcome", "reason", "decided_at"])

    # --- the statement of the wallet's clearing account at the bank --------------------------

    def account_statement(self, *, day: date, currency: str) -> bytes:
        """The camt.053 statement of `day`: the same bytes every time for the same operations."""
        booked = _booked_entries(currency)
        opening = sum(
            (
                entry.signed_amount
                for when, entries in booked.items()
                if when < day
                for entry in entries
            ),
            Decimal(0),
        )
        entries = booked.get(day, [])
        closing = opening + sum((entry.signed_amount for entry in entries), Decimal(0))
        stamp = f"{day:%Y%m%d}"
        created = timezone.make_aware(
            datetime.combine(next_business_day(day), day_time(6, 0)),
            timezone.get_default_timezone(),
        )
        return camt053_render(
            Statement(
                message_id=f"SBX-{currency}-{stamp}",
                statement_id=f"SBX-STMT-{currency}-{stamp}",
                created_at=created,
                account_id=settings.BANK_CLEARING_ACCOUNT_ID,
                currency=currency,
                day=day,
                opening_balance=opening,
                closing_balance=closing,
                entries=entries,
            )
        )


def _booked_entries(currency: str) -> dict[date, list[StatementEntry]]:
    """Every entry the sandbox bank ever booked on the clearing account, by booking day.

    A settled top-up (the bank debited the customer's card) is money in, a settled withdrawal
    money out, each booked on the business day after it settled, with that day as value date.
    A withdrawal to an instrument that returns payments comes back (money in) some business
    days after it was booked. Every day with activity ends with the bank's fee (money out).
    """
    operations = SandboxOperation.objects.filter(
        currency=currency, outcome=SandboxOperation.Outcome.SETTLED, decided_at__isnull=False
    ).order_by("decided_at", "reference")
    returning = set(
        SandboxInstrument.objects.filter(
            behaviour=SandboxInstrument.Behaviour.RETURNS_PAYMENTS,
            token__in={operation.token for operation in operations},
        ).values_list("token", flat=True)
    )
    raw: dict[date, list[dict]] = defaultdict(list)
    for operation in operations:
        settled_on = timezone.localdate(operation.decided_at)
        booked_on = next_business_day(settled_on)
        money_in = operation.direction == "debit"
        raw[booked_on].append(
            {
                "amount": operation.amount,
                "direction": CREDIT if money_in else DEBIT,
                "value_date": settled_on,
                "end_to_end_id": operation.reference,
                "bank_code": CODE_PAYMENT_RECEIVED if money_in else CODE_PAYMENT_SENT,
            }
        )
        if not money_in and operation.token in returning:
            returned_on = add_business_days(booked_on, settings.BANK_SANDBOX_RETURN_AFTER_DAYS)
            raw[returned_on].append(
                {
                    "amount": operation.amount,
                    "direction": CREDIT,
                    "value_date": returned_on,
                    "end_to_end_id": operation.reference,
                    "bank_code": CODE_RETURN,
                    "returned": True,
                    "return_reason": "AC04",
                    "info": "RETURNED: account closed at the receiving bank",
                }
            )
    booked: dict[date, list[StatementEntry]] = {}
    fee = Decimal(settings.BANK_SANDBOX_DAILY_FEE)
    for day in sorted(raw):
        rows = raw[day]
        if fee:
            rows.append(
                {
                    "amount": fee,
                    "direction": DEBIT,
                    "value_date": day,
                    "end_to_end_id": "",
                    "bank_code": CODE_FEE,
                    "info": "ACCOUNT SERVICE CHARGE",
                }
            )
        booked[day] = [
            StatementEntry(
                currency=currency,
                booking_date=day,
                account_servicer_ref=f"SBX{day:%Y%m%d}{position:05d}",
                **row,
            )
            for position, row in enumerate(rows, start=1)
        ]
    return booked


# --- for the demo and the tests --------------------------------------------------------------


def sandbox_card_number(*, prefix: str = "622202", ending: str = "1234", length: int = 16) -> str:
    """A number that passes the Luhn check, with this issuer prefix and last four digits (which
    choose the sandbox's behaviour). One digit before the ending is chosen to make Luhn pass."""
    from ..cards import luhn_valid

    body = prefix + "0" * (length - len(prefix) - len(ending) - 1)
    for digit in "0123456789":
        number = body + digit + ending
        if luhn_valid(number):
            return number
    raise AssertionError("unreachable: one digit always completes the Luhn sum")


def sandbox_link_verified(*, user, kind: str, holder_name: str, number: str, bank: str = ""):
    """Link and verify a source as a customer would, reading the micro-deposits off the
    sandbox's statement: for seed_demo and tests."""
    from ..linking import linked_account_create, linked_account_verify

    expiry = "" if kind == LinkedAccount.Kind.BANK_ACCOUNT else "12/30"
    account = linked_account_create(
        user=user, kind=kind, number=number, holder_name=holder_name, expiry=expiry, bank=bank
    )
    first, second = SandboxBankConnector().statement(token=account.token)
    return linked_account_verify(user=user, account_id=account.pk, amount_1=first, amount_2=second)
