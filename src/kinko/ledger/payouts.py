"""Pay many accounts from one account: ``post_payouts``, the shape of a bulk file's run.

Each payout is one two-leg entry (the source debited, the payee credited) with its own
idempotency key: exactly what :func:`kinko.ledger.service.post_many` writes for the same
entries — the same rows, hashes, audit events, balances and refusals (tests/ledger hold the
two together) — but read from plain tuples and written on PostgreSQL as COPY text built in
one pass, with no per-entry objects. A bulk run's 100,000 payees spent more Python time in
building and taking apart entry objects than in anything else on the client.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from kinko import clock
from kinko.db.copy import ESCAPES, copy_text
from kinko.ledger import repository as repo
from kinko.ledger.errors import AccountNotFound, AccountNotUsable, InsufficientFunds, InvalidEntry
from kinko.ledger.rules import CREDITABLE, DEBITABLE, AccountSnapshot, Leg
from kinko.ledger.service import BatchResult, EntryRequest, _json_text, _refusal, post_many
from kinko.money import MAX_AMOUNT


class Payout(NamedTuple):
    """One entry: ``amount`` (> 0) from the batch's source account to ``account_id``."""

    kind: str
    idempotency_key: str
    account_id: int
    amount: int
    source_text: str    # the source leg's description
    text: str           # the credited leg's description


def as_entry(source: int, p: Payout, memo: str, value_date: date | None) -> EntryRequest:
    """The entry ``post_many`` would be given for the payout."""
    return EntryRequest(kind=p.kind, memo=memo, value_date=value_date,
                        idempotency_key=p.idempotency_key,
                        legs=[Leg(source, -p.amount, p.source_text),
                              Leg(p.account_id, p.amount, p.text)])


def _check(source: int, payouts: Sequence[Payout], memo: str) -> None:
    """The checks of ``post_many``'s ``_check_request`` for this shape, in one pass."""
    if type(source) is not int or source <= 0:
        raise InvalidEntry(detail=f"account {source!r} is not an account id")
    if len(memo) > 200:
        raise InvalidEntry(detail="memo longer than 200 characters")
    for p in payouts:
        if type(p.amount) is not int:   # bool and float are refused, not coerced
            raise InvalidEntry(detail=f"amount {p.amount!r} is not an integer")
        if not 0 < p.amount <= MAX_AMOUNT:
            raise InvalidEntry(detail=f"amount {p.amount} is out of range")
        if type(p.account_id) is not int or p.account_id <= 0:
            raise InvalidEntry(detail=f"account {p.account_id!r} is not an account id")
        if p.account_id == source:
            raise InvalidEntry(detail=f"account {source} appears twice")
        if len(p.text) > 100 or len(p.source_text) > 100:
            raise InvalidEntry(detail="description longer than 100 characters")
        if not 0 < len(p.kind) <= 30:
            raise InvalidEntry(detail="kind must be 1–30 characters")
        if not 0 < len(p.idempotency_key) <= 100:
            raise InvalidEntry(detail="idempotency key must be 1–100 characters")
    if len({p.idempotency_key for p in payouts}) != len(payouts):
        raise InvalidEntry(detail="an idempotency key appears twice in the batch")


