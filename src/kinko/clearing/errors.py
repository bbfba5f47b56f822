"""Clearing errors: stable codes, Japanese and English messages."""

from kinko.errors import DomainError


class UnknownBank(DomainError):
    code = "CLEARING_UNKNOWN_BANK"
    status = 422
    message_ja = "金融機関コードに該当する金融機関がありません。"


class UnknownBranch(DomainError):
    code = "CLEARING_UNKNOWN_BRANCH"
    status = 422
    message_ja = "店番号に該当する支店がありません。"


class InvalidTransferMessage(DomainError):
    code = "CLEARING_INVALID_MESSAGE"
    status = 422
    message_ja = "振込の内容に誤りがあります。"


class RemoteAccountExists(DomainError):
    code = "CLEARING_REMOTE_ACCOUNT_EXISTS"
    status = 409
    message_ja = "この口座は他行にすでにあります。"


class RemoteAccountNotFound(DomainError):
    code = "CLEARING_REMOTE_ACCOUNT_NOT_FOUND"
    status = 404
    message_ja = "他行の口座が見つかりません。"


class InvalidQuery(DomainError):
    code = "CLEARING_INVALID_QUERY"
    status = 422
    message_ja = "照会条件に誤りがあります。"
