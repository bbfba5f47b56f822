"""The simulated interbank network and the other banks on it (XFER-8).

Kinko ships this stand-in for the Zengin system so the whole flow runs without a real
network: other banks (real codes and names from the national code list) keep their own
accounts in ``clearing_remote_accounts``, apart from Kinko's ledger. The network

* delivers Kinko's outgoing messages (outbox ``clearing.send``) and, a little later (outbox
  ``clearing.settle``, :data:`NETWORK_DELAY`), has the receiving bank accept them — credit its
  account — or send them back as unpayable, announced to Kinko as ``transfers.returned``;
* carries transfers from other banks to Kinko (:func:`send_to_kinko`, outbox
  ``clearing.receive``), which Kinko books with ``service.receive_incoming``.

A real gateway would replace this module behind the same outbox topics.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.clearing import repository as repo
from kinko.clearing.directory import validate_bank_branch
from kinko.clearing.errors import RemoteAccountExists, RemoteAccountNotFound
from kinko.clearing.models import (
    DepositType,
    OutgoingState,
    RemoteAccount,
    RemoteAccountState,
)
from kinko.clearing.rules import (
    RemoteFacts,
    check_amount,
    check_branch_code,
    check_edi,
    check_name,
    check_number,
    check_reference,
    parse_deposit_type,
    reason_text,
    remote_decision,
)
from kinko.ledger.models import AccountType
from kinko.outbox.service import enqueue

ACTOR = "system:network"
SETTLE_TOPIC = "clearing.settle"
SEND_MANY_TOPIC = "clearing.send_many"
SETTLE_MANY_TOPIC = "clearing.settle_many"
RECEIVE_TOPIC = "clearing.receive"
RETURNED_TOPIC = "transfers.returned"
# How long the receiving bank takes to answer. Long enough that "sent" and "accepted" are two
# visible steps, short enough that the next batch run a minute later settles it.
NETWORK_DELAY = timedelta(seconds=30)


def holder_name(session: Session, bank_code: str, branch_code: str, kind: DepositType,
                number: str) -> str | None:
    """The receiving bank's answer to 口座名義確認: the holder's name of an open account."""
    account = repo.remote_account(session, bank_code, branch_code, kind, number)
    if account is None or account.state is not RemoteAccountState.OPEN:
        return None
    return account.holder_kana


# --- other banks' accounts ------------------------------------------------------------------

def open_remote_account(
    session: Session,
    *,
    bank_code: str,
    branch_code: str,
    account_type: str | DepositType | AccountType,
    number: str,
    holder_kana: str,
    balance: int = 0,
    state: RemoteAccountState = RemoteAccountState.OPEN,
) -> RemoteAccount:
    """Open an account at another bank of the simulated network."""
    validate_bank_branch(bank_code, branch_code)
    kind = parse_deposit_type(account_type)
    check_number(number)
    check_name(holder_kana, "holder name")
    if balance:
        check_amount(balance)
    if repo.remote_account(session, bank_code, branch_code, kind, number) is not None:
        raise RemoteAccountExists(detail=f"{bank_code}-{branch_code} {kind.value} {number}")
    now = clock.now()
    account = RemoteAccount(
        bank_code=bank_code, branch_code=branch_code, account_type=kind, number=number,
        holder_kana=holder_kana, state=state, balance=balance, opened_at=now,
        closed_at=now if state is RemoteAccountState.CLOSED else None)
    session.add(account)
    session.flush()
    return account


def close_remote_account(session: Session, *, bank_code: str, branch_code: str,
                         account_type: str | DepositType, number: str) -> None:
    kind = parse_deposit_type(account_type)
    account = repo.remote_account(session, bank_code, branch_code, kind, number)
    if account is None:
        raise RemoteAccountNotFound(detail=f"{bank_code}-{branch_code} {kind.value} {number}")
    repo.close_remote(session, account.id, clock.now())


@dataclass(frozen=True, slots=True)
class DemoAccount:
    bank_code: str
    branch_code: str
    account_type: DepositType
    number: str
    holder_kana: str
    balance: int
    state: RemoteAccountState = RemoteAccountState.OPEN


# A handful of accounts at real banks: enough to show acceptance, a closed account and a
# corporate name, at a city bank, a trust-less major bank and Japan Post Bank.
DEMO_ACCOUNTS = (
    DemoAccount("0001", "001", DepositType.ORDINARY, "1111111", "ｽｽﾞｷ ｲﾁﾛｳ", 250_000),
    DemoAccount("0001", "001", DepositType.CHECKING, "0300001", "ｶ)ﾐﾄﾞﾘｼﾖｳｼﾞ", 4_000_000),
    DemoAccount("0005", "001", DepositType.ORDINARY, "2222222", "ﾀﾅｶ ﾊﾅｺ", 180_000),
    DemoAccount("0005", "001", DepositType.ORDINARY, "2222223", "ｺﾊﾞﾔｼ ｹﾝｼﾞ", 0,
                RemoteAccountState.CLOSED),
    DemoAccount("0009", "001", DepositType.ORDINARY, "3333333", "ﾀｶﾊｼ ﾕｳｷ", 90_000),
    DemoAccount("0009", "001", DepositType.CHECKING, "0400001", "ｶ)ｻｸﾗｹﾝｾﾂ", 12_000_000),
    DemoAccount("9900", "018", DepositType.ORDINARY, "4444444", "ﾜﾀﾅﾍﾞ ﾐﾕｷ", 60_000),
)


def seed_network(session: Session) -> list[RemoteAccount]:
    """Create the demo accounts at other banks that do not exist yet (safe to run again)."""
    created = []
    for a in DEMO_ACCOUNTS:
        if repo.remote_account(session, a.bank_code, a.branch_code, a.account_type,
                               a.number) is None:
            created.append(open_remote_account(
                session, bank_code=a.bank_code, branch_code=a.branch_code,
                account_type=a.account_type, number=a.number, holder_kana=a.holder_kana,
                balance=a.balance, state=a.state))
    return created


# --- Kinko → other banks --------------------------------------------------------------------

def deliver(session: Session, transfer_ref: str) -> None:
    """The network takes Kinko's message; the receiving bank answers after the delay."""
    now = clock.now()
    if not repo.move_outgoing(session, transfer_ref, OutgoingState.QUEUED,
                              state=OutgoingState.SENT, sent_at=now):
        return  # delivered already (or unknown): a second delivery changes nothing
    enqueue(session, SETTLE_TOPIC, {"transfer_ref": transfer_ref},
            due_at=now + NETWORK_DELAY, dedupe_key=f"{SETTLE_TOPIC}:{transfer_ref}")
    record(session, actor=ACTOR, action="clearing.outgoing.sent", subject_type="transfer",
           subject_id=transfer_ref)