def post_payouts(session: Session, source: int, payouts: Sequence[Payout], *, memo: str,
                 value_date: date | None, actor: str,
                 shared: Collection[int] = ()) -> BatchResult:
    """Post every payout as its own entry in the caller's transaction, each all-or-nothing;
    a refused one (payee account closed or unknown, the source short) is reported by index
    with the code ``post`` would give, a key already posted as ``REPLAYED``.

    On PostgreSQL the source and the ``shared`` accounts (books that other batches running at
    the same time also move, e.g. the clearing book) are locked *last*, after the entries,
    the payees' postings and the audit events are written: batches paying disjoint payees
    from one source then overlap except for that short tail (their source postings, the
    balance UPDATE and the commit) instead of queueing on the source for their whole length.
    The decision is taken on the source's figures read just before; under the lock they are
    checked again, and if the source can no longer give the total (or an account changed
    state) in between, the domain error is raised and the caller's transaction rolls back
    (the runner tries the chunk again, against the new figures). Locking the source after
    the payees departs from the id order ``post`` follows: a single entry that moves the
    source and one of the batch's payees at that moment can deadlock with the batch;
    PostgreSQL then ends one of the two, and both the single post (``Database.run``) and the
    runner's message are retried — neither is ever half-written."""
    _check(source, payouts, memo)
    if not payouts:
        return BatchResult(posted=[])
    if session.get_bind().dialect.name != "postgresql":
        return post_many(session, [as_entry(source, p, memo, value_date) for p in payouts],
                         actor=actor)
    existing = repo.existing_keys(session, [p.idempotency_key for p in payouts])
    late = {source, *shared}
    early = sorted({p.account_id for p in payouts} - late)
    figures = {a.id: a for a in repo.lock_accounts(session, early)}
    figures.update({a.id: a for a in repo.read_accounts(session, sorted(late))})
    working: dict[int, list[Any]] = {
        k: [a.balance, a.held, a.overdraft_limit, a.state] for k, a in figures.items()}
    refused: dict[int, str] = {}
    accepted: list[Payout] = []
    src = working.get(source)
    # The source's room (LED-3) shrinks payout by payout; a refused payout leaves it as it was.
    room = None if src is None or src[3] not in DEBITABLE else src[0] - src[1] + src[2]
    for index, p in enumerate(payouts):
        if p.idempotency_key in existing:
            refused[index] = "REPLAYED"
            continue
        target = working.get(p.account_id)
        if (room is None or room < p.amount or target is None
                or target[3] not in CREDITABLE):
            refused[index] = _refusal(working, as_entry(source, p, memo, value_date))
            continue
        room -= p.amount
        src[0] -= p.amount  # type: ignore[index]
        target[0] += p.amount
        accepted.append(p)
    entry_ids = _write(session, source, late, accepted, figures, memo, value_date, actor)
    return BatchResult(posted=entry_ids, refused=refused)


POSTING_COLUMNS = ("entry_id", "account_id", "amount", "balance_after", "description")


