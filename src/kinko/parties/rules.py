"""Pure rules of residency (PRD-5) and use from abroad (OVS-1): no I/O, no clock.

The tables below are the built-in defaults; the bank's setting in force is the policy's
``access`` group, which :mod:`kinko.parties.access` and :mod:`kinko.parties.residency` pass
in. 003 第三条2(1) lets non-residents use only "a part of the service, where the bank's
requirements are met"; which part is bank-prescribed, so the bank may restrict further (or
widen) in its policy file or from the console.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from kinko.parties.errors import InvalidCountryCode

# Every function a residency or country rule may be asked about. A name outside this set is a
# programming error (a typo would otherwise silently refuse or allow), so it raises.
FUNCTIONS = frozenset({
    "inquiry",               # balances and statements (INQ-1)
    "settings",              # password change and other settings of the service
    "transfer",              # 振込・振替 inside Japan (XFER-*)
    "payeasy",               # Pay-easy bill payment (PAY-1)
    "time_deposit",          # opening a time deposit (TD-1)
    "time_deposit_cancel",   # cancelling one early (TD-1)
    "debit_card",            # linking a debit card (DEB-1)
    "debit_card_cancel",     # unlinking it
    "fx",                    # overseas remittance and FX (FX-1)
    "global_service",        # accounts at branches abroad (GLB-1)
})

# Default for non-residents (True = allowed). Inquiries, settings and domestic transfers keep
# the customer able to see and move their own money; cancelling a time deposit or a debit card
# only reduces what the bank holds for them, so it is never refused. New products, bill
# payment and anything foreign-exchange are refused: they are the functions the foreign
# exchange act and the tax rules (non-resident withholding) make the bank check case by case.
NON_RESIDENT_TABLE: Mapping[str, bool] = {
    "inquiry": True,
    "settings": True,
    "transfer": True,
    "payeasy": False,
    "time_deposit": False,
    "time_deposit_cancel": True,
    "debit_card": False,
    "debit_card_cancel": True,
    "fx": False,
    "global_service": False,
}

# Fund movements: refused from abroad by default (OVS-1, 001 11(4), 002 第14条). Inquiries and
# settings stay allowed, so a customer travelling can still see their accounts.
FUND_MOVEMENTS = frozenset({"transfer", "payeasy", "time_deposit", "time_deposit_cancel", "fx"})

HOME_COUNTRY = "JP"
_COUNTRY = re.compile(r"^[A-Z]{2}$")


def _known(function: str) -> str:
    if function not in FUNCTIONS:
        raise ValueError(f"unknown function {function!r}")
    return function


def allowed_for(*, resident: bool, function: str,
                table: Mapping[str, bool] = NON_RESIDENT_TABLE) -> bool:
    """Whether ``function`` is open to the customer. Residents may use every function."""
    _known(function)
    return resident or table.get(function, False)


def check_country(code: str) -> str:
    """An ISO 3166-1 alpha-2 code as the web layer's geolocation gives it (``JP``, ``CN``)."""
    if not isinstance(code, str) or not _COUNTRY.match(code):
        raise InvalidCountryCode(detail=repr(code))
    return code


def allowed_from(*, country: str, function: str,
                 refused_abroad: frozenset[str] = FUND_MOVEMENTS) -> bool:
    """Whether ``function`` may be used from ``country`` (OVS-1)."""
    _known(function)
    return check_country(country) == HOME_COUNTRY or function not in refused_abroad
