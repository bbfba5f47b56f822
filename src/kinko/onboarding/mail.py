"""Credentials by post (AUTH-7, CRED-1, CRED-5): the mail room's queue of letters and parcels.

Issuing a credential queues a shipment; its contents (an initial password, a card's grid) are
kept encrypted only until the mail room marks it sent. Printing renders the PDF from the
shipment and the customer's current address. Mail that comes back is recorded by an operator:
the credential it carried is voided at once and a replacement is queued; initial credentials
that could not be delivered make the contract a termination candidate (003 第十二条2(2)).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko import catalogue, clock
from kinko.audit.service import record
from kinko.auth import cards, tokens
from kinko.auth import repository as auth_repo
from kinko.auth.crypto import decrypt, encrypt
from kinko.auth.models import AuthUser, OtpToken, SecretKind, TokenIssueReason, TokenState
from kinko.auth.passwords import random_password, set_secret
from kinko.auth.users import get_user, rules_for_user
from kinko.documents.pdf import Document, render
from kinko.errors import NotFound
from kinko.onboarding import rules
from kinko.onboarding.errors import OnboardingRefused
from kinko.onboarding.models import Shipment, ShipmentKind, ShipmentState
from kinko.parties.models import Customer, CustomerKind

_PURPOSE = "mail-contents"
BANK_NAME = "金庫銀行 / Kinko Bank"
# A letter is written in Japanese; its English (below the Japanese, as a bank letter has it) is
# the message catalogue's, under the context "letter" (docs/messages.md).
LETTER = "letter"
TITLES: dict[ShipmentKind, str] = {
    ShipmentKind.INITIAL_CREDENTIALS: "ユーザID・初回パスワードのお知らせ",
    ShipmentKind.CONFIRMATION_CARD: "お取引確認番号カードのお届け",
    ShipmentKind.TOKEN: "ワンタイムパスワード（トークン）のお届け",
    ShipmentKind.TOKEN_RENEWAL: "トークン有効期限のお知らせと新しいトークンのお届け",
}


def _en(ja: str, **params: object) -> str:
    return catalogue.pair(ja, LETTER, **params)[1]


def both(ja: str) -> str:
    """A heading or a table's label: ``日本語 / English``."""
    return f"{ja} / {_en(ja)}"


def letter_body(paragraphs: Sequence[tuple[str, dict[str, object]]]) -> list[str]:
    """Japanese paragraphs first, then their English below (pure; ``{name}`` parameters)."""
    ja = [text.format(**params) if params else text for text, params in paragraphs]
    return [*ja, "", *(_en(text, **params) for text, params in paragraphs)]


def _seal(shipment_key: str, contents: dict[str, Any]) -> bytes:
    return encrypt(_PURPOSE, json.dumps(contents, ensure_ascii=False).encode(),
                   context=shipment_key)


def _contents(shipment: Shipment) -> dict[str, Any]:
    if shipment.sealed is None:
        return {}
    opened: dict[str, Any] = json.loads(decrypt(_PURPOSE, shipment.sealed,
                                                context=f"shipment:{shipment.id}"))
    return opened


def queue(session: Session, *, kind: ShipmentKind, customer_id: int, actor: str,
          contract_id: int | None = None, user_id: int | None = None,
          token_id: int | None = None, reference: str = "",
          contents: dict[str, Any] | None = None, replaces_id: int | None = None) -> Shipment:
    """Put a letter or parcel in the mail room's queue."""
    row = Shipment(kind=kind, state=ShipmentState.QUEUED, customer_id=customer_id,
                   contract_id=contract_id, user_id=user_id, token_id=token_id,
                   reference=reference[:40], created_at=clock.now(), created_by=actor[:80],
                   replaces_id=replaces_id)
    session.add(row)
    session.flush()
    if contents:
        row.sealed = _seal(f"shipment:{row.id}", contents)
        session.flush()
    record(session, actor=actor, action="mail.queued", subject_type="shipment",
           subject_id=row.id, data={"kind": kind.value, "customer": customer_id,
                                    "reference": row.reference})
    return row


def get_shipment(session: Session, shipment_id: int, *, lock: bool = False) -> Shipment:
    query = select(Shipment).where(Shipment.id == shipment_id)
    if lock:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(detail=f"shipment {shipment_id}")
    return row


def listing(session: Session, *, states: Sequence[ShipmentState] | None = None,
            customer_id: int | None = None, limit: int = 200) -> Sequence[Shipment]:
    query = select(Shipment).order_by(Shipment.id).limit(limit)
    if states:
        query = query.where(Shipment.state.in_(list(states)))
    if customer_id is not None:
        query = query.where(Shipment.customer_id == customer_id)
    return session.execute(query).scalars().all()


