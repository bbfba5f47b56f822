"""預金口座振替依頼書 (DD-1, DD-2; 002 第5条9(1)(3)(7), 第5条10(1)(3)(7)): the payers'
authorisations of a collecting company, kept by the bank and decided on the debit day.

The company registers each 依頼書 it collected on its page or through the API; the bank (the
``kinko corporate dd-mandate`` command) may register them too. A 依頼書 names an account at
this bank that must be the payer's own 普通 or 当座 account (本人名義): the account must exist,
be open and of one of those types, and its holder name must be the name given. On the debit
day an item whose account has no 依頼書 answers 4 (依頼書なし), a withdrawn one 3 (預金者都合).

Payers at other banks (collection) sign their 依頼書 with the collection agency, whose answers
the simulated agency gives (:func:`kinko.corporate_services.debit_rules.agency_result`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.catalogue import reason
from kinko.corporate_services import debits
from kinko.corporate_services.errors import MandateExists, MandateInvalid, MandateNotFound
from kinko.corporate_services.models import DebitAgreement, Mandate, MandateState
from kinko.errors import DomainError
from kinko.instructions.service import Actor
from kinko.ledger.models import AccountState, AccountType
from kinko.ledger.repository import find_account
from kinko.zengin.charset import NAME

PAGE = 100


@dataclass(frozen=True)
class MandateIn:
    branch_code: str
    account_number: str
    payer_name: str              # 預金者名, half-width kana as on the 91 record
    customer_number: str = ""    # 顧客番号 (optional, up to 20 digits)


def _squeeze(name: str) -> str:
    """A kana name compared without its spaces (ﾔﾏﾀﾞ ﾀﾛｳ and ﾔﾏﾀﾞﾀﾛｳ are the same holder)."""
    return name.replace(" ", "").replace("\u3000", "")


def check_fields(m: MandateIn) -> list[tuple[str, str, str]]:
    """(field, Japanese, English) for every malformed field (pure)."""
    problems = []
    if not (len(m.branch_code) == 3 and m.branch_code.isascii() and m.branch_code.isdigit()):
        problems.append(("branch_code", *reason("支店番号は数字3桁です")))
    if not (len(m.account_number) == 7 and m.account_number.isascii()
            and m.account_number.isdigit()):
        problems.append(("account_number", *reason("口座番号は数字7桁です")))
    raw = m.payer_name.encode("cp932", errors="replace")
    if not m.payer_name.strip() or len(raw) > 30 or len(raw) != len(m.payer_name) \
            or not NAME.admits(raw):
        problems.append(("payer_name",
                         *reason("預金者名は半角カナ・英大文字・数字・空白の30文字以内です")))
    if m.customer_number and not (len(m.customer_number) <= 20 and m.customer_number.isascii()
                                  and m.customer_number.isdigit()):
        problems.append(("customer_number", *reason("顧客番号は数字20桁以内です")))
    return problems


def _refuse(problems: list[tuple[str, str, str]]) -> MandateInvalid:
    return MandateInvalid(detail="; ".join(f"{f}: {en}" for f, _, en in problems),
                          errors=[{"field": f, "reason_ja": ja, "reason_en": en}
                                  for f, ja, en in problems])


def _check_account(session: Session, m: MandateIn) -> None:
    """本人名義の普通預金または当座預金 at this bank, open."""
    account = find_account(session, m.branch_code, m.account_number)
    if account is None or account.state is AccountState.CLOSED:
        raise _refuse([("account_number", "当行にこの口座はありません",
                        "there is no such open account at this bank")])
    if account.type not in (AccountType.ORDINARY, AccountType.CHECKING):
        raise _refuse([("account_number", "口座振替は普通預金・当座預金の口座だけです",
                        "a direct debit takes ordinary or checking accounts only")])
    if _squeeze(account.holder_kana) != _squeeze(m.payer_name):
        raise _refuse([("payer_name", "預金者名が口座名義と一致しません",
                        "the payer name is not the account holder's name")])


def add(session: Session, actor: Actor, agreement_id: int, m: MandateIn) -> Mandate:
    """Register one 依頼書 of the caller's agreement (a withdrawn one is registered again)."""
    agreement = debits.own_agreement(session, actor, agreement_id)
    m = MandateIn(m.branch_code.strip(), m.account_number.strip(), m.payer_name.strip(),
                  m.customer_number.strip())
    problems = check_fields(m)
    if problems:
        raise _refuse(problems)
    _check_account(session, m)
    mandate = session.execute(select(Mandate).where(
        Mandate.agreement_id == agreement.id, Mandate.branch_code == m.branch_code,
        Mandate.account_number == m.account_number).with_for_update()).scalar_one_or_none()
    now = clock.now()
    if mandate is not None and mandate.state is MandateState.ACTIVE:
        raise MandateExists(detail=f"{m.branch_code}-{m.account_number}")
    fields = {"state": MandateState.ACTIVE, "stopped_at": None, "payer_name": m.payer_name,
              "customer_number": m.customer_number or None, "registered_by": actor.user_id}
    if mandate is None:
        mandate = Mandate(agreement_id=agreement.id, branch_code=m.branch_code,
                          account_number=m.account_number, created_at=now, **fields)
        try:
            with session.begin_nested():   # the same 依頼書 registered at the same moment
                session.add(mandate)
                session.flush()
        except IntegrityError:
            raise MandateExists(detail=f"{m.branch_code}-{m.account_number}") from None
    else:
        for name, value in fields.items():
            setattr(mandate, name, value)
        session.flush()
    record(session, actor=f"user:{actor.user_id}", action="dd.mandate.add",
           subject_type="dd_agreement", subject_id=agreement.id,
           data={"mandate": mandate.id, "account": f"{m.branch_code}-{m.account_number}"})
    return mandate


