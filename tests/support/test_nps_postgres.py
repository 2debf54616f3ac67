"""Two NPS sampling runs at the same moment (beat fired twice, or a slow run overlapping the
next), on PostgreSQL with real concurrent connections: each customer is invited once."""

import time

import pytest
from django.utils import timezone

from support import surveys
from support.models_surveys import SurveyInvitation
from support.tasks import nps_invite_sample
from tests.accounts.factories import UserFactory
from tests.concurrency import together
from wallet.models import Transaction

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _active_customers(count: int) -> set[int]:
    customers = UserFactory.create_batch(count)
    for customer in customers:
        Transaction.objects.create(
            kind=Transaction.Kind.TRANSFER,
            status=Transaction.Status.COMPLETED,
            initiated_by=customer,
            created_at=timezone.now(),
        )
    return {c.pk for c in customers}


@pytest.mark.parametrize("customers,size,invited", [(6, 10, 6), (8, 3, 6)])
def test_two_runs_at_once_invite_each_customer_once(
    settings, monkeypatch, customers, size, invited
):
    settings.NPS_SAMPLE_SIZE = size
    active = _active_customers(customers)
    # Each invitation takes a moment, so the two runs surely overlap between their sampling
    # and their commit: without the lock both would sample the same customers.
    create = surveys._invitation_create

    def slow_create(**kwargs):
        invitation = create(**kwargs)
        time.sleep(0.05)
        return invitation

    monkeypatch.setattr(surveys, "_invitation_create", slow_create)

    outcomes = together(2, lambda _i: nps_invite_sample())

    assert [kind for kind, _result in outcomes] == ["ok", "ok"], outcomes
    assert sum(result for _kind, result in outcomes) == invited
    per_customer = list(
        SurveyInvitation.objects.filter(kind="nps").values_list("customer_id", flat=True)
    )
    assert len(per_customer) == len(set(per_customer)) == invited
    assert set(per_customer) <= active
