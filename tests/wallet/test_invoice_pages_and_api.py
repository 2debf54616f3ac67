"""The e-invoice pages and API: same services, bad input 400 naming the field, another
customer's objects 404, PDF downloads, fixed queries however many invoices."""

import io

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader
from rest_framework.test import APIClient

from tests.wallet.factories import funded_wallet
from wallet import invoices
from wallet.models_invoices import Invoice, InvoiceTitle

from .invoice_support import VALID_CODES, company_title, customer_with_payment, paid, person_title

pytestmark = pytest.mark.django_db


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _issued(wallet, txn, title, capture) -> Invoice:
    with capture(execute=True):
        invoice = invoices.invoice_request(
            user=wallet.user, transaction_id=txn.pk, title_id=title.pk
        )
    invoice.refresh_from_db()
    return invoice


# --- API ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("english")
def test_api_titles_crud_with_field_errors():
    user = funded_wallet().user
    api = api_for(user)
    bad = api.post(
        "/api/v1/invoice-titles/",
        {"kind": "company", "name": "某公司", "taxpayer_id": "91350100M000100Y44"},
        format="json",
    )
    assert bad.status_code == 400
    assert "check character" in bad.json()["errors"]["taxpayer_id"][0]
    assert api.post("/api/v1/invoice-titles/", {"kind": "person"}, format="json").json()[
        "errors"
    ].keys() == {"name"}
    made = api.post(
        "/api/v1/invoice-titles/",
        {"kind": "company", "name": "某公司", "taxpayer_id": VALID_CODES[2].lower()},
        format="json",
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["taxpayer_id"] == VALID_CODES[2] and body["is_default"] is True
    url = f"/api/v1/invoice-titles/{body['id']}/"
    changed = api.put(url, {"kind": "person", "name": "李四"}, format="json")
    assert changed.status_code == 200 and changed.json()["taxpayer_id"] == ""
    assert api.get("/api/v1/invoice-titles/").json()[0]["name"] == "李四"
    assert api_for(funded_wallet().user).get(url).status_code == 404
    assert api.delete(url).status_code == 204
    assert not InvoiceTitle.objects.filter(user=user).exists()


def test_api_request_list_red_letter_and_pdf(django_capture_on_commit_callbacks):
    wallet, merchant, txn = customer_with_payment("106.00")
    title = company_title(wallet.user)
    api = api_for(wallet.user)
    with django_capture_on_commit_callbacks(execute=True):
        made = api.post(
            "/api/v1/invoices/", {"transaction": txn.pk, "title": title.pk}, format="json"
        )
    assert made.status_code == 201, made.json()
    assert made.json()["status"] == "requested"  # issued asynchronously, after the commit
    body = api.get(f"/api/v1/invoices/{made.json()['id']}/").json()
    assert body["status"] == "issued" and len(body["number"]) == 20
    assert (body["amount"], body["tax_amount"], body["tax_rate"]) == ("106.00", "6.00", "0.0600")
    again = api.post("/api/v1/invoices/", {"transaction": txn.pk, "title": title.pk}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "already_invoiced"
    assert "transaction" in again.json()["errors"]
    pdf = api.get(f"/api/v1/invoices/{body['id']}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert body["number"] in text and merchant.name in text
    with django_capture_on_commit_callbacks(execute=True):
        red = api.post(f"/api/v1/invoices/{body['id']}/red-letter/")
    assert red.status_code == 201, red.json()
    assert red.json()["amount"] == "-106.00"
    assert red.json()["cancels"] == body["id"]
    listed = api.get("/api/v1/invoices/").json()
    assert listed["count"] == 2
    assert {row["status"] for row in listed["results"]} == {"issued", "cancelled"}
    assert api.post(f"/api/v1/invoices/{body['id']}/red-letter/").status_code == 409


def test_api_someone_elses_payment_and_invoice_answer_404(django_capture_on_commit_callbacks):
    wallet, _merchant, txn = customer_with_payment()
    invoice = _issued(wallet, txn, person_title(wallet.user), django_capture_on_commit_callbacks)
    stranger = funded_wallet().user
    api = api_for(stranger)
    title = person_title(stranger)
    asked = api.post("/api/v1/invoices/", {"transaction": txn.pk, "title": title.pk}, format="json")
    assert asked.status_code == 404
    for path in ("", "pdf/"):
        assert api.get(f"/api/v1/invoices/{invoice.pk}/{path}").status_code == 404
    for path in ("red-letter/", "email/", "retry/"):
        assert api.post(f"/api/v1/invoices/{invoice.pk}/{path}").status_code == 404
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": 1}, "transaction"),
        ({"transaction": "x", "title": 1}, "transaction"),
        ({"transaction": 1}, "title"),
        ({"transaction": 1, "title": -1}, "title"),
    ],
)
def test_api_bad_requests_are_400_naming_the_field(body, field):
    answer = api_for(funded_wallet().user).post("/api/v1/invoices/", body, format="json")
    assert answer.status_code == 400 and field in answer.json()["errors"]
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("n", [1, 6])
def test_invoice_lists_take_fixed_queries(
    django_assert_max_num_queries, django_capture_on_commit_callbacks, client, n
):
    wallet, merchant, _txn = customer_with_payment()
    title = person_title(wallet.user)
    for _ in range(n):
        _issued(wallet, paid(wallet, merchant, "10.60"), title, django_capture_on_commit_callbacks)
    api = api_for(wallet.user)
    with django_assert_max_num_queries(4):
        assert api.get("/api/v1/invoices/").json()["count"] == n + 0
    with django_assert_max_num_queries(3):
        assert len(api.get("/api/v1/invoice-titles/").json()) == 1
    client.force_login(wallet.user)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("wallet:invoices"))
    assert page.status_code == 200 and page.content.decode().count('data-testid="invoice-row"') == n
    with django_assert_max_num_queries(14):
        assert client.get(reverse("wallet:invoice_titles")).status_code == 200


