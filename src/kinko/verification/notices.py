"""The e-mail notices of periodic verification (KYC-1..5), in the notifications catalogue.

Imported by :mod:`kinko.verification.service`; the batch worker that sends mail imports it
too (``kinko.batch.handlers``). Written in Japanese; the English is the message catalogue's."""

from __future__ import annotations

from kinko.notifications.templates import MailTemplate, line, register_template, sentence

_RESTRICTED = ("{% if restricted %}"
               + sentence("確認が取れるまで、お振込などのお取引を制限しております。")
               + "{% endif %}")

register_template("verification.requested", MailTemplate(
    sentence("【重要】ご利用者さま確認手続きのお願い"),
    line("口座開設時に本人確認書類をご提出いただいたお客さまご本人がご利用になられていることを"
         "確認するため、スマートフォンでお顔の撮影をお願いいたします。")
    + line("ログイン後に表示される「【重要】ご利用者さま確認手続きのお願い」から認証画面にお進み"
           "ください。") + "\n"
    + line("期限：{deadline}", deadline="deadline|jst")
    + sentence("期限までにお手続きいただけない場合、本人確認書類の再提出をお願いし、口座のご利用を"
               "制限することがあります。"),
))
register_template("verification.passed", MailTemplate(
    sentence("ご利用者さま確認手続きが完了しました"),
    sentence("ご利用者さま確認手続きが完了しました。引き続き口座をご利用ください。"),
))
register_template("verification.under_review", MailTemplate(
    sentence("ご利用者さま確認手続きを確認しています"),
    sentence("撮影いただいたお写真を当行で確認しております。結果はあらためてお知らせします。"),
))
register_template("verification.documents_requested", MailTemplate(
    sentence("【重要】本人確認書類の再提出のお願い"),
    "{% if reason == 'overdue' %}"
    + sentence("期限までにご利用者さま確認手続きが行われませんでした。")
    + "{% else %}"
    + sentence("ご利用者さま確認手続きで、口座開設時のご本人と確認できませんでした。")
    + "{% endif %}\n\n"
    + line("ログイン後、本人確認書類を再提出してください。") + _RESTRICTED,
))
register_template("verification.documents_received", MailTemplate(
    sentence("本人確認書類を受け付けました"),
    sentence("本人確認書類を受け付けました。当行で確認のうえ、結果をお知らせします。"),
))
register_template("verification.rejected", MailTemplate(
    sentence("【重要】ご利用者さま確認手続きの結果"),
    line("当行の確認の結果、口座開設時のご本人と確認できませんでした。本人確認書類を再提出して"
         "ください。") + _RESTRICTED,
))
