"""ISO 20022 camt.053.001.08 (bank-to-customer statement): the shape of a day's statement of the
wallet's clearing account, and how the sandbox bank writes one.

Only the writer lives here (the connector side); the strict, safe parser that reads what a bank
sends is wallet/camt053.py, and both speak in these dataclasses. Business days (the bank books on
the next business day, weekends skipped) are here too, since the bank decides them.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from xml.etree import ElementTree as ET  # noqa: S405  (writing only; parsing is wallet/camt053.py)

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
CREDIT, DEBIT = "CRDT", "DBIT"
# Bank transaction codes (Domain/Family/SubFamily) the sandbox uses; the parser keeps them.
CODE_PAYMENT_RECEIVED = ("PMNT", "RCDT", "ESCT")
CODE_PAYMENT_SENT = ("PMNT", "ICDT", "ESCT")
CODE_RETURN = ("PMNT", "ICDT", "RRTN")
CODE_FEE = ("ACMT", "MDOP", "CHRG")


def is_business_day(day: date) -> bool:
    return day.weekday() < 5


def next_business_day(day: date) -> date:
    """The first business day after `day` (Friday, Saturday and Sunday all give Monday)."""
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def previous_business_day(day: date) -> date:
    day -= timedelta(days=1)
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def add_business_days(day: date, count: int) -> date:
    for _ in range(count):
        day = next_business_day(day)
    return day


@dataclass(frozen=True)
class StatementEntry:
    amount: Decimal  # positive; `direction` says which way
    currency: str
    direction: str  # CREDIT (money in to the account) or DEBIT
    booking_date: date
    value_date: date
    account_servicer_ref: str  # the bank's own reference of the entry (AcctSvcrRef)
    end_to_end_id: str = ""  # our reference of the payment (the funding order's), if any
    bank_code: tuple[str, str, str] = CODE_PAYMENT_RECEIVED
    returned: bool = False  # a payment sent earlier and given back (RtrInf)
    return_reason: str = ""  # ISO return reason code, e.g. AC04 (account closed)
    info: str = ""  # AddtlNtryInf: the bank's words

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.direction == CREDIT else -self.amount


@dataclass(frozen=True)
class Statement:
    message_id: str
    statement_id: str
    created_at: datetime
    account_id: str
    currency: str
    day: date
    opening_balance: Decimal  # signed, as booked (CRDT positive)
    closing_balance: Decimal
    entries: list[StatementEntry] = field(default_factory=list)


def _sub(parent, tag, text=None, **attrs):
    element = ET.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attrs)
    if text is not None:
        element.text = str(text)
    return element


def _amount(parent, tag, value: Decimal, currency: str):
    return _sub(parent, tag, f"{abs(value):.2f}", Ccy=currency)


def _balance(parent, code: str, value: Decimal, currency: str, day: date):
    balance = _sub(parent, "Bal")
    _sub(_sub(_sub(balance, "Tp"), "CdOrPrtry"), "Cd", code)
    _amount(balance, "Amt", value, currency)
    _sub(balance, "CdtDbtInd", CREDIT if value >= 0 else DEBIT)
    _sub(_sub(balance, "Dt"), "Dt", day.isoformat())


def camt053_render(statement: Statement) -> bytes:
    """The statement as camt.053.001.08 XML (UTF-8), the same bytes for the same statement."""
    ET.register_namespace("", NAMESPACE)
    document = ET.Element(f"{{{NAMESPACE}}}Document")
    root = _sub(document, "BkToCstmrStmt")
    header = _sub(root, "GrpHdr")
    _sub(header, "MsgId", statement.message_id)
    _sub(header, "CreDtTm", statement.created_at.isoformat())
    stmt = _sub(root, "Stmt")
    _sub(stmt, "Id", statement.statement_id)
    _sub(stmt, "CreDtTm", statement.created_at.isoformat())
    period = _sub(stmt, "FrToDt")
    _sub(period, "FrDtTm", f"{statement.day.isoformat()}T00:00:00")
    _sub(period, "ToDtTm", f"{statement.day.isoformat()}T23:59:59")
    account = _sub(stmt, "Acct")
    _sub(_sub(_sub(account, "Id"), "Othr"), "Id", statement.account_id)
    _sub(account, "Ccy", statement.currency)
    _balance(stmt, "OPBD", statement.opening_balance, statement.currency, statement.day)
    _balance(stmt, "CLBD", statement.closing_balance, statement.currency, statement.day)
    for entry in statement.entries:
        ntry = _sub(stmt, "Ntry")
        _amount(ntry, "Amt", entry.amount, entry.currency)
        _sub(ntry, "CdtDbtInd", entry.direction)
        _sub(_sub(ntry, "Sts"), "Cd", "BOOK")
        _sub(_sub(ntry, "BookgDt"), "Dt", entry.booking_date.isoformat())
        _sub(_sub(ntry, "ValDt"), "Dt", entry.value_date.isoformat())
        _sub(ntry, "AcctSvcrRef", entry.account_servicer_ref)
        domain_code, family_code, sub_family_code = entry.bank_code
        domain = _sub(_sub(ntry, "BkTxCd"), "Domn")
        _sub(domain, "Cd", domain_code)
        family = _sub(domain, "Fmly")
        _sub(family, "Cd", family_code)
        _sub(family, "SubFmlyCd", sub_family_code)
        details = _sub(_sub(ntry, "NtryDtls"), "TxDtls")
        refs = _sub(details, "Refs")
        _sub(refs, "AcctSvcrRef", entry.account_servicer_ref)
        if entry.end_to_end_id:
            _sub(refs, "EndToEndId", entry.end_to_end_id)
        _amount(details, "Amt", entry.amount, entry.currency)
        _sub(details, "CdtDbtInd", entry.direction)
        if entry.returned:
            info = _sub(details, "RtrInf")
            _sub(_sub(info, "Rsn"), "Cd", entry.return_reason or "NARR")
        if entry.info:
            _sub(ntry, "AddtlNtryInf", entry.info)
    ET.indent(document)
    return ET.tostring(document, encoding="utf-8", xml_declaration=True)
