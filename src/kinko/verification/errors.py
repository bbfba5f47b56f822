"""Errors of face verification (stable codes, Japanese and English messages)."""

from __future__ import annotations

from kinko.errors import DomainError


class UnreadableImage(DomainError):
    code = "VERIFICATION_UNREADABLE_IMAGE"
    status = 422
    message_ja = "画像を読み取れません。JPEG または PNG の写真をお使いください。"
    message_en = "The image cannot be read. Use a JPEG or PNG photo."


class MatcherUnavailable(DomainError):
    code = "VERIFICATION_MATCHER_UNAVAILABLE"
    status = 503
    message_ja = "顔照合サービスに接続できません。しばらくしてからお試しください。"
    message_en = "The face matching service cannot be reached. Please try again later."
