"""Party errors (PRD-5, OVS-1): stable codes, Japanese and English messages."""

from kinko.errors import DomainError


class CustomerNotFound(DomainError):
    code = "CUSTOMER_NOT_FOUND"
    status = 404
    message_ja = "お客さまの情報が見つかりません。"


class InvalidResidencyChange(DomainError):
    code = "RESIDENCY_CHANGE_INVALID"
    status = 422
    message_ja = "居住者・非居住者の変更内容が正しくありません。"


class NotAllowedForNonResident(DomainError):
    code = "NON_RESIDENT_NOT_ALLOWED"
    status = 403
    message_ja = "非居住者のお客さまは、このお取引をご利用いただけません。"


class InvalidCountryCode(DomainError):
    code = "ACCESS_INVALID_COUNTRY"
    status = 422
    message_ja = "国コードが正しくありません（ISO 3166 の英大文字2文字）。"


class UseFromAbroadRefused(DomainError):
    code = "ACCESS_FROM_ABROAD_REFUSED"
    status = 403
    message_ja = "海外からはこのお取引をご利用いただけません。"
