"""Refusals of bulk and payroll requests: stable codes, Japanese and English messages."""

from __future__ import annotations

from typing import Any

from kinko.errors import DomainError


class BulkFileRefused(DomainError):
    """A file or form with errors: every problem names its line; nothing is kept."""

    code = "BULK_FILE_REFUSED"
    status = 422
    message_ja = "ファイルまたは入力内容に誤りがあります。行ごとの誤りをご確認ください。"

    def __init__(self, problems: list[dict[str, Any]], detail: str | None = None) -> None:
        super().__init__(detail or f"{len(problems)} problem(s)", problems=problems[:1000])
        self.problems = problems

    def to_problem(self, lang: str = "ja") -> dict[str, Any]:
        body = super().to_problem(lang)
        body["problems"] = self.problems[:1000]
        body["problem_count"] = len(self.problems)
        return body


class BulkNotFound(DomainError):
    code = "BULK_NOT_FOUND"
    status = 404
    message_ja = "ご依頼が見つかりません。"


class BulkCutoffPassed(DomainError):
    code = "BULK_CUTOFF_PASSED"
    status = 422
    message_ja = "受付時限を過ぎています。"


class ApprovalNotAllowed(DomainError):
    code = "BULK_APPROVAL_NOT_ALLOWED"
    status = 403
    message_ja = "この承認はできません（依頼者本人、同じ承認者、またはスマホ承認が必要です）。"


class ApprovalStale(DomainError):
    code = "BULK_APPROVAL_STALE"
    status = 409
    message_ja = "ご依頼の内容または状態が変わりました。最新の内容をご確認ください。"


class NotCancellable(DomainError):
    code = "BULK_NOT_CANCELLABLE"
    status = 409
    message_ja = "このご依頼は取消できません。"


class NotRecallable(DomainError):
    """A recall (組戻) after execution has started is for a running or finished request and
    for lines that are its own."""

    code = "BULK_NOT_RECALLABLE"
    status = 409
    message_ja = "このご依頼・明細は組戻できません。"
