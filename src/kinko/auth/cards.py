"""Confirmation-number card (お取引確認番号, AUTH-1, 001 2(3)).

Each customer's members card carries a grid of random digits (the ``secrets`` module). A fund
movement asks for a few cells chosen at random; the challenge names them, is bound to the
operation and the session, and is used once, right or wrong, so a wrong guess gets new cells.
Wrong answers count toward lockout like any other credential (the caller counts them).
The grid is stored encrypted, because the bank must read single cells back.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import challenges
from kinko.auth import repository as repo
from kinko.auth.crypto import constant_time_equals, decrypt, encrypt
from kinko.auth.effects import audit
from kinko.auth.errors import FactorNotAvailable
from kinko.auth.models import AuthUser, CardState, ChallengeKind, ConfirmationCard
from kinko.auth.policy import AuthRules
from kinko.auth.rules import cell_name, normalise_digits, parse_cell

_PURPOSE = "card-grid"


@dataclass(frozen=True)
class IssuedCard:
    """The card to print and mail once; the grid is not kept in clear anywhere."""

    card_id: int
    serial: str
    grid: tuple[tuple[str, ...], ...]   # grid[row][col]


@dataclass(frozen=True)
class CardChallenge:
    challenge_id: str
    cells: tuple[str, ...]              # e.g. ("B3", "E1")
    expires_at: datetime


def _grid(card: ConfirmationCard) -> list[list[str]]:
    grid: list[list[str]] = json.loads(
        decrypt(_PURPOSE, card.grid_ciphertext, context=f"card:{card.serial}"))
    return grid


def issue_card(session: Session, user: AuthUser, rules: AuthRules, *, actor: str) -> IssuedCard:
    """Make a new card for ``user``; the previous card stops working."""
    now = clock.now()
    previous = repo.active_card(session, user.id)
    if previous is not None:
        previous.state = CardState.REVOKED
        previous.revoked_at = now
        session.flush()   # one active card per user (partial unique index)
    grid = tuple(
        tuple("".join(secrets.choice("0123456789") for _ in range(rules.card_cell_digits))
              for _ in range(rules.card_cols))
        for _ in range(rules.card_rows))
    serial = "C" + secrets.token_hex(6).upper()
    card = ConfirmationCard(user_id=user.id, serial=serial, rows=rules.card_rows,
                            cols=rules.card_cols, issued_at=now,
                            grid_ciphertext=encrypt(_PURPOSE, json.dumps(grid).encode(),
                                                    context=f"card:{serial}"))
    session.add(card)
    session.flush()
    audit(session, actor=actor, action="auth.card_issued", user=user, serial=serial,
          replaces=None if previous is None else previous.serial)
    return IssuedCard(card.id, serial, grid)


def start_challenge(session: Session, user: AuthUser, rules: AuthRules, *,
                    session_id: int | None, operation_digest: str | None,
                    first: bool = False) -> CardChallenge:
    """Pick distinct random cells to ask for (001 2(3): 都度指定).

    The cells already asked for this operation in this session, while unanswered and live,
    are asked again: showing the confirmation screen again (a reload) must not draw new cells,
    or someone holding a few cells of a stolen card's grid could redraw until they come up.
    ``first``: the operation was made by this very request (a new instruction), so no cells
    can have been asked for it yet and none are looked for.
    """
    card = repo.active_card(session, user.id)
    if card is None:
        raise FactorNotAvailable(detail="no confirmation-number card")
    if operation_digest is not None and not first:
        pending = repo.pending_challenge(session, ChallengeKind.CARD_CELLS, user_id=user.id,
                                        session_id=session_id,
                                        operation_digest=operation_digest, now=clock.now())
        if pending is not None:
            data = json.loads(pending.data)
            if data.get("card") == card.serial:
                return CardChallenge(pending.public_id, tuple(data["cells"]),
                                     pending.expires_at)
    picker = secrets.SystemRandom()
    indices = picker.sample(range(card.rows * card.cols), rules.card_cells_per_challenge)
    places = [divmod(i, card.cols) for i in indices]   # (row, column) of each asked cell
    cells = tuple(cell_name(r, c) for r, c in places)
    grid = _grid(card)
    expected = {cell: grid[r][c] for cell, (r, c) in zip(cells, places, strict=True)}
    # The expected answers are kept only as a keyed hash (with the card's serial): a
    # confirmation whose answers hash the same spends the challenge in the session's
    # rotation statement (:func:`answers_digest`).
    row = challenges.create(session, ChallengeKind.CARD_CELLS, ttl=rules.card_challenge_ttl,
                            user_id=user.id, session_id=session_id,
                            answer=_answer_text(card.serial, expected),
                            data={"cells": list(cells), "card": card.serial},
                            operation_digest=operation_digest, write_behind=True)
    return CardChallenge(row.public_id, cells, row.expires_at)


def _answer_text(serial: str, answers: Mapping[str, str]) -> str:
    """What a card challenge's answer hash is taken over: the card's serial and each cell with
    its digits, in cell-name order."""
    return serial + "|" + ",".join(f"{cell}={answers[cell]}" for cell in sorted(answers))


def answers_digest(card: ConfirmationCard, challenge_id: str,
                   answers: Mapping[str, str]) -> str:
    """The keyed hash ``answers`` would have if they are exactly the right digits of exactly
    the cells asked by ``challenge_id`` on ``card`` (the active card): equal to the hash kept
    with the challenge only then. Anything else (another card, a cell more or less, a wrong
    digit) differs, and the answers are then checked the usual way (:func:`check_answers`)."""
    normal = {cell: normalise_digits(value) for cell, value in answers.items()}
    return challenges.answer_digest(challenge_id, _answer_text(card.serial, normal))


def check_answers(session: Session, user: AuthUser, challenge_id: str,
                  answers: Mapping[str, str], *, session_id: int | None,
                  operation_digest: str | None) -> bool:
    """Use the challenge and compare every asked cell; False for anything that is off."""
    used = repo.consume_challenge(session, challenge_id, ChallengeKind.CARD_CELLS,
                                  clock.now())
    if (used is None or used.user_id != user.id or used.session_id != session_id
            or used.operation_digest != operation_digest):
        return False
    data = json.loads(used.data)
    card = repo.active_card(session, user.id)
    if card is None or card.serial != data["card"]:
        return False
    grid = _grid(card)
    ok = True
    for cell in data["cells"]:
        r, c = parse_cell(cell, card.rows, card.cols)
        given = normalise_digits(answers.get(cell, ""))
        # Compare all cells (no early exit), in constant time.
        ok = constant_time_equals(grid[r][c], given) and ok
    return ok
