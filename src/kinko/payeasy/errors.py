"""Pay-easy errors (PAY-1): stable codes, Japanese and English messages."""

from kinko.errors import DomainError


class InvalidBillCode(DomainError):
    code = "PAYEASY_INVALID_CODE"
    status = 422
    message_ja = ("収納機関番号（5桁）・お客様番号（20桁以内）・確認番号（6桁以内）を"
                  "数字で入力してください。")


class UnknownAgency(DomainError):
    code = "PAYEASY_UNKNOWN_AGENCY"
    status = 422
    message_ja = "この収納機関番号の収納機関はお取扱いしていません。"


class BillNotFound(DomainError):
    code = "PAYEASY_BILL_NOT_FOUND"
    status = 422
    message_ja = "お客様番号または確認番号が正しくありません。払込書の番号をご確認ください。"


class BillAlreadyPaid(DomainError):
    code = "PAYEASY_BILL_ALREADY_PAID"
    status = 409
    message_ja = "この料金はすでに払込済みです。"


class BillCancelled(DomainError):
    code = "PAYEASY_BILL_CANCELLED"
    status = 409
    message_ja = "この料金は収納機関により取り消されています。"


class BillOverdue(DomainError):
    code = "PAYEASY_BILL_OVERDUE"
    status = 409
    message_ja = "払込期限を過ぎているため、お取扱いできません。収納機関にお問い合わせください。"


class LimitExceeded(DomainError):
    code = "PAYEASY_LIMIT_EXCEEDED"
    status = 409
    message_ja = "料金払込の1日あたりの利用限度額を超えています。"


class InvalidBill(DomainError):
    code = "PAYEASY_INVALID_BILL"
    status = 422
    message_ja = "請求の内容が正しくありません。"
