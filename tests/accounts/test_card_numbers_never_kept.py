"""A card number reaches the bank connector and nothing else: no table, no log, no page that
re-displays a form, no error, no task argument."""

import logging
import re

import pytest
from django.db import connection
from django.urls import reverse

from accounts.bank.sandbox import sandbox_card_number
from accounts.cards import luhn_valid
from accounts.models import LinkedAccount
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

DIGIT_RUN = re.compile(r"(?<!\d)\d{13,19}(?!\d)")


def _every_row_of_every_table() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def _card_like_runs(text: str) -> list[str]:
    return [run for run in DIGIT_RUN.findall(text) if luhn_valid(run)]


def test_linking_cards_leaves_no_card_number_in_any_table_log_page_or_error(
    client, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    user = UserFactory()
    client.force_login(user)
    numbers = [
        sandbox_card_number(prefix=p, ending=e)
        for p, e in (("622202", "4821"), ("436742", "7315"), ("621483", "0002"))
    ]
    spaced = " ".join(numbers[0][i : i + 4] for i in range(0, 16, 4))

    # A form with an error comes back without the number in it.
    page = client.post(
        reverse("accounts:linked_account_add"),
        {"kind": "debit_card", "number": spaced, "holder_name": "张三", "expiry": "13/99"},
    )
    assert page.status_code == 200
    assert numbers[0] not in page.content.decode() and spaced not in page.content.decode()

    # An API error does not repeat it either.
    api_error = client.post(
        reverse("api:linked-accounts"),
        {"kind": "credit_card", "number": numbers[1], "holder_name": "张三", "expiry": "01/20"},
        content_type="application/json",
    )
    assert api_error.status_code == 400
    assert numbers[1] not in api_error.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        linked = client.post(
            reverse("accounts:linked_account_add"),
            {"kind": "debit_card", "number": spaced, "holder_name": "张三", "expiry": "12/30"},
        )
        assert linked.status_code == 302
        created = client.post(
            reverse("api:linked-accounts"),
            {"kind": "credit_card", "number": numbers[1], "holder_name": "张三", "expiry": "12/31"},
            content_type="application/json",
        )
        assert created.status_code == 201
        assert numbers[1] not in created.content.decode()
        linked_too = client.post(
            reverse("api:linked-accounts"),
            {"kind": "debit_card", "number": numbers[2], "holder_name": "张三", "expiry": "12/31"},
            content_type="application/json",
        )
        assert linked_too.status_code == 201
    assert LinkedAccount.objects.filter(user=user).count() == 3

    dump = _every_row_of_every_table()
    assert "tok_" in dump  # the dump does see the linked accounts' rows
    assert _card_like_runs(dump) == []
    for number in numbers:
        assert number not in dump
        assert number not in caplog.text
        assert number[:6] + "******" + number[-4:] not in dump  # not even a truncated form
