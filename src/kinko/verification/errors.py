"""Errors of face verification (stable codes, Japanese and English messages)."""

from __future__ import annotations

from kinko.errors import DomainError


class UnreadableImage(DomainError):
    code = "VERIFICATION_UNREADABLE_IMAGE"
    status = 422
    message_ja = "画像を読み取れません。JPEG または PNG の写真をお使いください。"


class MatcherUnavailable(DomainError):
    code = "VERIFICATION_MATCHER_UNAVAILABLE"
    status = 503
    message_ja = "顔照合サービスに接続できません。しばらくしてからお試しください。"


class NoDocumentFace(DomainError):
    code = "VERIFICATION_NO_DOCUMENT_FACE"
    status = 409
    message_ja = ("口座開設時の本人確認書類の顔写真が登録されていません。"
                  "お取引店にお問い合わせください。")


class FaceNotFound(DomainError):
    code = "VERIFICATION_FACE_NOT_FOUND"
    status = 422
    message_ja = "写真に顔が見つかりません（または小さすぎます）。"


class NotAnIndividual(DomainError):
    code = "VERIFICATION_NOT_AN_INDIVIDUAL"
    status = 422
    message_ja = "ご利用者さま確認手続きは個人のお客さまが対象です。"


class CaseNotOpen(DomainError):
    code = "VERIFICATION_CASE_NOT_OPEN"
    status = 409
    message_ja = "この確認手続きは現在お受けできません。"


class VerificationRestricted(DomainError):
    code = "VERIFICATION_RESTRICTED"
    status = 403
    message_ja = ("ご利用者さま確認が取れるまで、このお取引はご利用いただけません。"
                  "本人確認書類を再提出してください。")
