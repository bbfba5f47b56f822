"""The words for the codes a page shows: an account type, a state, an instruction's kind or
status, an operator action, an error code — in Japanese and English, keyed by message id.

They live in the one message catalogue, ``messages.po`` (``kinko.web.i18n``), as entries whose
context (``msgctxt``) is the message id: ``msgctxt "account_type.ordinary"``, ``msgid "普通預金"``,
``msgstr "Ordinary deposit"``. Templates call ``m("account_type.ordinary")`` (or
``label("account_type", value)``); a code with no entry is shown as a neutral dash, never raw,
and the page test finds none missing.

A new code may be added to :data:`CATALOGUE` below as ``"id": ("日本語", "English")``: it is
shown at once, and ``scripts/catalogue-extract`` moves it into messages.po (docs/messages.md).
"""

from __future__ import annotations

import re
from functools import cache

from kinko.errors import DomainError
from kinko.web.i18n import english

CATALOGUE: dict[str, tuple[str, str]] = {
    # 預金種目 (ledger AccountType; the payee's account_type uses the same words)
    "account_type.ordinary": ("普通預金", "Ordinary deposit"),
    "account_type.checking": ("当座預金", "Checking account"),
    "account_type.savings": ("貯蓄預金", "Savings deposit"),
    "account_type.time": ("定期預金", "Time deposit"),
    # 口座の状態 (ledger AccountState)
    "account_state.active": ("ご利用中", "In use"),
    "account_state.payment_stopped": ("お支払停止中", "Payments stopped"),
    "account_state.deposit_stopped": ("ご入金停止中", "Deposits stopped"),
    "account_state.seized": ("差押中", "Seized"),
    "account_state.closed": ("解約済", "Closed"),
    # お取引の状況 (InstructionStatus)
    "instruction_status.entered": ("未確定", "Not confirmed"),
    "instruction_status.accepted": ("予約中", "Scheduled"),
    "instruction_status.executed": ("実行済", "Executed"),
    "instruction_status.not_established": ("不成立", "Not established"),
    "instruction_status.void": ("無効", "Void"),
    "instruction_status.cancelled": ("取消済", "Cancelled"),
    "instruction_status.returned": ("返却", "Returned"),
    "instruction_status.recalled": ("組戻済", "Recalled"),
    # お取引の種類 (Instruction.kind)
    "instruction_kind.transfer": ("振込・振替", "Transfer"),
    "instruction_kind.payeasy": ("ペイジー払込", "Pay-easy payment"),
    "instruction_kind.time_deposit": ("定期預金の作成", "Time deposit opening"),
    "instruction_kind.time_deposit_cancel": ("定期預金の中途解約", "Time deposit cancellation"),
    # why an instruction ended without moving money (Instruction.reason_code)
    "instruction_reason.DISCARDED": ("お客さまが破棄しました", "Discarded by you"),
    "instruction_reason.DEADLINE_PASSED": ("確認期限を過ぎました",
                                           "The confirmation deadline passed"),
    "instruction_reason.INSUFFICIENT_FUNDS": ("お引出し可能額の不足", "Insufficient funds"),
    "instruction_reason.ACCOUNT_NOT_USABLE": ("口座がご利用いただけません",
                                              "The account cannot be used"),
    "instruction_reason.PAYEE_ACCOUNT_NOT_FOUND": ("入金先口座が確認できません",
                                                   "The payee account cannot be credited"),
    "instruction_reason.CANCELLED_BY_CUSTOMER": ("お客さまによる取消", "Cancelled by you"),
    # 定期預金 (DepositState)
    "deposit_state.active": ("お預け入れ中", "Active"),
    "deposit_state.matured": ("満期払戻済", "Matured and paid out"),
    "deposit_state.cancelled": ("中途解約済", "Cancelled early"),
    # デビットカード (debitcards CardState)
    "debit_card_state.active": ("ご利用中", "Active"),
    "debit_card_state.cancelled": ("解除済", "Cancelled"),
    # --- what a form says when a choice or a field cannot be read ---
    "form.check_account_date": ("口座・日付の入力内容をご確認ください。",
                                "Please check the account and the date."),
    "form.check_account_term": ("口座・期間をご確認ください。",
                                "Please check the account and the term."),
    "form.choose_account": ("口座をお選びください。", "Please choose the account."),
    # --- the operator console ---
    "operator_action.auth.release_lock": ("ロックアウト・利用閉塞の解除",
                                          "Release a lockout or block"),
    "operator_action.auth.resume_service": ("ご利用の再開", "Resume the service"),
    "operator_action.auth.reset_password": ("パスワードの再発行", "Reissue a temporary password"),
    "operator_action.auth.reissue_token_lost": ("トークン再発行（紛失）",
                                                "Reissue the token: lost"),
    "operator_action.auth.reissue_token_expiry": ("トークン再発行（有効期限）",
                                                  "Reissue the token: expiry"),
    "operator_action.auth.reissue_token_defect": ("トークン再発行（故障）",
                                                  "Reissue the token: defect"),
    # four-eyes actions of the other domains (kinko.backoffice.actions and register_action)
    "operator_action.backoffice.create_operator": ("行員の登録", "Create an operator"),
    "operator_action.backoffice.grant_role": ("権限の付与", "Grant a role"),
    "operator_action.backoffice.revoke_role": ("権限の取消", "Revoke a role"),
    "operator_action.backoffice.deactivate_operator": ("行員の無効化", "Deactivate an operator"),
    "operator_action.backoffice.reset_operator": ("行員の認証情報の再発行",
                                                  "Reissue an operator's credentials"),
    "operator_action.backoffice.release_operator_lock": ("行員のロック解除",
                                                         "Release an operator's lockout"),
    "operator_action.policy.change": ("ポリシーの変更", "Change the bank policy"),
    "operator_action.claims.decide": ("補償の決定", "Decide a compensation claim"),
    "operator_action.claims.pay": ("補償金の支払", "Pay a compensation claim"),
    "operator_action.verification.override": ("本人確認結果の変更",
                                              "Override a verification result"),
    "operator_action.ledger.account_state": ("口座の状態の変更", "Change an account's state"),
    "operator_action.contract.lift_restriction": ("契約の利用制限の解除",
                                                  "Lift a contract's restriction"),
    "operator_action.token.reissue_by_post": ("トークンの郵送再発行",
                                              "Reissue a token by post"),
    "operator_action.corporate.token_application": ("トークン切替・スマホ利用解除の手続き",
                                                    "Carry out a token application"),
    "subject_type.auth_user": ("利用者", "User"),
    "subject_type.token_application": ("トークンのお申込み", "Token application"),
    "subject_type.compromise_report": ("紛失・盗難の届出", "Compromise report"),
    "subject_type.operator": ("オペレーター", "Operator"),
    "subject_type.policy": ("ポリシー", "Policy"),
    "subject_type.claim": ("補償請求", "Compensation claim"),
    "subject_type.verification_case": ("本人確認の審査", "Verification case"),
    "subject_type.auth_contract": ("契約", "Contract"),
    "subject_type.account": ("口座", "Account"),
    "operator_state.active": ("有効", "Active"),
    "operator_state.locked": ("ロック中", "Locked out"),
    "operator_state.initial_password": ("初期パスワード", "Initial password"),
    "operator_state.deactivated": ("無効", "Deactivated"),
    "operator_done.requested": ("承認を依頼しました", "Sent for approval"),
    "operator_done.executed": ("承認し、実行しました", "Approved and carried out"),
    "operator_done.rejected": ("却下しました", "Rejected"),
    "operator_done.cancelled": ("取り下げました", "Withdrawn"),
    "operator_done.reported": ("届出を受け付け、ご利用を停止しました",
                               "Report recorded; the service is stopped"),
    "operator_role.teller": ("窓口担当", "Teller"),
    "operator_role.security": ("セキュリティ担当", "Security officer"),
    "operator_role.claims": ("補償審査担当", "Claims officer"),
    "operator_role.kyc_reviewer": ("本人確認審査担当", "KYC reviewer"),
    "operator_role.policy_admin": ("ポリシー管理者", "Policy administrator"),
    "operator_role.auditor": ("監査担当", "Auditor"),
    "operator_role.supervisor": ("監督者", "Supervisor"),
    "product.retail-001": ("個人（会員番号・カード）", "Retail (member number, card)"),
    "product.retail-003": ("個人（ユーザID・トークン）", "Retail (user ID, token)"),
    "product.corporate-002": ("法人（ビジネスネット）", "Business net"),
    "user_role.holder": ("ご本人", "Account holder"),
    "user_role.master": ("マスターユーザ", "Master user"),
    "user_role.admin": ("管理者ユーザ", "Admin user"),
    "user_role.general": ("一般ユーザ", "General user"),
    "user_state.active": ("ご利用中", "Active"),
    "user_state.locked": ("ロックアウト中", "Locked out"),
    "user_state.blocked": ("利用閉塞", "Blocked"),
    "user_state.suspended": ("ご利用停止中", "Suspended"),
    "contract_state.active": ("ご利用中", "Active"),
    "contract_state.suspended": ("停止中", "Suspended"),
    "contract_state.terminated": ("解約済", "Terminated"),
    "compromise_scope.user": ("この利用者", "This user"),
    "compromise_scope.contract": ("契約の全利用者", "Every user of the contract"),
    "credential.password": ("パスワード（他人に知られた）", "Password (someone else knows it)"),
    "credential.token": ("トークン・スマートフォン", "Token or smartphone"),
    "credential.card": ("お取引確認番号カード", "Confirmation-number card"),
    "credential.certificate": ("電子証明書を入れたパソコン", "PC with the client certificate"),
    "credential.device": ("承認用スマートフォン", "Approval smartphone"),
    "credential.other": ("その他・不正利用の疑い", "Other, or suspected misuse"),
    # why a user is stopped (AuthUser.state_reason, when it is a code)
    "compromise_reason.password": ("紛失・盗難の届出（パスワード）",
                                   "Compromise report: password"),
    "compromise_reason.token": ("紛失・盗難の届出（トークン・スマートフォン）",
                                "Compromise report: token or smartphone"),
    "compromise_reason.card": ("紛失・盗難の届出（お取引確認番号カード）",
                               "Compromise report: confirmation-number card"),
    "compromise_reason.certificate": ("紛失・盗難の届出（電子証明書）",
                                      "Compromise report: client certificate"),
    "compromise_reason.device": ("紛失・盗難の届出（承認用スマートフォン）",
                                 "Compromise report: approval smartphone"),
    "compromise_reason.other": ("紛失・盗難の届出（その他）", "Compromise report: other"),
    "state_reason.contract_suspended": ("契約の管理者による停止",
                                        "Suspended by the contract's administrator"),
}

