"""On PostgreSQL the history is dated back past the ledger's frozen-columns trigger, before the
chain is sealed: the audit recomputes every seal and finds nothing wrong."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from backoffice.seed_kpi_history import HISTORY_DOMAIN
from promotions.models import RewardGrant
from wallet.models import Transaction, TransactionSeal

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_dated_back_history_is_sealed_and_the_chain_verifies():
    call_command("seed_demo", quiet=True)

    theirs = Transaction.objects.filter(
        entries__account__wallet__user__email__endswith=f"@{HISTORY_DOMAIN}"
    ).distinct()
    month_ago = timezone.now() - timedelta(days=30)
    assert theirs.filter(created_at__lt=month_ago).count() > 40
    # The bonus was paid on activation (after commit), and its payment dated back with it.
    rewards = theirs.filter(kind=Transaction.Kind.REWARD)
    assert rewards.count() == 12
    assert not rewards.filter(created_at__gte=timezone.now() - timedelta(days=20)).exists()
    grants = RewardGrant.objects.filter(transaction__in=rewards)
    assert not grants.filter(created_at__gte=timezone.now() - timedelta(days=20)).exists()
    assert set(theirs.values_list("kind", flat=True)) >= {"withdrawal", "reversal", "transfer"}
    assert not Transaction.objects.filter(seal__isnull=True).exists()
    assert TransactionSeal.objects.count() == Transaction.objects.count()
    call_command("ledger_audit")  # raises CommandError on any breach of the chain
