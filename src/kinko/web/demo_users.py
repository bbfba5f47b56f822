"""Demo internet banking users with fixed credentials, enrolled through the real services.

``seed_demo_users(session, ids)`` runs after :func:`kinko.demo.data.create` (``ids`` are its
account ids) in the same transaction and returns what a demo user needs to log in:

- 山田 太郎 — retail-001: member number and password; a confirmation-number card whose grid
  (random, printed once) answers the step-up of transfers.
- 佐藤 花子 — retail-003: the bank-issued user ID and temporary password (the first login
  forces changing both) and a hard token whose seed is fixed, so anyone can compute its codes
  (``kinko demo otp``, or any TOTP app with the printed base32 seed).
- 株式会社きんこ商事 — corporate-002 Comprehensive: the master user (ID registered at first use,
  passwords set, a 合言葉 asked as the second login step, a hard token with a fixed seed), and
  a general user with temporary passwords that the first login forces to change.
- Operators for the console: a teller, two security officers, a policy administrator and two
  supervisors, each with a public password and an authenticator (TOTP) whose seed is fixed,
  so anyone can compute its codes (``kinko demo operator-otp CODE``).

The passwords are public: never run the demo against real data.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import typer
from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import cards, enrolment, otp, passwords, tokens
from kinko.auth import repository as auth_repo
from kinko.auth.errors import UserNotFound
from kinko.auth.models import (
    AuthUser,
    Course,
    Product,
    SecretKind,
    TokenIssueReason,
    TokenKind,
    UserRole,
)
from kinko.auth.outcomes import Rejected
from kinko.auth.policy import rules_for
from kinko.auth.users import contract_of
from kinko.backoffice.models import OperatorRole
from kinko.backoffice.operators import create_operator, operator_by_code, set_credentials
from kinko.backoffice.operators import current_code as operator_code
from kinko.clihelpers import DATABASE_URL_OPTION, say
from kinko.ledger.models import Account

ACTOR = "system:demo"


@dataclass(frozen=True)
class DemoCredential:
    """What one demo login needs; ``extra`` holds the product's other factors."""

    who: str
    product: str            # retail-001 / retail-003 / corporate-002 / operator
    login_id: str
    password: str
    user_id: int | None = None
    extra: dict[str, str] = field(default_factory=dict)
    note: str = ""


# Fixed demo values. Each passes the AUTH-9 rules for its customer (the services check).
YAMADA_MEMBER_NUMBER = "10000001"
YAMADA_PASSWORD = "Yamada7Kinko"  # noqa: S105 - public demo value
SATO_USER_ID = "U202600002"
SATO_PASSWORD = "Hanako5Kari"  # noqa: S105 - public demo value
SATO_TOKEN_SERIAL = "ET-DEMO-0002"  # noqa: S105 - public demo value
SATO_TOKEN_SEED = b"kinko-demo-sato-0002"       # 20 bytes = 160 bits (RFC 4226)
SHOJI_LOGIN_ID = "kinkoshoji"
SHOJI_PASSWORD = "Shoji5Login"  # noqa: S105 - public demo value
SHOJI_CONFIRMATION = "Shoji8Kakunin"
SHOJI_PHRASE = "きんこ"
SHOJI_TOKEN_SERIAL = "ET-DEMO-0004"  # noqa: S105 - public demo value
SHOJI_TOKEN_SEED = b"kinko-demo-shoji-001"      # 20 bytes
KEIRI_LOGIN_ID = "keiri01"
KEIRI_TEMPORARY_PASSWORD = "Keiri4Kari"  # noqa: S105 - public demo value
KEIRI_TEMPORARY_CONFIRMATION = "Keiri6Kakunin"
OPERATORS = (("T001", "窓口 一子", (OperatorRole.TELLER,)),
             ("S001", "審査 二郎", (OperatorRole.SECURITY,)),
             ("S002", "審査 三郎", (OperatorRole.SECURITY,)),
             # Compensation claims: one asks, the other approves (four eyes).
             ("C001", "補償 四郎", (OperatorRole.CLAIMS,)),
             ("C002", "補償 五郎", (OperatorRole.CLAIMS,)),
             ("P001", "企画 四郎", (OperatorRole.POLICY_ADMIN,)),
             ("V001", "監督 五郎", (OperatorRole.SUPERVISOR,)),
             ("V002", "監督 六子", (OperatorRole.SUPERVISOR,)))
OPERATOR_PASSWORD = "Console8Demo"  # noqa: S105 - public demo value, the same for each


def operator_seed(code: str) -> bytes:
    """The fixed 20-byte TOTP seed of a demo operator (public, like its password)."""
    return f"kinko-demo-op-{code}".ljust(20, "0").encode()[:20]


def _b32(seed: bytes) -> str:
    return base64.b32encode(seed).decode()


