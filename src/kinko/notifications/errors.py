"""Notification errors: stable codes, Japanese and English messages."""

from kinko.errors import DomainError


class UnknownTemplate(DomainError):
    code = "NOTIF_UNKNOWN_TEMPLATE"
    status = 422
    message_ja = "メールのひな形が登録されていません。"


class TemplateDataMissing(DomainError):
    code = "NOTIF_TEMPLATE_DATA_MISSING"
    status = 422
    message_ja = "メールの作成に必要な項目が不足しています。"


class InvalidAddress(DomainError):
    code = "NOTIF_INVALID_ADDRESS"
    status = 422
    message_ja = "メールアドレスの形式が正しくありません。"
