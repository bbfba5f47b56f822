"""Pure ledger rules: no I/O, no clock. The service and the batch path both call these."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kinko.ledger.errors import AccountNotUsable, InsufficientFunds, InvalidAccount, InvalidEntry
from kinko.ledger.models import AccountState, AccountType
from kinko.money import MAX_AMOUNT

# Which states accept which direction (LED-4). A seized or payment-stopped account can still
# receive money; a deposit-stopped one can still pay out; a closed one does neither.
DEBITABLE = frozenset({AccountState.ACTIVE, AccountState.DEPOSIT_STOPPED})
CREDITABLE = frozenset({AccountState.ACTIVE, AccountState.PAYMENT_STOPPED, AccountState.SEIZED})


@dataclass(frozen=True, slots=True)
class Leg:
    """One side of an entry. ``amount`` > 0 credits the account, < 0 debits it."""

    account_id: int
    amount: int
    description: str = ""


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    id: int
    balance: int
    held: int
    overdraft_limit: int
    state: AccountState


def validate_legs(legs: Sequence[Leg]) -> None:
    """A balanced entry: ≥ 2 legs, integer non-zero amounts, one leg per account, Σ = 0 (LED-2)."""
    if len(legs) < 2:
        raise InvalidEntry(detail="an entry needs at least two legs")
    seen: set[int] = set()
    for leg in legs:
        if type(leg.amount) is not int:  # bool and float are refused, not coerced
            raise InvalidEntry(detail=f"amount {leg.amount!r} is not an integer")
        if leg.amount == 0 or abs(leg.amount) > MAX_AMOUNT:
            raise InvalidEntry(detail=f"amount {leg.amount} is out of range")
        if type(leg.account_id) is not int or leg.account_id <= 0:
            raise InvalidEntry(detail=f"account {leg.account_id!r} is not an account id")
        if leg.account_id in seen:
            raise InvalidEntry(detail=f"account {leg.account_id} appears twice")
        if len(leg.description) > 100:
            raise InvalidEntry(detail="description longer than 100 characters")
        seen.add(leg.account_id)
    if sum(leg.amount for leg in legs) != 0:
        raise InvalidEntry(detail="debits and credits do not balance")


def withdrawable(balance: int, held: int, overdraft_limit: int) -> int:
    """LED-3: balance − holds + unused overdraft line."""
    return balance - held + overdraft_limit


def check_leg(account: AccountSnapshot, amount: int) -> None:
    """Raise the domain error that stops ``amount`` being applied to ``account``."""
    if amount < 0:
        if account.state not in DEBITABLE:
            raise AccountNotUsable(detail=f"account {account.id}: {account.state.value}")
        if withdrawable(account.balance, account.held, account.overdraft_limit) + amount < 0:
            raise InsufficientFunds(detail=f"account {account.id}")
    elif account.state not in CREDITABLE:
        raise AccountNotUsable(detail=f"account {account.id}: {account.state.value}")


def ordered(legs: Iterable[Leg]) -> list[Leg]:
    """Legs in account-id order: the one lock order every writer follows (no deadlocks)."""
    return sorted(legs, key=lambda leg: leg.account_id)


# Half-width katakana (JIS X 0201), upper-case letters, digits, space and the symbols Zengin
# allows in account names: the holder name must survive a Zengin file unchanged.
_HOLDER_KANA = re.compile(r"^[\uFF66-\uFF9F\uFF61-\uFF65A-Z0-9 ().,/\-]{1,48}$")


def check_account_fields(*, branch_code: str, number: str, holder_kana: str,
                         account_type: AccountType, overdraft_limit: int) -> None:
    """PRD-1: 3-digit branch, 7-digit number, half-width-kana holder; overdraft on 当座 only."""
    if not (len(branch_code) == 3 and branch_code.isascii() and branch_code.isdigit()):
        raise InvalidAccount(detail=f"branch code {branch_code!r} must be 3 digits")
    if not (len(number) == 7 and number.isascii() and number.isdigit()):
        raise InvalidAccount(detail=f"account number {number!r} must be 7 digits")
    if not _HOLDER_KANA.match(holder_kana):
        raise InvalidAccount(detail=f"holder name {holder_kana!r} must be half-width katakana")
    if type(overdraft_limit) is not int or overdraft_limit < 0 or overdraft_limit > MAX_AMOUNT:
        raise InvalidAccount(detail="overdraft limit must be a non-negative integer")
    if overdraft_limit and account_type not in (AccountType.CHECKING, AccountType.INTERNAL):
        raise InvalidAccount(detail="only checking (当座) accounts have an overdraft line")
