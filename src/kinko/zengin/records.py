"""Typed records of every Zengin format Kinko exchanges.

Codes (bank, branch, account numbers, customer codes) stay strings because their leading zeros
are part of them; money and counts are ``int`` yen; dates are ``datetime.date``. A numeric
field that a layout allows to be left blank reads as ``""``. Text fields are held without
their space padding. Which bytes each attribute occupies is declared once, in
:mod:`kinko.zengin.layouts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar


@dataclass(frozen=True, slots=True, kw_only=True)
class Record:
    KIND: ClassVar[str] = "record"


# --- 総合振込 (21) ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferHeader(Record):
    KIND: ClassVar[str] = "transfer_header"
    type_code: str = "21"
    originator_code: str
    originator_name: str
    value_date: date
    bank_code: str
    bank_name: str = ""
    branch_code: str
    branch_name: str = ""
    account_type: str = ""
    account_number: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferData(Record):
    """A payee. With ``edi_flag`` (識別表示 "Y") columns 92-111 carry ``edi_info`` instead of
    the two customer codes, which then keep their defaults."""

    KIND: ClassVar[str] = "transfer_data"
    bank_code: str
    bank_name: str = ""
    branch_code: str
    branch_name: str = ""
    clearing_house: str = "0000"
    account_type: str
    account_number: str
    payee_name: str
    amount: int
    new_code: str = "0"
    customer_code1: str = "0000000000"
    customer_code2: str = "0000000000"
    transfer_method: str = "7"
    edi_flag: bool = False
    edi_info: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferTrailer(Record):
    """Trailer of 21, 11, 12, 71 and 72."""

    KIND: ClassVar[str] = "transfer_trailer"
    count: int
    total_amount: int


@dataclass(frozen=True, slots=True, kw_only=True)
class End(Record):
    """The end record of 21, 11, 12, 71, 72, 91 and 01: only its record type."""

    KIND: ClassVar[str] = "end"


# --- 給与・賞与 (11, 12, 71, 72) -------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class PayrollHeader(Record):
    KIND: ClassVar[str] = "payroll_header"
    type_code: str = "11"
    company_code: str
    company_name: str
    value_date: date
    bank_code: str
    bank_name: str = ""
    branch_code: str
    branch_name: str = ""
    account_type: str = ""
    account_number: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PayrollData(Record):
    KIND: ClassVar[str] = "payroll_data"
    bank_code: str
    bank_name: str = ""
    branch_code: str
    branch_name: str = ""
    clearing_house: str = "0000"
    account_type: str
    account_number: str
    payee_name: str
    amount: int
    new_code: str = "0"
    employee_number: str = "0000000000"
    department_code: str = "0000000000"


# --- 預金口座振替 (91) -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DebitHeader(Record):
    KIND: ClassVar[str] = "debit_header"
    type_code: str = "91"
    originator_code: str
    originator_name: str
    debit_date: date
    bank_code: str
    bank_name: str = ""
    branch_code: str
    branch_name: str = ""
    account_type: str = ""
    account_number: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DebitData(Record):
    """One debit. ``result_code`` is "0" in a request and the bank's answer in a result."""

    KIND: ClassVar[str] = "debit_data"
    bank_code: str
    bank_name: str = ""
    branch_code: str
    branch_name: str = ""
    account_type: str
    account_number: str
    payer_name: str
    amount: int
    new_code: str = "0"
    customer_number: str = "0" * 20
    result_code: str = "0"


@dataclass(frozen=True, slots=True, kw_only=True)
class DebitTrailer(Record):
    KIND: ClassVar[str] = "debit_trailer"
    count: int
    total_amount: int
    collected_count: int = 0
    collected_amount: int = 0
    failed_count: int = 0
    failed_amount: int = 0


