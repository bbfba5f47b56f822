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
from kinko.notifications.templates import MailTemplate, line, register_template, sentence
from kinko.parties.models import Customer

_DETAILS = (line("受付番号：{reference}", reference="reference")
            + line("金額：{amount}", amount="amount|yen"))

register_template("corporate.dd.accepted", MailTemplate(
    sentence("口座振替データを受け付けました"),
    line("以下の口座振替データを受け付けました。引落日：{debit_date}", debit_date="debit_date")
    + "\n" + _DETAILS,
))

register_template("corporate.dd.debited", MailTemplate(
    sentence("口座振替の結果をご確認いただけます"),
    line("以下の口座振替の振替結果をダウンロードいただけます。振替済金額：{amount}",
         amount="amount|yen")
    + line("ご入金日：{settlement_date}", settlement_date="settlement_date")
    + line("受付番号：{reference}", reference="reference"),
))

register_template("corporate.tax.failed", MailTemplate(
    sentence("地方税の納付ができませんでした"),
    line("代表口座の残高が不足していたため、以下の地方税を納付できませんでした。")
    + "\n" + _DETAILS,
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
