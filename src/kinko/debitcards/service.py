"""Debit card service (DEB-1, 003 第三条1): link a debit card to an ordinary account,
cancel it, list the customer's cards. Every change is audited (with the last four digits
only: the card number never reaches the database, a log or the audit trail).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.auth.crypto import keyed_digest, keyed_digests
from kinko.corporate import entitlements
from kinko.debitcards import repository as repo
from kinko.debitcards import rules
from kinko.debitcards.errors import CardAlreadyLinked, CardInUse, CardNotActive, CardNotFound
from kinko.debitcards.models import CardState, DebitCard
from kinko.instructions.service import Actor
from kinko.ledger.errors import AccountNotFound, AccountNotUsable
from kinko.ledger.models import Account, AccountState, AccountType
from kinko.parties.residency import check_allowed

DIGEST_PURPOSE = "debit-card-number"


@dataclass(frozen=True)
class CardView:
    id: int
    account_id: int
    branch_code: str
    account_number: str
    masked_number: str
    last4: str
    state: str
    registered_at: datetime
    cancelled_at: datetime | None


def _view(session: Session, card: DebitCard) -> CardView:
    account = session.get(Account, card.account_id)
    assert account is not None
    return CardView(card.id, card.account_id, account.branch_code, account.number,
                    rules.masked(card.last4), card.last4, card.state.value, card.registered_at,
                    card.cancelled_at)


def card_digest(number: str) -> str:
    return keyed_digest(DIGEST_PURPOSE, number)


def register_card(session: Session, actor: Actor, *, account_id: int,
                  card_number: str) -> CardView:
    """Link a card to one of the customer's active ordinary accounts (one active card per
    account; a card on one account only)."""
    entitlements.require_retail(session, actor, what="debit cards")
    check_allowed(session, actor.customer_id, "debit_card")
    number = rules.normalise_card_number(card_number)
    account = session.get(Account, account_id)
    if account is None or account.customer_id != actor.customer_id \
            or account.type is not AccountType.ORDINARY:
        raise AccountNotFound(detail=f"ordinary account {account_id}")
    if account.state is not AccountState.ACTIVE:  # SUSP-1
        raise AccountNotUsable(detail=f"{account.branch_code}-{account.number}: "
                                      f"{account.state.value}")
    digest = card_digest(number)
    # A card registered before a key rotation has its digest under a previous key.
    digests = keyed_digests(DIGEST_PURPOSE, number)
    _refuse_if_taken(session, account_id, digests)
    card = DebitCard(customer_id=actor.customer_id, account_id=account_id,
                     number_digest=digest, last4=rules.last4(number), state=CardState.ACTIVE,
                     active_account_id=account_id, active_digest=digest,
                     registered_at=clock.now(), registered_by=actor.label)
    try:
        # The unique keys decide a race between two registrations; the savepoint keeps the
        # caller's transaction usable so the loser gets the same clear error.
        with session.begin_nested():
            session.add(card)
            session.flush()
    except IntegrityError:
        _refuse_if_taken(session, account_id, digests)
        raise
    record(session, actor=actor.label, action="debit_card.registered",
           subject_type="debit_card", subject_id=card.id,
           data={"account": account_id, "last4": card.last4})
    return _view(session, card)


def _refuse_if_taken(session: Session, account_id: int, digests: tuple[str, ...]) -> None:
    if repo.active_on_account(session, account_id) is not None:
        raise CardAlreadyLinked
    if any(repo.active_with_digest(session, digest) is not None for digest in digests):
        raise CardInUse


def cancel_card(session: Session, actor: Actor, card_id: int) -> CardView:
    """Unlink a card (解除); a second cancellation is refused, not repeated."""
    entitlements.require_retail(session, actor, what="debit cards")
    check_allowed(session, actor.customer_id, "debit_card_cancel")
    card = repo.card(session, card_id)
    if card is None or card.customer_id != actor.customer_id:
        raise CardNotFound(detail=str(card_id))
    if not repo.cancel(session, card.id, at=clock.now(), by=actor.label):
        raise CardNotActive(detail=str(card_id))
    record(session, actor=actor.label, action="debit_card.cancelled",
           subject_type="debit_card", subject_id=card.id,
           data={"account": card.account_id, "last4": card.last4})
    session.refresh(card)
    return _view(session, card)


def list_cards(session: Session, actor: Actor) -> list[CardView]:
    """照会: the customer's cards, newest first, with their state."""
    entitlements.require_retail(session, actor, what="debit cards")
    return [_view(session, c) for c in repo.cards_of(session, actor.customer_id)]
