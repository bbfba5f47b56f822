"""Typed domain errors with stable codes and Japanese/English messages.

A class names its message in Japanese (``message_ja``); its English (``message_en``) is the
message catalogue's entry ``msgctxt "error.CODE"`` / ``msgid`` the Japanese (kinko.catalogue).

A domain error carries its HTTP status; the web layer renders it once as RFC 9457
problem+json (API) or as a message beside the field (pages); the CLI prints it and exits 1.
"""

from __future__ import annotations

from typing import Any, ClassVar

from kinko import catalogue


class _English:
    """``message_en`` of an error class: the catalogue's English for its Japanese, under the
    context ``error.CODE`` (a class without an entry says its Japanese; a test finds it)."""

    def __get__(self, obj: object, owner: type[DomainError]) -> str:
        return catalogue.tr("en", owner.message_ja, f"error.{owner.code}")


class DomainError(Exception):
    code: ClassVar[str] = "KINKO_ERROR"
    status: ClassVar[int] = 400
    message_ja: ClassVar[str] = "処理できませんでした。"
    message_en = _English()

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail
        self.extra = extra
        super().__init__(self.describe())

    def describe(self, lang: str = "en") -> str:
        base = self.message_ja if lang == "ja" else self.message_en
        return f"{base} ({self.detail})" if self.detail else base

    def for_customer(self, lang: str = "ja") -> str:
        """The message a page shows: never ``detail``, which is for logs and API clients and
        may name internal ids ("account 9") or untranslated reasons."""
        return self.message_ja if lang == "ja" else self.message_en

    def to_problem(self, lang: str = "ja") -> dict[str, Any]:
        problem: dict[str, Any] = {
            "type": f"https://kinko.example/problems/{self.code.lower().replace('_', '-')}",
            "title": self.message_ja if lang == "ja" else self.message_en,
            "status": self.status,
            "code": self.code,
            "message_ja": self.message_ja,
            "message_en": self.message_en,
        }
        if self.detail:
            problem["detail"] = self.detail
        problem.update(self.extra)
        return problem


class NotFound(DomainError):
    code = "NOT_FOUND"
    status = 404
    message_ja = "見つかりません。"


class Conflict(DomainError):
    code = "CONFLICT"
    status = 409
    message_ja = "他の処理と競合しました。"


class IdempotencyMismatch(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"
    status = 422
    message_ja = "同じ冪等キーで異なる内容の依頼が送信されました。"


class ValidationFailed(DomainError):
    code = "VALIDATION_FAILED"
    status = 422
    message_ja = "入力内容に誤りがあります。"
