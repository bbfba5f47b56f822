"""Banks and branches of the Zengin domestic exchange system, from the national code list.

``zengin-code`` ships the list as data (a package, not a network call), so validation needs no
I/O beyond the first import, which takes about a tenth of a second and is then cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from kinko.clearing.errors import UnknownBank, UnknownBranch
from kinko.clearing.rules import check_bank_code, check_branch_code
from kinko.zengin.errors import KanaConversionError
from kinko.zengin.kana import normalize


@dataclass(frozen=True, slots=True)
class BankBranch:
    bank_code: str
    bank_name: str        # as the code list spells it, e.g. 三菱ＵＦＪ
    bank_kana: str        # half-width, as a Zengin file carries it
    branch_code: str
    branch_name: str
    branch_kana: str


@cache
def _banks() -> dict[str, Any]:
    from zengin_code import Bank

    banks: dict[str, Any] = Bank.all
    return banks


def _half_width(kana: str) -> str:
    try:
        return normalize(kana)
    except KanaConversionError:  # the list is kana already; keep it as given if it is odd
        return kana


def bank_name(bank_code: str) -> str | None:
    """The bank's name, or None for a code not in the list."""
    bank = _banks().get(bank_code)
    return None if bank is None else str(bank.name)


def branch_name(bank_code: str, branch_code: str) -> str | None:
    bank = _banks().get(bank_code)
    branch = None if bank is None else bank.branches.get(branch_code)
    return None if branch is None else str(branch.name)


def validate_bank_branch(bank_code: str, branch_code: str) -> BankBranch:
    """The bank and branch for these codes (XFER-1), or :class:`UnknownBank` /
    :class:`UnknownBranch` (the format is checked first: 4 and 3 digits)."""
    check_bank_code(bank_code)
    check_branch_code(branch_code)
    bank = _banks().get(bank_code)
    if bank is None:
        raise UnknownBank(detail=bank_code)
    branch = bank.branches.get(branch_code)
    if branch is None:
        raise UnknownBranch(detail=f"{bank_code} {bank.name}: {branch_code}")
    return BankBranch(bank_code=bank_code, bank_name=str(bank.name),
                      bank_kana=_half_width(str(bank.kana)), branch_code=branch_code,
                      branch_name=str(branch.name), branch_kana=_half_width(str(branch.kana)))
