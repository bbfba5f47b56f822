from kinko.errors import DomainError


class InvalidPayee(DomainError):
    code = "XFER_INVALID_PAYEE"
    status = 422
    message_ja = "振込先の金融機関・支店・口座番号が正しくありません。"
    message_en = "The payee's bank, branch or account number is not valid."


class PayeeAccountNotFound(DomainError):
    code = "XFER_PAYEE_NOT_FOUND"
    status = 422
    message_ja = "振込先の口座が確認できません。"
    message_en = "The payee account could not be confirmed."


class InvalidValueDate(DomainError):
    code = "XFER_INVALID_VALUE_DATE"
    status = 422
    message_ja = "振込指定日は本日（受付日）から当行所定の営業日数以内の営業日を指定してください。"
    message_en = "The value date must be a business day from today up to the bank's maximum."


class LimitExceeded(DomainError):
    code = "XFER_LIMIT_EXCEEDED"
    status = 409
    message_ja = "お振込の限度額を超えています。"
    message_en = "The transfer limit would be exceeded."


class LimitRaiseNotAllowed(DomainError):
    code = "XFER_LIMIT_RAISE_NOT_ALLOWED"
    status = 422
    message_ja = "限度額は当行所定の上限を超えて設定できません。"
    message_en = "A limit cannot be set above the bank's maximum."


class SameAccount(DomainError):
    code = "XFER_SAME_ACCOUNT"
    status = 422
    message_ja = "振込元と振込先が同じ口座です。"
    message_en = "The paying and receiving accounts are the same."


class NotRecallable(DomainError):
    code = "XFER_NOT_RECALLABLE"
    status = 409
    message_ja = "このお取引は組戻の対象になりません。"
    message_en = "This transfer cannot be recalled."
