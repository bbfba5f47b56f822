"""The e-mail notices of claims: the customer hears of each step while the service is stopped.

Imported by :mod:`kinko.claims.service` (so a notice is known wherever one is queued) and by
the batch worker that sends mail (``kinko.batch.handlers``).
"""

from __future__ import annotations

from kinko.notifications.templates import MailTemplate, register_template

register_template("claims.received", MailTemplate(
    "不正な振込等のお申し出を受け付けました", "We received your claim",
    "不正な振込等のお申し出を受け付けました（お申し出番号 {{ claim_id }}）。\n"
    "インターネットバンキングのご利用は直ちに停止しました。当行の担当者が調査のうえご連絡します。",
    "We received your claim about unauthorized transfers (claim {{ claim_id }}).\n"
    "Your internet banking was stopped at once. Our staff will investigate and contact you.",
))
register_template("claims.decided", MailTemplate(
    "補てんのお申し出について判定しました", "Your claim was decided",
    "お申し出番号 {{ claim_id }} について判定しました。補てん額: {{ compensation }}円。\n"
    "判定通知書をお送りします。",
    "Claim {{ claim_id }} was decided. Compensation: {{ compensation }} yen.\n"
    "The decision letter follows by post.",
))
register_template("claims.paid", MailTemplate(
    "補てん額をお支払いしました", "Compensation paid",
    "お申し出番号 {{ claim_id }} の補てん額 {{ amount }}円をお客さまの口座へ入金しました。",
    "The compensation of {{ amount }} yen for claim {{ claim_id }} was paid into your account.",
))
