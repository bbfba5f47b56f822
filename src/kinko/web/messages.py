"""The message catalogue of the pages: every label a customer or an operator reads for a
code (an account type, a state, an instruction's kind or status, an error code), in Japanese
and English, in one place keyed by message id.

Templates call ``m("account_type.ordinary")`` (or ``label("account_type", value)``); a code
with no entry is shown as a neutral dash, never raw, and the page test finds none missing.
Free sentences still go through ``t(lang, ja, en)`` (``kinko.web.i18n``), which stays.
"""

from __future__ import annotations

import re

from kinko.errors import DomainError

CATALOGUE: dict[str, tuple[str, str]] = {
    # 預金種目 (ledger AccountType; the payee's account_type uses the same words)
    "account_type.ordinary": ("普通預金", "Ordinary deposit"),
    "account_type.checking": ("当座預金", "Checking account"),
    "account_type.savings": ("貯蓄預金", "Savings deposit"),
    "account_type.time": ("定期預金", "Time deposit"),
    # 口座の状態 (ledger AccountState)
    "account_state.active": ("ご利用中", "In use"),
    "account_state.payment_stopped": ("お支払停止中", "Payments stopped"),
    "account_state.deposit_stopped": ("ご入金停止中", "Deposits stopped"),
    "account_state.seized": ("差押中", "Seized"),
    "account_state.closed": ("解約済", "Closed"),
    # お取引の状況 (InstructionStatus)
    "instruction_status.entered": ("未確定", "Not confirmed"),
    "instruction_status.accepted": ("予約中", "Scheduled"),
    "instruction_status.executed": ("実行済", "Executed"),
    "instruction_status.not_established": ("不成立", "Not established"),
    "instruction_status.void": ("無効", "Void"),
    "instruction_status.cancelled": ("取消済", "Cancelled"),
    "instruction_status.returned": ("返却", "Returned"),
    "instruction_status.recalled": ("組戻済", "Recalled"),
    # お取引の種類 (Instruction.kind)
    "instruction_kind.transfer": ("振込・振替", "Transfer"),
    "instruction_kind.payeasy": ("ペイジー払込", "Pay-easy payment"),
    "instruction_kind.time_deposit": ("定期預金の作成", "Time deposit opening"),
    "instruction_kind.time_deposit_cancel": ("定期預金の中途解約", "Time deposit cancellation"),
    # why an instruction ended without moving money (Instruction.reason_code)
    "instruction_reason.DISCARDED": ("お客さまが破棄しました", "Discarded by you"),
    "instruction_reason.DEADLINE_PASSED": ("確認期限を過ぎました",
                                           "The confirmation deadline passed"),
    "instruction_reason.INSUFFICIENT_FUNDS": ("お引出し可能額の不足", "Insufficient funds"),
    "instruction_reason.ACCOUNT_NOT_USABLE": ("口座がご利用いただけません",
                                              "The account cannot be used"),
    "instruction_reason.PAYEE_ACCOUNT_NOT_FOUND": ("入金先口座が確認できません",
                                                   "The payee account cannot be credited"),
    "instruction_reason.CANCELLED_BY_CUSTOMER": ("お客さまによる取消", "Cancelled by you"),
    # 定期預金 (DepositState)
    "deposit_state.active": ("お預け入れ中", "Active"),
    "deposit_state.matured": ("満期払戻済", "Matured and paid out"),
    "deposit_state.cancelled": ("中途解約済", "Cancelled early"),
    # デビットカード (debitcards CardState)
    "debit_card_state.active": ("ご利用中", "Active"),
    "debit_card_state.cancelled": ("解除済", "Cancelled"),
}

_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,59}$")


def m(lang: str, message_id: str) -> str:
    """The catalogue's text for ``message_id`` in ``lang``; a dash if there is none."""
    found = CATALOGUE.get(message_id)
    if found is None:
        return "—"
    return found[1] if lang == "en" else found[0]


def label(lang: str, group: str, value: object) -> str:
    """The words for one code of a group (``label(lang, "account_type", "ordinary")``)."""
    raw = getattr(value, "value", value)
    return m(lang, f"{group}.{raw}")


def _error_classes() -> dict[str, type[DomainError]]:
    found: dict[str, type[DomainError]] = {}
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


def message_for(code: str | None, lang: str) -> str | None:
    """The customer's message for an error code carried across a redirect (``?error=``)."""
    if not code or not _CODE.match(code):
        return None
    cls = _error_classes().get(code, DomainError)
    return cls.message_en if lang == "en" else cls.message_ja
