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
