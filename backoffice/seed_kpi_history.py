"""`seed_demo`'s months of customer history, so the KPI dashboards (issue 9) show figures per
branch and teller from the start: registrations, verified e-mail, KYC levels, activations,
onboardings by the demo tellers, top-ups, payments, transfers, a few reversals and the activation
bonus's spend (a real grant through the demo campaign).

Everything goes through the real services first, today; then the dates are moved back to when it
would have happened, BEFORE `seed_demo` seals the ledger (the hash chain covers `created_at`):
the transactions' `created_at` (on PostgreSQL past its frozen-columns trigger), the registrations,
activations, branch assignments and reward grants. Balances are untouched: only dates move, so
`ledger_audit` stays clean. Made once: re-seeding adds nothing.
"""

from contextlib import nullcontext, suppress
from datetime import datetime, time, timedelta
from decimal import Decimal

import pgtrigger
from allauth.account.models import EmailAddress
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import LinkedAccount, SandboxOperation, User
from backoffice.models import Branch, CustomerBranch
from backoffice.seed import DEMO_MERCHANTS, demo_customer_ensure, demo_funding_sources_ensure
from backoffice.services import customer_branch_assign
from promotions.models import RewardGrant
from wallet import services as wallet_services
from wallet.models import FundingOrder, Transaction, Wallet
from wallet.services.funding import BankStillPending, funding_progress, withdrawal_create
from wallet.services.reversals import transaction_reverse

HISTORY_DOMAIN = "history.demo.example"
HISTORY_DAYS = 180
CUSTOMERS = 15
# Surnames and given names of the history customers, combined by position.
_SURNAMES = "陈林黄周吴徐孙马朱胡郭何高罗郑梁谢宋唐许"
_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "杰"]
MOVEMENT_EVERY_DAYS = 15
# Linking a sandbox bank account and settling withdrawals is slow: only some customers withdraw.
WITHDRAWING_EVERY = 3
REVERSAL_EVERY = 7  # one payment in seven is refunded (reversed) by the branch


