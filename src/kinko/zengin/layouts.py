"""Record layouts of every format, declared once: the reader, the validator and the writer all
work from these tables. Positions are 1-based byte columns as in the JBA tables; see
``docs/zengin.md`` for the sources and for the readings chosen where sources disagree.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from kinko.zengin import records as r
from kinko.zengin.fields import Field, Kind, code, const, dummy, flag, mmdd, num, text, yymmdd


@dataclass(frozen=True, eq=False)  # identity: each layout exists once
class Layout:
    """A record type: its bytes, field by field, and the record class it reads into."""

    key: str
    ja: str
    en: str
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
    def value_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.attr)


ACCOUNT_TYPES = {"1": "普通", "2": "当座", "3": "納税準備", "4": "貯蓄", "5": "通知",
                 "6": "定期", "7": "積立定期", "9": "その他"}
NEW_CODES = {"0": "その他", "1": "第1回", "2": "変更分"}
EBCDIC_JA = "コード区分 1 (EBCDIC) には対応していません。JIS (0) で作成してください"
EBCDIC_EN = "code division 1 (EBCDIC) is not supported; Kinko reads JIS (0)"


def _labels(*values: str) -> dict[str, str]:
    return {v: ACCOUNT_TYPES[v] for v in values}


def _code_division(start: int = 4) -> Field:
    return const("コード区分", "code division", start, "0", note_ja=EBCDIC_JA, note_en=EBCDIC_EN)


def _type_code(values: tuple[str, ...]) -> Field:
    return code("種別コード", "type code", 2, 2, "type_code", values=values)


# --- 120-byte transfer family ----------------------------------------------------------------


def _transfer_family_header(key: str, record: type[r.Record], type_codes: tuple[str, ...],
                            names: dict[str, tuple[str, str, str]], date_attr: str,
                            ja: str, en: str) -> Layout:
    """21, 11/12/71/72 and 91 share one header shape under different field names."""
    n = names
    return Layout(key, ja, en, 120, record, (
        const("データ区分", "record type", 1, "1"),
        _type_code(type_codes),
        _code_division(),
        code(*n["code"][:2], 5, 10, n["code"][2]),
        text(*n["name"][:2], 15, 40, n["name"][2], "NAME", required=True),
        mmdd(*n["date"][:2], 55, date_attr),
        code(*n["bank"][:2], 59, 4, "bank_code"),
        text(*n["bank_name"][:2], 63, 15, "bank_name", "BANK"),
        code(*n["branch"][:2], 78, 3, "branch_code"),
        text(*n["branch_name"][:2], 81, 15, "branch_name", "BANK"),
        # MN, Z4J, KM, RB and Gunma give 1/2/9; KM and MO also accept a blank account.
        code(*n["account_type"][:2], 96, 1, "account_type", values=("1", "2", "9"),
             blank=True, labels=_labels("1", "2", "9")),
        code(*n["account_number"][:2], 97, 7, "account_number", blank=True),
        dummy(104, 17),
    ))


TRANSFER_HEADER = _transfer_family_header(
    "transfer_header", r.TransferHeader, ("21",), {
        "code": ("振込依頼人コード", "originator code", "originator_code"),
        "name": ("振込依頼人名", "originator name", "originator_name"),
        "date": ("振込指定日", "value date", ""),
        "bank": ("仕向銀行番号", "sending bank code", ""),
        "bank_name": ("仕向銀行名", "sending bank name", ""),
        "branch": ("仕向支店番号", "sending branch code", ""),
        "branch_name": ("仕向支店名", "sending branch name", ""),
        "account_type": ("預金種目（依頼人）", "originator account type", ""),
        "account_number": ("口座番号（依頼人）", "originator account number", ""),
    }, "value_date", "総合振込ヘッダー・レコード", "bulk transfer header record")

PAYROLL_HEADER = _transfer_family_header(
    "payroll_header", r.PayrollHeader, ("11", "12", "71", "72"), {
        "code": ("会社コード", "company code", "company_code"),
        "name": ("会社名", "company name", "company_name"),
        "date": ("振込指定日", "value date", ""),
        "bank": ("仕向銀行番号", "sending bank code", ""),
        "bank_name": ("仕向銀行名", "sending bank name", ""),
        "branch": ("仕向支店番号", "sending branch code", ""),
        "branch_name": ("仕向支店名", "sending branch name", ""),
        "account_type": ("預金種目（企業等）", "company account type", ""),
        "account_number": ("口座番号（企業等）", "company account number", ""),
    }, "value_date", "給与・賞与振込ヘッダー・レコード", "payroll/bonus header record")

DEBIT_HEADER = _transfer_family_header(
    "debit_header", r.DebitHeader, ("91",), {
        "code": ("委託者コード", "originator code", "originator_code"),
        "name": ("委託者名", "originator name", "originator_name"),
        "date": ("引落日", "debit date", ""),
        "bank": ("取引銀行番号", "collecting bank code", ""),
        "bank_name": ("取引銀行名", "collecting bank name", ""),
        "branch": ("取引支店番号", "collecting branch code", ""),
        "branch_name": ("取引支店名", "collecting branch name", ""),
        "account_type": ("預金種目（委託者）", "originator account type", ""),
        "account_number": ("口座番号（委託者）", "originator account number", ""),
    }, "debit_date", "預金口座振替ヘッダー・レコード", "direct debit header record")


def _payee_columns(name_ja: str, name_en: str, name_attr: str, name_cls: str,
                   account_types: tuple[str, ...], bank_ja: str = "被仕向") -> tuple[Field, ...]:
    """Columns 1-91 of the 21/11/12 data record."""
    return (
        const("データ区分", "record type", 1, "2"),
        code(f"{bank_ja}銀行番号", "beneficiary bank code", 2, 4, "bank_code"),
        text(f"{bank_ja}銀行名", "beneficiary bank name", 6, 15, "bank_name", "BANK"),
        code(f"{bank_ja}支店番号", "beneficiary branch code", 21, 3, "branch_code"),
        text(f"{bank_ja}支店名", "beneficiary branch name", 24, 15, "branch_name", "BANK"),
        # Gunma: unused, zero-filled; KM, MO and KY accept spaces.
        code("手形交換所番号", "clearing house number", 39, 4, "clearing_house", blank=True),
        code("預金種目", "account type", 43, 1, "account_type", values=account_types,
             labels=_labels(*account_types)),
        code("口座番号", "account number", 44, 7, "account_number"),
        text(name_ja, name_en, 51, 30, name_attr, name_cls, required=True),
        num("振込金額", "amount", 81, 10, "amount"),
        code("新規コード", "new code", 91, 1, "new_code", values=("0", "1", "2"),
             labels=NEW_CODES),
    )


TRANSFER_DATA = Layout(
    "transfer_data", "総合振込データ・レコード", "bulk transfer data record", 120,
    r.TransferData, (
        *_payee_columns("受取人名", "payee name", "payee_name", "NAME", ("1", "2", "4", "9")),
        # JBA N(10), but common generators and banks' own software leave them blank, as in
        # the payroll record: blanks are read as "" and written back as blanks (byte-exact);
        # a record built without them carries zeros (docs/zengin.md).
        code("顧客コード1", "customer code 1", 92, 10, "customer_code1", blank=True),
        code("顧客コード2", "customer code 2", 102, 10, "customer_code2", blank=True),
        code("振込指定区分", "transfer method", 112, 1, "transfer_method", values=("7", "8"),
             blank=True, labels={"7": "テレ振込", "8": "文書振込"}),
        flag("識別表示", "EDI flag", 113, "edi_flag", "Y", " "),
        dummy(114, 7),
    ),
    overlay_flag="edi_flag",
    overlay=text("EDI情報", "EDI information", 92, 20, "edi_info", "EDI"),
    overlaid=("customer_code1", "customer_code2"),
)

PAYROLL_DATA = Layout(
    "payroll_data", "給与・賞与振込データ・レコード", "payroll/bonus data record", 120,
    r.PayrollData, (
        # JBA 付録1 puts 預金者名 under 注1 (names: A–Z, 0–9, space, ( ) - .), so
        # "TARO YAMADA" is a valid payroll payee.
        *_payee_columns("預金者名", "payee name", "payee_name", "NAME", ("1", "2")),
        # JBA N(10); 大分 and きらぼし treat them as optional, so blanks are accepted.
        code("社員番号", "employee number", 92, 10, "employee_number", blank=True),
        code("所属コード", "department code", 102, 10, "department_code", blank=True),
        dummy(112, 9),
    ),
)

DEBIT_DATA = Layout(
    "debit_data", "預金口座振替データ・レコード", "direct debit data record", 120,
    r.DebitData, (
        const("データ区分", "record type", 1, "2"),
        code("引落銀行番号", "payer bank code", 2, 4, "bank_code"),
        text("引落銀行名", "payer bank name", 6, 15, "bank_name", "BANK"),
        code("引落支店番号", "payer branch code", 21, 3, "branch_code"),
        text("引落支店名", "payer branch name", 24, 15, "branch_name", "BANK"),
        dummy(39, 4),
        code("預金種目", "account type", 43, 1, "account_type", values=("1", "2", "3", "9"),
             labels=_labels("1", "2", "3", "9")),
        code("口座番号", "account number", 44, 7, "account_number"),
        text("預金者名", "payer name", 51, 30, "payer_name", "NAME", required=True),
        num("引落金額", "amount", 81, 10, "amount"),
        code("新規コード", "new code", 91, 1, "new_code", values=("0", "1", "2"),
             labels={"0": "その他", "1": "第1回引落分", "2": "変更分"}),
        code("顧客番号", "customer number", 92, 20, "customer_number"),
        code("振替結果コード", "result code", 112, 1, "result_code",
             values=("0", "1", "2", "3", "4", "8", "9"),
             labels={"0": "振替済", "1": "資金不足", "2": "取引なし", "3": "預金者都合",
                     "4": "依頼書なし", "8": "委託者都合", "9": "その他"}),
        dummy(113, 8),
    ),
)

TRANSFER_TRAILER = Layout(
    "transfer_trailer", "トレーラ・レコード", "trailer record", 120, r.TransferTrailer, (
        const("データ区分", "record type", 1, "8"),
        num("合計件数", "total count", 2, 6, "count"),
        num("合計金額", "total amount", 8, 12, "total_amount"),
        dummy(20, 101),
    ),
)

DEBIT_TRAILER = Layout(
    "debit_trailer", "預金口座振替トレーラ・レコード", "direct debit trailer record", 120,
    r.DebitTrailer, (
        const("データ区分", "record type", 1, "8"),
        num("合計件数", "total count", 2, 6, "count"),
        num("合計金額", "total amount", 8, 12, "total_amount"),
        num("振替済件数", "collected count", 20, 6, "collected_count"),
        num("振替済金額", "collected amount", 26, 12, "collected_amount"),
        num("振替不能件数", "failed count", 38, 6, "failed_count"),
        num("振替不能金額", "failed amount", 44, 12, "failed_amount"),
        dummy(56, 65),
    ),
)

END_120 = Layout("end", "エンド・レコード", "end record", 120, r.End, (
    const("データ区分", "record type", 1, "9"), dummy(2, 119)))

# --- 200-byte notification family ----------------------------------------------------------


def _notice_family_header(type_code: str) -> tuple[Field, ...]:
    return (
        const("データ区分", "record type", 1, "1"),
        _type_code((type_code,)),
        _code_division(),
        yymmdd("作成日", "creation date", 5, "created"),
        yymmdd("勘定日（自）", "period from", 11, "period_from"),
        yymmdd("勘定日（至）", "period to", 17, "period_to"),
        code("銀行コード", "bank code", 23, 4, "bank_code"),
        text("銀行名", "bank name", 27, 15, "bank_name", "BANK"),
        code("支店コード", "branch code", 42, 3, "branch_code"),
        text("支店名", "branch name", 45, 15, "branch_name", "BANK"),
    )


NOTICE_HEADER = Layout(
    "notice_header", "振込入金通知ヘッダー・レコード", "incoming transfer notice header", 200,
    r.NoticeHeader, (
        *_notice_family_header("01"),
        code("預金種目", "account type", 60, 1, "account_type", values=("1", "2", "4"),
             labels=_labels("1", "2", "4")),
        code("口座番号", "account number", 61, 7, "account_number"),
        text("口座名", "account name", 68, 40, "account_name", "NAME", required=True),
        dummy(108, 93),
    ),
)


def _notice_columns() -> tuple[Field, ...]:
    """Columns 1-128, shared by formats A and B."""
    return (
        const("データ区分", "record type", 1, "2"),
        code("照会番号", "inquiry number", 2, 6, "inquiry_number"),
        yymmdd("勘定日", "booking date", 8, "booking_date"),
        yymmdd("起算日", "value date", 14, "value_date"),
        num("金額", "amount", 20, 10, "amount"),
        num("うち他店券金額", "of which other-bank cheques", 30, 10, "other_bank_cheques"),
        code("振込依頼人コード", "remitter code", 40, 10, "remitter_code", blank=True),
        text("振込依頼人名", "remitter name", 50, 48, "remitter_name", "NAME", required=True),
        text("仕向銀行名", "sending bank name", 98, 15, "sending_bank_name", "BANK"),
        text("仕向店名", "sending branch name", 113, 15, "sending_branch_name", "BANK"),
        flag("取消区分", "cancellation flag", 128, "cancelled", "1", "0", " "),
    )


NOTICE_DATA = Layout(
    "notice_data", "振込入金通知データ・レコード（A）", "incoming transfer record (format A)",
    200, r.NoticeData, (
        *_notice_columns(),
        text("EDI情報", "EDI information", 129, 20, "edi_info", "EDI"),
        dummy(149, 52),
    ),
)

NOTICE_DATA_B = Layout(
    "notice_data_b", "振込入金通知データ・レコード（B）", "incoming transfer record (format B)",
    200, r.NoticeDataB, (
        *_notice_columns(),
        num("金額(2)", "amount (2)", 129, 12, "amount_2"),
        num("うち他店券金額(2)", "of which other-bank cheques (2)", 141, 12,
            "other_bank_cheques_2"),
        text("EDI情報", "EDI information", 153, 20, "edi_info", "EDI"),
        dummy(173, 28),
    ),
)

NOTICE_TRAILER = Layout(
    "notice_trailer", "振込入金通知トレーラ・レコード", "incoming transfer notice trailer", 200,
    r.NoticeTrailer, (
        const("データ区分", "record type", 1, "8"),
        num("振込合計件数", "total count", 2, 6, "count"),
        num("振込合計金額", "total amount", 8, 12, "total_amount"),
        num("取消合計件数", "cancellation count", 20, 6, "cancel_count"),
        num("取消合計金額", "cancellation amount", 26, 12, "cancel_amount"),
        dummy(38, 163),
    ),
)

END_200 = Layout("end_200", "エンド・レコード", "end record", 200, r.End, (
    const("データ区分", "record type", 1, "9"), dummy(2, 199)))

STATEMENT_HEADER = Layout(
    "statement_header", "入出金取引明細ヘッダー・レコード", "account statement header", 200,
    r.StatementHeader, (
        *_notice_family_header("03"),
        const("ダミー", "filler", 60, "000"),
        code("預金種目", "account type", 63, 1, "account_type",
             values=("1", "2", "4", "5", "6", "7"),
             labels=_labels("1", "2", "4", "5", "6", "7")),
        code("口座番号", "account number", 64, 10, "account_number"),
        text("口座名", "account name", 74, 40, "account_name", "NAME", required=True),
        code("貸越区分", "overdraft sign", 114, 1, "opening_sign", values=("1", "2"),
             labels={"1": "+", "2": "-"}),
        code("通帳・証書区分", "passbook or certificate", 115, 1, "passbook_or_certificate",
             values=("1", "2"), labels={"1": "通帳", "2": "証書"}),
        num("取引前残高", "opening balance", 116, 14, "opening_balance"),
        dummy(130, 71),
    ),
)

TRANSACTION_KINDS = {"10": "現金", "11": "振込", "12": "他店券入金", "13": "交換", "14": "振替",
                     "15": "継続", "18": "その他", "19": "訂正"}


def _movement_columns(number_ja: str, number_en: str, number_attr: str) -> tuple[Field, ...]:
    """Columns 1-71, shared by the demand and time deposit data records."""
    return (
        const("データ区分", "record type", 1, "2"),
        code(number_ja, number_en, 2, 8, number_attr),
        yymmdd("勘定日", "booking date", 10, "booking_date"),
        yymmdd("預入・払出日", "value date", 16, "value_date", optional=True),
        code("入払区分", "deposit or withdrawal", 22, 1, "direction", values=("1", "2"),
             labels={"1": "入金", "2": "出金"}),
        code("取引区分", "transaction kind", 23, 2, "transaction_kind",
             values=tuple(TRANSACTION_KINDS), labels=TRANSACTION_KINDS),
        num("取引金額", "amount", 25, 12, "amount"),
        num("うち他店券金額", "of which other-bank cheques", 37, 12, "other_bank_cheques"),
        yymmdd("交換呈示日", "clearing presentation date", 49, "clearing_date", optional=True),
        yymmdd("不渡返還日", "dishonour return date", 55, "dishonour_date", optional=True),
        code("手形・小切手区分", "bill or cheque kind", 61, 1, "bill_kind",
             values=("0", "1", "2", "3"),
             labels={"0": "なし", "1": "小切手", "2": "約束手形", "3": "為替手形"}),
        code("手形・小切手番号", "bill or cheque number", 62, 7, "bill_number", blank=True),
        code("僚店番号", "related branch", 69, 3, "related_branch", blank=True),
    )


STATEMENT_DATA = Layout(
    "statement_data", "入出金取引明細データ・レコード", "account statement record", 200,
    r.StatementData, (
        *_movement_columns("照会番号", "inquiry number", "inquiry_number"),
        code("振込依頼人コード", "remitter code", 72, 10, "remitter_code", blank=True),
        text("振込依頼人名", "remitter name", 82, 48, "remitter_name", "NAME"),
        text("仕向銀行名", "sending bank name", 130, 15, "sending_bank_name", "BANK"),
        text("仕向店名", "sending branch name", 145, 15, "sending_branch_name", "BANK"),
        text("摘要内容", "description", 160, 20, "description", "NAME"),
        text("EDI情報", "EDI information", 180, 20, "edi_info", "EDI"),
        dummy(200, 1),
    ),
)

TIME_DEPOSIT_DATA = Layout(
    "time_deposit_data", "入出金取引明細データ・レコード（定期性）",
    "account statement record (time deposit)", 200, r.TimeDepositData, (
        *_movement_columns("識別番号", "identification number", "identification_number"),
        yymmdd("当初預入日", "original deposit date", 72, "original_deposit_date",
               optional=True),
        code("利率", "interest rate", 78, 6, "rate"),
        yymmdd("満期日", "maturity date", 84, "maturity_date", optional=True),
        code("期間(1)", "term (1)", 90, 7, "term"),
        num("期間利息", "term interest", 97, 11, "term_interest"),
        code("中間払利率", "interim rate", 108, 6, "interim_rate"),
        code("中間払区分", "interim payment kind", 114, 1, "interim_kind"),
        code("期後期間", "post-maturity term", 115, 4, "post_maturity_term"),
        code("期後利率", "post-maturity rate", 119, 6, "post_maturity_rate"),
        num("期後利息", "post-maturity interest", 125, 9, "post_maturity_interest"),
        num("合計利息", "total interest", 134, 11, "total_interest"),
        code("税区分", "tax kind", 145, 1, "tax_kind"),
        code("税率", "tax rate", 146, 4, "tax_rate"),
        num("税額", "tax amount", 150, 10, "tax_amount"),
        num("税引後利息", "interest after tax", 160, 11, "net_interest"),
        text("摘要内容", "description", 171, 20, "description", "NAME"),
        code("期間(2)", "term (2)", 191, 5, "term_2"),
        code("期間利息正負表示", "term interest sign", 196, 1, "term_interest_sign"),
        dummy(197, 4),
    ),
)

STATEMENT_TRAILER = Layout(
    "statement_trailer", "入出金取引明細トレーラ・レコード", "account statement trailer", 200,
    r.StatementTrailer, (
        const("データ区分", "record type", 1, "8"),
        num("入金件数", "deposit count", 2, 6, "deposit_count"),
        num("入金額合計", "deposit total", 8, 13, "deposit_total"),
        num("出金件数", "withdrawal count", 21, 6, "withdrawal_count"),
        num("出金額合計", "withdrawal total", 27, 13, "withdrawal_total"),
        code("貸越区分", "overdraft sign", 40, 1, "closing_sign", values=("1", "2"),
             labels={"1": "+", "2": "-"}),
        num("取引後残高", "closing balance", 41, 14, "closing_balance"),
        num("データ・レコード件数", "data record count", 55, 7, "record_count"),
        dummy(62, 139),
    ),
)

STATEMENT_END = Layout(
    "statement_end", "入出金取引明細エンド・レコード", "account statement end record", 200,
    r.StatementEnd, (
        const("データ区分", "record type", 1, "9"),
        num("レコード総件数", "total record count", 2, 10, "total_records"),
        num("口座数", "account count", 12, 5, "account_count"),
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
    en: str
    header: Layout
    data: tuple[Layout, ...]  # more than one: 01 A/B, 03 demand/time (chosen per record/group)
    trailer: Layout
    end: Layout

    @property
    def length(self) -> int:
        return self.header.length

    @property
    def family(self) -> str:
        return "notice" if self.type_code == "01" else (
            "statement" if self.type_code == "03" else (
                "debit" if self.type_code == "91" else "transfer"))


def _payroll(type_code: str, ja: str, en: str) -> Format:
    return Format(type_code, ja, en, PAYROLL_HEADER, (PAYROLL_DATA,), TRANSFER_TRAILER, END_120)


FORMATS: dict[str, Format] = {
    "21": Format("21", "総合振込", "bulk transfer", TRANSFER_HEADER, (TRANSFER_DATA,),
                 TRANSFER_TRAILER, END_120),
    "11": _payroll("11", "給与振込", "payroll transfer"),
    "12": _payroll("12", "賞与振込", "bonus transfer"),
    "71": _payroll("71", "給与振込（地方公務員）", "payroll transfer (local government)"),
    "72": _payroll("72", "賞与振込（地方公務員）", "bonus transfer (local government)"),
    "91": Format("91", "預金口座振替", "direct debit", DEBIT_HEADER, (DEBIT_DATA,),
                 DEBIT_TRAILER, END_120),
    "01": Format("01", "振込入金通知", "incoming transfer notice", NOTICE_HEADER,
                 (NOTICE_DATA, NOTICE_DATA_B), NOTICE_TRAILER, END_200),
    "03": Format("03", "入出金取引明細", "account statement", STATEMENT_HEADER,
                 (STATEMENT_DATA, TIME_DEPOSIT_DATA), STATEMENT_TRAILER, STATEMENT_END),
}

TIME_DEPOSIT_TYPES = frozenset({"5", "6", "7"})

__all__ = ["ALL_LAYOUTS", "FORMATS", "LAYOUT_OF_RECORD", "Format", "Kind", "Layout"]