def _write(session: Session, source: int, late: set[int], accepted: list[Payout],
           figures: dict[int, AccountSnapshot], memo: str, value_date: date | None,
           actor: str) -> list[int]:
    """Entries, the payees' postings and the audit events (COPY text built in one pass), the
    payees' balances; then the late accounts locked, checked, their postings and balances."""
    if not accepted:
        return []
    now = clock.now()
    entry_ids = repo.reserve_entry_ids(session, len(accepted))
    esc = ESCAPES    # COPY's text escapes
    stamp = now.isoformat()
    day = (value_date or now.date()).isoformat()
    memo_copy = memo.translate(esc)
    memo_json = _json_text(memo)
    date_json = "null" if value_date is None else f'"{value_date}"'
    actor_copy = actor.translate(esc)
    kinds: dict[str, tuple[str, str, str]] = {}      # kind → COPY text, JSON, JSON as COPY
    texts: dict[str, tuple[str, str]] = {}           # description → COPY text, JSON
    balances = {k: a.balance for k, a in figures.items()}
    entries: list[str] = []
    postings: list[str] = []
    events: list[str] = []
    later: list[tuple[int, int, int, str]] = []   # entry, account, amount, text: late payees
    add_entry, add_posting, add_event = entries.append, postings.append, events.append
    sha256 = hashlib.sha256
    for entry_id, p in zip(entry_ids, accepted, strict=True):
        kind = kinds.get(p.kind)
        if kind is None:
            kind_json = _json_text(p.kind)
            kind = kinds[p.kind] = (p.kind.translate(esc), kind_json, kind_json.translate(esc))
        s_text = texts.get(p.source_text)
        if s_text is None:
            s_text = texts[p.source_text] = (p.source_text.translate(esc),
                                             _json_text(p.source_text))
        t_text = (p.text.translate(esc), _json_text(p.text))
        amount, target = p.amount, p.account_id
        # The request hash of post_many's entry: canonical JSON, legs in account-id order.
        if source < target:
            legs = f"[{source},{-amount},{s_text[1]}],[{target},{amount},{t_text[1]}]"
        else:
            legs = f"[{target},{amount},{t_text[1]}],[{source},{-amount},{s_text[1]}]"
        digest = sha256(f'{{"kind":{kind[1]},"legs":[{legs}],"memo":{memo_json},'
                        f'"value_date":{date_json}}}'.encode()).hexdigest()
        add_entry(f"{entry_id}\t{kind[0]}\t{memo_copy}\t{day}\t{stamp}\t"
                  f"{p.idempotency_key.translate(esc)}\t{digest}\n")
        if target in late:
            later.append((entry_id, target, amount, t_text[0]))
        else:
            after = balances[target] = balances[target] + amount
            add_posting(f"{entry_id}\t{target}\t{amount}\t{after}\t{t_text[0]}\n")
        add_event(f"{stamp}\t{actor_copy}\tledger.post\tjournal_entry\t{entry_id}\t"
                  f'{{"kind":{kind[2]},"legs":[[{source},{-amount}],[{target},{amount}]]}}\n')
    copy_text(session, "journal_entries", ("id", "kind", "memo", "value_date", "created_at",
                                                "idempotency_key", "request_hash"),
                   "".join(entries))
    copy_text(session, "postings", POSTING_COLUMNS, "".join(postings))
    copy_text(session, "audit_events", ("occurred_at", "actor", "action", "subject_type",
                                             "subject_id", "data"), "".join(events))
    repo.add_to_balances_pg(session, {k: balances[k] - figures[k].balance
                                      for k in balances if k not in late})
    _write_tail(session, source, entry_ids, accepted, later,
                {text: copy for text, (copy, _) in texts.items()})
    return entry_ids


def _write_tail(session: Session, source: int, entry_ids: list[int], accepted: list[Payout],
                later: list[tuple[int, int, int, str]], source_copy: dict[str, str]) -> None:
    """The late accounts locked in id order, checked again (the figures read before must still
    allow what was decided on them), their postings with balances that follow the locked
    figures, and their balance UPDATE."""
    total = sum(p.amount for p in accepted)
    moves: dict[int, int] = {source: -total}
    later_by_entry: dict[int, tuple[int, int, str]] = {}
    for entry_id, target, amount, text in later:
        moves[target] = moves.get(target, 0) + amount
        later_by_entry[entry_id] = (target, amount, text)
    locked = {a.id: a for a in repo.lock_accounts(session, sorted(moves))}
    for k in moves:
        a = locked.get(k)
        if a is None:
            raise AccountNotFound(detail=f"account {k}")
        if k == source:
            if a.state not in DEBITABLE:
                raise AccountNotUsable(detail=f"account {k}: {a.state.value}")
            if a.balance - a.held + a.overdraft_limit - total < 0:
                raise InsufficientFunds(detail=f"account {k}")
        elif a.state not in CREDITABLE:
            raise AccountNotUsable(detail=f"account {k}: {a.state.value}")
    running = {k: a.balance for k, a in locked.items()}
    tail: list[str] = []
    add_tail = tail.append
    for entry_id, p in zip(entry_ids, accepted, strict=True):
        after = running[source] = running[source] - p.amount
        text = source_copy[p.source_text]
        add_tail(f"{entry_id}\t{source}\t{-p.amount}\t{after}\t{text}\n")
        shared = later_by_entry.get(entry_id)
        if shared is not None:
            target, amount, text = shared
            after = running[target] = running[target] + amount
            add_tail(f"{entry_id}\t{target}\t{amount}\t{after}\t{text}\n")
    copy_text(session, "postings", POSTING_COLUMNS, "".join(tail))
    repo.add_to_balances_pg(session, moves)
