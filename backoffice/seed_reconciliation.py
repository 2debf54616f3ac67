"""Demo bank reconciliation (issue 11): a demo customer tops up and withdraws through the
sandbox bank (one withdrawal to an account whose bank returns payments), and the statements of
the day the bank books them and of the day the payment comes back are reconciled, so the
exceptions queue and the ops view have something to show. Idempotent."""

from decimal import Decimal

from django.utils import timezone

from accounts.bank.camt053 import add_business_days, next_business_day
from accounts.bank.sandbox import sandbox_link_verified
from accounts.models import Bank, LinkedAccount, User
from wallet import services as wallet_services
from wallet.models import BankStatement, FundingOrder
from wallet.services.funding import funding_progress
from wallet.services.reconciliation import reconcile_bank_day

DEMO_KEYS = ("demo-recon-topup", "demo-recon-withdrawal", "demo-recon-returned")


def _returning_account(customer: User) -> LinkedAccount:
    """A CCB account ending 0077: the sandbox pays withdrawals to it, then returns them."""
    account = (
        LinkedAccount.objects.filter(user=customer, last4="0077")
        .exclude(status=LinkedAccount.Status.REMOVED)
        .first()
    )
    return account or sandbox_link_verified(
        user=customer,
        kind=LinkedAccount.Kind.BANK_ACCOUNT,
        holder_name=customer.full_name or customer.email,
        number=f"621700{customer.pk:010d}0077",
        bank=Bank.CCB,
    )


def demo_reconciliation_ensure(*, customer: User) -> list:
    """The demo funding activity and the reconciled statements; returns their results."""
    card = LinkedAccount.objects.filter(
        user=customer, kind=LinkedAccount.Kind.DEBIT_CARD, status=LinkedAccount.Status.VERIFIED
    ).first()
    returning = _returning_account(customer)
    plan = [
        (wallet_services.topup_create, card, Decimal("200.00"), DEMO_KEYS[0]),
        (wallet_services.withdrawal_create, card, Decimal("80.00"), DEMO_KEYS[1]),
        (wallet_services.withdrawal_create, returning, Decimal("50.00"), DEMO_KEYS[2]),
    ]
    orders = []
    for create, source, amount, key in plan:
        order = create(
            user=customer, source_id=source.pk, amount=amount, currency="CNY", idempotency_key=key
        ).order
        funding_progress(order_id=order.pk)  # settled now, whether or not a worker runs
        orders.append(order)
    settled = FundingOrder.objects.filter(pk__in=[o.pk for o in orders]).order_by("pk").first()
    day = next_business_day(timezone.localdate(settled.decided_at or timezone.now()))
    results = []
    for statement_day in (day, add_business_days(day, 3)):
        if BankStatement.objects.filter(date=statement_day).exists():
            continue  # reconciled by an earlier run (or by the periodic task)
        results.append(reconcile_bank_day(day=statement_day))
    return results