def _at(day, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def _frozen_columns_ignored():
    if connection.vendor == "postgresql":
        return pgtrigger.ignore("wallet.Transaction:transaction_sealed_columns_frozen")
    return nullcontext()


def demo_kpi_history_ensure(*, tellers: dict[str, User], reverser: User) -> None:
    """`tellers`: branch code -> that branch's demo teller (SH001, BJ001); `reverser`: the
    staff member who posts the refunds (the branch manager)."""
    if User.objects.filter(email__endswith=f"@{HISTORY_DOMAIN}").exists():
        return
    today = timezone.localdate()
    branches = list(Branch.objects.filter(code__in=tellers).order_by("code"))
    merchants = [code for code, _name, _category in DEMO_MERCHANTS]
    dated: dict[int, datetime] = {}  # transaction id -> when it happened
    orders: dict[int, datetime] = {}  # withdrawal (funding order) id -> when it was asked
    joined: dict[int, datetime] = {}  # user id -> registration
    activated: dict[int, datetime] = {}  # user id -> activation
    active_users: list[User] = []
    for i in range(CUSTOMERS):
        registered = _at(today - timedelta(days=HISTORY_DAYS - i * 11), 10 + i % 8, 7 * i % 60)
        user = demo_customer_ensure(
            email=f"history{i + 1:02d}@{HISTORY_DOMAIN}",
            password=None,
            full_name=_SURNAMES[i] + _GIVEN[i % len(_GIVEN)],
        )
        # KYC: four in ten stay at level 0, four reach level 1, two level 2 at the branch.
        User.objects.filter(pk=user.pk).update(
            kyc_level=0 if i % 10 < 4 else (1 if i % 10 < 8 else 2)
        )
        if i % 10 == 9:  # one in ten never clicked the verification link
            EmailAddress.objects.filter(user=user).update(verified=False)
        joined[user.pk] = registered
        branch = branches[i % len(branches)]
        # Two in three onboarded by the branch's teller; the others chose the branch.
        onboarded_by = tellers[branch.code] if i % 3 != 2 else None
        customer_branch_assign(customer=user, branch=branch, onboarded_by=onboarded_by)
        if i % 5 == 4:
            continue  # registered, never activated
        wallet = wallet_services.wallet_activate(user=user)
        activated[user.pk] = registered + timedelta(days=i % 3, hours=1)
        opening = wallet_services.wallet_fund_from_clearing(
            wallet=wallet,
            amount=Decimal(800 + 100 * (i % 4)),
            currency="CNY",
            description="Top-up",
            metadata={"demo_history": True},
        )
        dated[opening.pk] = activated[user.pk] + timedelta(minutes=5)
        if len(active_users) % WITHDRAWING_EVERY == 0:
            demo_funding_sources_ensure(user=user)  # a sandbox card and bank account
        active_users.append(user)

    payments = 0
    for n, user in enumerate(active_users):
        first = timezone.localdate(activated[user.pk]) + timedelta(days=1)
        peer = active_users[(n + 1) % len(active_users)]
        for step, day in enumerate(_days(first, today, every=MOVEMENT_EVERY_DAYS)):
            # Around the clock: some just before or after midnight in the bank's time zone.
            when = _at(day, (8 + 3 * step + n) % 24, (11 * step + n) % 60)
            kind = (step + n) % 5
            key = f"history-{user.pk}-{step}"
            if kind == 4 and n % WITHDRAWING_EVERY == 0:
                txn = _withdrawal(
                    user=user, amount=Decimal("50.00"), key=key, orders=orders, when=when
                )
            elif kind == 3:
                txn = wallet_services.wallet_fund_from_clearing(
                    wallet=user.wallet,
                    amount=Decimal("200.00"),
                    currency="CNY",
                    description="Top-up",
                    metadata={"demo_history": True},
                )
            elif kind == 2:
                txn = wallet_services.transfer_create(
                    sender_user=user,
                    to=peer.wallet.handle,
                    amount=Decimal(5 + (step * 7 + n) % 25),
                    currency="CNY",
                    note="AA",
                    idempotency_key=key,
                ).transaction
            else:
                txn = wallet_services.payment_create(
                    payer_user=user,
                    merchant_code=merchants[(step + n) % len(merchants)],
                    amount=Decimal(12 + (step * 13 + n) % 48),
                    currency="CNY",
                    idempotency_key=key,
                ).transaction
                payments += 1
                if payments % REVERSAL_EVERY == 0:
                    with transaction.atomic():
                        refund = transaction_reverse(
                            original=txn, reversed_by=reverser, reason="商户退款"
                        )
                    dated[refund.pk] = when + timedelta(days=1, hours=2)
            dated[txn.pk] = when
    _date_back(dated=dated, joined=joined, activated=activated, orders=orders)


def _withdrawal(*, user: User, amount: Decimal, key: str, orders: dict, when) -> Transaction:
    """To the customer's bank account, settled by the sandbox bank as the outbox task would."""
    source = (
        LinkedAccount.objects.filter(
            user=user,
            kind__in=LinkedAccount.WITHDRAWABLE_KINDS,
            status=LinkedAccount.Status.VERIFIED,
        )
        .order_by("pk")
        .first()
    )
    order = withdrawal_create(
        user=user, source_id=source.pk, amount=amount, currency="CNY", idempotency_key=key
    ).order
    with suppress(BankStillPending):  # left pending, as a slow bank would
        funding_progress(order_id=order.pk)  # a no-op if the outbox already settled it
    orders[order.pk] = when
    return order.transaction


def _days(first, last, *, every: int):
    day = first
    while day < last:
        yield day
        day += timedelta(days=every)


@transaction.atomic
def _date_back(*, dated, joined, activated, orders) -> None:
    """Move what the services stamped today back to when it happened (before sealing)."""
    for pk, when in orders.items():
        FundingOrder.objects.filter(pk=pk).update(created_at=when)
        FundingOrder.objects.filter(pk=pk, decided_at__isnull=False).update(
            decided_at=when + timedelta(hours=1)
        )
        # The sandbox bank's side moves too: it books a withdrawal the business day after it
        # settled, so its statements of those days hold it and reconciling them matches it
        # (dated today at the bank, it was "missing at the bank" on its ledger day and
        # "missing in the ledger" on the bank's).
        reference = FundingOrder.objects.values_list("reference", flat=True).get(pk=pk)
        SandboxOperation.objects.filter(reference=reference).update(created_at=when)
        SandboxOperation.objects.filter(reference=reference, decided_at__isnull=False).update(
            decided_at=when + timedelta(hours=1)
        )
    with _frozen_columns_ignored():
        for pk, when in dated.items():
            Transaction.objects.filter(pk=pk).update(created_at=when)
    for user_id, when in joined.items():
        User.objects.filter(pk=user_id).update(date_joined=when)
        CustomerBranch.objects.filter(user_id=user_id).update(created_at=when)
    for user_id, when in activated.items():
        Wallet.objects.filter(user_id=user_id).update(created_at=when, activated_at=when)
        # The activation bonus the demo campaign granted on activation, and its payment.
        for grant in RewardGrant.objects.filter(user_id=user_id):
            RewardGrant.objects.filter(pk=grant.pk).update(
                created_at=when, settled_at=when if grant.settled_at else None
            )
            if grant.transaction_id:
                with _frozen_columns_ignored():
                    Transaction.objects.filter(pk=grant.transaction_id).update(
                        created_at=when + timedelta(minutes=1)
                    )
