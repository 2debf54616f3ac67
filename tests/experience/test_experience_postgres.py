"""Experience mode under real concurrency on PostgreSQL: a double click arriving as two
simultaneous requests pays once, and simultaneous payments never overdraw the demo balance."""

from decimal import Decimal

import pytest

from backoffice import roles
from config.api_errors import ApplicationError
from experience.models import ExperienceEntry
from experience.services import experience_pay, experience_start
from tests.backoffice.factories import branch, staff
from tests.concurrency import together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _session():
    return experience_start(staff=staff(roles.TELLER, branch("EXPPG")))


def test_a_double_click_as_two_simultaneous_requests_pays_once():
    session = _session()
    outcomes = together(
        4,
        lambda i: (
            experience_pay(
                session=session, merchant="coffee", amount="100.00", idempotency_key="same"
            ).pk
        ),
    )
    assert [kind for kind, _ in outcomes] == ["ok"] * 4
    assert len({pk for _, pk in outcomes}) == 1
    session.refresh_from_db()
    assert session.balance == Decimal("900.00") and ExperienceEntry.objects.count() == 1


def test_simultaneous_payments_never_overdraw_the_demo_balance():
    session = _session()
    outcomes = together(
        5,
        lambda i: experience_pay(
            session=session, merchant="books", amount="300.00", idempotency_key=f"k{i}"
        ),
    )
    refused = [exc for kind, exc in outcomes if kind == "error"]
    assert len(refused) == 2 and all(isinstance(exc, ApplicationError) for exc in refused)
    session.refresh_from_db()
    assert session.balance == Decimal("100.00") and ExperienceEntry.objects.count() == 3
