"""The e-mail notices of claims: the customer hears of each step while the service is stopped.

Imported by :mod:`kinko.claims.service` (so a notice is known wherever one is queued) and by
the batch worker that sends mail (``kinko.batch.handlers``).
"""

from __future__ import annotations

from kinko.notifications.templates import MailTemplate, line, register_template, sentence

register_template("claims.received", MailTemplate(
    sentence("不正な振込等のお申し出を受け付けました"),
    line("不正な振込等のお申し出を受け付けました（お申し出番号 {claim_id}）。", claim_id="claim_id")
    + sentence("インターネットバンキングのご利用は直ちに停止しました。"
               "当行の担当者が調査のうえご連絡します。"),
))
register_template("claims.decided", MailTemplate(
    sentence("補てんのお申し出について判定しました"),
    line("お申し出番号 {claim_id} について判定しました。補てん額: {compensation}円。",
         claim_id="claim_id", compensation="compensation")
    + sentence("判定通知書をお送りします。"),
))
register_template("claims.paid", MailTemplate(
    sentence("補てん額をお支払いしました"),
    sentence("お申し出番号 {claim_id} の補てん額 {amount}円をお客さまの口座へ入金しました。",
             claim_id="claim_id", amount="amount"),
))