def deliver_many(session: Session, transfer_refs: Sequence[str]) -> None:
    """:func:`deliver` for a batch handed over as one message: one UPDATE moves the queued
    ones to sent, and their answers come back as one settle message."""
    now = clock.now()
    moved = set(repo.move_outgoing_many(session, transfer_refs, OutgoingState.QUEUED,
                                        state=OutgoingState.SENT, sent_at=now))
    if not moved:
        return  # delivered already: a second delivery changes nothing
    sent = [ref for ref in transfer_refs if ref in moved]   # in the order handed over
    enqueue(session, SETTLE_MANY_TOPIC, {"transfer_refs": sent},
            due_at=now + NETWORK_DELAY, dedupe_key=f"{SETTLE_MANY_TOPIC}:{sent[0]}")
    for ref in sent:
        record(session, actor=ACTOR, action="clearing.outgoing.sent", subject_type="transfer",
               subject_id=ref)


def settle_many(session: Session, transfer_refs: Sequence[str]) -> None:
    """Each transfer of a batch answered as by :func:`settle` (each one moves only once)."""
    for ref in transfer_refs:
        settle(session, ref)


def settle(session: Session, transfer_ref: str) -> None:
    """The receiving bank credits its account, or sends the transfer back as unpayable."""
    message = repo.outgoing(session, transfer_ref)
    if message is None or message.state is not OutgoingState.SENT:
        return  # settled already: a second answer changes nothing
    # Lock the destination first, so it cannot close between the decision and the credit.
    account = repo.remote_account(session, message.bank_code, message.branch_code,
                                  message.account_type, message.number, lock=True)
    facts = None if account is None else RemoteFacts(account.state, account.holder_kana)
    reason = remote_decision(facts, message.holder_kana)
    now = clock.now()
    if reason is None:
        assert account is not None
        if not repo.move_outgoing(session, transfer_ref, OutgoingState.SENT,
                                  state=OutgoingState.ACCEPTED, settled_at=now,
                                  remote_account_id=account.id):
            return
        repo.credit_remote(session, account.id, message.amount)
        record(session, actor=ACTOR, action="clearing.outgoing.accepted",
               subject_type="transfer", subject_id=transfer_ref)
        return
    text = reason_text(reason)
    if not repo.move_outgoing(session, transfer_ref, OutgoingState.SENT,
                              state=OutgoingState.RETURNED, settled_at=now, reason_code=reason,
                              reason=text,
                              remote_account_id=account.id if account is not None else None):
        return
    enqueue(session, RETURNED_TOPIC,
            {"transfer_ref": transfer_ref, "reason_code": reason, "reason": text},
            dedupe_key=f"{RETURNED_TOPIC}:{transfer_ref}")
    record(session, actor=ACTOR, action="clearing.outgoing.returned", subject_type="transfer",
           subject_id=transfer_ref, data={"reason": reason})


# --- other banks → Kinko --------------------------------------------------------------------

def send_to_kinko(
    session: Session,
    *,
    to_branch: str,
    to_account_type: str | DepositType | AccountType,
    to_number: str,
    amount: int,
    remitter_name_kana: str,
    remitter_bank_code: str,
    remitter_branch_code: str,
    edi: str | None = None,
    reference: str | None = None,
) -> str:
    """Another bank sends Kinko a transfer: queue its delivery (outbox ``clearing.receive``).

    The message is checked as the network would check it, so a malformed one is refused
    here instead of failing at delivery. Returns the network reference.
    """
    reference = reference or f"NW{clock.now():%Y%m%d}{uuid.uuid4().hex[:16].upper()}"
    check_reference(reference)
    check_branch_code(to_branch)
    kind = parse_deposit_type(to_account_type)
    check_number(to_number)
    check_amount(amount)
    check_name(remitter_name_kana, "remitter name")
    validate_bank_branch(remitter_bank_code, remitter_branch_code)
    enqueue(session, RECEIVE_TOPIC, {
        "reference": reference, "to_branch": to_branch, "to_account_type": kind.value,
        "to_number": to_number, "amount": amount, "remitter_name_kana": remitter_name_kana,
        "remitter_bank_code": remitter_bank_code,
        "remitter_branch_code": remitter_branch_code, "edi": check_edi(edi),
    }, dedupe_key=f"{RECEIVE_TOPIC}:{reference}")
    return reference
