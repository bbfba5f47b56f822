"""The e-mail notices authentication adds to the catalogue of :mod:`kinko.notifications`.

Imported by :mod:`kinko.auth.effects`, so the notice is known wherever one is queued; the
batch worker that sends mail must import this module too (``kinko.batch.handlers``).
"""

from __future__ import annotations

from kinko.notifications.templates import MailTemplate, line, register_template, sentence

register_template("auth.service_stopped", MailTemplate(
    sentence("ご利用を停止しました"),
    line("お届けを受け、インターネットバンキングのご利用を直ちに停止しました。") + "\n"
    + line("日時：{at}", at="at|jst")
    + sentence("再開にはお取引店でのお手続きが必要です。"
               "お心当たりがない場合は、至急お取引店までご連絡ください。"),
))
