"""ZEDI (全銀EDIシステム) XML: pain.001.001.03 out, camt.054 / camt.052 in (ZEN-1, ZEN-2).

A ZEDI file is a business application header (head.001.001.01 ``AppHdr``) and the message
(``Document``). The element names below follow the mapping in
``shared/reference/zengin-formats.md`` §6 (ZEDI-FB as read by zengin4j, matched by an
independent implementation); where the reference is silent, docs/zengin.md says what Kinko
chose. XML is parsed with the standard library and any DOCTYPE is refused, so entity tricks
(billion laughs, external entities) never reach the parser.
"""

from __future__ import annotations

import base64
import re
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from xml.sax.saxutils import escape

from kinko import clock
from kinko.catalogue import reason
from kinko.zengin import kana
from kinko.zengin import records as r
from kinko.zengin.errors import FieldTooLong, KanaConversionError, ZenginError, ZenginFileInvalid
from kinko.zengin.fields import name
from kinko.zengin.layouts import TRANSACTION_KINDS
from kinko.zengin.model import Group, ZenginFile
from kinko.zengin.reader import Options
from kinko.zengin.writer import build_file, build_group, write

HEAD = "urn:iso:std:iso:20022:tech:xsd:head.001.001.01"
PAIN = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
CLEARING_SYSTEM = "JPZGN"
USTRD_WIDTH = 76  # base64 lines of the MIME part, one Ustrd each (ZEDI-FB)


@dataclass(frozen=True)
class Envelope:
    """What the head.001 header says that the fixed-length file does not."""

    sender_id: str = ""  # Fr/OrgId/Id/OrgId/Othr/Id: the bank-issued ID, ending in a password
    center_code: str = ""  # センター確認コード: To/…/Othr/Id is 仕向銀行番号 + ":" + this
    business_service: str = ""  # BizSvc: the bank's colon-delimited control string
    message_id: str | None = None  # default: 委託者コード + value date
    created_at: datetime | None = None  # default: kinko.clock.now()
    corporate_number: str = ""  # 法人番号, added to Dbtr with SchmeNm/Cd TXID when given


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _path(parent: ET.Element, path: str, text: str) -> ET.Element:
    node = parent
    for tag in path.split("/"):
        node = _sub(node, tag)
    node.text = text
    return node


def _agent(parent: ET.Element, tag: str, bank: str, bank_name: str, branch: str,
           branch_name: str, clearing_house: str = "") -> None:
    agent = _sub(parent, tag)
    fin = _sub(agent, "FinInstnId")
    member = _sub(fin, "ClrSysMmbId")
    _path(member, "ClrSysId/Cd", CLEARING_SYSTEM)
    _sub(member, "MmbId", bank)
    if bank_name:
        _sub(fin, "Nm", bank_name)
    if clearing_house.strip("0 "):
        _path(fin, "Othr/Id", clearing_house)
    branch_el = _sub(agent, "BrnchId")
    _sub(branch_el, "Id", branch)
    if branch_name:
        _sub(branch_el, "Nm", branch_name)


def edi_lines(content: str) -> list[str]:
    """金融EDI情報 as ZEDI carries it in RmtInf/Ustrd: a MIME header, then the base64 of
    ``<EDIInf1><Content>…</Content></EDIInf1>`` in lines of 76."""
    payload = f"<EDIInf1><Content>{escape(content)}</Content></EDIInf1>".encode()
    encoded = base64.b64encode(payload).decode("ascii")
    return ["MIME-Version: 1.0", "Content-Type: text/xml", "Content-Transfer-Encoding: base64",
            *textwrap.wrap(encoded, USTRD_WIDTH)]


