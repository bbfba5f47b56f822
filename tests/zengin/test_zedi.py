"""ZEDI (ZEN-1, ZEN-2): pain.001.001.03 with head.001 for a bulk transfer with EDI per payee,
and camt.054 / camt.052 read as the XML forms of 01 / 03."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest

from kinko.clock import JST
from kinko.zengin import ZenginFileInvalid, read, write, zedi
from kinko.zengin import records as r

from .golden_spec import GOLDEN
from .helpers import OPTIONS

pytestmark = pytest.mark.req("ZEN-1")
HEAD = "{urn:iso:std:iso:20022:tech:xsd:head.001.001.01}"
PAIN = "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.03}"


def _pain() -> ET.Element:
    file = read((GOLDEN / "transfer_21.txt").read_bytes(), OPTIONS)
    envelope = zedi.Envelope(sender_id="C0000001PASSWORD", center_code="ABC",
                             business_service="ZEDI:FB:1", created_at=datetime(
                                 2026, 4, 1, 9, 30, tzinfo=JST), corporate_number="1234567890123")
    # record 6 is the payee of the second group; it gets an extended EDI text
    xml = zedi.to_pain001(file, envelope, edi={6: "<請求書>No.42 & 43"})
    return ET.fromstring(xml)


def test_head_001_application_header() -> None:
    root = _pain()
    head = root.find(f"{HEAD}AppHdr")
    assert head is not None
    text = {el.tag.removeprefix(HEAD): (el.text or "") for el in head.iter()}
    assert text["MsgDefIdr"] == "pain.001.001.03"
    assert text["BizMsgIdr"] == "123456789020260403"
    assert text["BizSvc"] == "ZEDI:FB:1"
    assert text["CreDt"] == "2026-04-01T00:30:00Z"  # UTC with a Z
    assert head.findtext(f"{HEAD}Fr/{HEAD}OrgId/{HEAD}Id/{HEAD}OrgId/{HEAD}Othr/{HEAD}Id") == (
        "C0000001PASSWORD")
    assert head.findtext(f"{HEAD}To/{HEAD}FIId/{HEAD}FinInstnId/{HEAD}Othr/{HEAD}Id") == (
        "0168:ABC")


def _at(element: ET.Element, path: str) -> str:
    found = element.find("/".join(PAIN + part for part in path.split("/")))
    assert found is not None, path
    return found.text or ""


def test_pain_001_mapping_of_the_reference() -> None:
    root = _pain()
    initiation = root.find(f"{PAIN}Document/{PAIN}CstmrCdtTrfInitn")
    assert initiation is not None
    assert _at(initiation, "GrpHdr/NbOfTxs") == "2"  # PmtInf blocks (ZEDI-FB)
    assert _at(initiation, "GrpHdr/CreDtTm") == "2026-04-01T09:30:00"  # no offset
    first, second = initiation.findall(f"{PAIN}PmtInf")
    assert (_at(first, "NbOfTxs"), _at(first, "CtrlSum")) == ("2", "150000")
    assert _at(first, "ReqdExctnDt") == "2026-04-03"
    assert _at(first, "PmtTpInf/CtgyPurp/Cd") == "OTHR"
    ids = first.findall(f"{PAIN}Dbtr/{PAIN}Id/{PAIN}OrgId/{PAIN}Othr")
    assert [(_at(o, "Id"), _at(o, "SchmeNm/Cd")) for o in ids] == [
        ("1234567890", "BANK"), ("1234567890123", "TXID")]
    assert _at(first, "UltmtDbtr/Nm") == "ｶ)ｷﾝｺｼﾖｳｼﾞ"
    assert _at(first, "DbtrAgt/FinInstnId/ClrSysMmbId/ClrSysId/Cd") == "JPZGN"
    assert _at(first, "DbtrAgt/FinInstnId/ClrSysMmbId/MmbId") == "0168"
    assert _at(first, "DbtrAgt/BrnchId/Id") == "001"
    assert (_at(first, "DbtrAcct/Id/Othr/Id"), _at(first, "DbtrAcct/Tp/Prtry")) == (
        "1234567", "1")
    plain, with_edi = first.findall(f"{PAIN}CdtTrfTxInf")
    amount = plain.find(f"{PAIN}Amt/{PAIN}InstdAmt")
    assert amount is not None and (amount.text, amount.get("Ccy")) == ("10000", "JPY")
    assert _at(plain, "CdtrAgt/FinInstnId/ClrSysMmbId/MmbId") == "0005"
    assert _at(plain, "CdtrAgt/BrnchId/Id") == "123"
    assert _at(plain, "Cdtr/Nm") == "ﾔﾏﾀﾞ ﾀﾛｳ"
    codes = plain.findall(f"{PAIN}Cdtr/{PAIN}Id/{PAIN}OrgId/{PAIN}Othr")
    assert [(_at(o, "Id"), _at(o, "SchmeNm/Prtry")) for o in codes] == [
        ("0000012345", "Customer Code1"), ("0000000000", "Customer Code2")]
    assert (_at(plain, "CdtrAcct/Tp/Prtry"), _at(plain, "CdtrAcct/Id/Othr/Id")) == (
        "1", "7654321")
    assert _at(plain, "InstrForCdtrAgt/InstrInf") == "7"
    assert _at(plain, "Purp/Prtry") == "1"
    assert _at(plain, "InstrForDbtrAgt") == " :       :                 "
    assert plain.find(f"{PAIN}RmtInf") is None
    assert _at(with_edi, "InstrForDbtrAgt") == "Y:       :                 "
    assert len(_at(with_edi, "InstrForDbtrAgt")) == 27
    lines = [u.text or "" for u in with_edi.findall(f"{PAIN}RmtInf/{PAIN}Ustrd")]
    assert lines[:3] == ["MIME-Version: 1.0", "Content-Type: text/xml",
                         "Content-Transfer-Encoding: base64"]
    assert base64.b64decode("".join(lines[3:])) == (
        "<EDIInf1><Content>INV-2026/0001 ｦ</Content></EDIInf1>".encode())
    [extended] = second.findall(f"{PAIN}CdtTrfTxInf")
    lines = [u.text or "" for u in extended.findall(f"{PAIN}RmtInf/{PAIN}Ustrd")]
    assert all(len(line) <= 76 for line in lines)
    assert zedi.edi_content(lines) == "<請求書>No.42 & 43"


def test_edi_lines_wrap_at_76() -> None:
    lines = zedi.edi_lines("ｱ" * 200)
    assert [len(line) for line in lines[3:-1]] == [76] * (len(lines) - 4)
    assert zedi.edi_content(lines) == "ｱ" * 200
    assert zedi.edi_content(["plain", "text"]) == "plain text"


def test_camt_054_reads_as_an_incoming_transfer_notice() -> None:
    """ZEN-2: camt.054 → 振込入金通知 (01), names converted to half-width kana."""
    file = zedi.read_xml((GOLDEN / "camt054.xml").read_bytes(), OPTIONS)
    assert file.type_code == "01"
    group = file.groups[0]
    assert isinstance(group.header, r.NoticeHeader)
    assert (group.header.account_name, group.header.bank_name, group.header.branch_code) == (
        "ｶ)ｷﾝｺｼﾖｳｼﾞ", "ﾁﾕｳｺﾞｸ", "001")
    first, second = group.records
    assert isinstance(first, r.NoticeData) and isinstance(second, r.NoticeDataB)
    assert (first.inquiry_number, first.amount, first.remitter_code, first.edi_info) == (
        "000101", 50_000, "0000012345", "INV-2026-03")
    assert (first.sending_bank_name, first.sending_branch_name) == ("ﾐｽﾞﾎ", "ｼﾝﾊﾞｼ")
    assert second.remitter_name == "ﾔﾏﾀﾞ ﾀﾛｳ" and second.cancelled
    assert second.amount_2 == 12_345_678_901  # over ten digits: format B
    assert group.trailer == r.NoticeTrailer(count=2, total_amount=12_345_728_901,
                                            cancel_count=1, cancel_amount=12_345_678_901)
    assert read(write(file, OPTIONS), OPTIONS) == file


def test_camt_052_reads_as_an_account_statement() -> None:
    """ZEN-2: camt.052 → 入出金取引明細 (03): the same content as the 03 golden file."""
    file = zedi.read_xml((GOLDEN / "camt052.xml").read_bytes(), OPTIONS)
    golden = read((GOLDEN / "statement_03.txt").read_bytes(), OPTIONS)
    assert file.groups[0].records == golden.groups[0].records
    assert file.groups[0].trailer == golden.groups[0].trailer
    assert file.groups[0].header.opening_balance == 1_000_000  # type: ignore[attr-defined]


def _refusal(data: bytes) -> list[str]:
    with pytest.raises(ZenginFileInvalid) as refused:
        zedi.read_xml(data, OPTIONS)
    return [e.describe() for e in refused.value.errors]


def test_camt_refusals() -> None:
    camt052 = (GOLDEN / "camt052.xml").read_bytes()
    assert "closing balance 1150001" in _refusal(
        camt052.replace(b">1150000<", b">1150001<"))[0]
    assert _refusal(camt052.replace(b"<Nm>\xef\xbd\xb6)\xef\xbe\x84", "<Nm>鳥".encode())) == [
        "record 2, RltdPties/Dbtr/Nm: kanji '鳥' cannot be converted to kana automatically; give "
        "the reading in kana"]
    assert "not a whole amount in JPY" in _refusal(
        camt052.replace(b'Ccy="JPY">50000<', b'Ccy="USD">50000<'))[0]
    assert "must be CRDT or DBIT" in _refusal(camt052.replace(b"DBIT</CdtDbtInd>\n        <Bo",
                                                              b"XXXX</CdtDbtInd>\n        <Bo"))[0]
    # a booking date outside the report's period is the 03 rule, with its record number
    assert _refusal(camt052.replace(b"<Dt>2026-03-31</Dt></BookgDt>",
                                    b"<Dt>2026-04-02</Dt></BookgDt>"))[0].startswith(
        "record 3, bytes 10-15, 勘定日 (booking date): booking date 2026-04-02 is outside")


def test_hostile_or_broken_xml_is_refused() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
            b"<Document>&b;</Document>")
    assert _refusal(bomb) == ["file, XML: documents with a DOCTYPE are refused"]
    assert "not well-formed XML" in _refusal(b"<Document><BkToCstmrAcctRpt>")[0]
    assert "neither camt.054" in _refusal(b"<Document><Other/></Document>")[0]
    assert _refusal(b"<BkToCstmrAcctRpt><GrpHdr/></BkToCstmrAcctRpt>")[0].endswith(
        "not a date (YYYY-MM-DD)")
