"""Single-use challenges, and the login confirmation code (確認コード, 003 第四条2(1)).

A challenge is created with an expiry and consumed by one conditional UPDATE, so it is used at
most once whatever the concurrency. An expected answer is stored only as a keyed hash bound to
the challenge's public id.

The confirmation code is a CAPTCHA-like challenge: the server generates it, the login page
shows it as an image (the web layer draws it) and the customer types it with the other login
details. It keeps scripted guessing out; a wrong code is refused before any password is
checked, so it neither counts toward lockout nor tells anything about the account.
"""

from __future__ import annotations

import json
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import repository as repo
from kinko.auth.crypto import digest_matches, keyed_digest, new_token
from kinko.auth.models import Challenge, ChallengeKind
from kinko.db import write_behind as deferred
from kinko.db.base import table_of

# No 0/O, 1/I/L: the code must be readable from a distorted image.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def answer_digest(public_id: str, answer: str) -> str:
    return keyed_digest("challenge", f"{public_id}:{answer}")


def create(session: Session, kind: ChallengeKind, *, ttl: timedelta,
           user_id: int | None = None, session_id: int | None = None,
           answer: str | None = None, data: dict[str, Any] | None = None,
           operation_digest: str | None = None, write_behind: bool = False) -> Challenge:
    """A new challenge. ``write_behind``: written at the end of the transaction with its other
    buffered rows (:mod:`kinko.db.write_behind`; a query of the challenges in the same
    transaction still sees it) and returned unsaved, without its ``id`` — for a challenge
    handed out and not used again in this transaction (the card cells of a transfer)."""
    now = clock.now()
    public_id = new_token(32)
    values = {"public_id": public_id, "kind": kind, "user_id": user_id,
              "session_id": session_id,
              "answer_hash": None if answer is None else answer_digest(public_id, answer),
              "data": json.dumps(data or {}, sort_keys=True, ensure_ascii=False),
              "operation_digest": operation_digest, "created_at": now,
              "expires_at": now + ttl}
    if write_behind:
        deferred.add(session, _TABLE, values)
        return Challenge(**values)
    row: Challenge = session.execute(_INSERT, values).scalar_one()
    return row


_TABLE = table_of(Challenge)


# One INSERT … RETURNING built once (a card challenge is made for every transfer entered):
# an ``add`` and a flush of the unit of work cost several times as much for one row. The
# strategy "orm": given parameters, the ORM would otherwise run a bulk INSERT.
_INSERT = insert(Challenge).values({name: bindparam(name) for name in (
    "public_id", "kind", "user_id", "session_id", "answer_hash", "data", "operation_digest",
    "created_at", "expires_at")}).returning(Challenge).execution_options(dml_strategy="orm")


@dataclass(frozen=True)
class ConfirmationCode:
    challenge_id: str
    code: str           # drawn as an image by the page; never logged
    expires_at: datetime


def normalise_code(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().upper()


def issue_confirmation_code(session: Session, *, length: int = 6,
                            ttl: timedelta = timedelta(minutes=5)) -> ConfirmationCode:
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
    row = create(session, ChallengeKind.CONFIRMATION_CODE, ttl=ttl, answer=code)
    return ConfirmationCode(row.public_id, code, row.expires_at)


def check_confirmation_code(session: Session, challenge_id: str, typed: str) -> bool:
    """Use the challenge (right or wrong, it is gone) and say whether ``typed`` matched."""
    used = repo.consume_challenge(session, challenge_id, ChallengeKind.CONFIRMATION_CODE,
                                  clock.now())
    if used is None or used.answer_hash is None:
        return False
    return digest_matches("challenge", f"{challenge_id}:{normalise_code(typed)}",
                          used.answer_hash)
