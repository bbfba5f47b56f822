"""Ledger errors: stable codes, Japanese and English messages."""

from kinko.errors import DomainError


class InvalidEntry(DomainError):
    code = "LEDGER_INVALID_ENTRY"
    status = 422
    message_ja = "仕訳が正しくありません。"


class AccountNotFound(DomainError):
    code = "ACCOUNT_NOT_FOUND"
    status = 404
    message_ja = "口座が見つかりません。"


class AccountNotUsable(DomainError):
    code = "ACCOUNT_NOT_USABLE"
    status = 409
    message_ja = "この口座は現在お取引できません（支払停止・入金停止・差押・解約）。"


class InsufficientFunds(DomainError):
    code = "INSUFFICIENT_FUNDS"
    status = 409
    message_ja = "お引出し可能額が不足しています。"


class HoldNotActive(DomainError):
    code = "HOLD_NOT_ACTIVE"
    status = 409
    message_ja = "この拘束はすでに解除または実行されています。"


class AccountExists(DomainError):
    code = "ACCOUNT_EXISTS"
    status = 409
    message_ja = "この口座番号はすでに使われています。"


class InvalidAccount(DomainError):
    code = "ACCOUNT_INVALID"
    status = 422
    message_ja = "口座の内容が正しくありません。"
