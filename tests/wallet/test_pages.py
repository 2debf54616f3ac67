"""The wallet in the browser's pages: activate, transfer with confirmation, history, details."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wallet.models import Transaction, Wallet

from .factories import WalletFactory, balance, funded_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def sender(client):
    wallet = funded_wallet("300.00")
    client.force_login(wallet.user)
    return wallet


@pytest.fixture
def recipient():
    return WalletFactory(user__full_name="李小龙")


def test_a_new_customer_activates_the_wallet_from_the_dashboard(client, user):
    client.force_login(user)
    html = client.get(reverse("dashboard")).content.decode()
    assert reverse("wallet:activate") in html
    response = client.post(reverse("wallet:activate"), follow=True)
    assert Wallet.objects.get(user=user).status == Wallet.Status.ACTIVE
    assert "0.00" in response.content.decode()


def test_transfer_shows_the_masked_payee_before_sending(client, sender, recipient):
    response = client.post(
        reverse("wallet:transfer"),
        {"to": recipient.user.email, "amount": "25.50", "currency": "CNY", "note": "房租"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "李*龙" in html
    assert "李小龙" not in html
    assert balance(sender) == Decimal("300.00")  # nothing moved yet

    confirm = response.context["form"].initial
    response = client.post(reverse("wallet:transfer_confirm"), confirm)
    txn = Transaction.objects.get(kind="transfer")
    assert response.url == reverse("wallet:transaction", args=[txn.pk])
    assert balance(sender) == Decimal("274.50")
    assert balance(recipient) == Decimal("25.50")

    # A double click on "send" (the same hidden key) does not send twice.
    again = client.post(reverse("wallet:transfer_confirm"), confirm)
    assert again.url == response.url
    assert balance(sender) == Decimal("274.50")


@pytest.mark.parametrize(
    ("amount", "to", "field"),
    [
        ("-1", None, "amount"),
        ("1.234", None, "amount"),
        ("abc", None, "amount"),
        ("5", "nobody@x.cn", "to"),
    ],
)
def test_bad_input_is_a_form_error_on_its_field(client, sender, recipient, amount, to, field):
    response = client.post(
        reverse("wallet:transfer"),
        {"to": to or recipient.handle, "amount": amount, "currency": "CNY"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert 'aria-invalid="true"' in response.content.decode()
    assert balance(sender) == Decimal("300.00")


def test_a_refusal_at_confirmation_moves_nothing_and_explains(client, sender, recipient):
    response = client.post(
        reverse("wallet:transfer"), {"to": recipient.handle, "amount": "10", "currency": "CNY"}
    )
    confirm = response.context["form"].initial
    Wallet.objects.filter(pk=recipient.pk).update(status=Wallet.Status.FROZEN)
    response = client.post(reverse("wallet:transfer_confirm"), confirm)
    assert response.status_code == 400
    assert response.context["form"].errors["to"]
    assert balance(sender) == Decimal("300.00")


def test_tampered_confirmation_is_refused(client, sender, recipient):
    response = client.post(reverse("wallet:transfer_confirm"), {"to": recipient.handle})
    assert response.url == reverse("wallet:transfer")
    assert not Transaction.objects.filter(kind="transfer").exists()


def _send(client, recipient, amount, note=""):
    response = client.post(
        reverse("wallet:transfer"),
        {"to": recipient.handle, "amount": amount, "currency": "CNY", "note": note},
    )
    client.post(reverse("wallet:transfer_confirm"), response.context["form"].initial)


def test_history_filters_and_csv(client, sender, recipient):
    _send(client, recipient, "1.00", "=cmd()")
    _send(client, recipient, "2.00", "书")
    html = client.get(reverse("wallet:history"), {"q": "书"}).content.decode()
    assert "2.00" in html and "1.00 CNY" not in html

    response = client.get(reverse("wallet:history_csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][4] in ("Amount", "金额")
    amounts = [row[4] for row in rows[1:]]
    assert amounts == ["-2.00", "-1.00", "300.00"]
    notes = [row[3] for row in rows[1:]]
    assert "'=cmd()" in notes  # never a live spreadsheet formula


def test_history_with_a_bad_filter_shows_the_error(client, sender):
    response = client.get(
        reverse("wallet:history"), {"date_from": "2026-05-02", "date_to": "2026-05-01"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["date_to"]


def test_another_customers_transaction_is_not_found(client, sender, recipient):
    _send(client, recipient, "1.00")
    txn = Transaction.objects.get(kind="transfer")
    stranger = WalletFactory()
    client.force_login(stranger.user)
    assert client.get(reverse("wallet:transaction", args=[txn.pk])).status_code == 404
    client.force_login(recipient.user)
    assert client.get(reverse("wallet:transaction", args=[txn.pk])).status_code == 200


@pytest.mark.parametrize("page", ["dashboard", "wallet:history"])
def test_pages_run_a_fixed_number_of_queries(
    client, sender, recipient, page, django_assert_max_num_queries
):
    for _ in range(2):
        _send(client, recipient, "1.00")
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(page))
    baseline = len(few)
    for _ in range(30):
        _send(client, recipient, "1.00")
    with django_assert_max_num_queries(baseline):
        client.get(reverse(page))


def test_wallet_pages_need_a_login(client):
    for name in ("dashboard", "wallet:transfer", "wallet:history", "wallet:history_csv"):
        assert client.get(reverse(name)).status_code == 302
