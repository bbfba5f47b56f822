"""Pure clearing rules: field checks, what the receiving bank decides, return reasons.

No I/O and no clock: the services load the facts, these functions decide.
"""

from __future__ import annotations

from dataclasses import dataclass

from kinko.clearing.errors import InvalidTransferMessage, UnknownBank, UnknownBranch
from kinko.clearing.models import DepositType, RemoteAccountState
from kinko.ledger.models import AccountState, AccountType
from kinko.ledger.rules import CREDITABLE
from kinko.money import MAX_AMOUNT
from kinko.zengin import charset

NAME_MAX = 48       # 依頼人名 in the Zengin incoming-transfer notice is 48 bytes
EDI_MAX = 20        # EDI情報 of the fixed-length 総合振込 record is 20 bytes
PAYEE_FIELD = 30    # 受取人名 of the 総合振込 record: longer holder names arrive cut to this

# 振込不能事由: why a receiving bank sends a transfer back. The codes are Kinko's stable names;
# the texts follow the wording banks print on a return notice.
RETURN_REASONS: dict[str, tuple[str, str]] = {
    "ACCOUNT_NOT_FOUND": ("該当口座なし", "no such account"),
    "ACCOUNT_TYPE_MISMATCH": ("預金種目相違", "the deposit type does not match the account"),
    "ACCOUNT_CLOSED": ("口座解約済", "the account is closed"),
    "DEPOSIT_STOPPED": ("入金停止口座", "the account takes no deposits"),
    "NAME_MISMATCH": ("受取人名相違", "the payee name does not match the account holder"),
}

_TYPE_NAMES = {
    DepositType.ORDINARY: ("ordinary", "普通", "1", "futsu"),
    DepositType.CHECKING: ("checking", "当座", "2", "toza"),
    DepositType.SAVINGS: ("savings", "貯蓄", "4", "chochiku"),
}
# Which of this bank's ledger account types each Zengin deposit type reaches. Kinko keeps no
# 貯蓄 accounts, and internal books (cash, clearing, …) can never be reached from outside.
LEDGER_TYPE = {DepositType.ORDINARY: AccountType.ORDINARY,
               DepositType.CHECKING: AccountType.CHECKING}


def reason_text(code: str) -> str:
    """``"該当口座なし / no such account"``: both languages, for notices and the transfers list."""
    ja, en = RETURN_REASONS[code]
    return f"{ja} / {en}"


def _digits(text: object, length: int) -> bool:
    return isinstance(text, str) and len(text) == length and text.isascii() and text.isdigit()


def check_bank_code(code: str) -> None:
    if not _digits(code, 4):
        raise UnknownBank(detail=f"bank code {code!r} must be 4 digits")


def check_branch_code(code: str) -> None:
    if not _digits(code, 3):
        raise UnknownBranch(detail=f"branch code {code!r} must be 3 digits")


def check_number(number: str) -> None:
    if not _digits(number, 7):
        raise InvalidTransferMessage(detail=f"account number {number!r} must be 7 digits")


def check_amount(amount: int) -> None:
    if type(amount) is not int or not 0 < amount <= MAX_AMOUNT:  # bool and float refused
        raise InvalidTransferMessage(detail=f"amount {amount!r} must be a positive integer yen")


def check_name(text: str, field: str) -> None:
    """A name as a Zengin record carries it: half-width kana, A-Z, 0-9, space ( ) - . ｦ."""
    if not isinstance(text, str) or not text.strip() or len(text) > NAME_MAX:
        raise InvalidTransferMessage(detail=f"{field} must be 1–{NAME_MAX} characters")
    try:
        raw = charset.encode(text)
    except ValueError:
        raw = b"\x00"
    if not charset.NAME_WO.admits(raw):
        raise InvalidTransferMessage(
            detail=f"{field} {text!r} must be half-width katakana (ｱ-ﾝ ﾞ ﾟ A-Z 0-9 ( ) - .)")


def check_edi(edi: str | None) -> str | None:
    """EDI information (XFER-9): up to 20 Zengin EDI characters; empty means none."""
    if edi is None or edi == "":
        return None
    if not isinstance(edi, str) or len(edi) > EDI_MAX:
        raise InvalidTransferMessage(detail=f"EDI information must be at most {EDI_MAX} "
                                            "characters")
    try:
        raw = charset.encode(edi)
    except ValueError:
        raw = b","
    if not charset.EDI.admits(raw):
        raise InvalidTransferMessage(
            detail=f"EDI information {edi!r} may hold only half-width kana, A-Z, 0-9, "
                   "space and \\ ｢ ｣ ( ) - / .")
    return edi


def check_reference(reference: str, field: str = "reference") -> None:
    if not isinstance(reference, str) or not 0 < len(reference) <= 100 \
            or not reference.isprintable() or reference != reference.strip():
        raise InvalidTransferMessage(detail=f"{field} must be 1–100 printable characters")


def parse_deposit_type(value: str | DepositType | AccountType) -> DepositType:
    """``ordinary`` / ``普通`` / ``1`` (Zengin code) and the like, or an error."""
    text = str(value).strip().lower()
    for kind, names in _TYPE_NAMES.items():
        if text in names:
            return kind
    raise InvalidTransferMessage(
        detail=f"account type {value!r} must be ordinary (普通, 1), checking (当座, 2) or "
               "savings (貯蓄, 4)")


def _squash(name: str) -> str:
    return name.replace(" ", "").replace("\u3000", "")


def names_match(given: str, holder: str) -> bool:
    """Whether the payee name of a transfer names the account's holder.

    Spacing is not part of a name. A name given at the full width of the Zengin payee field
    may be the holder's name cut to fit, so a prefix of that length matches.
    """
    given_s, holder_s = _squash(given), _squash(holder)
    if given_s == holder_s:
        return True
    return len(given) >= PAYEE_FIELD and holder_s.startswith(given_s)


@dataclass(frozen=True, slots=True)
class RemoteFacts:
    """What the receiving bank knows of the destination account."""

    state: RemoteAccountState
    holder_kana: str


def remote_decision(account: RemoteFacts | None, payee_kana: str) -> str | None:
    """The return reason for an outgoing transfer at the other bank, or None to accept."""
    if account is None:
        return "ACCOUNT_NOT_FOUND"
    if account.state is RemoteAccountState.CLOSED:
        return "ACCOUNT_CLOSED"
    if not names_match(payee_kana, account.holder_kana):
        return "NAME_MISMATCH"
    return None


@dataclass(frozen=True, slots=True)
class LocalFacts:
    """What Kinko knows of the account an incoming transfer is addressed to."""

    type: AccountType
    state: AccountState


def incoming_decision(account: LocalFacts | None, deposit_type: DepositType) -> str | None:
    """The return reason for a transfer arriving at Kinko, or None to credit it (XFER-9).

    A closed or deposit-stopped account cannot be credited (LED-4), so the transfer goes back
    to the remitting bank instead of failing; payment-stopped and seized accounts still take
    credits.
    """
    if account is None or account.type is AccountType.INTERNAL:
        return "ACCOUNT_NOT_FOUND"
    if LEDGER_TYPE.get(deposit_type) is not account.type:
        return "ACCOUNT_TYPE_MISMATCH"
    if account.state is AccountState.CLOSED:
        return "ACCOUNT_CLOSED"
    if account.state not in CREDITABLE:
        return "DEPOSIT_STOPPED"
    return None
