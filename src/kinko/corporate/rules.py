"""Pure rules of the business net: which services a course includes (PRD-2, 002 第1条2(2)),
what a user may use (PRD-4), and whether a user must hold a token (CRED-3). No I/O."""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Service(enum.StrEnum):
    """The services A–N of 002 第1条2(2)."""

    BALANCE = "A"            # 残高照会
    STATEMENT = "B"          # 入出金明細照会
    INCOMING = "C"           # 振込入金明細照会
    TRANSFER = "D"           # 振込・振替
    PAYEASY = "E"            # 料金払込 Pay-easy
    DENSAI = "F"             # でんさい
    FX = "G"                 # 外為
    BULK = "H"               # 総合振込
    PAYROLL = "I"            # 給与・賞与振込
    LOCAL_TAX = "J"          # 地方税納付
    DIRECT_DEBIT = "K"       # 口座振替
    COLLECTION = "L"         # 代金回収
    ZENGIN_STATEMENT = "M"   # 入出金明細・振込入金明細 (全銀)
    EDELIVERY = "N"          # 電子交付


# A service's name is the message catalogue's ``service.LETTER`` (docs/messages.md).

# 002 第1条2(2): Light A–C, F, N; Basic A–G, N; Comprehensive A–N. A contract takes its whole
# course, never a subset (第1条2(3)).
COURSE_SERVICES: dict[str, frozenset[Service]] = {
    "light": frozenset(Service(x) for x in "ABCFN"),
    "basic": frozenset(Service(x) for x in "ABCDEFGN"),
    "comprehensive": frozenset(Service),
}
# The retail products' own bundle (balances, statements, transfers, Pay-easy).
RETAIL_SERVICES = frozenset(Service(x) for x in "ABCDE")
# Inside the course, these need their own written application (第1条2(2) なお書き).
BY_APPLICATION = frozenset({Service.DENSAI, Service.FX})
# Services that move money or file requests: a Basic/Comprehensive user needs a token first.
TRANSACTING = frozenset(Service(x) for x in "DEFGHIJKL")
# Services a master or admin user always has (they grant the rest to general users).
INQUIRY = frozenset({Service.BALANCE, Service.STATEMENT, Service.INCOMING})


def contract_services(course: str | None, applied: Iterable[Service]) -> frozenset[Service]:
    """What a corporate contract may use: its course, less densai/FX not applied for."""
    if course is None:
        return RETAIL_SERVICES
    included = COURSE_SERVICES[course]
    return frozenset(s for s in included if s not in BY_APPLICATION or s in set(applied))


def user_services(contract: frozenset[Service], role: str,
                  granted: Iterable[Service] | None) -> frozenset[Service]:
    """A master or admin user uses the whole contract; a general user only what was granted
    (and never more than the contract has)."""
    if role in ("master", "admin", "holder"):
        return contract
    return contract & frozenset(granted or ())


def parse_services(text: str) -> frozenset[Service]:
    """``"ABH"`` → {A, B, H}; an unknown letter raises ValueError."""
    return frozenset(Service(ch) for ch in text.strip().upper() if not ch.isspace())


def format_services(services: Iterable[Service]) -> str:
    return "".join(sorted(s.value for s in services))


def needs_token(course: str | None, service: Service) -> bool:
    """CRED-3: in Basic/Comprehensive every user registers a token before transacting; Light
    uses no OTP (002 第11条2)."""
    return course in ("basic", "comprehensive") and service in TRANSACTING
