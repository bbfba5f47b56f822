"""The e-mail notices of Pay-easy (NOTIF-1), added to the catalogue of kinko.notifications.

Imported by the service (so a notice is known wherever one is queued) and by the batch's
handler list (so the worker that sends mail knows them too).
"""

from __future__ import annotations

from kinko.notifications.templates import MailTemplate, register_template

register_template("payeasy.paid", MailTemplate(
    "料金払込（Pay-easy）が完了しました", "Pay-easy payment completed",
    "以下の料金払込が完了しました。確定後の取消・変更はできません。"
    "当行は領収書を発行しません。\n\n"
    "受付番号：{{ instruction_id }}\n収納機関：{{ agency }}\n払込先：{{ payee }}\n"
    "金額：{{ amount|yen }}\n\n"
    "請求内容や収納の結果については、収納機関に直接お問い合わせください。",
    "The payment below is complete. It can no longer be changed or cancelled. "
    "The bank issues no receipt.\n\n"
    "Reference: {{ instruction_id }}\nAgency: {{ agency }}\nPayee: {{ payee }}\n"
    "Amount: {{ amount|yen_en }}\n\n"
    "Please ask the collection agency about the bill itself and its processing.",
))

register_template("payeasy.cancelled_by_agency", MailTemplate(
    "料金払込が収納機関により取り消されました", "Pay-easy payment cancelled by the agency",
    "以下の料金払込は収納機関により取り消されました。払込金額はお支払口座にご入金しました。\n\n"
    "受付番号：{{ instruction_id }}\n収納機関：{{ agency }}\n金額：{{ amount|yen }}\n"
    "理由：{{ reason }}",
    "The collection agency cancelled the payment below. The amount has been credited back "
    "to your paying account.\n\n"
    "Reference: {{ instruction_id }}\nAgency: {{ agency }}\nAmount: {{ amount|yen_en }}\n"
    "Reason: {{ reason }}",
))
