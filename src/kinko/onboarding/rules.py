"""Pure onboarding rules: customer details, account numbers, shipment and account-state
transitions. No I/O, no clock (today is passed in)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import jaconv

from kinko.ledger.models import AccountState
from kinko.onboarding.errors import AccountStateRefused, CustomerInputInvalid, ShipmentStateError
from kinko.onboarding.models import ShipmentState
from kinko.parties.models import CustomerKind

_HALF_KANA = re.compile(r"^[\uFF66-\uFF9F\uFF61-\uFF65A-Z0-9 ().,/\-]{1,48}$")
_POSTAL = re.compile(r"^\d{3}-?\d{4}$")
_PHONE = re.compile(r"^0\d{1,4}-?\d{1,4}-?\d{3,4}$")
_BRANCH = re.compile(r"^\d{3}$")
OLDEST_BIRTH = date(1900, 1, 1)
ADULT_AGE = 0   # a minor may hold an account; the seeds set no age (the bank may)


@dataclass(frozen=True)
class CustomerDetails:
    """What the operator types from the application form, normalised."""

    kind: CustomerKind
    name: str               # kanji (or the registered corporate name)
    name_kana: str          # half-width katakana, as the account name is printed
    branch_code: str
    postal_code: str        # 123-4567
    address: str
    phone: str
    birth_date: date | None  # individuals only (a company's founding date is not asked)
    resident: bool
    email: str | None = None


def half_width_kana(text: str) -> str:
    """Full-width or hiragana input → the half-width katakana a Zengin name uses."""
    katakana = jaconv.hira2kata(unicodedata.normalize("NFKC", text).strip())
    return jaconv.z2h(katakana, kana=True, ascii=True, digit=True).upper()


def check_customer(*, kind: str, name: str, name_kana: str, branch_code: str,
                   postal_code: str, address: str, phone: str, birth_date: date | None,
                   resident: bool, today: date, email: str | None = None) -> CustomerDetails:
    """Every field checked at once, so the form shows every problem together (PRD-1)."""
    problems: list[str] = []
    kinds = {k.value for k in CustomerKind}
    if kind not in kinds:
        problems.append("kind")
    name = unicodedata.normalize("NFKC", name).strip()
    if not 1 <= len(name) <= 120:
        problems.append("name")
    kana = half_width_kana(name_kana)
    if not _HALF_KANA.match(kana):
        problems.append("name_kana")
    if not _BRANCH.match(branch_code.strip()):
        problems.append("branch_code")
    postal = unicodedata.normalize("NFKC", postal_code).strip()
    if not _POSTAL.match(postal):
        problems.append("postal_code")
    address = unicodedata.normalize("NFKC", address).strip()
    if not 5 <= len(address) <= 200:
        problems.append("address")
    phone = unicodedata.normalize("NFKC", phone).strip()
    if not _PHONE.match(phone):
        problems.append("phone")
    individual = kind == CustomerKind.INDIVIDUAL.value
    if individual and (birth_date is None or not OLDEST_BIRTH <= birth_date <= today):
        problems.append("birth_date")
    if not individual and birth_date is not None:
        problems.append("birth_date")
    mail = (email or "").strip() or None
    if mail is not None and (len(mail) > 254 or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                                                            mail)):
        problems.append("email")
    if type(resident) is not bool:
        problems.append("resident")
    if problems:
        raise CustomerInputInvalid(detail="check: " + ", ".join(problems), fields=problems)
    digits = postal.replace("-", "")
    return CustomerDetails(CustomerKind(kind), name, kana, branch_code.strip(),
                           f"{digits[:3]}-{digits[3:]}", address, phone, birth_date,
                           resident, mail)


def next_account_number(highest: str | None) -> str:
    """Numbers are given out in order within a branch (7 digits, never reused)."""
    number = int(highest) + 1 if highest else 1
    if number > 9_999_999:
        raise CustomerInputInvalid(detail="the branch has no account number left")
    return f"{number:07d}"


def customer_number(customer_id: int) -> str:
    """The 顧客番号 (CIF) shown on letters: 'C' and the id, zero-padded."""
    return f"C{customer_id:09d}"


# --- shipments (CRED-5) -------------------------------------------------------------------

_SHIPMENT_MOVES: dict[ShipmentState, frozenset[ShipmentState]] = {
    ShipmentState.QUEUED: frozenset({ShipmentState.PRINTED, ShipmentState.VOIDED}),
    ShipmentState.PRINTED: frozenset({ShipmentState.PRINTED, ShipmentState.SENT,
                                      ShipmentState.VOIDED}),
    ShipmentState.SENT: frozenset({ShipmentState.RETURNED}),
    ShipmentState.RETURNED: frozenset(),
    ShipmentState.VOIDED: frozenset(),
}


def check_shipment_move(now: ShipmentState, to: ShipmentState) -> None:
    """queued → printed (again, after a jam) → sent → returned; void before it is sent."""
    if to not in _SHIPMENT_MOVES[now]:
        raise ShipmentStateError(detail=f"{now.value} → {to.value}")


# --- account states (LED-4, SUSP-1) -------------------------------------------------------

# Which state may follow which. Release always goes back to active; a closed account stays
# closed. A seizure is lifted only by its own release, not overwritten by another stop.
_ACCOUNT_MOVES: dict[AccountState, frozenset[AccountState]] = {
    AccountState.ACTIVE: frozenset({AccountState.PAYMENT_STOPPED, AccountState.DEPOSIT_STOPPED,
                                    AccountState.SEIZED, AccountState.CLOSED}),
    AccountState.PAYMENT_STOPPED: frozenset({AccountState.ACTIVE, AccountState.SEIZED}),
    AccountState.DEPOSIT_STOPPED: frozenset({AccountState.ACTIVE, AccountState.SEIZED}),
    AccountState.SEIZED: frozenset({AccountState.ACTIVE}),
    AccountState.CLOSED: frozenset(),
}

# Where money is frozen or released, a second operator must approve (OPS-1): a seizure, every
# release and a closure. A payment stop (a lost card or passbook reported by the customer) and
# a deposit stop protect the customer and take effect at once.
FOUR_EYES_STATES = frozenset({AccountState.SEIZED, AccountState.CLOSED})


def check_account_move(now: AccountState, to: AccountState, *, balance: int, held: int
                       ) -> None:
    if to not in _ACCOUNT_MOVES[now]:
        raise AccountStateRefused(detail=f"{now.value} → {to.value}")
    if to is AccountState.CLOSED and (balance != 0 or held != 0):
        raise AccountStateRefused(detail="an account is closed only at a zero balance "
                                         "with nothing held (pay it out first)")


def needs_four_eyes(now: AccountState, to: AccountState) -> bool:
    return to in FOUR_EYES_STATES or to is AccountState.ACTIVE


# --- bank-initiated service restriction (SUSP-1, CTR-2) ----------------------------------

# In Japanese; the English is the catalogue's restriction_reason.KEY.
RESTRICTION_REASONS: dict[str, str] = {
    "authority_request": "捜査機関等からの要請",
    "aml_concern": "マネー・ローンダリング等の疑い",
    "fraud_prevention": "不正利用の防止",
    "breach": "規定違反",
    "antisocial_forces": "反社会的勢力に関する懸念",
}
