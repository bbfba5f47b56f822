"""Pure mapping of ledger lines to Zengin 入出金取引明細 (03) and 振込入金通知 (01) records.

No I/O and no clock: the service hands in the lines it read and the day the file is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kinko.zengin import kana
from kinko.zengin import records as r
from kinko.zengin.errors import FieldTooLong, KanaConversionError

# Journal entry kinds → 取引区分 (10 現金, 11 振込, 14 振替, 18 その他).
_KINDS = {"deposit": "10", "withdrawal": "10", "incoming_transfer": "11", "transfer": "11",
          "transfer_return": "11", "recall": "11", "direct_debit": "14",
          "direct_debit_settlement": "14", "collection_settlement": "14"}
# Entries that are a transfer in (振込入金): what the incoming-transfer notice lists.
INCOMING_KINDS = frozenset({"incoming_transfer", "transfer"})
_FALLBACK_DESCRIPTION = {"10": "ｹﾞﾝｷﾝ", "11": "ﾌﾘｺﾐ", "14": "ﾌﾘｶｴ", "18": "ｿﾉﾀ"}


@dataclass(frozen=True)
class LedgerLine:
    posting_id: int
    entry_kind: str
    value_date: date
    amount: int                 # > 0 credit, < 0 debit
    description: str
    remitter_kana: str = ""     # from the interbank message, for transfers from other banks
    sending_bank_name: str = ""
    sending_branch_name: str = ""
    edi: str = ""


def fit(text: str, length: int) -> str:
    """``text`` as a half-width kana field of ``length``, or "" when it has kanji."""
    try:
        return kana.to_field(text, length, overflow="truncate")
    except (KanaConversionError, FieldTooLong):
        return ""


def statement_record(line: LedgerLine, *, with_edi: bool) -> r.StatementData:
    kind = _KINDS.get(line.entry_kind, "18")
    remitter = fit(line.remitter_kana or (line.description if line.amount > 0 else ""), 48)
    return r.StatementData(
        inquiry_number=f"{line.posting_id % 10**8:08d}",
        booking_date=line.value_date, value_date=line.value_date,
        direction="1" if line.amount > 0 else "2", transaction_kind=kind,
        amount=abs(line.amount),
        remitter_name=remitter if line.amount > 0 and kind == "11" else "",
        sending_bank_name=fit(line.sending_bank_name, 15),
        sending_branch_name=fit(line.sending_branch_name, 15),
        description=fit(line.description, 20) or _FALLBACK_DESCRIPTION[kind],
        edi_info=fit(line.edi, 20) if with_edi else "",
    )


def notice_record(line: LedgerLine, *, with_edi: bool) -> r.NoticeData:
    return r.NoticeData(
        inquiry_number=f"{line.posting_id % 10**6:06d}",
        booking_date=line.value_date, value_date=line.value_date, amount=line.amount,
        remitter_name=fit(line.remitter_kana or line.description, 48) or "ﾌﾒｲ",
        sending_bank_name=fit(line.sending_bank_name, 15),
        sending_branch_name=fit(line.sending_branch_name, 15),
        edi_info=fit(line.edi, 20) if with_edi else "",
    )
