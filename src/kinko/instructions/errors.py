from kinko.errors import DomainError


class InstructionNotFound(DomainError):
    code = "INSTRUCTION_NOT_FOUND"
    status = 404
    message_ja = "お取引が見つかりません。"


class InstructionExpired(DomainError):
    code = "INSTRUCTION_EXPIRED"
    status = 409
    message_ja = "確認の期限を過ぎたため、このお取引は無効になりました。もう一度ご依頼ください。"


class InstructionNotOpen(DomainError):
    code = "INSTRUCTION_NOT_OPEN"
    status = 409
    message_ja = "このお取引はすでに確定・取消・無効のいずれかです。"


class StepUpRequired(DomainError):
    code = "STEP_UP_REQUIRED"
    status = 403
    message_ja = "このお取引には追加の認証（ワンタイムパスワード等）が必要です。"


class NotCancellable(DomainError):
    code = "INSTRUCTION_NOT_CANCELLABLE"
    status = 409
    message_ja = "このお取引は取消できません（当日扱いまたは振込指定日の当日以降）。"
