"""Generated histories for the KPI tests: sign-ups, activations and money near midnight in
Beijing time, late (back-dated) transactions and reversals, posted through the ledger."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pgtrigger
from django.db import transaction
from django.utils import timezone
from hypothesis import strategies as st

from backoffice.kpi.facts import bank_tz, local_day
from backoffice.roles import TELLER
from promotions.models import Redemption
from wallet import ledger
from wallet.channel import CHANNELS, current_channel
from wallet.models import LedgerAccount, Transaction, Wallet
from wallet.services.common import system_account_ensure, wallet_account_ensure

from .factories import branch, customer_at, staff

DAYS_BACK = 40


def moment(days_ago: int, minute_of_day: int) -> datetime:
    """A moment `days_ago` bank days ago; minutes cluster around midnight Beijing time."""
    day = local_day(timezone.now()) - timedelta(days=days_ago)
    return datetime.combine(day, time.min, tzinfo=bank_tz()) + timedelta(minutes=minute_of_day)


near_midnight = st.one_of(st.integers(0, 3), st.integers(1436, 1439), st.integers(0, 1439))
events = st.lists(
    st.one_of(
        st.tuples(
            st.just("signup"),
            st.integers(0, 2),  # branch (2: none)
            st.integers(0, DAYS_BACK),
            near_midnight,
            st.sampled_from([None, 0, 1, 3, 10, 40]),  # activated after days
            st.booleans(),  # onboarded by a teller
        ),
        st.tuples(
            st.just("txn"),
            st.integers(0, 50),  # customer (modulo)
            st.sampled_from(["top_up", "transfer", "withdrawal"]),
            st.integers(1, 500),
            st.integers(0, DAYS_BACK),
            near_midnight,
            st.sampled_from(CHANNELS),
        ),
        st.tuples(st.just("reverse"), st.integers(0, 50)),
        st.tuples(
            st.just("reward"),
            st.integers(0, 50),  # customer (modulo)
            st.integers(0, 1),  # campaign
            st.sampled_from(["grant", "voucher", "discount"]),
            st.integers(1, 300),
        ),
        st.tuples(st.just("refresh")),
    ),
    min_size=1,
    max_size=25,
)

# One history every property run includes: campaigns reaching customers of several cohorts
# (grants, vouchers, a discount taken back with its payment), activations hours to days after
# signing up, payments in a cohort's fourth week, refreshes in between.
CAMPAIGN_HISTORY = [
    ("signup", 0, 35, 1439, 0, True),
    ("signup", 1, 30, 2, 3, False),
    ("signup", 2, 10, 700, None, False),
    ("signup", 0, 3, 0, 1, True),
    ("signup", 1, 12, 1437, 10, True),
    ("txn", 0, "top_up", 300, 7, 1438, "app"),
    ("txn", 1, "top_up", 100, 1, 5, "web"),
    ("refresh",),
    ("reward", 0, 0, "grant", 100),
    ("reward", 1, 0, "voucher", 50),
    ("reward", 1, 1, "discount", 30),
    ("refresh",),
    ("reward", 3, 1, "grant", 80),
    ("reward", 2, 1, "voucher", 20),
    ("reward", 4, 0, "grant", 60),
    ("reverse", 1),
    ("txn", 3, "top_up", 40, 0, 1, "counter"),
    ("reward", 3, 0, "discount", 10),
]


class History:
    def __init__(self):
        self.branches = [branch("KA"), branch("KB")]
        self.tellers = [staff(TELLER, at=b) for b in self.branches]
        self.customers = []
        self.joined: dict[int, datetime] = {}  # customer id -> when they signed up
        self.posted: list[Transaction] = []
        self.campaigns = []

    def signup(self, branch_index, days_ago, minute, activated_after, onboarded):
        joined = moment(days_ago, minute)
        where = self.branches[branch_index] if branch_index < 2 else None
        user = customer_at(where)
        if where is not None and onboarded:
            from backoffice.services import customer_branch_assign

            customer_branch_assign(
                customer=user, branch=where, onboarded_by=self.tellers[branch_index]
            )
        type(user).objects.filter(pk=user.pk).update(date_joined=joined)
        self.joined[user.pk] = joined
        activated = None
        if activated_after is not None:
            activated = min(joined + timedelta(days=activated_after, hours=1), timezone.now())
        Wallet.objects.create(
            user=user,
            status=Wallet.Status.ACTIVE if activated else Wallet.Status.INACTIVE,
            activated_at=activated,
        )
        self.customers.append(user)

    def txn(self, who, kind, amount, days_ago, minute, channel):
        if not self.customers:
            return
        user = self.customers[who % len(self.customers)]
        wallet = Wallet.objects.get(user=user)
        mine = wallet_account_ensure(wallet=wallet, currency="CNY")
        clearing = system_account_ensure(kind=LedgerAccount.Kind.BANK_CLEARING, currency="CNY")
        amount = Decimal(amount)
        # No wallet pays before its owner signed up (the wallet, its ledger account and every
        # posting come after the sign-up; only this back-dating could put one earlier): a
        # payment drawn before the sign-up happens at the sign-up instead.
        when = max(moment(days_ago, minute), self.joined[user.pk])
        if kind == "top_up":
            legs = [ledger.Leg(clearing, -amount), ledger.Leg(mine, amount)]
        elif kind == "withdrawal":
            if mine.balance < amount:
                return
            legs = [ledger.Leg(mine, -amount), ledger.Leg(clearing, amount)]
        else:
            other = self.customers[(who + 1) % len(self.customers)]
            if other == user or mine.balance < amount:
                return
            theirs = wallet_account_ensure(wallet=Wallet.objects.get(user=other), currency="CNY")
            when = max(when, self.joined[other.pk])
            legs = [ledger.Leg(mine, -amount), ledger.Leg(theirs, amount)]
        token = current_channel.set(channel)
        try:
            with transaction.atomic():
                txn = ledger.post(kind=kind, legs=legs, initiated_by=user)
        finally:
            current_channel.reset(token)
        with pgtrigger.ignore("wallet.Transaction:transaction_sealed_columns_frozen"):
            Transaction.objects.filter(pk=txn.pk).update(created_at=when)
        self.posted.append(txn)

    def reverse(self, index):
        if not self.posted:
            return
        original = self.posted[index % len(self.posted)]
        if Transaction.objects.filter(reverses=original).exists():
            return
        try:
            with transaction.atomic():
                reversal = ledger.reverse(original=original)
        except ledger.InsufficientFunds:
            return  # the money has moved on: nothing reversed
        # a discount given at the payment goes back with it
        Redemption.objects.filter(transaction=original).update(reversed_by=reversal)

    def reward(self, who, campaign_index, what, amount):
        """A campaign reaches a customer now: a paid grant, a voucher, or a discount at one of
        their payments (the latest without one)."""
        from promotions.models import RewardGrant, Voucher

        from ..promotions.factories import CampaignFactory

        if not self.customers:
            return
        while len(self.campaigns) <= campaign_index:
            self.campaigns.append(CampaignFactory())
        campaign = self.campaigns[campaign_index]
        user = self.customers[who % len(self.customers)]
        amount = Decimal(amount) / 10
        if what == "grant":
            RewardGrant.objects.create(
                campaign=campaign,
                user=user,
                sequence=RewardGrant.objects.filter(campaign=campaign, user=user).count() + 1,
                amount=amount,
                status=RewardGrant.Status.SETTLED,
                settled_at=timezone.now(),
            )
        elif what == "voucher":
            Voucher.objects.create(
                campaign=campaign,
                user=user,
                amount=amount,
                expires_at=timezone.now() + timedelta(days=30),
            )
        else:
            payment = (
                Transaction.objects.filter(
                    pk__in=[txn.pk for txn in self.posted],
                    initiated_by=user,
                    redemption__isnull=True,
                )
                .order_by("-pk")
                .first()
            )
            if payment is not None:
                Redemption.objects.create(
                    campaign=campaign, user=user, transaction=payment, amount=amount
                )

    def play(self, steps, refresh):
        for step in steps:
            name, *args = step
            if name == "refresh":
                refresh()
            else:
                getattr(self, name)(*args)
