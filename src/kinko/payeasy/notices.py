"""The e-mail notices of Pay-easy (NOTIF-1), added to the catalogue of kinko.notifications.

Imported by the service (so a notice is known wherever one is queued) and by the batch's
handler list (so the worker that sends mail knows them too). They use the catalogue's common
fields (reference, payee, amount); anything else is optional. Written in Japanese; the
English is the message catalogue's.
"""

from __future__ import annotations

from kinko.notifications.templates import MailTemplate, line, optional, register_template, sentence

_DETAILS = (line("受付番号：{reference}", reference="reference")
            + line("払込先：{payee}", payee="payee")
            + line("金額：{amount}", amount="amount|yen"))

register_template("payeasy.paid", MailTemplate(
    sentence("料金払込（Pay-easy）が完了しました"),
    line("以下の料金払込が完了しました。確定後の取消・変更はできません。当行は領収書を発行しません。")
    + "\n" + _DETAILS + "\n"
    + sentence("請求内容や収納の結果については、収納機関に直接お問い合わせください。"),
))

register_template("payeasy.cancelled_by_agency", MailTemplate(
    sentence("料金払込が収納機関により取り消されました"),
    line("以下の料金払込は収納機関により取り消されました。払込金額はお支払口座にご入金しました。")
    + "\n" + _DETAILS + optional("reason", "理由：{reason}"),
))
