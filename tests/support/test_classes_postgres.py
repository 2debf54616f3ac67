"""Seats under concurrency, on PostgreSQL: the class row's lock serialises registrations."""

import pytest

from config.api_errors import ApplicationError
from support import classes
from support.models_classes import ClassRegistration
from tests.accounts.factories import UserFactory
from tests.concurrency import together

from .factories import TrainingClassFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_customers_taking_the_last_seat_at_once_exactly_one_gets_it():
    for _round in range(5):
        training_class = TrainingClassFactory(capacity=2)
        classes.class_register(customer=UserFactory(), class_id=training_class.pk)
        racers = [UserFactory(), UserFactory()]
        class_id = training_class.pk

        def take_seat(i, racers=racers, class_id=class_id):
            return classes.class_register(customer=racers[i], class_id=class_id)

        outcomes = together(2, take_seat)
        kinds = sorted(kind for kind, _ in outcomes)
        assert kinds == ["error", "ok"], outcomes
        error = next(value for kind, value in outcomes if kind == "error")
        assert isinstance(error, ApplicationError) and error.get_codes() == "class_full"
        assert training_class.registrations.filter(status="registered").count() == 2


def test_one_customer_registering_twice_at_once_holds_one_seat():
    training_class = TrainingClassFactory(capacity=5)
    customer = UserFactory()
    outcomes = together(
        3, lambda i: classes.class_register(customer=customer, class_id=training_class.pk)
    )
    assert sorted(kind for kind, _ in outcomes) == ["error", "error", "ok"]
    assert ClassRegistration.objects.filter(customer=customer).count() == 1


def test_the_reminder_queue_runs_on_postgresql_and_skips_rows_another_run_holds():
    from datetime import timedelta

    from django.utils import timezone

    training_class = TrainingClassFactory(starts_at=timezone.now() + timedelta(hours=10))
    classes.class_register(customer=UserFactory(), class_id=training_class.pk)
    outcomes = together(2, lambda i: classes.class_reminders_queue())
    assert sorted(result for _kind, result in outcomes) == [0, 1], outcomes
    assert ClassRegistration.objects.filter(reminded_at__isnull=False).count() == 1