def edi_content(lines: list[str]) -> str:
    """The inverse of :func:`edi_lines`; plain Ustrd lines are joined as they are."""
    if lines[:1] != ["MIME-Version: 1.0"]:
        return " ".join(line.strip() for line in lines)
    body = "".join(line.strip() for line in lines if ":" not in line)
    try:
        xml = base64.b64decode(body, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return ""
    found = re.search(r"<Content>(.*?)</Content>", xml, re.DOTALL)
    text = found.group(1) if found else xml
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def to_pain001(file: ZenginFile, envelope: Envelope | None = None, *,
               edi: Mapping[int, str] | None = None) -> bytes:
    """The ZEDI pain.001.001.03 of a 総合振込 file, one PmtInf per group.

    ``edi`` gives extended 金融EDI情報 per payee, keyed by the data record's number in the
    fixed-length file; a payee without an entry there carries its 20-character EDI情報 when
    識別表示 is Y.
    """
    envelope = envelope or Envelope()
    edi = edi or {}
    if file.type_code != "21":
        raise ZenginFileInvalid([ZenginError(
            1, 2, 3, *name("種別コード"), *reason("pain.001 にできるのは総合振込 (21) だけです"),
            file.type_code, "type_code")])
    first = file.groups[0].header
    assert isinstance(first, r.TransferHeader)
    created = clock.to_jst(envelope.created_at or clock.now())
    message_id = envelope.message_id or (
        f"{first.originator_code}{first.value_date:%Y%m%d}")
    root = ET.Element("Message")
    head = _sub(root, "AppHdr", xmlns=HEAD)
    _path(head, "Fr/OrgId/Id/OrgId/Othr/Id", envelope.sender_id)
    _path(head, "To/FIId/FinInstnId/Othr/Id", f"{first.bank_code}:{envelope.center_code}")
    _sub(head, "BizMsgIdr", message_id)
    _sub(head, "MsgDefIdr", "pain.001.001.03")
    if envelope.business_service:
        _sub(head, "BizSvc", envelope.business_service)
    _sub(head, "CreDt", created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    document = _sub(root, "Document", xmlns=PAIN)
    initiation = _sub(document, "CstmrCdtTrfInitn")
    group_header = _sub(initiation, "GrpHdr")
    _sub(group_header, "MsgId", message_id)
    _sub(group_header, "CreDtTm", created.strftime("%Y-%m-%dT%H:%M:%S"))
    # ZEDI-FB counts PmtInf blocks here; the transactions are counted per PmtInf.
    _sub(group_header, "NbOfTxs", str(len(file.groups)))
    _sub(group_header, "InitgPty")
    number = 0
    for index, group in enumerate(file.groups, start=1):
        _payment_info(initiation, index, number, group, envelope, edi)
        number += len(group.records) + 2
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True)) + b"\n"


def _payment_info(initiation: ET.Element, index: int, number: int, group: Group,
                  envelope: Envelope, edi: Mapping[int, str]) -> None:
    """One PmtInf for one header…trailer group; ``number`` records come before it."""
    number += 1
    header, trailer = group.header, group.trailer
    assert isinstance(header, r.TransferHeader)
    assert isinstance(trailer, r.TransferTrailer)
    info = _sub(initiation, "PmtInf")
    _sub(info, "PmtInfId", str(index))
    _sub(info, "PmtMtd", "TRF")
    _sub(info, "NbOfTxs", str(trailer.count))
    _sub(info, "CtrlSum", str(trailer.total_amount))
    _path(info, "PmtTpInf/CtgyPurp/Cd", "OTHR")
    _sub(info, "ReqdExctnDt", header.value_date.isoformat())
    org = _path(info, "Dbtr/Id/OrgId", "")
    org.text = None
    other = _sub(org, "Othr")
    _sub(other, "Id", header.originator_code)
    _path(other, "SchmeNm/Cd", "BANK")
    if envelope.corporate_number:
        other = _sub(org, "Othr")
        _sub(other, "Id", envelope.corporate_number)
        _path(other, "SchmeNm/Cd", "TXID")
    account = _sub(info, "DbtrAcct")
    _path(account, "Id/Othr/Id", header.account_number)
    if header.account_type:
        _path(account, "Tp/Prtry", header.account_type)
    _agent(info, "DbtrAgt", header.bank_code, header.bank_name, header.branch_code,
           header.branch_name)
    _path(info, "UltmtDbtr/Nm", header.originator_name)
    for position, record in enumerate(group.records, start=1):
        number += 1
        assert isinstance(record, r.TransferData)
        _transaction(info, position, record, edi.get(number))


def _transaction(info: ET.Element, position: int, record: r.TransferData,
                 extended_edi: str | None) -> None:
    tx = _sub(info, "CdtTrfTxInf")
    _path(tx, "PmtId/EndToEndId", str(position))
    _sub(_sub(tx, "Amt"), "InstdAmt", str(record.amount), Ccy="JPY")
    _agent(tx, "CdtrAgt", record.bank_code, record.bank_name, record.branch_code,
           record.branch_name, record.clearing_house)
    creditor = _sub(tx, "Cdtr")
    _sub(creditor, "Nm", record.payee_name)
    if not record.edi_flag:
        org = _sub(_sub(creditor, "Id"), "OrgId")
        for code, scheme in ((record.customer_code1, "Customer Code1"),
                             (record.customer_code2, "Customer Code2")):
            other = _sub(org, "Othr")
            _sub(other, "Id", code)
            _path(other, "SchmeNm/Prtry", scheme)
    account = _sub(tx, "CdtrAcct")
    _path(account, "Id/Othr/Id", record.account_number)
    _path(account, "Tp/Prtry", record.account_type)
    if record.transfer_method:
        _path(tx, "InstrForCdtrAgt/InstrInf", record.transfer_method)
    # 識別表示 + ":" + the data record's ダミー + ":" + the header's ダミー (27 characters).
    _sub(tx, "InstrForDbtrAgt", ("Y" if record.edi_flag else " ") + ":" + " " * 7 + ":"
         + " " * 17)
    _path(tx, "Purp/Prtry", record.new_code)
    content = extended_edi if extended_edi is not None else (
        record.edi_info if record.edi_flag else "")
    if content:
        remittance = _sub(tx, "RmtInf")
        for line in edi_lines(content):
            _sub(remittance, "Ustrd", line)


