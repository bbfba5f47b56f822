"""Refusals of the business net: stable codes, Japanese and English messages."""

from __future__ import annotations

from kinko.errors import DomainError


class ServiceNotInContract(DomainError):
    code = "CORP_SERVICE_NOT_IN_CONTRACT"
    status = 403
    message_ja = "ご契約のコースではこのサービスはご利用いただけません。"
    message_en = "Your contract's course does not include this service."


class ServiceNotGranted(DomainError):
    code = "CORP_SERVICE_NOT_GRANTED"
    status = 403
    message_ja = ("このサービスの利用権限がありません。"
                  "マスターユーザまたは管理者ユーザにご依頼ください。")
    message_en = "You have not been granted this service. Ask the master or an admin user."


class AccountNotGranted(DomainError):
    code = "CORP_ACCOUNT_NOT_GRANTED"
    status = 403
    message_ja = "この口座の利用権限がありません。"
    message_en = "You have not been granted this account."


class TokenRequired(DomainError):
    code = "CORP_TOKEN_REQUIRED"
    status = 403
    message_ja = "お取引の前にワンタイムパスワード（トークン）の利用開始登録を行ってください。"
    message_en = "Register your one-time password token before making transactions."


class ManagerOnly(DomainError):
    code = "CORP_MANAGER_ONLY"
    status = 403
    message_ja = "この操作はマスターユーザまたは管理者ユーザのみご利用いただけます。"
    message_en = "Only the master user or an admin user may do this."


class UsageAccountRefused(DomainError):
    code = "CORP_USAGE_ACCOUNT_REFUSED"
    status = 422
    message_ja = "利用口座に登録できない口座です（契約者名義の当行口座に限ります）。"
    message_en = "This account cannot be a usage account (the contractor's own, at this bank)."


class UserNotFound(DomainError):
    code = "CORP_USER_NOT_FOUND"
    status = 404
    message_ja = "利用者が見つかりません。"
    message_en = "No such user."


class TransferApprovalNotFound(DomainError):
    code = "CORP_TRANSFER_APPROVAL_NOT_FOUND"
    status = 404
    message_ja = "承認待ちのお振込が見つかりません。"
    message_en = "No such transfer waiting for approval."


class TransferApprovalStale(DomainError):
    code = "CORP_TRANSFER_APPROVAL_STALE"
    status = 409
    message_ja = ("このお振込は変更されたか、すでに処理されています。"
                  "最新の内容を確認してから承認してください。")
    message_en = ("This transfer was changed or already processed. Check the current details "
                  "before approving.")


class TransferApprovalRefused(DomainError):
    code = "CORP_TRANSFER_APPROVAL_REFUSED"
    status = 403
    message_ja = "この承認はできません（作成者ご本人、同じ承認者、またはスマホ承認が必要です）。"
    message_en = ("You cannot give this approval (the maker, the same approver twice, or a "
                  "smartphone approval is required).")


class TransferApprovalExpired(DomainError):
    code = "CORP_TRANSFER_APPROVAL_EXPIRED"
    status = 422
    message_ja = "承認期限を過ぎたため、このお振込は不成立となりました。"
    message_en = "The approval cutoff has passed; this transfer was not made."


class TokenApplicationRefused(DomainError):
    code = "CORP_TOKEN_APPLICATION_REFUSED"
    status = 422
    message_ja = "このお申込みはお受けできません。"
    message_en = "This application cannot be accepted."
