"""Errors of the corporate services, each with a stable code and both languages."""

from __future__ import annotations

from kinko.errors import DomainError


class NotCorporate(DomainError):
    code = "CORPORATE_CONTRACT_REQUIRED"
    status = 403
    message_ja = "法人向けサービスのご契約がありません。"
    message_en = "This service needs an active corporate business net contract."


class ServiceNotContracted(DomainError):
    code = "CORPORATE_SERVICE_NOT_CONTRACTED"
    status = 403
    message_ja = "このサービスはご契約のコースではご利用いただけません。"
    message_en = "This service is not part of the contract's course."


class BadPeriod(DomainError):
    code = "STATEMENT_PERIOD_INVALID"
    status = 422
    message_ja = "照会期間が正しくありません。"
    message_en = "The period is not valid."


class AgreementNotFound(DomainError):
    code = "DD_AGREEMENT_NOT_FOUND"
    status = 404
    message_ja = "口座振替・代金回収のご契約が見つかりません。"
    message_en = "No direct debit or collection agreement was found."


class BatchNotFound(DomainError):
    code = "DD_BATCH_NOT_FOUND"
    status = 404
    message_ja = "口座振替の依頼が見つかりません。"
    message_en = "The direct debit request was not found."


class BatchNotReady(DomainError):
    code = "DD_BATCH_NOT_READY"
    status = 409
    message_ja = "振替結果はまだご利用いただけません。"
    message_en = "The result is not available yet."


class CutoffPassed(DomainError):
    code = "DD_CUTOFF_PASSED"
    status = 409
    message_ja = "受付時限を過ぎているため、取消できません。"
    message_en = "The cutoff has passed; the request can no longer be cancelled."


class FileTooLarge(DomainError):
    code = "UPLOAD_TOO_LARGE"
    status = 413
    message_ja = "ファイルが大きすぎます。"
    message_en = "The file is too large."


class DocumentNotFound(DomainError):
    code = "DOCUMENT_NOT_FOUND"
    status = 404
    message_ja = "帳票が見つかりません（保存期間を過ぎた帳票は表示されません）。"
    message_en = "The document was not found (documents past the retention period are removed)."


class TaxRequestInvalid(DomainError):
    code = "LOCAL_TAX_REQUEST_INVALID"
    status = 422
    message_ja = "地方税納付の内容に誤りがあります。"
    message_en = "The local tax request has errors."


class PaymentNotFound(DomainError):
    code = "LOCAL_TAX_PAYMENT_NOT_FOUND"
    status = 404
    message_ja = "地方税の納付が見つかりません。"
    message_en = "The local tax payment was not found."


class ReceiptNotYet(DomainError):
    code = "LOCAL_TAX_RECEIPT_NOT_YET"
    status = 409
    message_ja = "領収証書は納付日の翌営業日から発行されます。"
    message_en = "Receipts are issued from the business day after payment."


class CandidateNotFound(DomainError):
    code = "TERMINATION_CANDIDATE_NOT_FOUND"
    status = 404
    message_ja = "対象の契約が見つからないか、処理済みです。"
    message_en = "The candidate was not found or has been decided."


class MandateInvalid(DomainError):
    code = "DD_MANDATE_INVALID"
    status = 422
    message_ja = "預金口座振替依頼書の内容に誤りがあります。"
    message_en = "The direct debit authorisation has errors."


class MandateExists(DomainError):
    code = "DD_MANDATE_EXISTS"
    status = 409
    message_ja = "この口座の預金口座振替依頼書は登録済みです。"
    message_en = "An authorisation for this account is already registered."


class MandateNotFound(DomainError):
    code = "DD_MANDATE_NOT_FOUND"
    status = 404
    message_ja = "預金口座振替依頼書が見つかりません。"
    message_en = "The direct debit authorisation was not found."
