"""The KPI bench data generator (bench/kpi_data.py) builds, in SQL, a ledger that passes the
audit: entries sum to zero per transaction and balances equal their entries."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum

from accounts.models import User
from backoffice import roles
from backoffice.models import CustomerBranch
from bench import kpi_data
from promotions.models import Campaign, RewardGrant
from wallet.audit import invariant_breaches
from wallet.models import Entry, LedgerAccount, Transaction, Wallet

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_generation_record():
    """The generator's own record table is no Django model: the test flush leaves it behind."""

    def drop():
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {kpi_data.META_TABLE}")

    drop()
    yield
    drop()


ROWS = 400  # 40 activated customers, 5 who never activated


def _generated():  # noqa: D103
    return kpi_data.generate(rows=ROWS, verbose=False)


def _ledger_passes_the_audit(result):

    assert invariant_breaches() == []
    call_command("ledger_audit")  # raises CommandError on any breach, chain included
    generated = Transaction.objects.filter(metadata__kpi_bench=True)
    assert generated.count() == result.transactions == ROWS
    assert Entry.objects.filter(transaction__in=generated).count() == 2 * ROWS
    assert not LedgerAccount.objects.filter(
        kind=LedgerAccount.Kind.CUSTOMER, balance__lt=0
    ).exists()


def _customers_wallets_and_branches():
    customers = User.objects.filter(email__endswith=f"@{kpi_data.BENCH_EMAIL_DOMAIN}")
    assert customers.count() == 45
    assert not any(user.has_usable_password() for user in customers)
    assert set(customers.values_list("kyc_level", flat=True)) == {0, 1, 2}
    wallets = Wallet.objects.filter(user__in=customers)
    assert wallets.filter(status=Wallet.Status.ACTIVE, activated_at__isnull=False).count() == 40
    assert wallets.filter(status=Wallet.Status.INACTIVE, activated_at=None).count() == 5
    placed = CustomerBranch.objects.filter(user__in=customers)
    assert placed.count() == 30  # two in three
    onboarded = placed.exclude(onboarded_by=None)
    assert onboarded.exists()
    assert not onboarded.exclude(onboarded_by__groups__name=roles.TELLER).exists()
    assert placed.values("branch").distinct().count() >= 2


def _every_customer_facing_kind_and_reversals_of_earlier_movements():
    generated = Transaction.objects.filter(metadata__kpi_bench=True)
    kinds = dict(generated.values_list("kind").annotate(n=Count("id")))
    assert set(kinds) == {
        "top_up",
        "payment",
        "transfer",
        "withdrawal",
        "reward",
        "reversal",
        "cash_in",
    }
    for reversal in generated.filter(kind="reversal").select_related("reverses"):
        assert reversal.reverses.kind in ("payment", "transfer")
        assert reversal.created_at > reversal.reverses.created_at
        mine = sorted((e.account_id, e.amount) for e in reversal.entries.all())
        undone = sorted((e.account_id, -e.amount) for e in reversal.reverses.entries.all())
        assert mine == undone
    channels = set(generated.values_list("metadata__channel", flat=True))
    assert {"app", "web", "counter"} <= channels


def _history_spreads_over_months_with_some_at_shanghai_midnight():
    generated = Transaction.objects.filter(metadata__kpi_bench=True)
    first = generated.order_by("created_at").first().created_at
    last = generated.order_by("-created_at").first().created_at
    assert last - first > timedelta(days=180)
    shanghai = ZoneInfo("Asia/Shanghai")
    near_midnight = [
        at
        for at in generated.values_list("created_at", flat=True)
        if (at.astimezone(shanghai).hour, at.astimezone(shanghai).minute) in ((23, 59), (0, 0))
    ]
    assert near_midnight


def _reward_grants_match_their_transactions_and_campaign_spend():
    rewards = Transaction.objects.filter(metadata__kpi_bench=True, kind="reward")
    grants = RewardGrant.objects.filter(transaction__in=rewards)
    assert grants.count() == rewards.count() == 20  # even customers
    assert not grants.exclude(status=RewardGrant.Status.SETTLED).exists()
    for grant in grants.select_related("transaction"):
        credit = grant.transaction.entries.get(amount__gt=0)
        assert credit.account.wallet.user_id == grant.user_id
        assert credit.amount == grant.amount
    for campaign in Campaign.objects.filter(name__startswith="KPI bench"):
        total = campaign.grants.aggregate(total=Sum("amount"))["total"] or 0
        assert campaign.spent == total <= campaign.budget


def test_generated_data_passes_the_ledger_audit_and_covers_the_kpi_figures():
    """One generation (it takes a while), checked from every side."""
    assert not kpi_data.already_generated(ROWS)
    result = _generated()

    _ledger_passes_the_audit(result)
    _customers_wallets_and_branches()
    _every_customer_facing_kind_and_reversals_of_earlier_movements()
    _history_spreads_over_months_with_some_at_shanghai_midnight()
    _reward_grants_match_their_transactions_and_campaign_spend()
    assert kpi_data.already_generated(ROWS)
    assert not kpi_data.already_generated(ROWS + 10)