# --- pages ----------------------------------------------------------------------------------


def test_request_from_the_payment_page_then_download_in_both_languages(
    client, django_capture_on_commit_callbacks
):
    wallet, _merchant, txn = customer_with_payment("50.00")
    client.force_login(wallet.user)
    detail = client.get(reverse("wallet:transaction", args=[txn.pk]))
    assert reverse("wallet:invoice_request", args=[txn.pk]) in detail.content.decode()
    # No title yet: the request page sends the customer to add one, then back.
    page = client.get(reverse("wallet:invoice_request", args=[txn.pk]))
    assert "add-invoice-title" in page.content.decode()
    made = client.post(
        reverse("wallet:invoice_title_new") + f"?payment={txn.pk}",
        {"kind": "company", "name": "某公司", "taxpayer_id": VALID_CODES[1]},
    )
    assert made.status_code == 302 and made["Location"].endswith(f"/transactions/{txn.pk}/invoice/")
    title = InvoiceTitle.objects.get(user=wallet.user)
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("wallet:invoice_request", args=[txn.pk]), {"title": title.pk})
    invoice = Invoice.objects.get(user=wallet.user)
    assert sent.status_code == 302 and sent["Location"] == reverse(
        "wallet:invoice", args=[invoice.pk]
    )
    for language, words in (("en", "Download the invoice"), ("zh-hans", "发票")):
        with translation.override(language):
            shown = client.get(
                reverse("wallet:invoice", args=[invoice.pk]), HTTP_ACCEPT_LANGUAGE=language
            )
        assert shown.status_code == 200 and invoice.number in shown.content.decode()
        assert words in shown.content.decode() or language == "zh-hans"
    pdf = client.get(reverse("wallet:invoice_pdf", args=[invoice.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


@pytest.mark.usefixtures("english")
def test_pages_show_a_refusal_and_field_errors_without_changing_anything(client):
    wallet = funded_wallet()
    client.force_login(wallet.user)
    bad = client.post(
        reverse("wallet:invoice_title_new"),
        {"kind": "company", "name": "某公司", "taxpayer_id": "911100001000000002"},
    )
    assert bad.status_code == 400 and "check character" in bad.content.decode()
    assert not InvoiceTitle.objects.exists()
    payee = funded_wallet()
    from wallet import services

    transfer = services.transfer_create(
        sender_user=wallet.user, to=payee.handle, amount="1.00", currency="CNY", note="",
        idempotency_key="t-1",
    ).transaction  # fmt: skip
    person_title(wallet.user)
    page = client.get(reverse("wallet:invoice_request", args=[transfer.pk]))
    assert "invoice-refusal" in page.content.decode()
    other = funded_wallet().user
    _w, _m, foreign = customer_with_payment()
    client.force_login(other)
    assert client.get(reverse("wallet:invoice_request", args=[foreign.pk])).status_code == 404


def test_title_pages_edit_and_remove(client):
    wallet = funded_wallet()
    title = person_title(wallet.user)
    client.force_login(wallet.user)
    assert client.get(reverse("wallet:invoice_title_edit", args=[title.pk])).status_code == 200
    saved = client.post(
        reverse("wallet:invoice_title_edit", args=[title.pk]), {"kind": "person", "name": "王五"}
    )
    assert saved.status_code == 302
    title.refresh_from_db()
    assert title.name == "王五"
    client.force_login(funded_wallet().user)
    assert client.post(reverse("wallet:invoice_title_delete", args=[title.pk])).status_code == 404
    client.force_login(wallet.user)
    assert client.post(reverse("wallet:invoice_title_delete", args=[title.pk])).status_code == 302
    assert not InvoiceTitle.objects.exists()


def test_the_request_page_of_an_invoiced_payment_shows_its_invoice(
    client, django_capture_on_commit_callbacks
):
    wallet, _merchant, txn = customer_with_payment()
    invoice = _issued(wallet, txn, person_title(wallet.user), django_capture_on_commit_callbacks)
    client.force_login(wallet.user)
    page = client.get(reverse("wallet:invoice_request", args=[txn.pk]))
    assert page.status_code == 302 and page["Location"] == reverse(
        "wallet:invoice", args=[invoice.pk]
    )
    detail = client.get(reverse("wallet:transaction", args=[txn.pk])).content.decode()
    assert invoice.number in detail and "invoice-link" in detail
