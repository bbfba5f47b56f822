"""Kinko's clearing adapter (XFER-8, XFER-9): what the transfers module and the web layer call.

* ``send_outgoing`` hands a transfer to another bank. The caller has already debited the
  customer and credited the bank's "clearing" book in the same transaction; this writes the
  clearing record and an outbox message, so the message leaves only if that transaction
  commits. The network's answer comes back later: nothing, if the other bank accepts it, or an
  outbox message ``transfers.returned`` if it sends the transfer back as unpayable.
* ``receive_incoming`` books a transfer arriving from another bank: debit the clearing book,
  credit the customer (``ledger.post``, the only way money moves) and record the 振込入金明細 —
  or, if the account cannot take it, record it as returned to the remitting bank and post
  nothing.

Every function takes the caller's session and never commits. Each message is keyed (the
transfer reference, the network reference), so handling it twice changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.clearing import network
from kinko.clearing import repository as repo
from kinko.clearing.directory import BankBranch, bank_name, branch_name, validate_bank_branch
from kinko.clearing.errors import InvalidQuery
from kinko.clearing.models import (
    DepositType,
    IncomingState,
    IncomingTransfer,
    OutgoingState,
    OutgoingTransfer,
)
from kinko.clearing.rules import (
    LocalFacts,
    check_amount,
    check_branch_code,
    check_edi,
    check_name,
    check_number,
    check_reference,
    incoming_decision,
    parse_deposit_type,
    reason_text,
)
from kinko.errors import IdempotencyMismatch
from kinko.ledger.books import book
from kinko.ledger.errors import AccountNotFound, AccountNotUsable
from kinko.ledger.models import AccountType
from kinko.ledger.repository import find_account
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, post
from kinko.outbox.service import enqueue

__all__ = [
    "RETURNED_TOPIC", "SEND_MANY_TOPIC", "SEND_TOPIC", "BankBranch", "IncomingResult",
    "IncomingStatementLine",
    "OutgoingRequest", "OutgoingStatus", "incoming_transfers", "lookup_holder",
    "outgoing_status", "receive_incoming", "send_outgoing", "send_outgoing_many",
    "validate_bank_branch",
]

ACTOR = "system:clearing"
SEND_TOPIC = "clearing.send"
SEND_MANY_TOPIC = network.SEND_MANY_TOPIC
RETURNED_TOPIC = network.RETURNED_TOPIC
"""Announces a transfer sent back by the other bank: payload ``{"transfer_ref",
"reason_code", "reason"}``. The transfers module registers its handler (refund the customer
from the clearing book; the fee is not refunded, XFER-7)."""
INCOMING_NOTICE = "transfer.incoming"


def lookup_holder(session: Session, bank_code: str, branch_code: str,
                  account_type: str | DepositType | AccountType, number: str) -> str | None:
    """口座名義確認 at another bank (XFER-2): the holder's half-width kana name, or None if the
    network knows no open account there. Malformed or unknown codes are domain errors."""
    validate_bank_branch(bank_code, branch_code)
    kind = parse_deposit_type(account_type)
    check_number(number)
    return network.holder_name(session, bank_code, branch_code, kind, number)


# --- outgoing -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class OutgoingStatus:
    transfer_ref: str
    state: OutgoingState
    reason_code: str | None
    reason: str | None
    queued_at: datetime
    sent_at: datetime | None
    settled_at: datetime | None


def _status(row: OutgoingTransfer) -> OutgoingStatus:
    return OutgoingStatus(row.transfer_ref, row.state, row.reason_code, row.reason,
                          row.queued_at, row.sent_at, row.settled_at)


def send_outgoing(
    session: Session,
    *,
    transfer_ref: str,
    bank_code: str,
    branch_code: str,
    account_type: str | DepositType | AccountType,
    number: str,
    holder_kana: str,
    amount: int,
    remitter_kana: str,
    edi: str | None = None,
) -> OutgoingStatus:
    """Queue a transfer to another bank in the caller's transaction (XFER-8).

    Called again with the same reference and the same content it returns the first record
    and queues nothing; with different content it raises :class:`IdempotencyMismatch`.
    """
    check_reference(transfer_ref, "transfer reference")
    validate_bank_branch(bank_code, branch_code)
    kind = parse_deposit_type(account_type)
    check_number(number)
    check_name(holder_kana, "payee name")
    check_name(remitter_kana, "remitter name")
    check_amount(amount)
    edi = check_edi(edi)
    content = {"bank_code": bank_code, "branch_code": branch_code, "account_type": kind,
               "number": number, "holder_kana": holder_kana, "amount": amount,
               "remitter_kana": remitter_kana, "edi": edi}
    now = clock.now()
    if not repo.insert_outgoing(session, {"transfer_ref": transfer_ref, **content,
                                          "state": OutgoingState.QUEUED, "queued_at": now}):
        existing = repo.outgoing(session, transfer_ref)
        assert existing is not None
        if any(getattr(existing, k) != v for k, v in content.items()):
            raise IdempotencyMismatch(detail=f"transfer {transfer_ref}")
        return _status(existing)
    # The payload carries only the key: the handler reloads the row, so what leaves is what
    # was committed, however late the message runs.
    enqueue(session, SEND_TOPIC, {"transfer_ref": transfer_ref},
            dedupe_key=f"{SEND_TOPIC}:{transfer_ref}")
    record(session, actor=ACTOR, action="clearing.outgoing.queued", subject_type="transfer",
           subject_id=transfer_ref, data={"bank": bank_code, "branch": branch_code,
                                          "amount": amount})
    return OutgoingStatus(transfer_ref, OutgoingState.QUEUED, None, None, now, None, None)


@dataclass(frozen=True, slots=True)
class OutgoingRequest:
    """One transfer of a :func:`send_outgoing_many` batch (the arguments of send_outgoing)."""

    transfer_ref: str
    bank_code: str
    branch_code: str
    account_type: str | DepositType | AccountType
    number: str
    holder_kana: str
    amount: int
    remitter_kana: str
    edi: str | None = None


def send_outgoing_many(session: Session, transfers: Sequence[OutgoingRequest]) -> int:
    """Queue many transfers to other banks in the caller's transaction (XFER-8) with one
    INSERT and ONE outbox message for all of them: a bulk file's chunk of other-bank payees
    leaves as one hand-over to the network instead of a transaction per payee.

    Each transfer is checked as by :func:`send_outgoing` (a bad one refuses the batch) and keeps
    its own reference, record and audit event; a reference queued before with the same content
    is not queued again, with different content it raises :class:`IdempotencyMismatch`.
    Returns how many were queued by this call."""
    now = clock.now()
    rows: dict[str, dict[str, object]] = {}
    for t in transfers:
        check_reference(t.transfer_ref, "transfer reference")
        validate_bank_branch(t.bank_code, t.branch_code)
        check_number(t.number)
        check_name(t.holder_kana, "payee name")
        check_name(t.remitter_kana, "remitter name")
        check_amount(t.amount)
        if t.transfer_ref in rows:
            raise IdempotencyMismatch(detail=f"transfer {t.transfer_ref} twice in one batch")
        rows[t.transfer_ref] = {
            "transfer_ref": t.transfer_ref, "bank_code": t.bank_code,
            "branch_code": t.branch_code, "account_type": parse_deposit_type(t.account_type),
            "number": t.number, "holder_kana": t.holder_kana, "amount": t.amount,
            "remitter_kana": t.remitter_kana, "edi": check_edi(t.edi),
            "state": OutgoingState.QUEUED, "queued_at": now}
    inserted = repo.insert_outgoing_many(session, list(rows.values()))
    again = [ref for ref in rows if ref not in inserted]
    for existing in repo.outgoing_many(session, again) if again else ():
        row = rows[existing.transfer_ref]
        if any(getattr(existing, k) != row[k] for k in _CONTENT):
            raise IdempotencyMismatch(detail=f"transfer {existing.transfer_ref}")
    queued = [ref for ref in rows if ref in inserted]
    if queued:
        # The payload carries only the keys: the handler reloads the rows (as for one).
        enqueue(session, SEND_MANY_TOPIC, {"transfer_refs": queued},
                dedupe_key=f"{SEND_MANY_TOPIC}:{queued[0]}")
        for ref in queued:
            row = rows[ref]
            record(session, actor=ACTOR, action="clearing.outgoing.queued",
                   subject_type="transfer", subject_id=ref,
                   data={"bank": row["bank_code"], "branch": row["branch_code"],
                         "amount": row["amount"]})
    return len(queued)


_CONTENT = ("bank_code", "branch_code", "account_type", "number", "holder_kana", "amount",
            "remitter_kana", "edi")


def outgoing_status(session: Session, transfer_ref: str) -> OutgoingStatus | None:
    """Where an outgoing transfer stands at the network (queued, sent, accepted, returned)."""
    row = repo.outgoing(session, transfer_ref)
    return None if row is None else _status(row)


# --- incoming -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class IncomingResult:
    reference: str
    state: IncomingState
    account_id: int | None
    entry_id: int | None
    reason_code: str | None
    replayed: bool = False


def _result(row: IncomingTransfer, *, replayed: bool) -> IncomingResult:
    return IncomingResult(row.reference, row.state, row.account_id, row.entry_id,
                          row.reason_code, replayed)


def receive_incoming(
    session: Session,
    *,
    to_branch: str,
    to_account_type: str | DepositType | AccountType,
    to_number: str,
    amount: int,
    remitter_name_kana: str,
    remitter_bank_code: str,
    remitter_branch_code: str,
    edi: str | None,
    reference: str,
) -> IncomingResult:
    """Credit a transfer from another bank, or return it to the remitting bank (XFER-9).

    An unknown, closed or deposit-stopped account is not an error: the transfer is recorded
    as returned and nothing is posted. A message received twice (same reference, same
    content) is booked once; the same reference with other content is refused.
    """
    check_reference(reference)
    check_branch_code(to_branch)
    kind = parse_deposit_type(to_account_type)
    check_number(to_number)
    check_amount(amount)
    check_name(remitter_name_kana, "remitter name")
    validate_bank_branch(remitter_bank_code, remitter_branch_code)
    edi = check_edi(edi)
    content = {"to_branch": to_branch, "to_account_type": kind, "to_number": to_number,
               "amount": amount, "remitter_kana": remitter_name_kana,
               "remitter_bank_code": remitter_bank_code,
               "remitter_branch_code": remitter_branch_code, "edi": edi}

    account = find_account(session, to_branch, to_number)
    facts = None if account is None else LocalFacts(account.type, account.state)
    reason = incoming_decision(facts, kind)
    now = clock.now()
    # Insert first, ON CONFLICT DO NOTHING: a concurrent delivery of the same message waits
    # for this transaction and then finds the row, so only one of them ever posts.
    inserted = repo.insert_incoming(session, {
        "reference": reference, **content, "received_at": now, "value_date": now.date(),
        "state": IncomingState.RETURNED if reason else IncomingState.CREDITED,
        "reason_code": reason, "reason": reason_text(reason) if reason else None,
        "account_id": account.id if account is not None else None,
    })
    if not inserted:
        existing = repo.incoming(session, reference)
        assert existing is not None
        if any(getattr(existing, k) != v for k, v in content.items()):
            raise IdempotencyMismatch(detail=f"incoming transfer {reference}")
        return _result(existing, replayed=True)
    if reason is None:
        assert account is not None
        reason = _credit(session, reference, account.id, amount, remitter_name_kana,
                         remitter_bank_code, remitter_branch_code)
    row = repo.incoming(session, reference)
    assert row is not None
    record(session, actor=ACTOR, action=f"clearing.incoming.{row.state.value}",
           subject_type="incoming_transfer", subject_id=reference,
           data={"amount": amount, "account": row.account_id, "reason": reason,
                 "from": f"{remitter_bank_code}-{remitter_branch_code}"})
    if row.state is IncomingState.CREDITED and account is not None:
        _notify_holder(session, account.customer_id, row)
    return _result(row, replayed=False)


def _credit(session: Session, reference: str, account_id: int, amount: int, remitter: str,
            bank_code: str, branch_code: str) -> str | None:
    """Post the credit; None if booked, else the return reason after all."""
    memo = f"振込入金 {bank_name(bank_code) or bank_code} {branch_name(bank_code, branch_code)}"
    # A savepoint, because the account may have been closed or stopped between the look-up
    # and the posting (another transaction on PostgreSQL): then the transfer goes back
    # instead of the whole delivery failing and being retried forever.
    try:
        with session.begin_nested():
            posted = post(session, EntryRequest(
                kind="incoming_transfer", memo=memo[:200],
                idempotency_key=f"clearing.incoming:{reference}",
                legs=[Leg(book(session, "clearing"), -amount, remitter),
                      Leg(account_id, amount, remitter)],
            ), actor=ACTOR)
    except AccountNotUsable:
        reason = "DEPOSIT_STOPPED"
    except AccountNotFound:
        reason = "ACCOUNT_NOT_FOUND"
    else:
        repo.set_incoming(session, reference, entry_id=posted.entry_id)
        return None
    repo.set_incoming(session, reference, state=IncomingState.RETURNED, reason_code=reason,
                      reason=reason_text(reason))
    return reason


def _notify_holder(session: Session, customer_id: int | None, row: IncomingTransfer) -> None:
    """入金のお知らせ: e-mail the account holder, if the customer has an address (NOTIF-1)."""
    if customer_id is None:
        return
    from kinko.notifications.mailer import valid_address
    from kinko.notifications.service import queue_email
    from kinko.parties.models import Customer

    customer = session.get(Customer, customer_id)
    # A malformed address on file must never stop the money being credited.
    if customer is None or not customer.email or not valid_address(customer.email):
        return
    queue_email(session, to=customer.email, template=INCOMING_NOTICE, data={
        "amount": row.amount, "account": f"{row.to_branch}-{row.to_number}",
        "remitter": row.remitter_kana, "value_date": row.value_date.isoformat(),
        "bank": bank_name(row.remitter_bank_code) or row.remitter_bank_code,
        "branch": branch_name(row.remitter_bank_code, row.remitter_branch_code) or "",
        "edi": row.edi or "", "reference": row.reference,
    }, dedupe_key=f"email:{INCOMING_NOTICE}:{row.reference}")


@dataclass(frozen=True, slots=True)
class IncomingStatementLine:
    """One line of the 振込入金明細 (INQ-1)."""

    id: int
    reference: str
    value_date: date
    received_at: datetime
    amount: int
    remitter_name_kana: str
    remitter_bank_code: str
    remitter_bank_name: str
    remitter_branch_code: str
    remitter_branch_name: str
    edi: str | None
    account_id: int
    entry_id: int | None


def incoming_transfers(session: Session, account_id: int, *, date_from: date | None = None,
                       date_to: date | None = None, limit: int = 50, offset: int = 0,
                       before: int | None = None) -> list[IncomingStatementLine]:
    """The account's incoming transfers, newest first (the figures are as of now, INQ-1).

    The caller checks that the asking user may see ``account_id``.
    """
    if type(limit) is not int or not 1 <= limit <= 500:
        raise InvalidQuery(detail="limit must be 1–500")
    if type(offset) is not int or offset < 0:
        raise InvalidQuery(detail="offset must be 0 or more")
    if date_from is not None and date_to is not None and date_from > date_to:
        raise InvalidQuery(detail="date_from is after date_to")
    if before is not None and (type(before) is not int or not 0 < before < 2**63):
        raise InvalidQuery(detail="before is not an incoming transfer id")
    rows = repo.credited_to(session, account_id, date_from=date_from, date_to=date_to,
                            limit=limit, offset=offset, before=before)
    return [IncomingStatementLine(
        id=r.id, reference=r.reference, value_date=r.value_date, received_at=r.received_at,
        amount=r.amount, remitter_name_kana=r.remitter_kana,
        remitter_bank_code=r.remitter_bank_code,
        remitter_bank_name=bank_name(r.remitter_bank_code) or "",
        remitter_branch_code=r.remitter_branch_code,
        remitter_branch_name=branch_name(r.remitter_bank_code, r.remitter_branch_code) or "",
        edi=r.edi, account_id=account_id, entry_id=r.entry_id,
    ) for r in rows]