def _own(session: Session, actor: Actor, mandate_id: int) -> tuple[Mandate, DebitAgreement]:
    mandate = session.get(Mandate, mandate_id)
    if mandate is None:
        raise MandateNotFound(detail=f"mandate {mandate_id}")
    try:
        agreement = debits.own_agreement(session, actor, mandate.agreement_id)
    except DomainError as exc:
        if exc.status == 404:   # another contract's 依頼書 is not found, whatever its state
            raise MandateNotFound(detail=f"mandate {mandate_id}") from None
        raise
    return mandate, agreement


def withdraw(session: Session, actor: Actor, mandate_id: int) -> Mandate:
    """The payer withdrew the 依頼書 (解約): later debits of the account answer 3 (預金者都合).
    Withdrawing a withdrawn one changes nothing."""
    mandate, agreement = _own(session, actor, mandate_id)
    if mandate.state is MandateState.STOPPED:
        return mandate
    mandate.state, mandate.stopped_at = MandateState.STOPPED, clock.now()
    session.flush()
    record(session, actor=f"user:{actor.user_id}", action="dd.mandate.withdraw",
           subject_type="dd_agreement", subject_id=agreement.id,
           data={"mandate": mandate.id,
                 "account": f"{mandate.branch_code}-{mandate.account_number}"})
    return mandate


@dataclass(frozen=True)
class Listing:
    mandates: list[Mandate]
    active: int
    stopped: int


def listing(session: Session, actor: Actor, agreement_id: int, *,
            state: MandateState | None = None, offset: int = 0,
            limit: int = PAGE) -> Listing:
    """One page of the agreement's 依頼書 (branch and account order) and the counts."""
    agreement = debits.own_agreement(session, actor, agreement_id)
    query = select(Mandate).where(Mandate.agreement_id == agreement.id)
    if state is not None:
        query = query.where(Mandate.state == state)
    rows = list(session.execute(query.order_by(Mandate.branch_code, Mandate.account_number)
                                .offset(max(offset, 0)).limit(min(max(limit, 1), 1000))
                                ).scalars())
    counts: dict[MandateState, int] = dict(session.execute(
        select(Mandate.state, func.count()).where(Mandate.agreement_id == agreement.id)
        .group_by(Mandate.state)).all())
    return Listing(rows, int(counts.get(MandateState.ACTIVE, 0)),
                   int(counts.get(MandateState.STOPPED, 0)))

