"""Pure rules of direct debit and collection (DD-1, DD-2): dates, result codes, fees.

No I/O and no clock: the services pass in the calendar, the policy and what they read.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from kinko.calendar import BankCalendar
from kinko.ledger.models import AccountState, AccountType
from kinko.policy.fields import Cutoff


class Result(enum.StrEnum):
    """振替結果コード of the 91 result file."""

    COLLECTED = "0"          # 振替済
    NO_FUNDS = "1"           # 資金不足
    NO_ACCOUNT = "2"         # 取引なし
    PAYER_STOPPED = "3"      # 預金者都合による振替停止
    NO_MANDATE = "4"         # 預金口座振替依頼書なし
    COMPANY_STOPPED = "8"    # 委託者都合による振替停止
    OTHER = "9"              # その他


@dataclass(frozen=True)
class Dates:
    debit: date          # the business day the debit happens (a holiday moves to the next)
    cutoff: datetime     # the request must be in by then; also the cancel deadline
    settlement: date     # the company is paid this day


def dates(calendar: BankCalendar, requested: date, cutoff: Cutoff,
          settlement_days_after: int) -> Dates:
    debit = calendar.this_or_next_business_day(requested)
    return Dates(debit, calendar.deadline(debit, cutoff.business_days_before, cutoff.at),
                 calendar.add_business_days(debit, settlement_days_after))


@dataclass(frozen=True)
class PayerAccount:
    """What the debit needs to know of the payer's account at this bank."""

    id: int
    type: AccountType
    state: AccountState
    balance: int
    held: int
    overdraft_limit: int


_TYPE_CODES = {"1": AccountType.ORDINARY, "2": AccountType.CHECKING}


def precheck(account: PayerAccount | None, account_type: str, mandate: str | None,
             stopped_by_company: bool) -> Result | None:
    """The result an item gets without posting, or None when it is to be debited.

    ``mandate`` is the 依頼書's state ("active", "stopped") or None when there is none.
    Funds are not judged here: the ledger decides them under its row lock.
    """
    if stopped_by_company:
        return Result.COMPANY_STOPPED
    if account is None or account.state is AccountState.CLOSED \
            or _TYPE_CODES.get(account_type) is not account.type:
        return Result.NO_ACCOUNT
    if mandate is None:
        return Result.NO_MANDATE
    if mandate != "active":
        return Result.PAYER_STOPPED
    if account.state in (AccountState.PAYMENT_STOPPED, AccountState.SEIZED):
        return Result.OTHER
    return None


def result_of_refusal(code: str) -> Result:
    """The result of an item the ledger refused, by the ledger's error code."""
    return Result.NO_FUNDS if code == "INSUFFICIENT_FUNDS" else Result.OTHER


def settlement(collected_amount: int, collected_count: int, fee_per_item: int
               ) -> tuple[int, int]:
    """(fees, net paid to the company): 引落手数料 per collected item, taken from the total
    (002 第5条9(4)). The net is negative when fees exceed the collected total."""
    fees = collected_count * fee_per_item
    return fees, collected_amount - fees


def agency_result(account_number: str, amount: int) -> Result:
    """The simulated collection agency's answer for a payer at another bank (DD-2).

    The agency's partner banks are outside Kinko; the simulation answers from the account
    number so that a demo or a test can choose each outcome: numbers ending 9991 have no
    funds, 9992 no account, 9993 a stopped 依頼書, 9994 no 依頼書; anything else is collected.
    """
    return {"9991": Result.NO_FUNDS, "9992": Result.NO_ACCOUNT, "9993": Result.PAYER_STOPPED,
            "9994": Result.NO_MANDATE}.get(account_number[-4:], Result.COLLECTED)