# --- camt.054 / camt.052 in -------------------------------------------------------------------


class _Mapping:
    """Collects every problem of one document, with the XML path and the record number the
    entry would have in the fixed-length file."""

    def __init__(self, overflow: kana.Overflow) -> None:
        self.errors: list[ZenginError] = []
        self.overflow = overflow

    def fail(self, number: int, path: str, reason_ja: str, reason_en: str, value: str = "") -> None:
        self.errors.append(ZenginError(number, 0, 0, "", path, reason_ja, reason_en, value,
                                       "xml"))

    def text(self, node: ET.Element | None, path: str, number: int, length: int, *,
             field: str = "") -> str:
        raw = _text(node, path)
        if not raw:
            return ""
        try:
            return kana.to_field(raw, length, overflow=self.overflow)
        except KanaConversionError as exc:
            self.fail(number, f"{field or path}", exc.reason_ja, exc.reason_en, raw)
        except FieldTooLong:
            self.fail(number, f"{field or path}",
                      *reason("{length} 桁を超えます", length=length, ctx="reason-xml"), raw)
        return ""

    def digits(self, node: ET.Element | None, path: str, number: int, length: int,
               default: str | None = None) -> str:
        raw = _text(node, path).replace("-", "")
        if not raw and default is not None:
            return default
        if not raw.isascii() or not raw.isdigit() or len(raw) > length:
            self.fail(number, path,
                      *reason("{length} 桁以内の数字でなければなりません", length=length), raw)
            return "0" * length
        return raw.zfill(length)

    def day(self, node: ET.Element | None, path: str, number: int,
            default: date | None = None) -> date:
        raw = _text(node, path)
        if not raw and default is not None:
            return default
        try:
            return date.fromisoformat(raw[:10])
        except ValueError:
            self.fail(number, path, *reason("日付 (YYYY-MM-DD) ではありません"), raw)
            return default or date(2000, 1, 1)

    def yen(self, node: ET.Element | None, path: str, number: int) -> int:
        raw = _text(node, path)
        element = node.find(path) if node is not None else None
        currency = element.get("Ccy", "JPY") if element is not None else "JPY"
        whole, _, fraction = raw.partition(".")
        if currency != "JPY" or not whole.isdigit() or fraction.strip("0"):
            self.fail(number, path, *reason("円の整数金額ではありません"), f"{raw} {currency}")
            return 0
        return int(whole)


def _text(node: ET.Element | None, path: str) -> str:
    if node is None:
        return ""
    found = node.find(path)
    return (found.text or "").strip() if found is not None else ""


def _parse_xml(data: bytes) -> ET.Element:
    # The whole document is searched: a DOCTYPE may follow a long comment in the prolog.
    if re.search(rb"<!\s*(DOCTYPE|ENTITY)", data, re.IGNORECASE):
        raise ZenginFileInvalid([ZenginError(0, 0, 0, "", "XML",
                                             *reason("DOCTYPE は受け付けません"), "", "xml")])
    try:
        root = ET.fromstring(data)  # noqa: S314 - DOCTYPE refused above: no entities to expand
    except (ET.ParseError, LookupError, ValueError) as exc:
        # LookupError, ValueError: an XML declaration naming an encoding Python does not know
        # or expat cannot read (found by the fuzzer: tests/fuzz/corpus/zengin_xml).
        raise ZenginFileInvalid([ZenginError(0, 0, 0, "", "XML",
                                             *reason("XML として読めません",
                                                     exc=exc), "", "xml")]) from None
    for element in root.iter():
        # Namespaces differ between versions and banks; the local names are what map.
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.rsplit("}", 1)[1]
    return root


def _document(root: ET.Element, message: str) -> ET.Element:
    if root.tag == message:
        return root
    found = root.find(f".//{message}")
    if found is None:
        raise ZenginFileInvalid([ZenginError(0, 0, 0, "", "XML",
                                             *reason("{message} がありません",
                                                     message=message), root.tag, "xml")])
    return found


