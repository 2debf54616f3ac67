"""Reading a bank's camt.053 statement: what a bank actually sends is read exactly (amounts as
Decimal, credit or debit, dates, references, balances), and anything malformed, truncated,
hostile (entity expansion, external entities) or inconsistent is refused with a clear message."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from accounts.bank.camt053 import CODE_FEE, CREDIT, DEBIT
from wallet.camt053 import StatementRefused, camt053_parse


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def _entry(amount="100.00", ccy="CNY", way="CRDT", ref="FabcDEF123", status="BOOK", extra=""):
    e2e = f"<EndToEndId>{ref}</EndToEndId>" if ref else ""
    return f"""
    <Ntry>
      <Amt Ccy="{ccy}">{amount}</Amt><CdtDbtInd>{way}</CdtDbtInd><Sts><Cd>{status}</Cd></Sts>
      <BookgDt><Dt>2026-11-30</Dt></BookgDt><ValDt><Dt>2026-11-27</Dt></ValDt>
      <AcctSvcrRef>BANK-0001</AcctSvcrRef>
      <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
      <NtryDtls><TxDtls><Refs><AcctSvcrRef>BANK-0001</AcctSvcrRef>{e2e}</Refs>{extra}</TxDtls></NtryDtls>
      <AddtlNtryInf>TOP-UP</AddtlNtryInf>
    </Ntry>"""


def _document(entries=None, opening="1000.00", closing="1100.00", ns=NS, account="CN-1", ccy="CNY"):
    entries = _entry() if entries is None else entries
    return (
        HEAD
        + f"""<Document xmlns="{ns}"><BkToCstmrStmt>
  <GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-11-30T06:00:00+08:00</CreDtTm></GrpHdr>
  <Stmt>
    <Id>STMT-1</Id><CreDtTm>2026-11-30T06:00:00+08:00</CreDtTm>
    <FrToDt><FrDtTm>2026-11-30T00:00:00</FrDtTm><ToDtTm>2026-11-30T23:59:59</ToDtTm></FrToDt>
    <Acct><Id><Othr><Id>{account}</Id></Othr></Id><Ccy>{ccy}</Ccy></Acct>
    <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="{ccy}">{opening}</Amt>
      <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-30</Dt></Dt></Bal>
    <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="{ccy}">{closing}</Amt>
      <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-30</Dt></Dt></Bal>
    {entries}
  </Stmt>
</BkToCstmrStmt></Document>"""
    ).encode()


def _refused(document) -> str:
    with pytest.raises(StatementRefused) as caught:
        camt053_parse(document)
    return str(caught.value.detail)


def test_a_valid_statement_is_read_exactly():
    fee = _entry("5.00", way="DBIT", ref="").replace(
        "<Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT",
        "<Cd>ACMT</Cd><Fmly><Cd>MDOP</Cd><SubFmlyCd>CHRG",
    )
    returned = _entry("40.00", ref="Fret", extra="<RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf>")
    statement = camt053_parse(_document(_entry() + fee + returned, closing="1135.00"))
    assert (statement.account_id, statement.currency, statement.day) == (
        "CN-1",
        "CNY",
        date(2026, 11, 30),
    )
    assert (statement.opening_balance, statement.closing_balance) == (
        Decimal("1000.00"),
        Decimal("1135.00"),
    )
    top_up, charge, back = statement.entries
    assert top_up.amount == Decimal("100.00") and isinstance(top_up.amount, Decimal)
    assert (top_up.direction, top_up.end_to_end_id, top_up.account_servicer_ref) == (
        CREDIT,
        "FabcDEF123",
        "BANK-0001",
    )
    assert (top_up.booking_date, top_up.value_date) == (date(2026, 11, 30), date(2026, 11, 27))
    assert (charge.direction, charge.end_to_end_id, charge.bank_code) == (DEBIT, "", CODE_FEE)
    assert back.returned and back.return_reason == "AC04"
    assert not top_up.returned


def test_a_debit_opening_balance_counts_as_negative():
    document = _document(opening="50.00", closing="50.00").replace(
        b"<CdtDbtInd>CRDT</CdtDbtInd><Dt>", b"<CdtDbtInd>DBIT</CdtDbtInd><Dt>", 1
    )
    assert camt053_parse(document).opening_balance == Decimal("-50.00")


def test_malformed_xml_is_refused():
    assert "not well-formed" in _refused(b"<Document><BkToCstmrStmt></Document>")


def test_a_truncated_file_is_refused():
    assert "not well-formed" in _refused(_document()[:-60])


def test_an_xml_bomb_is_refused_without_expanding_it():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'.encode()
            for i in range(1, 10)
        )
        + b"]><Document>&lol9;</Document>"
    )
    assert "DTD" in _refused(bomb)


def test_an_external_entity_is_refused_and_no_file_is_read():
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + b"<Document>&x;</Document>"
    )
    message = _refused(xxe)
    assert "DTD" in message and "root:" not in message


def test_another_namespace_or_message_is_refused():
    assert "camt.053.001.08" in _refused(
        _document(ns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.08")
    )


@pytest.mark.parametrize(
    ("amount", "why"),
    [("100.001", "not an amount"), ("-100.00", "not an amount"), ("abc", "not an amount")],
)
def test_an_amount_that_is_not_money_in_the_currency_is_refused(amount, why):
    assert why in _refused(_document(_entry(amount=amount)))


def test_a_line_in_another_currency_is_refused():
    assert "USD" in _refused(_document(_entry(ccy="USD")))


def test_a_line_neither_credit_nor_debit_or_not_booked_is_refused():
    assert "neither credit nor debit" in _refused(_document(_entry(way="XXXX")))
    assert "not booked" in _refused(_document(_entry(status="PDNG")))


def test_a_missing_required_element_is_named():
    document = _document().replace(b"<BookgDt><Dt>2026-11-30</Dt></BookgDt>", b"")
    assert "booking date" in _refused(document)
    no_ref = _document().replace(b"<AcctSvcrRef>BANK-0001</AcctSvcrRef>\n", b"")
    assert "bank reference" in _refused(no_ref)


def test_balances_that_do_not_add_up_are_refused():
    assert "closing balance" in _refused(_document(closing="1099.99"))
