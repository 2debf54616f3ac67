"""The e-invoice as PDF, in the reader's language, with the CID font of the wallet's other
documents (wallet/documents.py) so Chinese needs no embedded font file."""

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from ..documents import BODY, SMALL, TITLE, _money, _table
from ..models_invoices import Invoice


def _p(text) -> Paragraph:
    return Paragraph(escape(str(text)), BODY)


def invoice_pdf(invoice: Invoice) -> bytes:
    red = invoice.kind == Invoice.Kind.RED
    heading = _("Red-letter invoice") if red else _("Electronic invoice (general VAT invoice)")
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=heading, leftMargin=20 * mm)
    details = invoice.buyer_details or {}
    buyer_extra = " ".join(
        str(details[key])
        for key in ("address", "phone", "bank_name", "bank_account")
        if key in details
    )
    rows = [
        [_("Invoice number"), invoice.number or "-"],
        [_("Date issued"), invoice.issued_on.isoformat() if invoice.issued_on else "-"],
        [_("Buyer"), invoice.buyer_name],
        [_("Buyer's taxpayer ID"), invoice.buyer_taxpayer_id or "-"],
    ]
    if buyer_extra:
        rows.append([_("Buyer's address, phone and bank"), buyer_extra])
    rows += [
        [_("Seller"), invoice.seller_name],
        [_("Seller's taxpayer ID"), invoice.seller_taxpayer_id],
        [_("Amount before tax"), _money(invoice.net_amount, invoice.currency)],
        [_("Tax rate"), f"{invoice.tax_rate * 100:.0f}%"],
        [_("Tax amount"), _money(invoice.tax_amount, invoice.currency)],
        [_("Total (tax included)"), _money(invoice.amount, invoice.currency)],
        [_("Payment reference"), str(invoice.transaction_id)],
    ]
    if red and invoice.cancels_id:
        rows.append([_("Cancels invoice"), invoice.cancels.number or "-"])
    if invoice.status == Invoice.Status.CANCELLED:
        rows.append([_("Status"), invoice.get_status_display()])
    story = [
        Paragraph(escape(_("Digital Wallet") + " · " + heading), TITLE),
        _table([[_p(k), _p(v)] for k, v in rows], [50 * mm, 110 * mm]),
        Spacer(1, 8 * mm),
        Paragraph(
            escape(_("Issued through the tax authority's invoicing platform (sandbox).")), SMALL
        ),
    ]
    doc.build(story)
    return buffer.getvalue()
