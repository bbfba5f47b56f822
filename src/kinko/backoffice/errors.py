"""Back-office errors: stable codes, Japanese and English messages."""

from kinko.errors import DomainError


class OperatorNotAllowed(DomainError):
    code = "OPS_NOT_ALLOWED"
    status = 403
    message_ja = "この操作を行う権限がありません。"
    message_en = "You are not allowed to do this."


class FourEyesViolation(DomainError):
    code = "OPS_FOUR_EYES"
    status = 403
    message_ja = "依頼者本人は承認できません。別の行員の承認が必要です。"
    message_en = "The requester cannot approve their own request: a second operator must."


class ApprovalNotPending(DomainError):
    code = "OPS_APPROVAL_NOT_PENDING"
    status = 409
    message_ja = "この依頼はすでに処理済みか、期限切れです。"
    message_en = "This request was already decided or has expired."


class UnknownAction(DomainError):
    code = "OPS_UNKNOWN_ACTION"
    status = 422
    message_ja = "この操作は承認対象として登録されていません。"
    message_en = "This action is not a known approvable action."
