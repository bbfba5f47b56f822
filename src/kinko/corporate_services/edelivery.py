"""Electronic delivery (EDOC-1, 002 第5条12): the bank's documents for a contract's accounts
as PDF on the site, for the policy's retention period.

- One switch per contract (electronic or paper, never a subset): :func:`choose`.
- :func:`issue` renders the document and decides its delivery at that moment: electronic only
  while the contract is active, its switch is electronic and the account (if any) is open;
  otherwise on paper (the fallback of 第5条12(5)), queued for printing.
- The customer lists and downloads the electronic ones issued within the retention period;
  :func:`purge` (the daily batch) removes those past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.auth.models import AuthContract, ContractState
from kinko.config import get_settings
from kinko.corporate_services import access
from kinko.corporate_services.dates import add_months
from kinko.corporate_services.errors import DocumentNotFound
from kinko.corporate_services.models import (
    Delivery,
    DeliveryChoice,
    DocumentKind,
    IssuedDocument,
)
from kinko.documents.pdf import Document, render
from kinko.instructions.service import Actor
from kinko.ledger.models import Account, AccountState
from kinko.parties.models import Customer
from kinko.policy import policy_at

TITLES = {DocumentKind.NOTICE: "お知らせ", DocumentKind.RECEIPT: "領収証書",
          DocumentKind.FEE_NOTICE: "手数料のお知らせ", DocumentKind.STATEMENT: "取引明細書"}


@dataclass(frozen=True)
class Listed:
    id: int
    kind: str
    title: str
    issued_on: date
    account_id: int | None


def retention_start(today: date) -> date:
    """The first issue day still shown (policy: contract.edelivery_retention_months)."""
    months = policy_at(clock.now()).contract.edelivery_retention_months
    return add_months(today, -months)


def delivery_of(session: Session, contract: AuthContract) -> Delivery:
    choice = session.get(DeliveryChoice, contract.id)
    return Delivery.PAPER if choice is None else choice.delivery


def choose(session: Session, actor: Actor, delivery: Delivery) -> Delivery:
    """Switch every document of the contract to ``delivery`` from now on."""
    contract = access.contract_of(session, actor)
    choice = session.get(DeliveryChoice, contract.id)
    old = None if choice is None else choice.delivery
    if choice is None:
        session.add(DeliveryChoice(contract_id=contract.id, delivery=delivery,
                                   changed_at=clock.now()))
    else:
        choice.delivery, choice.changed_at = delivery, clock.now()
    session.flush()
    record(session, actor=f"user:{actor.user_id}", action="edoc.delivery",
           subject_type="contract", subject_id=contract.id,
           data={"from": old.value if old else None, "to": delivery.value})
    return delivery


def _delivery_now(session: Session, contract: AuthContract, account_id: int | None) -> Delivery:
    if contract.state is ContractState.TERMINATED:
        return Delivery.PAPER
    if account_id is not None:
        account = session.get(Account, account_id)
        if account is None or account.state is AccountState.CLOSED:
            return Delivery.PAPER
    return delivery_of(session, contract)


def issue(session: Session, *, contract_id: int, kind: DocumentKind, title: str,
          body: list[str], table: list[list[str]] | None = None,
          account_id: int | None = None, source: str) -> IssuedDocument:
    """Render and deliver a document once per ``source`` (a replay returns the first)."""
    existing = session.execute(select(IssuedDocument).where(
        IssuedDocument.source == source)).scalar_one_or_none()
    if existing is not None:
        return existing
    contract = session.get(AuthContract, contract_id)
    assert contract is not None
    customer = session.get(Customer, contract.customer_id)
    settings = get_settings()
    today = clock.today()
    pdf = render(Document(
        title=title, addressee=[f"{customer.name if customer else ''} 御中"],
        issuer=[settings.bank_name, f"{today:%Y年%m月%d日}"], body=body, table=table or [],
        footer=f"{settings.bank_name} — {TITLES[kind]}", meta={"kind": kind.value}))
    document = IssuedDocument(contract_id=contract.id, account_id=account_id, kind=kind,
                              title=title[:120], issued_on=today,
                              delivery=_delivery_now(session, contract, account_id), pdf=pdf,
                              source=source)
    session.add(document)
    session.flush()
    record(session, actor="system:edoc", action="edoc.issue", subject_type="contract",
           subject_id=contract.id, data={"document": document.id, "kind": kind.value,
                                         "delivery": document.delivery.value})
    return document


def listed(session: Session, actor: Actor) -> list[Listed]:
    """The contract's electronic documents within the retention period, newest first."""
    contract = access.contract_of(session, actor)
    rows = session.execute(
        select(IssuedDocument.id, IssuedDocument.kind, IssuedDocument.title,
               IssuedDocument.issued_on, IssuedDocument.account_id)
        .where(IssuedDocument.contract_id == contract.id,
               IssuedDocument.delivery == Delivery.ELECTRONIC,
               IssuedDocument.issued_on >= retention_start(clock.today()))
        .order_by(IssuedDocument.issued_on.desc(), IssuedDocument.id.desc()))
    return [Listed(r.id, r.kind.value, r.title, r.issued_on, r.account_id) for r in rows]


