"""Claims errors: stable codes, Japanese and English messages."""

from __future__ import annotations

from kinko.errors import DomainError


class ClaimNotFound(DomainError):
    code = "CLAIM_NOT_FOUND"
    status = 404
    message_ja = "補てんのお申し出が見つかりません。"
    message_en = "Claim not found."


class ClaimStateError(DomainError):
    code = "CLAIM_STATE"
    status = 409
    message_ja = "このお申し出は現在の状態ではこの操作ができません。"
    message_en = "The claim is not in a state that allows this."


class InvalidClaim(DomainError):
    code = "CLAIM_INVALID"
    status = 422
    message_ja = "お申し出の内容に誤りがあります。"
    message_en = "The claim is not valid."


class TransactionAlreadyClaimed(DomainError):
    code = "CLAIM_TRANSACTION_CLAIMED"
    status = 409
    message_ja = "選択したお取引はすでに別のお申し出の対象です。"
    message_en = "A chosen transaction is already part of another claim."


class EvidenceChanged(DomainError):
    code = "CLAIM_EVIDENCE_CHANGED"
    status = 409
    message_ja = "承認依頼の後に事実関係が変わりました。あらためて依頼してください。"
    message_en = "The evidence changed after the request; ask for approval again."


class CapExceeded(DomainError):
    code = "CLAIM_CAP_EXCEEDED"
    status = 409
    message_ja = "年間の補てん限度額を超えるため支払えません。あらためて判定してください。"
    message_en = "Paying would exceed the annual cap; decide the claim again."
