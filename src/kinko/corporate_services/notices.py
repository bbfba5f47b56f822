"""E-mail notices of the corporate services (NOTIF-1), added to kinko.notifications' catalogue,
and the one helper that queues them to the contract's registered address.

Imported by the services that queue them and by the batch's handler list (the worker that
sends mail renders them too).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from kinko.auth.models import AuthContract
from kinko.notifications.service import queue_email
from kinko.notifications.templates import MailTemplate, register_template
from kinko.parties.models import Customer

_DETAILS_JA = "受付番号：{{ reference }}\n金額：{{ amount|yen }}\n"
_DETAILS_EN = "Reference: {{ reference }}\nAmount: {{ amount|yen_en }}\n"

register_template("corporate.dd.accepted", MailTemplate(
    "口座振替データを受け付けました", "Direct debit request accepted",
    "以下の口座振替データを受け付けました。引落日：{{ debit_date }}\n\n" + _DETAILS_JA,
    "The direct debit request below was accepted. Debit date: {{ debit_date }}\n\n"
    + _DETAILS_EN,
))

register_template("corporate.dd.debited", MailTemplate(
    "口座振替の結果をご確認いただけます", "Direct debit results are ready",
    "以下の口座振替の振替結果をダウンロードいただけます。振替済金額：{{ amount|yen }}\n"
    "ご入金日：{{ settlement_date }}\n受付番号：{{ reference }}\n",
    "The results of the direct debit below can be downloaded. Collected: "
    "{{ amount|yen_en }}\nSettlement date: {{ settlement_date }}\nReference: {{ reference }}\n",
))

register_template("corporate.tax.failed", MailTemplate(
    "地方税の納付ができませんでした", "Local tax could not be paid",
    "代表口座の残高が不足していたため、以下の地方税を納付できませんでした。\n\n" + _DETAILS_JA,
    "The local tax below was not paid: the representative account was short of funds.\n\n"
    + _DETAILS_EN,
))


def notify(session: Session, contract_id: int, template: str, data: dict[str, Any],
           dedupe_key: str) -> bool:
    """Queue a notice to the contract's registered address; False when it has none."""
    contract = session.get(AuthContract, contract_id)
    customer = session.get(Customer, contract.customer_id) if contract else None
    if customer is None or not customer.email:
        return False
    queue_email(session, to=customer.email, template=template, data=data,
                dedupe_key=dedupe_key)
    return True