def termination_candidates(session: Session) -> Sequence[Shipment]:
    return session.execute(select(Shipment).where(Shipment.termination_candidate.is_(True))
                           .order_by(Shipment.id)).scalars().all()


# --- the letters ---------------------------------------------------------------------------


def document(session: Session, shipment: Shipment) -> Document:
    """What is printed: the customer's current address, and the shipment's contents."""
    customer = session.get(Customer, shipment.customer_id)
    assert customer is not None   # foreign key
    contents = _contents(shipment)
    paragraphs: list[tuple[str, dict[str, object]]] = []
    table: list[list[str]] = []
    if shipment.kind is ShipmentKind.INITIAL_CREDENTIALS:
        paragraphs = [(p, {}) for p in (
            "インターネットバンキングのお申込みありがとうございます。",
            "初回ログイン時に、ユーザIDとパスワードの両方を変更していただきます。",
            "このお知らせは第三者に見られないよう大切に保管し、変更後は破棄してください。")]
        table = [[both("ユーザID"), contents.get("login_id", shipment.reference)],
                 [both("初回パスワード"), contents.get("password", "（送付済）")]]
    elif shipment.kind is ShipmentKind.CONFIRMATION_CARD:
        paragraphs = [("お取引確認番号カードをお届けします。お振込などの際、画面に表示された"
                       "位置（例：B3 = B列3行）の数字を入力してください。", {})]
        grid = contents.get("grid", [])
        if grid:
            table = [[""] + [chr(ord("A") + c) for c in range(len(grid[0]))]]
            table += [[str(r + 1), *row] for r, row in enumerate(grid)]
        table.append(["No.", shipment.reference])
    else:
        token = None if shipment.token_id is None else session.get(OtpToken, shipment.token_id)
        ready = token is not None and token.state is TokenState.ACTIVE
        paragraphs = [("ワンタイムパスワード生成機（トークン）をお届けします。"
                       "当行からの貸与品です。", {}),
                      ("すぐにご利用いただけます（ログイン時に表示中の数字を入力してください）。"
                       if ready else
                       "ログイン後「セキュリティ設定」→「トークンの利用登録」でシリアル番号と"
                       "表示中の数字を入力して、ご利用を開始してください。", {})]
        table = [[both("シリアル番号"), shipment.reference]]
        if contents.get("expires_on"):
            table.append([both("有効期限"), contents["expires_on"]])
        if shipment.kind is ShipmentKind.TOKEN_RENEWAL:
            paragraphs.insert(0, ("現在のトークン（{serial}）は {expires_on} に"
                                  "有効期限を迎えます。",
                                  {"serial": contents.get("old_serial", ""),
                                   "expires_on": contents.get("old_expires_on", "")}))
    return Document(
        title=both(TITLES[shipment.kind]),
        addressee=[f"〒{customer.postal_code or ''}", customer.address or "",
                   f"{customer.name} {_honorific(customer)}",
                   f"お客さま番号 {customer.number}"],
        issuer=[BANK_NAME, clock.today().isoformat()],
        body=letter_body(paragraphs), table=table,
        footer=f"shipment {shipment.id} · {shipment.kind.value}",
        meta={"shipment": str(shipment.id)})


def _honorific(customer: Customer) -> str:
    return "様" if customer.kind is CustomerKind.INDIVIDUAL else "御中"


def print_pdf(session: Session, *, shipment_id: int, actor: str) -> bytes:
    """Render the PDF for the mail room; the shipment is then marked printed (again)."""
    row = get_shipment(session, shipment_id, lock=True)
    rules.check_shipment_move(row.state, ShipmentState.PRINTED)
    pdf = render(document(session, row))
    row.state = ShipmentState.PRINTED
    row.printed_at = clock.now()
    session.flush()
    record(session, actor=actor, action="mail.printed", subject_type="shipment",
           subject_id=row.id, data={"kind": row.kind.value})
    return pdf


def mark_sent(session: Session, *, shipment_id: int, actor: str) -> Shipment:
    """Handed to the post: the encrypted contents are wiped (nothing secret stays at rest)."""
    row = get_shipment(session, shipment_id, lock=True)
    rules.check_shipment_move(row.state, ShipmentState.SENT)
    row.state = ShipmentState.SENT
    row.sent_at = clock.now()
    row.sealed = None
    session.flush()
    record(session, actor=actor, action="mail.sent", subject_type="shipment",
           subject_id=row.id, data={"kind": row.kind.value})
    return row


