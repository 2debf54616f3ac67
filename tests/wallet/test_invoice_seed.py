"""seed_demo's e-invoices: titles with valid codes and 李四's issued invoice, once however
often it runs; the ledger stays balanced."""

import pytest
from django.core.management import call_command

from wallet.audit import ledger_breaches
from wallet.invoicing.uscc import uscc_is_valid
from wallet.models import Merchant
from wallet.models_invoices import Invoice, InvoiceTitle

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_titles_and_an_issued_invoice_once():
    call_command("seed_demo", quiet=True)
    call_command("seed_demo", quiet=True)
    zhang = InvoiceTitle.objects.filter(user__email="zhang.san@demo.example")
    assert sorted(zhang.values_list("kind", flat=True)) == ["company", "person"]
    assert all(uscc_is_valid(t.taxpayer_id) for t in InvoiceTitle.objects.filter(kind="company"))
    invoice = Invoice.objects.get()
    assert invoice.user.email == "li.si@demo.example"
    assert invoice.status == Invoice.Status.ISSUED and len(invoice.number) == 20
    assert uscc_is_valid(Merchant.objects.get(code="LUCKIN01").taxpayer_id)
    assert ledger_breaches() == []
