"""Zengin interop beyond the format (ZEN-1): codes against zengin-code, dates against the bank
calendar, with record-precise findings."""

from __future__ import annotations

from datetime import date

import pytest

from kinko.calendar.rules import BankCalendar
from kinko.corporate.filecheck import check_codes, check_dates
from kinko.zengin import records as r
from kinko.zengin.writer import build_file, build_group


def _file(value_date: date, payees: list[tuple[str, str]]) -> object:
    header = r.TransferHeader(originator_code="1234567890", originator_name="ｶ)ｷﾝｺ",
                              value_date=value_date, bank_code="0001", branch_code="001")
    data = [r.TransferData(bank_code=b, branch_code=br, account_type="1",
                           account_number=f"{i:07d}", payee_name="TARO YAMADA", amount=1000)
            for i, (b, br) in enumerate(payees, 1)]
    return build_file([build_group(header, data)])


@pytest.mark.req("ZEN-1")
def test_unknown_codes_are_errors_in_a_request_and_warnings_in_a_banks_output() -> None:
    file = _file(date(2026, 11, 24), [("0001", "001"), ("0002", "001"), ("0001", "998")])
    errors = check_codes(file, request=True)  # type: ignore[arg-type]
    assert [(f.record, f.field_en, f.severity) for f in errors] == [
        (3, "bank code", "error"), (4, "branch code", "error")]
    warnings = check_codes(file, request=False)  # type: ignore[arg-type]
    assert {f.severity for f in warnings} == {"warning"}


@pytest.mark.req("ZEN-1")
def test_a_transfer_date_on_a_closed_day_names_the_next_business_day() -> None:
    calendar = BankCalendar()
    [finding] = check_dates(_file(date(2026, 11, 23), [("0001", "001")]),  # type: ignore[arg-type]
                            calendar)
    # 2026-11-23 is 勤労感謝の日 (a Monday): the next business day is Tuesday the 24th.
    assert (finding.record, finding.severity, finding.suggestion) == (1, "error", "2026-11-24")
    assert "2026-11-24" in finding.reason_ja
    assert check_dates(_file(date(2026, 11, 24), [("0001", "001")]),  # type: ignore[arg-type]
                       calendar) == []