def record_returned(session: Session, *, shipment_id: int, reason: str, actor: str
                    ) -> Shipment:
    """Returned mail (CRED-5): void what it carried, queue the reissue; initial credentials
    that could not be delivered make the contract a termination candidate. Returns the
    replacement shipment."""
    text = reason.strip()
    if not 1 <= len(text) <= 200:
        raise OnboardingRefused(detail="say why it came back (1–200 characters)",
                                fields=["reason"])
    row = get_shipment(session, shipment_id, lock=True)
    rules.check_shipment_move(row.state, ShipmentState.RETURNED)
    row.state = ShipmentState.RETURNED
    row.returned_at = clock.now()
    row.returned_reason = text
    row.termination_candidate = row.kind is ShipmentKind.INITIAL_CREDENTIALS
    session.flush()
    record(session, actor=actor, action="mail.returned", subject_type="shipment",
           subject_id=row.id, data={"kind": row.kind.value, "reason": text,
                                    "termination_candidate": row.termination_candidate})
    return _reissue(session, row, actor=actor)


def _reissue(session: Session, row: Shipment, *, actor: str) -> Shipment:
    if row.kind is ShipmentKind.INITIAL_CREDENTIALS:
        assert row.user_id is not None
        user = get_user(session, row.user_id)
        return queue_initial_credentials(session, user, actor=actor, replaces_id=row.id)
    if row.kind is ShipmentKind.CONFIRMATION_CARD:
        assert row.user_id is not None
        user = get_user(session, row.user_id)
        return issue_card_by_post(session, user, actor=actor, replaces_id=row.id)
    # A token: the one in the post is stopped, a new one is lent free (the bank resends).
    assert row.token_id is not None and row.contract_id is not None
    old = session.get(OtpToken, row.token_id)
    assert old is not None   # foreign key
    was_active = old.state is TokenState.ACTIVE
    if old.state in (TokenState.ACTIVE, TokenState.LENT, TokenState.PENDING):
        old.state = TokenState.STOPPED
        old.ended_at = clock.now()
        session.flush()
        record(session, actor=actor, action="auth.token_stopped", subject_type="otp_token",
               subject_id=old.id, data={"serial": old.serial, "why": "mail returned"})
    return lend_token_by_post(session, contract_id=row.contract_id, user_id=old.user_id,
                              reason=TokenIssueReason.RETURNED, replaces_serial=old.serial,
                              activate=was_active, kind=row.kind, actor=actor,
                              replaces_id=row.id)


# --- issuing credentials by post ------------------------------------------------------------


def queue_initial_credentials(session: Session, user: AuthUser, *, actor: str,
                              password: str | None = None, replaces_id: int | None = None
                              ) -> Shipment:
    """Queue the user ID / initial password letter (003 第二条). Without ``password`` a new
    one is drawn, which voids any earlier letter's password."""
    if password is None:
        password = random_password(rules_for_user(session, user))
        set_secret(session, user, SecretKind.LOGIN_PASSWORD, password, temporary=True)
        user.must_change_login_id = True
    assert user.login_id is not None
    return queue(session, kind=ShipmentKind.INITIAL_CREDENTIALS, customer_id=user.customer_id,
                 contract_id=user.contract_id, user_id=user.id, reference=user.login_id,
                 contents={"login_id": user.login_id, "password": password},
                 replaces_id=replaces_id, actor=actor)


def issue_card_by_post(session: Session, user: AuthUser, *, actor: str,
                       replaces_id: int | None = None) -> Shipment:
    """A new confirmation-number card (the previous one stops working) and its letter."""
    card = cards.issue_card(session, user, rules_for_user(session, user), actor=actor)
    return queue(session, kind=ShipmentKind.CONFIRMATION_CARD, customer_id=user.customer_id,
                 contract_id=user.contract_id, user_id=user.id, reference=card.serial,
                 contents={"grid": [list(row) for row in card.grid]},
                 replaces_id=replaces_id, actor=actor)


def new_serial() -> str:
    return "ET" + secrets.token_hex(5).upper()


def lend_token_by_post(session: Session, *, contract_id: int, user_id: int | None,
                       reason: TokenIssueReason, actor: str,
                       replaces_serial: str | None = None, activate: bool = False,
                       fee_accounts: tokens.FeeAccounts | None = None,
                       kind: ShipmentKind = ShipmentKind.TOKEN,
                       replaces_id: int | None = None,
                       contents: dict[str, Any] | None = None) -> Shipment:
    """Lend a hard token (CRED-1: initial free, extra and loss with the fee) and queue it."""
    issued = tokens.issue_hard_token(session, contract_id=contract_id, serial=new_serial(),
                                     reason=reason, user_id=user_id, activate=activate,
                                     replaces_serial=replaces_serial, fee_accounts=fee_accounts,
                                     actor=actor)
    contract = auth_repo.contract(session, contract_id)
    assert contract is not None
    return queue(session, kind=kind, customer_id=contract.customer_id, contract_id=contract_id,
                 user_id=user_id, token_id=issued.token_id, reference=issued.serial,
                 contents={"expires_on": issued.expires_on.isoformat()
                           if issued.expires_on else "", **(contents or {})},
                 replaces_id=replaces_id, actor=actor)
