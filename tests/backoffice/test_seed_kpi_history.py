"""seed_demo's months of customer history for the KPI dashboards (backoffice/seed_kpi_history.py)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import SandboxOperation, User
from backoffice.models import CustomerBranch
from backoffice.seed_kpi_history import HISTORY_DOMAIN
from promotions.models import RewardGrant
from wallet.models import FundingOrder, Transaction, Wallet

pytestmark = pytest.mark.django_db


def test_seed_demo_dates_months_of_history_back_and_the_ledger_still_audits_clean():
    call_command("seed_demo", quiet=True)

    customers = User.objects.filter(email__endswith=f"@{HISTORY_DOMAIN}")
    assert customers.count() == 15
    now = timezone.now()
    assert customers.order_by("date_joined").first().date_joined < now - timedelta(days=170)
    assert set(customers.values_list("kyc_level", flat=True)) == {0, 1, 2}
    wallets = Wallet.objects.filter(user__in=customers)
    assert wallets.filter(status=Wallet.Status.ACTIVE).count() == 12  # four in five
    assert not wallets.filter(activated_at__gte=now - timedelta(days=1)).exists()
    placed = CustomerBranch.objects.filter(user__in=customers)
    assert placed.values("branch").distinct().count() == 2
    assert placed.exclude(onboarded_by=None).values("onboarded_by").distinct().count() == 2

    theirs = Transaction.objects.filter(entries__account__wallet__user__in=customers).distinct()
    kinds = set(theirs.values_list("kind", flat=True))
    assert {"top_up", "payment", "transfer", "withdrawal", "reversal"} <= kinds
    assert theirs.order_by("created_at").first().created_at < now - timedelta(days=150)
    months = {(t.year, t.month) for t in theirs.values_list("created_at", flat=True)}
    assert len(months) >= 6
    # Campaign spend: each activation earned the demo bonus (paid after commit, in the demo).
    grants = RewardGrant.objects.filter(user__in=customers)
    assert grants.count() == 12
    assert not grants.filter(created_at__gte=now - timedelta(days=1)).exists()

    # The sandbox bank settled each withdrawal when the ledger says it was asked, not today.
    orders = FundingOrder.objects.filter(
        wallet__user__in=customers, direction=FundingOrder.Direction.WITHDRAWAL
    )
    assert orders.exists()
    for order in orders:
        bank = SandboxOperation.objects.get(reference=order.reference)
        assert bank.created_at == order.created_at
        assert bank.decided_at is None or bank.decided_at < now - timedelta(days=1)

    # Dated back before sealing: the hash chain verifies (raises CommandError on a breach).
    call_command("ledger_audit")

    before = Transaction.objects.count()
    call_command("seed_demo", quiet=True)
    assert Transaction.objects.count() == before
    assert User.objects.filter(email__endswith=f"@{HISTORY_DOMAIN}").count() == 15
