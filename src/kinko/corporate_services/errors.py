"""Errors of the corporate services, each with a stable code and both languages."""

from __future__ import annotations

from kinko.errors import DomainError


class NotCorporate(DomainError):
    code = "CORPORATE_CONTRACT_REQUIRED"
    status = 403
    message_ja = "法人向けサービスのご契約がありません。"


class ServiceNotContracted(DomainError):
    code = "CORPORATE_SERVICE_NOT_CONTRACTED"
    status = 403
    message_ja = "このサービスはご契約のコースではご利用いただけません。"


class BadPeriod(DomainError):
    code = "STATEMENT_PERIOD_INVALID"
    status = 422
    message_ja = "照会期間が正しくありません。"


class AgreementNotFound(DomainError):
    code = "DD_AGREEMENT_NOT_FOUND"
    status = 404
    message_ja = "口座振替・代金回収のご契約が見つかりません。"


class BatchNotFound(DomainError):
    code = "DD_BATCH_NOT_FOUND"
    status = 404
    message_ja = "口座振替の依頼が見つかりません。"


class BatchNotReady(DomainError):
    code = "DD_BATCH_NOT_READY"
    status = 409
    message_ja = "振替結果はまだご利用いただけません。"


class CutoffPassed(DomainError):
    code = "DD_CUTOFF_PASSED"
    status = 409
    message_ja = "受付時限を過ぎているため、取消できません。"


class FileTooLarge(DomainError):
    code = "UPLOAD_TOO_LARGE"
    status = 413
    message_ja = "ファイルが大きすぎます。"


class DocumentNotFound(DomainError):
    code = "DOCUMENT_NOT_FOUND"
    status = 404
    message_ja = "帳票が見つかりません（保存期間を過ぎた帳票は表示されません）。"


class TaxRequestInvalid(DomainError):
    code = "LOCAL_TAX_REQUEST_INVALID"
    status = 422
    message_ja = "地方税納付の内容に誤りがあります。"


class PaymentNotFound(DomainError):
    code = "LOCAL_TAX_PAYMENT_NOT_FOUND"
    status = 404
    message_ja = "地方税の納付が見つかりません。"


class ReceiptNotYet(DomainError):
    code = "LOCAL_TAX_RECEIPT_NOT_YET"
    status = 409
    message_ja = "領収証書は納付日の翌営業日から発行されます。"


class CandidateNotFound(DomainError):
    code = "TERMINATION_CANDIDATE_NOT_FOUND"
    status = 404
    message_ja = "対象の契約が見つからないか、処理済みです。"


class MandateInvalid(DomainError):
    code = "DD_MANDATE_INVALID"
    status = 422
    message_ja = "預金口座振替依頼書の内容に誤りがあります。"


class MandateExists(DomainError):
    code = "DD_MANDATE_EXISTS"
    status = 409
    message_ja = "この口座の預金口座振替依頼書は登録済みです。"


class MandateNotFound(DomainError):
    code = "DD_MANDATE_NOT_FOUND"
    status = 404
    message_ja = "預金口座振替依頼書が見つかりません。"