def _account(m: _Mapping, node: ET.Element, number: int, account_len: int) -> dict[str, str]:
    acct = node.find("Acct")
    return {
        "bank_code": m.digits(acct, "Svcr/FinInstnId/ClrSysMmbId/MmbId", number, 4),
        "bank_name": m.text(acct, "Svcr/FinInstnId/Nm", number, 15),
        "branch_code": m.digits(acct, "Svcr/BrnchId/Id", number, 3),
        "branch_name": m.text(acct, "Svcr/BrnchId/Nm", number, 15),
        "account_type": m.digits(acct, "Tp/Prtry", number, 1, default="1"),
        "account_number": m.digits(acct, "Id/Othr/Id", number, account_len),
        "account_name": m.text(acct, "Nm", number, 40),
    }


def _period(m: _Mapping, node: ET.Element, created: date, number: int) -> tuple[date, date]:
    start = m.day(node, "FrToDt/FrDtTm", number, created)
    return start, m.day(node, "FrToDt/ToDtTm", number, start)


def _finish(m: _Mapping, built: ZenginFile | None, options: Options | None) -> ZenginFile:
    if m.errors or built is None:
        raise ZenginFileInvalid(m.errors or [ZenginError(
            0, 0, 0, "", "XML", *reason("口座がありません"), "", "xml")])
    # Writing checks every rule the fixed-length reader applies, so a camt that maps to an
    # impossible 01/03 file (a date outside the period, a name of the wrong class) is refused
    # here with the record it would be.
    write(built, options)
    return built


def from_camt054(data: bytes, options: Options | None = None, *,
                 overflow: kana.Overflow = "truncate") -> ZenginFile:
    """振込入金通知 (01) from camt.054 (BkToCstmrDbtCdtNtfctn): one group per Ntfctn."""
    m = _Mapping(overflow)
    message = _document(_parse_xml(data), "BkToCstmrDbtCdtNtfctn")
    created = m.day(message, "GrpHdr/CreDtTm", 0)
    groups = []
    number = 0
    for notification in message.findall("Ntfctn"):
        number += 1
        account = _account(m, notification, number, 7)
        start, stop = _period(m, notification, created, number)
        header = r.NoticeHeader(created=created, period_from=start, period_to=stop, **account)
        records: list[r.Record] = []
        for index, entry in enumerate(notification.findall("Ntry"), start=1):
            number += 1
            records.append(_notice_entry(m, entry, index, number))
        groups.append(build_group(header, records))
        number += 1
    built = build_file(groups) if groups else None
    return _finish(m, built, options)


def _notice_entry(m: _Mapping, entry: ET.Element, index: int, number: int) -> r.Record:
    if _text(entry, "CdtDbtInd") not in ("", "CRDT"):
        m.fail(number, "Ntry/CdtDbtInd",
               *reason("振込入金通知には入金 (CRDT) だけが入ります"), _text(entry, "CdtDbtInd"))
    tx = entry.find("NtryDtls/TxDtls")
    booked = m.day(entry, "BookgDt/Dt", number)
    reference = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
    inquiry = reference[-6:].zfill(6) if reference.isdigit() else f"{index:06d}"
    amount = m.yen(entry, "Amt", number)
    ustrd = [e.text or "" for e in tx.findall("RmtInf/Ustrd")] if tx is not None else []
    common = {
        "inquiry_number": inquiry,
        "booking_date": booked,
        "value_date": m.day(entry, "ValDt/Dt", number, booked),
        "remitter_code": m.digits(tx, "RltdPties/Dbtr/Id/OrgId/Othr/Id", number, 10,
                                  default="0000000000"),
        "remitter_name": m.text(tx, "RltdPties/Dbtr/Nm", number, 48) or "ﾌﾒｲ",
        "sending_bank_name": m.text(tx, "RltdAgts/DbtrAgt/FinInstnId/Nm", number, 15),
        "sending_branch_name": m.text(tx, "RltdAgts/DbtrAgt/BrnchId/Nm", number, 15),
        "cancelled": _text(entry, "RvslInd").lower() == "true",
        "edi_info": _edi(m, ustrd, number),
    }
    if amount >= 10**10:
        return r.NoticeDataB(amount=0, amount_2=amount, **common)  # type: ignore[arg-type]
    return r.NoticeData(amount=amount, **common)  # type: ignore[arg-type]


