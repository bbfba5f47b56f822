"""Debit card errors (DEB-1): stable codes, Japanese and English messages."""

from kinko.errors import DomainError


class InvalidCardNumber(DomainError):
    code = "DEBIT_INVALID_CARD_NUMBER"
    status = 422
    message_ja = "カード番号が正しくありません。"


class CardAlreadyLinked(DomainError):
    code = "DEBIT_ACCOUNT_HAS_CARD"
    status = 409
    message_ja = "この口座にはすでにデビットカードが登録されています。"


class CardInUse(DomainError):
    code = "DEBIT_CARD_IN_USE"
    status = 409
    message_ja = "このカードはすでに登録されています。"


class CardNotFound(DomainError):
    code = "DEBIT_CARD_NOT_FOUND"
    status = 404
    message_ja = "デビットカードが見つかりません。"


class CardNotActive(DomainError):
    code = "DEBIT_CARD_NOT_ACTIVE"
    status = 409
    message_ja = "このデビットカードはすでに解除されています。"
