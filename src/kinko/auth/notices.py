"""The e-mail notices authentication adds to the catalogue of :mod:`kinko.notifications`.

Imported by :mod:`kinko.auth.effects`, so the notice is known wherever one is queued; the
batch worker that sends mail must import this module too (``kinko.batch.handlers``).
"""

from __future__ import annotations

from kinko.notifications.templates import MailTemplate, register_template

register_template("auth.service_stopped", MailTemplate(
    "ご利用を停止しました", "Your access has been stopped",
    "お届けを受け、インターネットバンキングのご利用を直ちに停止しました。\n\n"
    "日時：{{ at|jst }}\n"
    "再開にはお取引店でのお手続きが必要です。お心当たりがない場合は、至急お取引店までご連絡ください。",
    "Following your report, access to your internet banking was stopped at once.\n\n"
    "Time: {{ at|jst_en }}\n"
    "Your branch must restore it. If this was not you, contact your branch at once.",
))
