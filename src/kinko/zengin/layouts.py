"""Record layouts of every format, declared once: the reader, the validator and the writer all
work from these tables. Positions are 1-based byte columns as in the JBA tables; see
``docs/zengin.md`` for the sources and for the readings chosen where sources disagree.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from kinko import catalogue
from kinko.catalogue import reason
from kinko.zengin import records as r
from kinko.zengin.fields import Field, Kind, code, const, dummy, flag, mmdd, num, text, yymmdd

# A field's, a record's and a format's English is the catalogue's entry for its Japanese under
# these contexts (docs/messages.md). A Japanese name used with two meanings takes its own
# context for the second: 振込依頼人 is the 21 file's originator but a notice's remitter, 預金者名
# the payroll payee but the debit payer.
RECORD = "zengin_record"
FORMAT = "zengin_format"
REMITTER = "zengin_field-remitter"
PAYER = "zengin_field-payer"


@dataclass(frozen=True, eq=False)  # identity: each layout exists once
class Layout:
    """A record type: its bytes, field by field, and the record class it reads into."""

    key: str
    ja: str
    length: int
    record: type[r.Record]
    fields: tuple[Field, ...]
    # 21's EDI overlay: when ``overlay_flag`` is true, ``overlay`` replaces ``overlaid``.
    overlay_flag: str | None = None
    overlay: Field | None = None
    overlaid: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A layout that does not tile its record exactly would misread every byte after the
        # gap; catch it when the module loads rather than on a customer's file.
        position = 1
        for f in self.fields:
            if f.start != position:
                raise ValueError(f"{self.key}: {f.ja} starts at {f.start}, expected {position}")
            position += f.length
        if position != self.length + 1:
            raise ValueError(f"{self.key}: fields cover {position - 1} of {self.length} bytes")
        attrs = {f.attr for f in self.fields if f.attr}
        if self.overlay is not None and self.overlay.attr:
            attrs.add(self.overlay.attr)
        declared = {f.name for f in dataclasses.fields(self.record)}
        if attrs != declared:
            raise ValueError(f"{self.key}: layout {sorted(attrs)} != record {sorted(declared)}")

    def field(self, attr: str) -> Field:
        for f in self.fields:
            if f.attr == attr:
                return f
        if self.overlay is not None and self.overlay.attr == attr:
            return self.overlay
        raise KeyError(attr)

    @property
    def en(self) -> str:
        return catalogue.en(self.ja, RECORD) or self.ja

    @property
    def value_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.attr)


ACCOUNT_TYPES = {"1": "普通", "2": "当座", "3": "納税準備", "4": "貯蓄", "5": "通知",
                 "6": "定期", "7": "積立定期", "9": "その他"}
NEW_CODES = {"0": "その他", "1": "第1回", "2": "変更分"}
EBCDIC_JA, EBCDIC_EN = reason(
    "コード区分 1 (EBCDIC) には対応していません。JIS (0) で作成してください")


def _labels(*values: str) -> dict[str, str]:
    return {v: ACCOUNT_TYPES[v] for v in values}


def _code_division(start: int = 4) -> Field:
    return const("コード区分", start, "0", note_ja=EBCDIC_JA, note_en=EBCDIC_EN)


def _type_code(values: tuple[str, ...]) -> Field:
    return code("種別コード", 2, 2, "type_code", values=values)


# --- 120-byte transfer family ----------------------------------------------------------------


def _transfer_family_header(key: str, record: type[r.Record], type_codes: tuple[str, ...],
                            names: dict[str, tuple[str, str]], date_attr: str,
                            ja: str) -> Layout:
    """21, 11/12/71/72 and 91 share one header shape under different field names."""
    n = names
    return Layout(key, ja, 120, record, (
        const("データ区分", 1, "1"),
        _type_code(type_codes),
        _code_division(),
        code(n["code"][0], 5, 10, n["code"][1]),
        text(n["name"][0], 15, 40, n["name"][1], "NAME", required=True),
        mmdd(n["date"][0], 55, date_attr),
        code(n["bank"][0], 59, 4, "bank_code"),
        text(n["bank_name"][0], 63, 15, "bank_name", "BANK"),
        code(n["branch"][0], 78, 3, "branch_code"),
        text(n["branch_name"][0], 81, 15, "branch_name", "BANK"),
        # MN, Z4J, KM, RB and Gunma give 1/2/9; KM and MO also accept a blank account.
        code(n["account_type"][0], 96, 1, "account_type", values=("1", "2", "9"),
             blank=True, labels=_labels("1", "2", "9")),
        code(n["account_number"][0], 97, 7, "account_number", blank=True),
        dummy(104, 17),
    ))


TRANSFER_HEADER = _transfer_family_header(
    "transfer_header", r.TransferHeader, ("21",), {
        "code": ("振込依頼人コード", "originator_code"),
        "name": ("振込依頼人名", "originator_name"),
        "date": ("振込指定日", ""),
        "bank": ("仕向銀行番号", ""),
        "bank_name": ("仕向銀行名", ""),
        "branch": ("仕向支店番号", ""),
        "branch_name": ("仕向支店名", ""),
        "account_type": ("預金種目（依頼人）", ""),
        "account_number": ("口座番号（依頼人）", ""),
    }, "value_date", "総合振込ヘッダー・レコード")

PAYROLL_HEADER = _transfer_family_header(
    "payroll_header", r.PayrollHeader, ("11", "12", "71", "72"), {
        "code": ("会社コード", "company_code"),
        "name": ("会社名", "company_name"),
        "date": ("振込指定日", ""),
        "bank": ("仕向銀行番号", ""),
        "bank_name": ("仕向銀行名", ""),
        "branch": ("仕向支店番号", ""),
        "branch_name": ("仕向支店名", ""),
        "account_type": ("預金種目（企業等）", ""),
        "account_number": ("口座番号（企業等）", ""),
    }, "value_date", "給与・賞与振込ヘッダー・レコード")

DEBIT_HEADER = _transfer_family_header(
    "debit_header", r.DebitHeader, ("91",), {
        "code": ("委託者コード", "originator_code"),
        "name": ("委託者名", "originator_name"),
        "date": ("引落日", ""),
        "bank": ("取引銀行番号", ""),
        "bank_name": ("取引銀行名", ""),
        "branch": ("取引支店番号", ""),
        "branch_name": ("取引支店名", ""),
        "account_type": ("預金種目（委託者）", ""),
        "account_number": ("口座番号（委託者）", ""),
    }, "debit_date", "預金口座振替ヘッダー・レコード")


def _payee_columns(name_ja: str, name_attr: str, name_cls: str,
                   account_types: tuple[str, ...], bank_ja: str = "被仕向") -> tuple[Field, ...]:
    """Columns 1-91 of the 21/11/12 data record."""
    return (
        const("データ区分", 1, "2"),
        code(f"{bank_ja}銀行番号", 2, 4, "bank_code"),
        text(f"{bank_ja}銀行名", 6, 15, "bank_name", "BANK"),
        code(f"{bank_ja}支店番号", 21, 3, "branch_code"),
        text(f"{bank_ja}支店名", 24, 15, "branch_name", "BANK"),
        # Gunma: unused, zero-filled; KM, MO and KY accept spaces.
        code("手形交換所番号", 39, 4, "clearing_house", blank=True),
        code("預金種目", 43, 1, "account_type", values=account_types,
             labels=_labels(*account_types)),
        code("口座番号", 44, 7, "account_number"),
        text(name_ja, 51, 30, name_attr, name_cls, required=True),
        num("振込金額", 81, 10, "amount"),
        code("新規コード", 91, 1, "new_code", values=("0", "1", "2"),
             labels=NEW_CODES),
    )


TRANSFER_DATA = Layout(
    "transfer_data", "総合振込データ・レコード", 120,
    r.TransferData, (
        *_payee_columns("受取人名", "payee_name", "NAME", ("1", "2", "4", "9")),
        # JBA N(10), but common generators and banks' own software leave them blank, as in
        # the payroll record: blanks are read as "" and written back as blanks (byte-exact);
        # a record built without them carries zeros (docs/zengin.md).
        code("顧客コード1", 92, 10, "customer_code1", blank=True),
        code("顧客コード2", 102, 10, "customer_code2", blank=True),
        code("振込指定区分", 112, 1, "transfer_method", values=("7", "8"),
             blank=True, labels={"7": "テレ振込", "8": "文書振込"}),
        flag("識別表示", 113, "edi_flag", "Y", " "),
        dummy(114, 7),
    ),
    overlay_flag="edi_flag",
    overlay=text("EDI情報", 92, 20, "edi_info", "EDI"),
    overlaid=("customer_code1", "customer_code2"),
)

PAYROLL_DATA = Layout(
    "payroll_data", "給与・賞与振込データ・レコード", 120,
    r.PayrollData, (
        # JBA 付録1 puts 預金者名 under 注1 (names: A–Z, 0–9, space, ( ) - .), so
        # "TARO YAMADA" is a valid payroll payee.
        *_payee_columns("預金者名", "payee_name", "NAME", ("1", "2")),
        # JBA N(10); 大分 and きらぼし treat them as optional, so blanks are accepted.
        code("社員番号", 92, 10, "employee_number", blank=True),
        code("所属コード", 102, 10, "department_code", blank=True),
        dummy(112, 9),
    ),
)

DEBIT_DATA = Layout(
    "debit_data", "預金口座振替データ・レコード", 120,
    r.DebitData, (
        const("データ区分", 1, "2"),
        code("引落銀行番号", 2, 4, "bank_code"),
        text("引落銀行名", 6, 15, "bank_name", "BANK"),
        code("引落支店番号", 21, 3, "branch_code"),
        text("引落支店名", 24, 15, "branch_name", "BANK"),
        dummy(39, 4),
        code("預金種目", 43, 1, "account_type", values=("1", "2", "3", "9"),
             labels=_labels("1", "2", "3", "9")),
        code("口座番号", 44, 7, "account_number"),
        text("預金者名", 51, 30, "payer_name", "NAME", required=True, ctx=PAYER),
        num("引落金額", 81, 10, "amount"),
        code("新規コード", 91, 1, "new_code", values=("0", "1", "2"),
             labels={"0": "その他", "1": "第1回引落分", "2": "変更分"}),
        code("顧客番号", 92, 20, "customer_number"),
        code("振替結果コード", 112, 1, "result_code",
             values=("0", "1", "2", "3", "4", "8", "9"),
             labels={"0": "振替済", "1": "資金不足", "2": "取引なし", "3": "預金者都合",
                     "4": "依頼書なし", "8": "委託者都合", "9": "その他"}),
        dummy(113, 8),
    ),
)

TRANSFER_TRAILER = Layout(
    "transfer_trailer", "トレーラ・レコード", 120, r.TransferTrailer, (
        const("データ区分", 1, "8"),
        num("合計件数", 2, 6, "count"),
        num("合計金額", 8, 12, "total_amount"),
        dummy(20, 101),
    ),
)

DEBIT_TRAILER = Layout(
    "debit_trailer", "預金口座振替トレーラ・レコード", 120,
    r.DebitTrailer, (
        const("データ区分", 1, "8"),
        num("合計件数", 2, 6, "count"),
        num("合計金額", 8, 12, "total_amount"),
        num("振替済件数", 20, 6, "collected_count"),
        num("振替済金額", 26, 12, "collected_amount"),
        num("振替不能件数", 38, 6, "failed_count"),
        num("振替不能金額", 44, 12, "failed_amount"),
        dummy(56, 65),
    ),
)

END_120 = Layout("end", "エンド・レコード", 120, r.End, (
    const("データ区分", 1, "9"), dummy(2, 119)))

# --- 200-byte notification family ----------------------------------------------------------


def _notice_family_header(type_code: str) -> tuple[Field, ...]:
    return (
        const("データ区分", 1, "1"),
        _type_code((type_code,)),
        _code_division(),
        yymmdd("作成日", 5, "created"),
        yymmdd("勘定日（自）", 11, "period_from"),
        yymmdd("勘定日（至）", 17, "period_to"),
        code("銀行コード", 23, 4, "bank_code"),
        text("銀行名", 27, 15, "bank_name", "BANK"),
        code("支店コード", 42, 3, "branch_code"),
        text("支店名", 45, 15, "branch_name", "BANK"),
    )


NOTICE_HEADER = Layout(
    "notice_header", "振込入金通知ヘッダー・レコード", 200,
    r.NoticeHeader, (
        *_notice_family_header("01"),
        code("預金種目", 60, 1, "account_type", values=("1", "2", "4"),
             labels=_labels("1", "2", "4")),
        code("口座番号", 61, 7, "account_number"),
        text("口座名", 68, 40, "account_name", "NAME", required=True),
        dummy(108, 93),
    ),
)


def _notice_columns() -> tuple[Field, ...]:
    """Columns 1-128, shared by formats A and B."""
    return (
        const("データ区分", 1, "2"),
        code("照会番号", 2, 6, "inquiry_number"),
        yymmdd("勘定日", 8, "booking_date"),
        yymmdd("起算日", 14, "value_date"),
        num("金額", 20, 10, "amount"),
        num("うち他店券金額", 30, 10, "other_bank_cheques"),
        code("振込依頼人コード", 40, 10, "remitter_code", blank=True, ctx=REMITTER),
        text("振込依頼人名", 50, 48, "remitter_name", "NAME", required=True, ctx=REMITTER),
        text("仕向銀行名", 98, 15, "sending_bank_name", "BANK"),
        text("仕向店名", 113, 15, "sending_branch_name", "BANK"),
        flag("取消区分", 128, "cancelled", "1", "0", " "),
    )


NOTICE_DATA = Layout(
    "notice_data", "振込入金通知データ・レコード（A）",
    200, r.NoticeData, (
        *_notice_columns(),
        text("EDI情報", 129, 20, "edi_info", "EDI"),
        dummy(149, 52),
    ),
)

NOTICE_DATA_B = Layout(
    "notice_data_b", "振込入金通知データ・レコード（B）",
    200, r.NoticeDataB, (
        *_notice_columns(),
        num("金額(2)", 129, 12, "amount_2"),
        num("うち他店券金額(2)", 141, 12,
            "other_bank_cheques_2"),
        text("EDI情報", 153, 20, "edi_info", "EDI"),
        dummy(173, 28),
    ),
)

NOTICE_TRAILER = Layout(
    "notice_trailer", "振込入金通知トレーラ・レコード", 200,
    r.NoticeTrailer, (
        const("データ区分", 1, "8"),
        num("振込合計件数", 2, 6, "count"),
        num("振込合計金額", 8, 12, "total_amount"),
        num("取消合計件数", 20, 6, "cancel_count"),
        num("取消合計金額", 26, 12, "cancel_amount"),
        dummy(38, 163),
    ),
)

END_200 = Layout("end_200", "エンド・レコード", 200, r.End, (
    const("データ区分", 1, "9"), dummy(2, 199)))

STATEMENT_HEADER = Layout(
    "statement_header", "入出金取引明細ヘッダー・レコード", 200,
    r.StatementHeader, (
        *_notice_family_header("03"),
        const("ダミー", 60, "000"),
        code("預金種目", 63, 1, "account_type",
             values=("1", "2", "4", "5", "6", "7"),
             labels=_labels("1", "2", "4", "5", "6", "7")),
        code("口座番号", 64, 10, "account_number"),
        text("口座名", 74, 40, "account_name", "NAME", required=True),
        code("貸越区分", 114, 1, "opening_sign", values=("1", "2"),
             labels={"1": "+", "2": "-"}),
        code("通帳・証書区分", 115, 1, "passbook_or_certificate",
             values=("1", "2"), labels={"1": "通帳", "2": "証書"}),
        num("取引前残高", 116, 14, "opening_balance"),
        dummy(130, 71),
    ),
)

TRANSACTION_KINDS = {"10": "現金", "11": "振込", "12": "他店券入金", "13": "交換", "14": "振替",
                     "15": "継続", "18": "その他", "19": "訂正"}


def _movement_columns(number_ja: str, number_attr: str) -> tuple[Field, ...]:
    """Columns 1-71, shared by the demand and time deposit data records."""
    return (
        const("データ区分", 1, "2"),
        code(number_ja, 2, 8, number_attr),
        yymmdd("勘定日", 10, "booking_date"),
        yymmdd("預入・払出日", 16, "value_date", optional=True),
        code("入払区分", 22, 1, "direction", values=("1", "2"),
             labels={"1": "入金", "2": "出金"}),
        code("取引区分", 23, 2, "transaction_kind",
             values=tuple(TRANSACTION_KINDS), labels=TRANSACTION_KINDS),
        num("取引金額", 25, 12, "amount"),
        num("うち他店券金額", 37, 12, "other_bank_cheques"),
        yymmdd("交換呈示日", 49, "clearing_date", optional=True),
        yymmdd("不渡返還日", 55, "dishonour_date", optional=True),
        code("手形・小切手区分", 61, 1, "bill_kind",
             values=("0", "1", "2", "3"),
             labels={"0": "なし", "1": "小切手", "2": "約束手形", "3": "為替手形"}),
        code("手形・小切手番号", 62, 7, "bill_number", blank=True),
        code("僚店番号", 69, 3, "related_branch", blank=True),
    )


STATEMENT_DATA = Layout(
    "statement_data", "入出金取引明細データ・レコード", 200,
    r.StatementData, (
        *_movement_columns("照会番号", "inquiry_number"),
        code("振込依頼人コード", 72, 10, "remitter_code", blank=True, ctx=REMITTER),
        text("振込依頼人名", 82, 48, "remitter_name", "NAME", ctx=REMITTER),
        text("仕向銀行名", 130, 15, "sending_bank_name", "BANK"),
        text("仕向店名", 145, 15, "sending_branch_name", "BANK"),
        text("摘要内容", 160, 20, "description", "NAME"),
        text("EDI情報", 180, 20, "edi_info", "EDI"),
        dummy(200, 1),
    ),
)

TIME_DEPOSIT_DATA = Layout(
    "time_deposit_data", "入出金取引明細データ・レコード（定期性）", 200, r.TimeDepositData, (
        *_movement_columns("識別番号", "identification_number"),
        yymmdd("当初預入日", 72, "original_deposit_date",
               optional=True),
        code("利率", 78, 6, "rate"),
        yymmdd("満期日", 84, "maturity_date", optional=True),
        code("期間(1)", 90, 7, "term"),
        num("期間利息", 97, 11, "term_interest"),
        code("中間払利率", 108, 6, "interim_rate"),
        code("中間払区分", 114, 1, "interim_kind"),
        code("期後期間", 115, 4, "post_maturity_term"),
        code("期後利率", 119, 6, "post_maturity_rate"),
        num("期後利息", 125, 9, "post_maturity_interest"),
        num("合計利息", 134, 11, "total_interest"),
        code("税区分", 145, 1, "tax_kind"),
        code("税率", 146, 4, "tax_rate"),
        num("税額", 150, 10, "tax_amount"),
        num("税引後利息", 160, 11, "net_interest"),
        text("摘要内容", 171, 20, "description", "NAME"),
        code("期間(2)", 191, 5, "term_2"),
        code("期間利息正負表示", 196, 1, "term_interest_sign"),
        dummy(197, 4),
    ),
)

STATEMENT_TRAILER = Layout(
    "statement_trailer", "入出金取引明細トレーラ・レコード", 200,
    r.StatementTrailer, (
        const("データ区分", 1, "8"),
        num("入金件数", 2, 6, "deposit_count"),
        num("入金額合計", 8, 13, "deposit_total"),
        num("出金件数", 21, 6, "withdrawal_count"),
        num("出金額合計", 27, 13, "withdrawal_total"),
        code("貸越区分", 40, 1, "closing_sign", values=("1", "2"),
             labels={"1": "+", "2": "-"}),
        num("取引後残高", 41, 14, "closing_balance"),
        num("データ・レコード件数", 55, 7, "record_count"),
        dummy(62, 139),
    ),
)

STATEMENT_END = Layout(
    "statement_end", "入出金取引明細エンド・レコード", 200,
    r.StatementEnd, (
        const("データ区分", 1, "9"),
        num("レコード総件数", 2, 10, "total_records"),
        num("口座数", 12, 5, "account_count"),
        dummy(17, 184),
    ),
)

ALL_LAYOUTS: dict[str, Layout] = {
    lay.key: lay for lay in (
        TRANSFER_HEADER, TRANSFER_DATA, TRANSFER_TRAILER, PAYROLL_HEADER, PAYROLL_DATA,
        DEBIT_HEADER, DEBIT_DATA, DEBIT_TRAILER, END_120, NOTICE_HEADER, NOTICE_DATA,
        NOTICE_DATA_B, NOTICE_TRAILER, END_200, STATEMENT_HEADER, STATEMENT_DATA,
        TIME_DEPOSIT_DATA, STATEMENT_TRAILER, STATEMENT_END)
}
# The record class of a record picks its layout when writing (End is the one class used by
# two layouts; the format decides which).
LAYOUT_OF_RECORD: dict[type[r.Record], Layout] = {
    lay.record: lay for lay in ALL_LAYOUTS.values() if lay.key != "end_200"
}


@dataclass(frozen=True)
class Format:
    """A 種別コード: the layouts of its header, data, trailer and end records."""

    type_code: str
    ja: str
    header: Layout
    data: tuple[Layout, ...]  # more than one: 01 A/B, 03 demand/time (chosen per record/group)
    trailer: Layout
    end: Layout

    @property
    def en(self) -> str:
        return catalogue.en(self.ja, FORMAT) or self.ja

    @property
    def length(self) -> int:
        return self.header.length

    @property
    def family(self) -> str:
        return "notice" if self.type_code == "01" else (
            "statement" if self.type_code == "03" else (
                "debit" if self.type_code == "91" else "transfer"))


def _payroll(type_code: str, ja: str) -> Format:
    return Format(type_code, ja, PAYROLL_HEADER, (PAYROLL_DATA,), TRANSFER_TRAILER, END_120)


FORMATS: dict[str, Format] = {
    "21": Format("21", "総合振込", TRANSFER_HEADER, (TRANSFER_DATA,),
                 TRANSFER_TRAILER, END_120),
    "11": _payroll("11", "給与振込"),
    "12": _payroll("12", "賞与振込"),
    "71": _payroll("71", "給与振込（地方公務員）"),
    "72": _payroll("72", "賞与振込（地方公務員）"),
    "91": Format("91", "預金口座振替", DEBIT_HEADER, (DEBIT_DATA,),
                 DEBIT_TRAILER, END_120),
    "01": Format("01", "振込入金通知", NOTICE_HEADER,
                 (NOTICE_DATA, NOTICE_DATA_B), NOTICE_TRAILER, END_200),
    "03": Format("03", "入出金取引明細", STATEMENT_HEADER,
                 (STATEMENT_DATA, TIME_DEPOSIT_DATA), STATEMENT_TRAILER, STATEMENT_END),
}

TIME_DEPOSIT_TYPES = frozenset({"5", "6", "7"})

__all__ = ["ALL_LAYOUTS", "FORMATS", "LAYOUT_OF_RECORD", "Format", "Kind", "Layout"]
