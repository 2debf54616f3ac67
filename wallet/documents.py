"""Documents a customer can keep: the electronic receipt (电子回单) of one transaction and the
monthly statement, as PDF. Each receipt carries a verification code anyone can check online."""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from io import BytesIO

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .models import Entry, Transaction, Wallet
from .money import MINOR_UNITS, quantize
from .periods import month_bounds

# Adobe's CID font ships with every PDF reader: Chinese text needs no embedded font file.
FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))
TITLE = ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, spaceAfter=6)
BODY = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=14)
SMALL = ParagraphStyle("small", fontName=FONT, fontSize=8, leading=11, textColor=colors.grey)


# --- verification codes ---------------------------------------------------------------


def _receipt_mac(transaction: Transaction) -> str:
    key = (settings.RECEIPT_SIGNING_KEY or settings.SECRET_KEY).encode()
    message = f"{transaction.pk}|{transaction.created_at.isoformat()}|{transaction.kind}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:16].upper()


def receipt_code(transaction: Transaction) -> str:
    """`<id>-XXXX-XXXX-XXXX-XXXX`: the id to find it, an HMAC so it cannot be guessed."""
    mac = _receipt_mac(transaction)
    return f"{transaction.pk}-" + "-".join(mac[i : i + 4] for i in range(0, 16, 4))


def transaction_for_receipt_code(code: str) -> Transaction | None:
    cleaned = "".join((code or "").split()).upper()
    pk, _sep, mac = cleaned.partition("-")
    if not pk.isdigit() or len(pk) > 18:
        return None
    transaction = Transaction.objects.filter(pk=int(pk)).first()
    if transaction is None:
        return None
    expected = _receipt_mac(transaction)
    return transaction if hmac.compare_digest(mac.replace("-", ""), expected) else None


# --- receipt --------------------------------------------------------------------------


def _money(amount: Decimal, currency: str) -> str:
    return f"{quantize(amount, currency):,.{MINOR_UNITS[currency]}f} {currency}"


def _table(rows, widths):
    table = Table(rows, colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def receipt_pdf(*, entry: Entry, counterparty: str, verify_url: str) -> bytes:
    """The receipt as its owner sees it (their side of the transaction)."""
    txn = entry.transaction
    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=_("Electronic receipt"), leftMargin=20 * mm)
    local = timezone.localtime(txn.created_at)
    rows = [
        [_("Reference"), str(txn.pk)],
        [_("Time"), local.strftime("%Y-%m-%d %H:%M:%S %Z")],
        [_("Type"), str(txn.get_kind_display())],
        [_("Status"), str(txn.get_status_display())],
        [
            _("Amount"),
            ("+" if entry.amount > 0 else "-") + _money(abs(entry.amount), entry.currency),
        ],
        [_("From") if entry.amount > 0 else _("To"), counterparty or "-"],
        [pgettext("payment memo", "Note"), txn.note or "-"],
        [_("Verification code"), receipt_code(txn)],
    ]
    story = [
        Paragraph(_("Digital Wallet") + " · " + _("Electronic receipt"), TITLE),
        _table(
            [[Paragraph(str(k), BODY), Paragraph(str(v), BODY)] for k, v in rows],
            [45 * mm, 115 * mm],
        ),
        Spacer(1, 8 * mm),
        Paragraph(
            _("Check this receipt at %(url)s with its verification code.") % {"url": verify_url},
            SMALL,
        ),
    ]
    doc.build(story)
    return buffer.getvalue()


# --- monthly statement ---------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    currency: str
    opening: Decimal
    closing: Decimal
    credits: Decimal
    debits: Decimal


def statement_summary(wallet: Wallet, start: datetime, end: datetime) -> list[StatementLine]:
    """Opening and closing balance per currency, from entries alone (never from stored balances)."""
    entries = Entry.objects.filter(account__wallet=wallet)
    before = dict(
        entries.filter(transaction__created_at__lt=start)
        .values("currency")
        .annotate(t=Sum("amount"))
        .values_list("currency", "t")
    )
    during = entries.filter(transaction__created_at__gte=start, transaction__created_at__lt=end)
    credits = dict(
        during.filter(amount__gt=0)
        .values("currency")
        .annotate(t=Sum("amount"))
        .values_list("currency", "t")
    )
    debits = dict(
        during.filter(amount__lt=0)
        .values("currency")
        .annotate(t=Sum("amount"))
        .values_list("currency", "t")
    )
    lines = []
    for currency in sorted(set(before) | set(credits) | set(debits)):
        opening = before.get(currency) or Decimal(0)
        credit = credits.get(currency) or Decimal(0)
        debit = debits.get(currency) or Decimal(0)
        lines.append(StatementLine(currency, opening, opening + credit + debit, credit, -debit))
    return lines


def statement_pdf(*, wallet: Wallet, year: int, month: int, rows) -> bytes:
    """`rows`: (entry, counterparty) for the month, oldest first."""
    start, end = month_bounds(year, month)
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, title=_("Statement"), leftMargin=15 * mm, rightMargin=15 * mm
    )
    owner = wallet.user.full_name or wallet.user.email
    story = [
        Paragraph(
            _("Digital Wallet")
            + " · "
            + _("Statement %(month)s") % {"month": f"{year}-{month:02d}"},
            TITLE,
        ),
        Paragraph(f"{owner} · {wallet.handle}", BODY),
        Spacer(1, 4 * mm),
    ]
    summary = [
        [_("Currency"), _("Opening balance"), _("Money in"), _("Money out"), _("Closing balance")]
    ]
    for line in statement_summary(wallet, start, end):
        summary.append(
            [
                line.currency,
                _money(line.opening, line.currency),
                _money(line.credits, line.currency),
                _money(line.debits, line.currency),
                _money(line.closing, line.currency),
            ]
        )
    story += [_table(summary, [25 * mm, 38 * mm, 38 * mm, 38 * mm, 38 * mm]), Spacer(1, 6 * mm)]
    detail = [
        [_("Time"), _("Type"), _("Counterparty"), pgettext("payment memo", "Note"), _("Amount")]
    ]
    for entry, counterparty in rows:
        txn = entry.transaction
        detail.append(
            [
                timezone.localtime(txn.created_at).strftime("%m-%d %H:%M"),
                Paragraph(str(txn.get_kind_display()), BODY),
                Paragraph(counterparty or "-", BODY),
                Paragraph(txn.note or "", BODY),
                ("+" if entry.amount > 0 else "-") + _money(abs(entry.amount), entry.currency),
            ]
        )
    if len(detail) == 1:
        detail.append(["", _("No transactions this month."), "", "", ""])
    story.append(_table(detail, [22 * mm, 30 * mm, 40 * mm, 45 * mm, 40 * mm]))
    doc.build(story)
    return buffer.getvalue()
