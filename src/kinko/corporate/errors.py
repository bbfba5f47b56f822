"""Refusals of the business net: stable codes, Japanese and English messages."""

from __future__ import annotations

from kinko.errors import DomainError


class ServiceNotInContract(DomainError):
    code = "CORP_SERVICE_NOT_IN_CONTRACT"
    status = 403
    message_ja = "ご契約のコースではこのサービスはご利用いただけません。"


class ServiceNotGranted(DomainError):
    code = "CORP_SERVICE_NOT_GRANTED"
    status = 403
    message_ja = ("このサービスの利用権限がありません。"
                  "マスターユーザまたは管理者ユーザにご依頼ください。")


class AccountNotGranted(DomainError):
    code = "CORP_ACCOUNT_NOT_GRANTED"
    status = 403
    message_ja = "この口座の利用権限がありません。"


class TokenRequired(DomainError):
    code = "CORP_TOKEN_REQUIRED"
    status = 403
    message_ja = "お取引の前にワンタイムパスワード（トークン）の利用開始登録を行ってください。"


class ManagerOnly(DomainError):
    code = "CORP_MANAGER_ONLY"
    status = 403
    message_ja = "この操作はマスターユーザまたは管理者ユーザのみご利用いただけます。"


class UsageAccountRefused(DomainError):
    code = "CORP_USAGE_ACCOUNT_REFUSED"
    status = 422
    message_ja = "利用口座に登録できない口座です（契約者名義の当行口座に限ります）。"


class UserNotFound(DomainError):
    code = "CORP_USER_NOT_FOUND"
    status = 404
    message_ja = "利用者が見つかりません。"


class TransferApprovalNotFound(DomainError):
    code = "CORP_TRANSFER_APPROVAL_NOT_FOUND"
    status = 404
    message_ja = "承認待ちのお振込が見つかりません。"


class TransferApprovalStale(DomainError):
    code = "CORP_TRANSFER_APPROVAL_STALE"
    status = 409
    message_ja = ("このお振込は変更されたか、すでに処理されています。"
                  "最新の内容を確認してから承認してください。")


class TransferApprovalRefused(DomainError):
    code = "CORP_TRANSFER_APPROVAL_REFUSED"
    status = 403
    message_ja = "この承認はできません（作成者ご本人、同じ承認者、またはスマホ承認が必要です）。"


class TransferApprovalExpired(DomainError):
    code = "CORP_TRANSFER_APPROVAL_EXPIRED"
    status = 422
    message_ja = "承認期限を過ぎたため、このお振込は不成立となりました。"


class TokenApplicationRefused(DomainError):
    code = "CORP_TOKEN_APPLICATION_REFUSED"
    status = 422
    message_ja = "このお申込みはお受けできません。"
