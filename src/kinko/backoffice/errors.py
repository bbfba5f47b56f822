"""Back-office errors: stable codes, Japanese and English messages."""

from kinko.errors import DomainError


class OperatorNotAllowed(DomainError):
    code = "OPS_NOT_ALLOWED"
    status = 403
    message_ja = "この操作を行う権限がありません。"


class FourEyesViolation(DomainError):
    code = "OPS_FOUR_EYES"
    status = 403
    message_ja = "依頼者本人は承認できません。別の行員の承認が必要です。"


class ApprovalNotPending(DomainError):
    code = "OPS_APPROVAL_NOT_PENDING"
    status = 409
    message_ja = "この依頼はすでに処理済みか、期限切れです。"


class UnknownAction(DomainError):
    code = "OPS_UNKNOWN_ACTION"
    status = 422
    message_ja = "この操作は承認対象として登録されていません。"
