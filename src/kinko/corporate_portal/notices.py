"""E-mail notices of business-net approvals (NOTIF-1): every step of a transfer's approval
and every token application is mailed. Written in Japanese; the English is the catalogue's."""

from __future__ import annotations

from kinko.notifications.templates import REASON, MailTemplate, line, register_template, sentence

_DETAILS = (line("受付番号：{reference}", reference="reference")
            + line("振込指定日：{value_date}", value_date="value_date")
            + line("金額：{amount}", amount="amount|yen")
            + line("手数料：{fee}", fee="fee|yen")
            + "{% if reason is defined %}" + REASON + "{% endif %}")

for name, subject, text in (
    ("corporate.transfer_waiting", "お振込を受け付けました（承認待ち）",
     "以下のお振込を受け付けました。承認者の承認後に実行します。"),
    ("corporate.transfer_approved", "お振込の承認が完了しました",
     "以下のお振込はすべての承認を得ました。振込指定日に実行します。"),
    ("corporate.transfer_rejected", "お振込が差し戻されました",
     "以下のお振込は承認者により差し戻されました（取消）。"),
    ("corporate.transfer_withdrawn", "お振込を取り下げました",
     "以下のお振込を承認前に取り下げました。"),
    ("corporate.transfer_expired", "お振込が承認期限切れとなりました",
     "以下のお振込は承認期限までに承認が完了しなかったため不成立となりました。"),
):
    register_template(name, MailTemplate(sentence(subject),
                                         sentence(text) + "\n\n" + _DETAILS))

register_template("corporate.transfer_approval_step", MailTemplate(
    sentence("お振込が承認されました（{step}）", step="step"),
    sentence("以下のお振込が承認されました（{step}）。", step="step") + "\n\n" + _DETAILS))

for name, subject, text in (
    ("corporate.token_applied", "トークンのお申込みを受け付けました",
     "以下のお申込みを受け付けました。当行での手続き完了後にご案内します。"),
    ("corporate.token_application_done", "トークンのお申込みの手続きが完了しました",
     "以下のお申込みの手続きが完了しました。新しいトークンの利用開始登録を行ってください。"),
):
    register_template(name, MailTemplate(
        sentence(subject),
        sentence(text) + "\n\n" + line("受付番号：{reference}", reference="reference")
        + line("内容：{what}", what="either(what_ja, what_en)")))
