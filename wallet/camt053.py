"""Reading a bank's camt.053.001.08 statement: safely and strictly.

Safely: the bytes come from outside, so defusedxml parses them with DTDs, entity declarations
and external references refused (no billion laughs, no reading of local files or URLs).
Strictly: the namespace must be camt.053.001.08; every element the reconciliation relies on
must be there and well formed (amounts as Decimal with at most the currency's places and the
statement's currency, credit or debit, booking and value dates, the bank's reference); and the
closing balance must equal the opening balance plus the entries. Anything else is refused with
a message saying what is wrong, before anything is stored.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element  # noqa: S405  (a type only; parsing is defusedxml's)

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from django.utils.translation import gettext as _

from accounts.bank.camt053 import CODE_RETURN, CREDIT, DEBIT, NAMESPACE, Statement, StatementEntry
from config.api_errors import ApplicationError

from .money import CURRENCY_CHOICES, quantize

MAX_STATEMENT_BYTES = 20 * 1024 * 1024
NS = {"c": NAMESPACE}
KNOWN_CURRENCIES = {code for code, _label in CURRENCY_CHOICES}


class StatementRefused(ApplicationError):
    """The statement cannot be read or trusted: nothing of it is stored."""

    default_code = "statement_refused"


def _refuse(message: str) -> StatementRefused:
    return StatementRefused(message, fields={"statement": [message]})


def _text(parent: Element, path: str, what: str) -> str:
    found = parent.find(path, NS)
    if found is None or not (found.text or "").strip():
        raise _refuse(_("The statement has no %(what)s.") % {"what": what})
    return found.text.strip()


def _optional(parent: Element, path: str) -> str:
    found = parent.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def _date(parent: Element, path: str, what: str) -> date:
    value = _text(parent, path, what)
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise _refuse(
            _("The %(what)s %(value)s is not a date.") % {"what": what, "value": value}
        ) from None


def _direction(parent: Element, what: str) -> str:
    value = _text(parent, "c:CdtDbtInd", what)
    if value not in (CREDIT, DEBIT):
        raise _refuse(
            _("The %(what)s is neither credit nor debit (%(value)s).")
            % {"what": what, "value": value}
        )
    return value


def _amount(parent: Element, path: str, currency: str, what: str) -> Decimal:
    element = parent.find(path, NS)
    if element is None or not (element.text or "").strip():
        raise _refuse(_("The statement has no %(what)s.") % {"what": what})
    if element.get("Ccy") != currency:
        raise _refuse(
            _("The %(what)s is in %(found)s, not in the statement's currency %(currency)s.")
            % {"what": what, "found": element.get("Ccy") or "?", "currency": currency}
        )
    try:
        amount = Decimal(element.text.strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or quantize(amount, currency) != amount:
        raise _refuse(
            _("The %(what)s %(value)s is not an amount in %(currency)s.")
            % {"what": what, "value": element.text.strip(), "currency": currency}
        )
    return amount


def _balance(statement: Element, code: str, currency: str, what: str) -> Decimal:
    for balance in statement.findall("c:Bal", NS):
        if _optional(balance, "c:Tp/c:CdOrPrtry/c:Cd") == code:
            amount = _amount(balance, "c:Amt", currency, what)
            return amount if _direction(balance, what) == CREDIT else -amount
    raise _refuse(_("The statement has no %(what)s.") % {"what": what})


def _entry(ntry: Element, currency: str, position: int) -> StatementEntry:
    what = _("line %(position)d") % {"position": position}
    status = _optional(ntry, "c:Sts/c:Cd") or _optional(ntry, "c:Sts")
    if status != "BOOK":
        raise _refuse(
            _("Line %(position)d is not booked (status %(status)s).")
            % {"position": position, "status": status or "?"}
        )
    code = (
        _optional(ntry, "c:BkTxCd/c:Domn/c:Cd"),
        _optional(ntry, "c:BkTxCd/c:Domn/c:Fmly/c:Cd"),
        _optional(ntry, "c:BkTxCd/c:Domn/c:Fmly/c:SubFmlyCd"),
    )
    details = ntry.find("c:NtryDtls/c:TxDtls", NS)
    end_to_end = _optional(details, "c:Refs/c:EndToEndId") if details is not None else ""
    if end_to_end == "NOTPROVIDED":
        end_to_end = ""
    return StatementEntry(
        amount=_amount(ntry, "c:Amt", currency, what),
        currency=currency,
        direction=_direction(ntry, what),
        booking_date=_date(ntry, "c:BookgDt/c:Dt", _("booking date of %(line)s") % {"line": what}),
        value_date=_date(ntry, "c:ValDt/c:Dt", _("value date of %(line)s") % {"line": what}),
        account_servicer_ref=_text(
            ntry, "c:AcctSvcrRef", _("bank reference of %(line)s") % {"line": what}
        ),
        end_to_end_id=end_to_end[:64],
        bank_code=code,
        returned=code == CODE_RETURN
        or (details is not None and details.find("c:RtrInf", NS) is not None),
        return_reason=_optional(details, "c:RtrInf/c:Rsn/c:Cd") if details is not None else "",
        info=_optional(ntry, "c:AddtlNtryInf")[:200],
    )


def camt053_parse(document: bytes) -> Statement:
    """The statement in `document`, or StatementRefused saying what is wrong with it."""
    if len(document) > MAX_STATEMENT_BYTES:
        raise _refuse(_("The statement file is too large."))
    try:
        root = fromstring(document, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise _refuse(
            _("The statement declares a DTD, entities or external references: refused.")
        ) from None
    except ParseError as error:
        raise _refuse(
            _("The statement is not well-formed XML (%(error)s).") % {"error": error}
        ) from None
    if root.tag != f"{{{NAMESPACE}}}Document":
        raise _refuse(
            _("This is not a camt.053.001.08 statement (root element %(tag)s).") % {"tag": root.tag}
        )
    statements = root.findall("c:BkToCstmrStmt/c:Stmt", NS)
    if len(statements) != 1:
        raise _refuse(_("The file must hold exactly one statement."))
    stmt = statements[0]
    currency = _text(stmt, "c:Acct/c:Ccy", _("account currency"))
    if currency not in KNOWN_CURRENCIES:
        raise _refuse(
            _("The statement's currency %(currency)s is unknown.") % {"currency": currency}
        )
    created_text = _text(root, "c:BkToCstmrStmt/c:GrpHdr/c:CreDtTm", _("creation time"))
    try:
        created = datetime.fromisoformat(created_text)
    except ValueError:
        raise _refuse(
            _("The creation time %(value)s is not a time.") % {"value": created_text}
        ) from None
    day = _date(stmt, "c:FrToDt/c:FrDtTm", _("statement date"))
    opening = _balance(stmt, "OPBD", currency, _("opening balance"))
    closing = _balance(stmt, "CLBD", currency, _("closing balance"))
    entries = [
        _entry(ntry, currency, position)
        for position, ntry in enumerate(stmt.findall("c:Ntry", NS), start=1)
    ]
    if opening + sum((entry.signed_amount for entry in entries), Decimal(0)) != closing:
        raise _refuse(
            _(
                "The closing balance %(closing)s is not the opening balance %(opening)s plus the "
                "lines: the statement is incomplete or altered."
            )
            % {"closing": closing, "opening": opening}
        )
    return Statement(
        message_id=_text(root, "c:BkToCstmrStmt/c:GrpHdr/c:MsgId", _("message id")),
        statement_id=_text(stmt, "c:Id", _("statement id")),
        created_at=created,
        account_id=_text(stmt, "c:Acct/c:Id/c:Othr/c:Id", _("account id"))
        if stmt.find("c:Acct/c:Id/c:Othr/c:Id", NS) is not None
        else _text(stmt, "c:Acct/c:Id/c:IBAN", _("account id")),
        currency=currency,
        day=day,
        opening_balance=opening,
        closing_balance=closing,
        entries=entries,
    )
