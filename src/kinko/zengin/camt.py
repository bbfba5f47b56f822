"""camt.052 / camt.054 out: the ISO 20022 forms of 入出金取引明細 (03) and 振込入金通知 (01).

The element names are those :mod:`kinko.zengin.zedi` reads back (``from_camt052`` /
``from_camt054``), so a statement Kinko writes in XML reads back as the same fixed-length file
(ZEN-2). EDI information rides in ``RmtInf/Ustrd`` in the ZEDI MIME form (:func:`edi_lines`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

from kinko.zengin import records as r
from kinko.zengin.model import ZenginFile
from kinko.zengin.zedi import CLEARING_SYSTEM, edi_lines

CAMT052 = "urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"
CAMT054 = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _path(parent: ET.Element, path: str, text: str) -> None:
    node = parent
    for tag in path.split("/"):
        node = _sub(node, tag)
    node.text = text


def _group_header(message: ET.Element, message_id: str, created: date) -> None:
    header = _sub(message, "GrpHdr")
    _sub(header, "MsgId", message_id)
    _sub(header, "CreDtTm", f"{created.isoformat()}T00:00:00+09:00")


def _account(parent: ET.Element, header: r.NoticeHeader | r.StatementHeader) -> None:
    acct = _sub(parent, "Acct")
    _path(acct, "Id/Othr/Id", header.account_number)
    _path(acct, "Tp/Prtry", header.account_type)
    _sub(acct, "Ccy", "JPY")
    _sub(acct, "Nm", header.account_name)
    servicer = _sub(acct, "Svcr")
    fin = _sub(servicer, "FinInstnId")
    member = _sub(fin, "ClrSysMmbId")
    _path(member, "ClrSysId/Cd", CLEARING_SYSTEM)
    _sub(member, "MmbId", header.bank_code)
    if header.bank_name:
        _sub(fin, "Nm", header.bank_name)
    branch = _sub(servicer, "BrnchId")
    _sub(branch, "Id", header.branch_code)
    if header.branch_name:
        _sub(branch, "Nm", header.branch_name)


def _period(parent: ET.Element, start: date, stop: date) -> None:
    period = _sub(parent, "FrToDt")
    _sub(period, "FrDtTm", f"{start.isoformat()}T00:00:00+09:00")
    _sub(period, "ToDtTm", f"{stop.isoformat()}T23:59:59+09:00")


def _amount(parent: ET.Element, amount: int) -> None:
    _sub(parent, "Amt", str(amount), Ccy="JPY")


def _balance(parent: ET.Element, code: str, amount: int, day: date) -> None:
    bal = _sub(parent, "Bal")
    _path(bal, "Tp/CdOrPrtry/Cd", code)
    _amount(bal, abs(amount))
    _sub(bal, "CdtDbtInd", "DBIT" if amount < 0 else "CRDT")
    _path(bal, "Dt/Dt", day.isoformat())


def _details(entry: ET.Element, remitter: str, bank_name: str, branch_name: str,
             edi: str, remitter_code: str = "") -> None:
    tx = _sub(_sub(entry, "NtryDtls"), "TxDtls")
    if remitter or remitter_code.strip("0"):
        dbtr = _sub(_sub(tx, "RltdPties"), "Dbtr")
        if remitter:
            _sub(dbtr, "Nm", remitter)
        if remitter_code.strip("0"):
            _path(dbtr, "Id/OrgId/Othr/Id", remitter_code)
    if bank_name or branch_name:
        agent = _sub(_sub(tx, "RltdAgts"), "DbtrAgt")
        if bank_name:
            _path(agent, "FinInstnId/Nm", bank_name)
        if branch_name:
            _path(agent, "BrnchId/Nm", branch_name)
    if edi:
        remittance = _sub(tx, "RmtInf")
        for line in edi_lines(edi):
            _sub(remittance, "Ustrd", line)


def _document(namespace: str) -> tuple[ET.Element, ET.Element]:
    root = ET.Element("Document", xmlns=namespace)
    return root, root


def _bytes(root: ET.Element) -> bytes:
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def to_camt052(file: ZenginFile, *, message_id: str = "") -> bytes:
    """入出金取引明細 (03) as camt.052 (BkToCstmrAcctRpt): one Rpt per account."""
    root, _ = _document(CAMT052)
    message = _sub(root, "BkToCstmrAcctRpt")
    first = file.groups[0].header
    assert isinstance(first, r.StatementHeader)
    _group_header(message, message_id or f"KINKO03{first.created:%Y%m%d}", first.created)
    for number, group in enumerate(file.groups, start=1):
        header, trailer = group.header, group.trailer
        assert isinstance(header, r.StatementHeader)
        assert isinstance(trailer, r.StatementTrailer)
        report = _sub(message, "Rpt")
        _sub(report, "Id", f"{number:04d}")
        _account(report, header)
        _period(report, header.period_from, header.period_to)
        _balance(report, "OPBD", header.signed_opening_balance, header.period_from)
        _balance(report, "CLBD", trailer.signed_closing_balance, header.period_to)
        for record in group.records:
            assert isinstance(record, r.StatementData)
            entry = _sub(report, "Ntry")
            _sub(entry, "NtryRef", record.inquiry_number)
            _amount(entry, record.amount)
            _sub(entry, "CdtDbtInd", "CRDT" if record.direction == "1" else "DBIT")
            _sub(entry, "Sts", "BOOK")
            _path(entry, "BookgDt/Dt", record.booking_date.isoformat())
            _path(entry, "ValDt/Dt", (record.value_date or record.booking_date).isoformat())
            _sub(entry, "AcctSvcrRef", record.inquiry_number)
            _path(entry, "BkTxCd/Prtry/Cd", record.transaction_kind)
            _details(entry, record.remitter_name, record.sending_bank_name,
                     record.sending_branch_name, record.edi_info)
            if record.description:
                _sub(entry, "AddtlNtryInf", record.description)
    return _bytes(root)


def to_camt054(file: ZenginFile, *, message_id: str = "") -> bytes:
    """振込入金通知 (01) as camt.054 (BkToCstmrDbtCdtNtfctn): one Ntfctn per account."""
    root, _ = _document(CAMT054)
    message = _sub(root, "BkToCstmrDbtCdtNtfctn")
    first = file.groups[0].header
    assert isinstance(first, r.NoticeHeader)
    _group_header(message, message_id or f"KINKO01{first.created:%Y%m%d}", first.created)
    for number, group in enumerate(file.groups, start=1):
        header = group.header
        assert isinstance(header, r.NoticeHeader)
        notification = _sub(message, "Ntfctn")
        _sub(notification, "Id", f"{number:04d}")
        _account(notification, header)
        _period(notification, header.period_from, header.period_to)
        for record in group.records:
            assert isinstance(record, r.NoticeData | r.NoticeDataB)
            entry = _sub(notification, "Ntry")
            _sub(entry, "NtryRef", record.inquiry_number)
            _amount(entry, record.effective_amount)
            _sub(entry, "CdtDbtInd", "CRDT")
            if record.cancelled:
                _sub(entry, "RvslInd", "true")
            _sub(entry, "Sts", "BOOK")
            _path(entry, "BookgDt/Dt", record.booking_date.isoformat())
            _path(entry, "ValDt/Dt", record.value_date.isoformat())
            _sub(entry, "AcctSvcrRef", record.inquiry_number)
            _details(entry, record.remitter_name, record.sending_bank_name,
                     record.sending_branch_name, record.edi_info, record.remitter_code)
    return _bytes(root)
