from kinko.errors import DomainError


class InvalidPayee(DomainError):
    code = "XFER_INVALID_PAYEE"
    status = 422
    message_ja = "振込先の金融機関・支店・口座番号が正しくありません。"


class PayeeAccountNotFound(DomainError):
    code = "XFER_PAYEE_NOT_FOUND"
    status = 422
    message_ja = "振込先の口座が確認できません。"


class InvalidValueDate(DomainError):
    code = "XFER_INVALID_VALUE_DATE"
    status = 422
    message_ja = "振込指定日は本日（受付日）から当行所定の営業日数以内の営業日を指定してください。"


class LimitExceeded(DomainError):
    code = "XFER_LIMIT_EXCEEDED"
    status = 409
    message_ja = "お振込の限度額を超えています。"


class LimitRaiseNotAllowed(DomainError):
    code = "XFER_LIMIT_RAISE_NOT_ALLOWED"
    status = 422
    message_ja = "限度額は当行所定の上限を超えて設定できません。"


class SameAccount(DomainError):
    code = "XFER_SAME_ACCOUNT"
    status = 422
    message_ja = "振込元と振込先が同じ口座です。"


class NotRecallable(DomainError):
    code = "XFER_NOT_RECALLABLE"
    status = 409
    message_ja = "このお取引は組戻の対象になりません。"