def _edi(m: _Mapping, lines: list[str], number: int) -> str:
    content = edi_content(lines) if lines else ""
    if not content:
        return ""
    try:
        return kana.to_field(content, 20, overflow=m.overflow)
    except (KanaConversionError, FieldTooLong) as exc:
        m.fail(number, "RmtInf/Ustrd", *reason("EDI情報を半角 20 桁にできません", exc=exc), content)
        return ""


def from_camt052(data: bytes, options: Options | None = None, *,
                 overflow: kana.Overflow = "truncate") -> ZenginFile:
    """入出金取引明細 (03) from camt.052 (BkToCstmrAcctRpt): one group per Rpt."""
    m = _Mapping(overflow)
    message = _document(_parse_xml(data), "BkToCstmrAcctRpt")
    created = m.day(message, "GrpHdr/CreDtTm", 0)
    groups = []
    number = 0
    for report in message.findall("Rpt"):
        number += 1
        account = _account(m, report, number, 10)
        start, stop = _period(m, report, created, number)
        opening, closing = _balances(m, report, number)
        header = r.StatementHeader(
            created=created, period_from=start, period_to=stop,
            opening_sign="2" if opening < 0 else "1", opening_balance=abs(opening), **account)
        records: list[r.Record] = []
        for index, entry in enumerate(report.findall("Ntry"), start=1):
            number += 1
            records.append(_statement_entry(m, entry, index, number))
        group = build_group(header, records)
        trailer = group.trailer
        assert isinstance(trailer, r.StatementTrailer)
        if closing is not None and trailer.signed_closing_balance != closing:
            m.fail(number + 1, "Rpt/Bal[CLBD]",
                   *reason("期末残高 (CLBD) が期首残高と明細の合計に一致しません",
                           closing=closing,
                           signed_closing_balance=trailer.signed_closing_balance), str(closing))
        groups.append(group)
        number += 1
    built = build_file(groups) if groups else None
    return _finish(m, built, options)


def _balances(m: _Mapping, report: ET.Element, number: int) -> tuple[int, int | None]:
    opening: int | None = None
    closing: int | None = None
    for balance in report.findall("Bal"):
        code = _text(balance, "Tp/CdOrPrtry/Cd")
        amount = m.yen(balance, "Amt", number)
        if _text(balance, "CdtDbtInd") == "DBIT":
            amount = -amount
        if code in ("OPBD", "PRCD") and opening is None:
            opening = amount
        elif code == "CLBD":
            closing = amount
    if opening is None:
        m.fail(number, "Rpt/Bal", *reason("期首残高 (OPBD) がありません"))
        opening = 0
    return opening, closing


def _statement_entry(m: _Mapping, entry: ET.Element, index: int, number: int) -> r.Record:
    indicator = _text(entry, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        m.fail(number, "Ntry/CdtDbtInd", *reason("CRDT か DBIT でなければなりません"), indicator)
    tx = entry.find("NtryDtls/TxDtls")
    booked = m.day(entry, "BookgDt/Dt", number)
    kind = _text(entry, "BkTxCd/Prtry/Cd")
    reference = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
    ustrd = [e.text or "" for e in tx.findall("RmtInf/Ustrd")] if tx is not None else []
    return r.StatementData(
        inquiry_number=reference[-8:].zfill(8) if reference.isdigit() else f"{index:08d}",
        booking_date=booked,
        value_date=m.day(entry, "ValDt/Dt", number, booked),
        direction="1" if indicator == "CRDT" else "2",
        transaction_kind=kind if kind in TRANSACTION_KINDS else "18",
        amount=m.yen(entry, "Amt", number),
        remitter_name=m.text(tx, "RltdPties/Dbtr/Nm", number, 48),
        sending_bank_name=m.text(tx, "RltdAgts/DbtrAgt/FinInstnId/Nm", number, 15),
        sending_branch_name=m.text(tx, "RltdAgts/DbtrAgt/BrnchId/Nm", number, 15),
        description=m.text(entry, "AddtlNtryInf", number, 20),
        edi_info=_edi(m, ustrd, number),
    )


def read_xml(data: bytes, options: Options | None = None, *,
             overflow: kana.Overflow = "truncate") -> ZenginFile:
    """camt.054 or camt.052, whichever ``data`` is."""
    root = _parse_xml(data)
    names = {element.tag for element in root.iter()}
    if "BkToCstmrDbtCdtNtfctn" in names:
        return from_camt054(data, options, overflow=overflow)
    if "BkToCstmrAcctRpt" in names:
        return from_camt052(data, options, overflow=overflow)
    raise ZenginFileInvalid([ZenginError(
        0, 0, 0, "", "XML", *reason("camt.054 でも camt.052 でもありません"), root.tag,
        "xml")])


def looks_like_xml(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"