# --- 振込入金通知 (01) -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeHeader(Record):
    KIND: ClassVar[str] = "notice_header"
    type_code: str = "01"
    created: date
    period_from: date
    period_to: date
    bank_code: str
    bank_name: str = ""
    branch_code: str
    branch_name: str = ""
    account_type: str
    account_number: str
    account_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeData(Record):
    """An incoming transfer, format A (金額 up to 10 digits)."""

    KIND: ClassVar[str] = "notice_data"
    inquiry_number: str
    booking_date: date
    value_date: date
    amount: int
    other_bank_cheques: int = 0
    remitter_code: str = "0000000000"
    remitter_name: str
    sending_bank_name: str = ""
    sending_branch_name: str = ""
    cancelled: bool = False
    edi_info: str = ""

    @property
    def effective_amount(self) -> int:
        return self.amount


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeDataB(Record):
    """Format B: 金額(2) and うち他店券金額(2) of 12 digits; 金額(1) is zero when they are used."""

    KIND: ClassVar[str] = "notice_data_b"
    inquiry_number: str
    booking_date: date
    value_date: date
    amount: int = 0
    other_bank_cheques: int = 0
    remitter_code: str = "0000000000"
    remitter_name: str
    sending_bank_name: str = ""
    sending_branch_name: str = ""
    cancelled: bool = False
    amount_2: int = 0
    other_bank_cheques_2: int = 0
    edi_info: str = ""

    @property
    def effective_amount(self) -> int:
        return self.amount_2 or self.amount


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeTrailer(Record):
    """振込合計 counts every data record; 取消合計 the cancellations among them."""

    KIND: ClassVar[str] = "notice_trailer"
    count: int
    total_amount: int
    cancel_count: int = 0
    cancel_amount: int = 0


# --- 入出金取引明細 (03) ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementHeader(Record):
    """One account's statement. Balances are magnitudes; ``opening_sign`` "2" means overdrawn."""

    KIND: ClassVar[str] = "statement_header"
    type_code: str = "03"
    created: date
    period_from: date
    period_to: date
    bank_code: str
    bank_name: str = ""
    branch_code: str
    branch_name: str = ""
    account_type: str
    account_number: str
    account_name: str
    opening_sign: str = "1"
    passbook_or_certificate: str = "1"
    opening_balance: int

    @property
    def signed_opening_balance(self) -> int:
        return -self.opening_balance if self.opening_sign == "2" else self.opening_balance


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementData(Record):
    """A demand-deposit movement (普通・当座・貯蓄). ``direction`` "1" 入金, "2" 出金."""

    KIND: ClassVar[str] = "statement_data"
    inquiry_number: str
    booking_date: date
    value_date: date | None = None
    direction: str
    transaction_kind: str
    amount: int
    other_bank_cheques: int = 0
    clearing_date: date | None = None
    dishonour_date: date | None = None
    bill_kind: str = "0"
    bill_number: str = "0000000"
    related_branch: str = "000"
    remitter_code: str = "0000000000"
    remitter_name: str = ""
    sending_bank_name: str = ""
    sending_branch_name: str = ""
    description: str = ""
    edi_info: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeDepositData(Record):
    """A time-deposit movement (通知・定期・積立定期). Rates and terms keep the bank's digits:
    the layout does not fix their scale."""

    KIND: ClassVar[str] = "time_deposit_data"
    identification_number: str
    booking_date: date
    value_date: date | None = None
    direction: str
    transaction_kind: str
    amount: int
    other_bank_cheques: int = 0
    clearing_date: date | None = None
    dishonour_date: date | None = None
    bill_kind: str = "0"
    bill_number: str = "0000000"
    related_branch: str = "000"
    original_deposit_date: date | None = None
    rate: str = "000000"
    maturity_date: date | None = None
    term: str = "0000000"
    term_interest: int = 0
    interim_rate: str = "000000"
    interim_kind: str = "0"
    post_maturity_term: str = "0000"
    post_maturity_rate: str = "000000"
    post_maturity_interest: int = 0
    total_interest: int = 0
    tax_kind: str = "0"
    tax_rate: str = "0000"
    tax_amount: int = 0
    net_interest: int = 0
    description: str = ""
    term_2: str = "00000"
    term_interest_sign: str = "0"


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementTrailer(Record):
    KIND: ClassVar[str] = "statement_trailer"
    deposit_count: int
    deposit_total: int
    withdrawal_count: int
    withdrawal_total: int
    closing_sign: str = "1"
    closing_balance: int
    record_count: int

    @property
    def signed_closing_balance(self) -> int:
        return -self.closing_balance if self.closing_sign == "2" else self.closing_balance


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementEnd(Record):
    KIND: ClassVar[str] = "statement_end"
    total_records: int
    account_count: int
