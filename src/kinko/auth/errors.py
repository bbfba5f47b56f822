"""Authentication errors: stable codes, Japanese and English messages, HTTP status.

Messages never say which factor was wrong or whether a login ID exists (AUTH-10): a wrong
password, an unknown user and a wrong OTP all read the same to the person typing.
"""

from __future__ import annotations

from kinko.errors import DomainError


class AuthError(DomainError):
    code = "AUTH_ERROR"
    status = 401
    message_ja = "認証できませんでした。"


class InvalidCredentials(AuthError):
    code = "AUTH_INVALID_CREDENTIALS"
    status = 401
    message_ja = "ご入力内容に誤りがあります。再度ご入力ください。"


class LockedOut(AuthError):
    code = "AUTH_LOCKED_OUT"
    status = 423
    message_ja = ("誤った入力が所定の回数連続したため、ご利用を一時停止しています。"
                  "しばらくしてから再度お試しください。")


class LockedUntilReleased(AuthError):
    code = "AUTH_LOCKED_UNTIL_RELEASED"
    status = 423
    message_ja = ("誤った入力が所定の回数連続したため、お取扱いを中止しました。"
                  "解除のお手続きは当行までお問い合わせください。")


class Blocked(AuthError):
    code = "AUTH_BLOCKED"
    status = 423
    message_ja = "ロックアウトが所定の回数連続したため、ご利用を停止しました（利用閉塞）。"


class TooManyAttempts(AuthError):
    """Throttled (kinko.auth.throttle): answered 429 with Retry-After; nothing was checked."""

    code = "AUTH_TOO_MANY_ATTEMPTS"
    status = 429
    message_ja = ("短時間に誤った入力が続いたため、受付を一時的に制限しています。"
                  "しばらくしてから再度お試しください。")

    @property
    def retry_after(self) -> int:
        """Seconds until attempts are accepted again (the Retry-After header)."""
        value = self.extra.get("retry_after", 1)
        return max(1, int(value)) if isinstance(value, int | float) else 1


class Suspended(AuthError):
    code = "AUTH_SUSPENDED"
    status = 403
    message_ja = "現在ご利用を停止しています。当行までお問い合わせください。"


class SessionExpired(AuthError):
    code = "AUTH_SESSION_EXPIRED"
    status = 401
    message_ja = "一定時間が経過したため、ログアウトしました。再度ログインしてください。"


class ScopeNotAllowed(AuthError):
    code = "AUTH_SCOPE_NOT_ALLOWED"
    status = 403
    message_ja = "お手続きを完了してからご利用ください。"


class StepUpRequired(AuthError):
    code = "AUTH_STEP_UP_REQUIRED"
    status = 403
    message_ja = "このお取引には追加の認証が必要です。"


class PasswordRejected(AuthError):
    code = "AUTH_PASSWORD_REJECTED"
    status = 422
    message_ja = "このパスワードはご利用いただけません。"

    def for_customer(self, lang: str = "ja") -> str:
        # The reasons tell the customer what to change; they are written for customers.
        key = "reasons_ja" if lang == "ja" else "reasons_en"
        reasons = self.extra.get(key)
        base = super().for_customer(lang)
        return f"{base} {' '.join(map(str, reasons))}" if isinstance(reasons, list) else base


class LoginIdRejected(AuthError):
    code = "AUTH_LOGIN_ID_REJECTED"
    status = 422
    message_ja = "このIDはご利用いただけません。"


class OldPasswordMismatch(AuthError):
    code = "AUTH_OLD_PASSWORD_MISMATCH"
    status = 422
    message_ja = "現在のパスワードが正しくありません。"


class ChallengeInvalid(AuthError):
    code = "AUTH_CHALLENGE_INVALID"
    status = 422
    message_ja = "確認の有効期限が切れたか、すでに使用されています。最初からやり直してください。"


class ConfirmationCodeMismatch(AuthError):
    code = "AUTH_CONFIRMATION_CODE_MISMATCH"
    status = 401
    message_ja = ("確認コードが正しくないか、有効期限が切れています。"
                  "新しい確認コードを入力してください。")


class TokenStateError(AuthError):
    code = "AUTH_TOKEN_STATE"
    status = 409
    message_ja = "トークンの状態によりこのお手続きはできません。"


class FactorNotAvailable(AuthError):
    code = "AUTH_FACTOR_NOT_AVAILABLE"
    status = 409
    message_ja = "この認証手段はご利用いただけません。"


class WebhookRejected(AuthError):
    code = "AUTH_WEBHOOK_REJECTED"
    status = 401
    message_ja = "通知の署名を確認できませんでした。"


class CertificateRejected(AuthError):
    code = "AUTH_CERTIFICATE_REJECTED"
    status = 401
    message_ja = "電子証明書を確認できませんでした。"


class UserNotFound(AuthError):
    """For operator and internal use only: customers get InvalidCredentials instead."""

    code = "AUTH_USER_NOT_FOUND"
    status = 404
    message_ja = "利用者が見つかりません。"