def _customer_of(session: Session, account_id: int) -> int:
    account = session.get(Account, account_id)
    if account is None or account.customer_id is None:
        raise ValueError(f"demo account {account_id} has no customer")
    return account.customer_id


def _set(session: Session, user: AuthUser, kind: SecretKind, value: str, *,
          temporary: bool = False) -> None:
    """Set a fixed demo password only if it passes the rules a customer's would (AUTH-9)."""
    passwords.check_new_secret(session, user, kind, value,
                               rules_for(user.product, contract_of(session, user).course))
    passwords.set_secret(session, user, kind, value, temporary=temporary)


def _yamada(session: Session, ids: dict[str, int]) -> DemoCredential:
    user = enrolment.enrol_retail_001(session, customer_id=_customer_of(
        session, ids["yamada_ordinary"]), member_number=YAMADA_MEMBER_NUMBER,
        password=YAMADA_PASSWORD, actor=ACTOR)
    user.display_name = "山田 太郎"
    card = cards.issue_card(session, user, rules_for(Product.RETAIL_001), actor=ACTOR)
    columns = "".join(chr(ord("A") + c) for c in range(len(card.grid[0])))
    grid = " / ".join(f"{r + 1}: " + " ".join(row) for r, row in enumerate(card.grid))
    return DemoCredential(
        "山田 太郎", Product.RETAIL_001.value, YAMADA_MEMBER_NUMBER, YAMADA_PASSWORD, user.id,
        {"card_serial": card.serial, "card_columns": columns, "card_grid": grid},
        "お取引確認番号カード（列 A… × 行 1…）/ confirmation-number card: cell B3 = "
        "column B, row 3")


def _sato(session: Session, ids: dict[str, int]) -> DemoCredential:
    issued = enrolment.enrol_retail_003(session, customer_id=_customer_of(
        session, ids["sato_ordinary"]), actor=ACTOR)
    user = session.get(AuthUser, issued.user_id)
    assert user is not None
    # The bank issues a random ID and password by mail; the demo fixes both so they can be
    # printed here. They stay "issued" (temporary): the first login forces changing both.
    user.login_id = SATO_USER_ID
    user.display_name = "佐藤 花子"
    _set(session, user, SecretKind.LOGIN_PASSWORD, SATO_PASSWORD, temporary=True)
    tokens.issue_hard_token(session, contract_id=user.contract_id, serial=SATO_TOKEN_SERIAL,
                            reason=TokenIssueReason.INITIAL, seed=SATO_TOKEN_SEED,
                            user_id=user.id, activate=True, actor=ACTOR)
    return DemoCredential(
        "佐藤 花子", Product.RETAIL_003.value, SATO_USER_ID, SATO_PASSWORD, user.id,
        {"token_serial": SATO_TOKEN_SERIAL, "totp_seed_base32": _b32(SATO_TOKEN_SEED)},
        "初回ログインでユーザIDとパスワードの変更が必要 / the first login forces a new "
        "user ID and password")


def _shoji(session: Session, ids: dict[str, int]) -> list[DemoCredential]:
    account = session.get(Account, ids["shoji_checking"])
    assert account is not None and account.customer_id is not None
    temporary_login, temporary_confirm = "Kari3Login", "Kari5Kakunin"
    master = enrolment.enrol_corporate(
        session, customer_id=account.customer_id, course=Course.COMPREHENSIVE,
        representative_account_id=account.id, temporary_login_password=temporary_login,
        temporary_confirmation_password=temporary_confirm, token_kind=TokenKind.HARD,
        display_name="経理 太郎（マスター）", actor=ACTOR)
    # First use (AUTH-7) done as the customer would, then the passwords changed to fixed
    # demo values so the master logs in directly.
    done = enrolment.register_login_id(
        session, branch_code=account.branch_code, account_type=account.type,
        account_number=account.number, temporary_login_password=temporary_login,
        temporary_confirmation_password=temporary_confirm, login_id=SHOJI_LOGIN_ID)
    if isinstance(done, Rejected):
        raise RuntimeError(f"demo first use failed: {done.error.code}")
    _set(session, master, SecretKind.LOGIN_PASSWORD, SHOJI_PASSWORD)
    _set(session, master, SecretKind.CONFIRMATION_PASSWORD, SHOJI_CONFIRMATION)
    passwords.set_secret(session, master, SecretKind.SECRET_PHRASE, SHOJI_PHRASE)
    tokens.issue_hard_token(session, contract_id=master.contract_id,
                            serial=SHOJI_TOKEN_SERIAL, reason=TokenIssueReason.INITIAL,
                            seed=SHOJI_TOKEN_SEED, user_id=master.id, activate=True,
                            actor=ACTOR)
    general = enrolment.add_corporate_user(
        session, contract_id=master.contract_id, role=UserRole.GENERAL,
        login_id=KEIRI_LOGIN_ID, temporary_login_password=KEIRI_TEMPORARY_PASSWORD,
        temporary_confirmation_password=KEIRI_TEMPORARY_CONFIRMATION,
        display_name="経理 花子（一般）", actor=ACTOR)
    # PRD-4: the master grants the general user the inquiries on the checking account.
    from kinko.corporate import service as corporate
    from kinko.corporate.rules import parse_services
    from kinko.instructions.service import Actor

    corporate.set_grants(session, Actor(master.id, master.contract_id, master.customer_id),
                         general.id, services=parse_services("ABC"), per_transaction=None,
                         daily=None, account_ids=[account.id])
    return [
        DemoCredential(
            "株式会社きんこ商事（マスター）", Product.CORPORATE_002.value, SHOJI_LOGIN_ID,
            SHOJI_PASSWORD, master.id,
            {"confirmation_password": SHOJI_CONFIRMATION, "secret_phrase": SHOJI_PHRASE,
             "token_serial": SHOJI_TOKEN_SERIAL,
             "totp_seed_base32": _b32(SHOJI_TOKEN_SEED)},
            "総合コース。ログイン後に合言葉 / Comprehensive course; the 合言葉 is the second step"),
        DemoCredential(
            "株式会社きんこ商事（一般）", Product.CORPORATE_002.value, KEIRI_LOGIN_ID,
            KEIRI_TEMPORARY_PASSWORD, general.id,
            {"confirmation_password": KEIRI_TEMPORARY_CONFIRMATION},
            "仮パスワード：初回ログインで両方のパスワードの変更が必要 / temporary passwords: "
            "the first login forces changing both"),
    ]


