"""E-mail notices of business-net approvals (NOTIF-1): every step of a transfer's approval
and every token application is mailed."""

from __future__ import annotations

from kinko.notifications.templates import MailTemplate, register_template

_JA = ("受付番号：{{ reference }}\n振込指定日：{{ value_date }}\n金額：{{ amount|yen }}\n"
       "手数料：{{ fee|yen }}\n")
_EN = ("Reference: {{ reference }}\nValue date: {{ value_date }}\nAmount: {{ amount|yen_en }}\n"
       "Fee: {{ fee|yen_en }}\n")
_REASON_JA = "{% if reason is defined %}理由：{{ reason }}\n{% endif %}"
_REASON_EN = "{% if reason is defined %}Reason: {{ reason }}\n{% endif %}"

for name, sja, sen, bja, ben in (
    ("corporate.transfer_waiting", "お振込を受け付けました（承認待ち）",
     "Transfer received (waiting for approval)",
     "以下のお振込を受け付けました。承認者の承認後に実行します。",
     "The transfer below was received; it runs once approved."),
    ("corporate.transfer_approval_step", "お振込が承認されました（{{ step }}）",
     "Transfer approved ({{ step }})", "以下のお振込が承認されました（{{ step }}）。",
     "The transfer below was approved ({{ step }})."),
    ("corporate.transfer_approved", "お振込の承認が完了しました", "Transfer fully approved",
     "以下のお振込はすべての承認を得ました。振込指定日に実行します。",
     "The transfer below has every approval and runs on its value date."),
    ("corporate.transfer_rejected", "お振込が差し戻されました", "Transfer rejected",
     "以下のお振込は承認者により差し戻されました（取消）。",
     "An approver rejected the transfer below; it was cancelled."),
    ("corporate.transfer_withdrawn", "お振込を取り下げました", "Transfer withdrawn",
     "以下のお振込を承認前に取り下げました。", "The transfer below was withdrawn before approval."),
    ("corporate.transfer_expired", "お振込が承認期限切れとなりました", "Transfer expired",
     "以下のお振込は承認期限までに承認が完了しなかったため不成立となりました。",
     "The transfer below was not approved by its cutoff and was not made."),
):
    register_template(name, MailTemplate(sja, sen, bja + "\n\n" + _JA + _REASON_JA,
                                         ben + "\n\n" + _EN + _REASON_EN))

for name, sja, sen, bja, ben in (
    ("corporate.token_applied", "トークンのお申込みを受け付けました",
     "Token application received",
     "以下のお申込みを受け付けました。当行での手続き完了後にご案内します。",
     "The application below was received; we will tell you when the bank has processed it."),
    ("corporate.token_application_done", "トークンのお申込みの手続きが完了しました",
     "Token application processed",
     "以下のお申込みの手続きが完了しました。新しいトークンの利用開始登録を行ってください。",
     "The application below was processed. Register your new token before transacting."),
):
    register_template(name, MailTemplate(
        sja, sen, bja + "\n\n受付番号：{{ reference }}\n内容：{{ what_ja }}\n",
        ben + "\n\nReference: {{ reference }}\nApplication: {{ what_en }}\n"))