def pdf_of(session: Session, actor: Actor, document_id: int) -> tuple[str, bytes]:
    contract = access.contract_of(session, actor)
    document = session.get(IssuedDocument, document_id)
    if (document is None or document.contract_id != contract.id
            or document.delivery is not Delivery.ELECTRONIC
            or document.issued_on < retention_start(clock.today())):
        raise DocumentNotFound(detail=f"document {document_id}")
    return f"{document.kind.value}_{document.issued_on:%Y%m%d}_{document.id}.pdf", document.pdf


def purge(session: Session, today: date) -> int:
    """Remove electronic documents past the retention period (the daily batch)."""
    removed = session.execute(delete(IssuedDocument).where(
        IssuedDocument.delivery == Delivery.ELECTRONIC,
        IssuedDocument.issued_on < retention_start(today))).rowcount  # type: ignore[attr-defined]
    if removed:
        record(session, actor="system:batch", action="edoc.purge", subject_type="edoc",
               subject_id=0, data={"removed": removed, "before": retention_start(today)})
    return int(removed or 0)


def statement_pdf(session: Session, contract_id: int, account: Account, date_from: date,
                  date_to: date) -> IssuedDocument:
    """The account's 取引明細書 for a period, from the same lines as the Zengin statement."""
    from kinko.corporate_services.statements import statement_group
    from kinko.zengin import records as r

    source = f"statement:{account.id}:{date_from}:{date_to}"
    existing = session.execute(select(IssuedDocument).where(
        IssuedDocument.source == source)).scalar_one_or_none()
    if existing is not None:
        return existing
    group = statement_group(session, account, date_from, date_to)
    header, trailer = group.header, group.trailer
    assert isinstance(header, r.StatementHeader) and isinstance(trailer, r.StatementTrailer)
    table = [["日付", "区分", "金額", "摘要"]] + [
        [str(d.booking_date), "入金" if d.direction == "1" else "出金", f"{d.amount:,}円",
         d.description] for d in group.records if isinstance(d, r.StatementData)]
    return issue(session, contract_id=contract_id, kind=DocumentKind.STATEMENT,
                 title=f"取引明細書 {account.branch_code}-{account.number}",
                 body=[f"期間 {date_from} 〜 {date_to}",
                       f"前残高 {header.signed_opening_balance:,}円",
                       f"入金 {trailer.deposit_count}件 {trailer.deposit_total:,}円 / "
                       f"出金 {trailer.withdrawal_count}件 {trailer.withdrawal_total:,}円",
                       f"残高 {trailer.signed_closing_balance:,}円"],
                 table=table, account_id=account.id,
                 source=source)


def monthly_statements(session: Session, today: date) -> int:
    """Last month's 取引明細書 for every account of every active corporate contract (once
    each: a second run finds them issued)."""
    from kinko.auth.models import Product

    first = today.replace(day=1)
    start, stop = add_months(first, -1), first.fromordinal(first.toordinal() - 1)
    contracts = session.execute(select(AuthContract).where(
        AuthContract.product == Product.CORPORATE_002,
        AuthContract.state == ContractState.ACTIVE)).scalars().all()
    issued = 0
    for contract in contracts:
        for account in access.usage_accounts(session, contract):
            if account.opened_on <= stop:
                statement_pdf(session, contract.id, account, max(start, account.opened_on),
                              stop)
                issued += 1
    return issued