def _operators(session: Session) -> list[DemoCredential]:
    out = []
    for code, name, roles in OPERATORS:
        operator = create_operator(session, code=code, name=name, roles=roles,
                                   branch_code="001", actor=ACTOR)
        # Public demo values, set ready to use (a real operator's initial password must be
        # changed at the first sign-in).
        set_credentials(session, operator_id=operator.id, password=OPERATOR_PASSWORD,
                        seed=operator_seed(code), must_change=False, actor=ACTOR)
        out.append(DemoCredential(
            name, "operator", code, OPERATOR_PASSWORD, operator.id,
            {"roles": ",".join(r.value for r in roles),
             "totp_seed_base32": _b32(operator_seed(code))},
            f"http://127.0.0.1:8000/operator/login — password + the code of "
            f"`kinko demo operator-otp {code}`"))
    return out


def seed_demo_users(session: Session, ids: dict[str, int]) -> list[DemoCredential]:
    """Enrol the demo customers' internet banking users and the console's operators."""
    return [_yamada(session, ids), _sato(session, ids), *_shoji(session, ids),
            *_operators(session)]


def describe(credentials: list[DemoCredential]) -> str:
    """The credentials as text for the demo command to print."""
    lines = [say("デモ用ログイン情報（{url}）:", url="http://127.0.0.1:8000/login")]
    for c in credentials:
        lines.append(f"- {c.who} [{c.product}] ID {c.login_id} / "
                     f"password {c.password}")
        lines.extend(f"    {k}: {v}" for k, v in c.extra.items())
        if c.note:
            lines.append(f"    {c.note}")
    return "\n".join(lines)


def current_code(session: Session, who: str) -> str:
    """The code a demo user's token shows now: ``who`` is a login ID or a token serial."""
    token = auth_repo.token_by_serial(session, who)
    if token is None:
        user = next((u for p in Product
                     if (u := auth_repo.user_by_login_id(session, p, who)) is not None), None)
        token = None if user is None else auth_repo.active_token(session, user.id)
    if token is None:
        raise UserNotFound(detail=f"no active token for {who!r}")
    return otp.code_at(token, clock.now())


def otp_command(
    who: str = typer.Argument(..., help="login ID or token serial, e.g. ET-DEMO-0002"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """デモ用トークンの現在のワンタイムパスワード / the code a demo token shows now."""
    from kinko.db.engine import get_database

    code = get_database(database_url).run(current_code, who)
    typer.echo(code)


def current_operator_code(session: Session, code: str) -> str:
    """The code a demo operator's authenticator shows now."""
    operator = operator_by_code(session, code)
    if operator is None:
        raise UserNotFound(detail=f"no operator {code!r}")
    return operator_code(operator)


def operator_otp_command(
    code: str = typer.Argument(..., help="operator code, e.g. V001"),
    database_url: str | None = DATABASE_URL_OPTION,
) -> None:
    """デモ行員の認証アプリの現在のコード / the code a demo operator's authenticator shows now."""
    from kinko.db.engine import get_database

    typer.echo(get_database(database_url).run(current_operator_code, code))
