"""Onboarding errors: stable codes, Japanese and English messages."""

from kinko.errors import DomainError


class CustomerInputInvalid(DomainError):
    code = "CUSTOMER_INPUT_INVALID"
    status = 422
    message_ja = "お客さま情報の入力内容に誤りがあります。"


class OnboardingRefused(DomainError):
    code = "ONBOARDING_REFUSED"
    status = 422
    message_ja = "この内容ではお申込みを受け付けられません。"


class ShipmentStateError(DomainError):
    code = "SHIPMENT_STATE"
    status = 409
    message_ja = "この郵送物はその操作ができる状態ではありません。"


class AccountStateRefused(DomainError):
    code = "ACCOUNT_STATE_REFUSED"
    status = 409
    message_ja = "この口座の状態ではその変更はできません。"


class ServiceRestricted(DomainError):
    code = "SERVICE_RESTRICTED"
    status = 403
    message_ja = "当行がご利用を制限しています。お取引店にお問い合わせください。"