_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,59}$")


@cache
def codes() -> dict[str, tuple[str, str]]:
    """Message id → (Japanese, English): the catalogue's entries whose context is an id
    (``group.code``, with a dot: the contexts that tell two meanings of a sentence apart have
    none), and any not yet moved there from :data:`CATALOGUE`."""
    found = {ctx: (ja, en) for (ctx, ja), en in english().items() if ctx and "." in ctx}
    return {**found, **CATALOGUE}


def m(lang: str, message_id: str) -> str:
    """The catalogue's text for ``message_id`` in ``lang``; a dash if there is none."""
    found = codes().get(message_id)
    if found is None:
        return "—"
    return found[1] if lang == "en" else found[0]


def label(lang: str, group: str, value: object) -> str:
    """The words for one code of a group (``label(lang, "account_type", "ordinary")``)."""
    raw = getattr(value, "value", value)
    return m(lang, f"{group}.{raw}")


def _error_classes() -> dict[str, type[DomainError]]:
    found: dict[str, type[DomainError]] = {}
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


def message_for(code: str | None, lang: str) -> str | None:
    """The customer's message for an error code carried across a redirect (``?error=``)."""
    if not code or not _CODE.match(code):
        return None
    cls = _error_classes().get(code, DomainError)
    return cls.message_en if lang == "en" else cls.message_ja
