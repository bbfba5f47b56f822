"""Time deposit errors (TD-1): stable codes, Japanese and English messages."""

from kinko.errors import DomainError


class InvalidTerm(DomainError):
    code = "TD_INVALID_TERM"
    status = 422
    message_ja = "お預入期間は当行所定の期間からお選びください。"


class PrincipalTooSmall(DomainError):
    code = "TD_PRINCIPAL_TOO_SMALL"
    status = 422
    message_ja = "お預入金額が当行所定の最低金額に達していません。"


class DepositNotFound(DomainError):
    code = "TD_NOT_FOUND"
    status = 404
    message_ja = "定期預金が見つかりません。"


class DepositNotActive(DomainError):
    code = "TD_NOT_ACTIVE"
    status = 409
    message_ja = "この定期預金はすでに満期払戻または解約されています。"


class DepositMaturing(DomainError):
    code = "TD_MATURING"
    status = 409
    message_ja = "満期日以降の定期預金は中途解約できません。満期日に自動でお支払いします。"


class NumbersExhausted(DomainError):
    code = "TD_NO_ACCOUNT_NUMBER"
    status = 503
    message_ja = "定期預金の口座番号を採番できませんでした。窓口にお問い合わせください。"
