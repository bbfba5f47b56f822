"""The e-mail notices of Pay-easy (NOTIF-1), added to the catalogue of kinko.notifications.

Imported by the service (so a notice is known wherever one is queued) and by the batch's
handler list (so the worker that sends mail knows them too). They use the catalogue's common
fields (reference, payee, amount); anything else is optional.
"""

from __future__ import annotations

from kinko.notifications.templates import MailTemplate, register_template

_DETAILS_JA = "受付番号：{{ reference }}\n払込先：{{ payee }}\n金額：{{ amount|yen }}\n"
_DETAILS_EN = "Reference: {{ reference }}\nPayee: {{ payee }}\nAmount: {{ amount|yen_en }}\n"

register_template("payeasy.paid", MailTemplate(
    "料金払込（Pay-easy）が完了しました", "Pay-easy payment completed",
    "以下の料金払込が完了しました。確定後の取消・変更はできません。"
    "当行は領収書を発行しません。\n\n" + _DETAILS_JA +
    "\n請求内容や収納の結果については、収納機関に直接お問い合わせください。",
    "The payment below is complete. It can no longer be changed or cancelled. "
    "The bank issues no receipt.\n\n" + _DETAILS_EN +
    "\nPlease ask the collection agency about the bill itself and its processing.",
))

register_template("payeasy.cancelled_by_agency", MailTemplate(
    "料金払込が収納機関により取り消されました", "Pay-easy payment cancelled by the agency",
    "以下の料金払込は収納機関により取り消されました。払込金額はお支払口座にご入金しました。\n\n"
    + _DETAILS_JA + "{% if reason is defined %}理由：{{ reason }}\n{% endif %}",
    "The collection agency cancelled the payment below. The amount has been credited back "
    "to your paying account.\n\n"
    + _DETAILS_EN + "{% if reason is defined %}Reason: {{ reason }}\n{% endif %}",
))
