"""Time deposit errors (TD-1): stable codes, Japanese and English messages."""

from kinko.errors import DomainError


class InvalidTerm(DomainError):
    code = "TD_INVALID_TERM"
    status = 422
    message_ja = "お預入期間は当行所定の期間からお選びください。"
    message_en = "Choose one of the bank's time deposit terms."


class PrincipalTooSmall(DomainError):
    code = "TD_PRINCIPAL_TOO_SMALL"
    status = 422
    message_ja = "お預入金額が当行所定の最低金額に達していません。"
    message_en = "The amount is below the bank's minimum for a time deposit."


class DepositNotFound(DomainError):
    code = "TD_NOT_FOUND"
    status = 404
    message_ja = "定期預金が見つかりません。"
    message_en = "The time deposit does not exist."


class DepositNotActive(DomainError):
    code = "TD_NOT_ACTIVE"
    status = 409
    message_ja = "この定期預金はすでに満期払戻または解約されています。"
    message_en = "This time deposit has already been paid out at maturity or cancelled."


class DepositMaturing(DomainError):
    code = "TD_MATURING"
    status = 409
    message_ja = "満期日以降の定期預金は中途解約できません。満期日に自動でお支払いします。"
    message_en = ("A time deposit on or after its maturity date cannot be cancelled early; "
                  "it is paid out automatically at maturity.")


class NumbersExhausted(DomainError):
    code = "TD_NO_ACCOUNT_NUMBER"
    status = 503
    message_ja = "定期預金の口座番号を採番できませんでした。窓口にお問い合わせください。"
    message_en = "No free time deposit account number is left in this branch."
