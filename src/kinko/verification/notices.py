"""The e-mail notices of periodic verification (KYC-1..5), in the notifications catalogue.

Imported by :mod:`kinko.verification.service`; the batch worker that sends mail imports it
too (``kinko.batch.handlers``)."""

from __future__ import annotations

from kinko.notifications.templates import MailTemplate, register_template

_DEADLINE_JA = "期限：{{ deadline|jst }}\n"
_DEADLINE_EN = "Deadline: {{ deadline|jst_en }}\n"

register_template("verification.requested", MailTemplate(
    "【重要】ご利用者さま確認手続きのお願い", "[Important] Please verify that you are the user",
    "口座開設時に本人確認書類をご提出いただいたお客さまご本人がご利用になられていることを確認する"
    "ため、スマートフォンでお顔の撮影をお願いいたします。\n"
    "ログイン後に表示される「【重要】ご利用者さま確認手続きのお願い」から認証画面にお進みください。\n\n"
    + _DEADLINE_JA +
    "期限までにお手続きいただけない場合、本人確認書類の再提出をお願いし、口座のご利用を制限する"
    "ことがあります。",
    "To confirm that the person who submitted identity documents at account opening is the one "
    "using the account, please take a photo of your face with your smartphone. After login, "
    "follow the notice \"[Important] Please verify that you are the user\".\n\n"
    + _DEADLINE_EN +
    "Without verification by the deadline we will ask for your identity documents again and "
    "may restrict the use of your account.",
))
register_template("verification.passed", MailTemplate(
    "ご利用者さま確認手続きが完了しました", "Your verification is complete",
    "ご利用者さま確認手続きが完了しました。引き続き口座をご利用ください。",
    "Your verification is complete. You may continue to use your account.",
))
register_template("verification.under_review", MailTemplate(
    "ご利用者さま確認手続きを確認しています", "Your verification is being reviewed",
    "撮影いただいたお写真を当行で確認しております。結果はあらためてお知らせします。",
    "The bank is reviewing your photo and will let you know the result.",
))
register_template("verification.documents_requested", MailTemplate(
    "【重要】本人確認書類の再提出のお願い",
    "[Important] Please submit your identity documents again",
    "{% if reason == 'overdue' %}期限までにご利用者さま確認手続きが行われませんでした。"
    "{% else %}ご利用者さま確認手続きで、口座開設時のご本人と確認できませんでした。{% endif %}\n"
    "ログイン後、本人確認書類を再提出してください。\n"
    "{% if restricted %}確認が取れるまで、お振込などのお取引を制限しております。{% endif %}",
    "{% if reason == 'overdue' %}Your verification was not done by the deadline."
    "{% else %}Your verification could not confirm that you are the account holder.{% endif %}\n"
    "Please log in and submit your identity documents again.\n"
    "{% if restricted %}Transfers and other transactions are restricted until then.{% endif %}",
))
register_template("verification.documents_received", MailTemplate(
    "本人確認書類を受け付けました", "We received your identity documents",
    "本人確認書類を受け付けました。当行で確認のうえ、結果をお知らせします。",
    "We received your identity documents; the bank will check them and let you know.",
))
register_template("verification.rejected", MailTemplate(
    "【重要】ご利用者さま確認手続きの結果", "[Important] The result of your verification",
    "当行の確認の結果、口座開設時のご本人と確認できませんでした。本人確認書類を再提出してください。\n"
    "{% if restricted %}確認が取れるまで、お振込などのお取引を制限しております。{% endif %}",
    "After review, the bank could not confirm that you are the account holder. Please submit "
    "your identity documents again.\n"
    "{% if restricted %}Transfers and other transactions are restricted until then.{% endif %}",
))
