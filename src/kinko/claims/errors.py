"""Claims errors: stable codes, Japanese and English messages."""

from __future__ import annotations

from kinko.errors import DomainError


class ClaimNotFound(DomainError):
    code = "CLAIM_NOT_FOUND"
    status = 404
    message_ja = "補てんのお申し出が見つかりません。"


class ClaimStateError(DomainError):
    code = "CLAIM_STATE"
    status = 409
    message_ja = "このお申し出は現在の状態ではこの操作ができません。"


class InvalidClaim(DomainError):
    code = "CLAIM_INVALID"
    status = 422
    message_ja = "お申し出の内容に誤りがあります。"


class TransactionAlreadyClaimed(DomainError):
    code = "CLAIM_TRANSACTION_CLAIMED"
    status = 409
    message_ja = "選択したお取引はすでに別のお申し出の対象です。"


class EvidenceChanged(DomainError):
    code = "CLAIM_EVIDENCE_CHANGED"
    status = 409
    message_ja = "承認依頼の後に事実関係が変わりました。あらためて依頼してください。"


class CapExceeded(DomainError):
    code = "CLAIM_CAP_EXCEEDED"
    status = 409
    message_ja = "年間の補てん限度額を超えるため支払えません。あらためて判定してください。"
