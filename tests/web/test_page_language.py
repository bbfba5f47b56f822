"""Every page a customer or an operator sees, in Japanese and in English, shows words: no raw
enum value ("ordinary", "active", "holder"), no internal code ("auth.release_lock",
"requested-1") and no internal id ("auth_user 1", "account 9") — issue 10 finding 4, UI-2 —
and an English page shows no sentence of the message catalogue still in Japanese.

The pages are found from the app's routes (every GET page route is visited, with its path
filled from the demo bank), after putting the demo bank into the states the pages show: a
draft, a time deposit, a payee, a locked user, a compromise report and a request waiting for
approval.
"""

from __future__ import annotations

import enum
import html
import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kinko import clock
from kinko.auth import compromise
from kinko.auth.models import (
    CompromiseScope,
    ContractState,
    Product,
    UserRole,
    UserState,
)
from kinko.backoffice.models import OperatorRole
from kinko.config import Settings
from kinko.db import Database
from kinko.deposits.models import DepositState
from kinko.instructions.models import InstructionStatus
from kinko.ledger.models import Account, AccountState, AccountType
from kinko.web import demo_users as du
from kinko.web.app import create_app
from kinko.web.auth import SESSION_COOKIE
from kinko.web.i18n import english
from kinko.web.pages.operator import ACTIONS
from tests.e2e.support import T0, all_routes, build_demo
from tests.operator_login import sign_in_operator

HTML = {"Accept": "text/html"}
SKIP = ("/api/", "/static", "/docs", "/redoc", "/openapi", "/health", "/demo", "/login",
        "/operator/login", "/logout", "/telephony")

# Codes that are never words of a page (the catalogue gives each its words).
ENUMS: tuple[type[enum.StrEnum], ...] = (
    AccountType, AccountState, InstructionStatus, DepositState, UserState, UserRole, Product,
    ContractState, OperatorRole, CompromiseScope, compromise.Credential)
# Lower-case words that English prose may use ("active", "card", "other"): refused on the
# English pages only when they stand alone as a table cell or a field's value.
PROSE = {"active", "card", "token", "password", "other", "user", "contract", "device",
         "time", "internal", "certificate", "security", "checking", "closed", "void",
         "cancelled", "executed", "accepted", "returned", "recalled", "lent", "admin",
         "general", "auditor", "claims", "teller", "seized", "suspended", "locked", "blocked",
         "matured", "terminated", "entered", "holder", "master", "supervisor"}
INTERNAL = re.compile(
    r"\b(?:auth_user|account|user|instruction|payee|deposit)[ :#]\d+\b(?!-)"
    r"|\b(?:requested|executed|rejected|cancelled|reported)-\d+\b"
    r"|\b[a-z]+_[a-z_]+\b"                   # snake_case codes (payment_stopped, auth_user)
    r"|(?<![@.\w])[a-z]+\.[a-z_]+\b(?![@.])")  # dotted codes (auth.release_lock), not mail


def visible(page: str) -> tuple[str, list[str]]:
    """The page's visible text, and its table cells and definitions one by one.

    Text marked up as machine text (``<pre>``, ``<code>``: the policy file a policy
    administrator writes changes in, a digest, a provisioning URI) is shown as such on purpose
    and is not prose.
    """
    body = re.sub(r"<(script|style|head|pre|code)\b.*?</\1>", " ", page, flags=re.S | re.I)
    body = re.sub(r"<option[^>]*>", " ", body)
    cells = [html.unescape(re.sub(r"<[^>]+>", " ", c)).strip()
             for c in re.findall(r"<(?:td|dd|li|span|h\d)[^>]*>(.*?)</(?:td|dd|li|span|h\d)>",
                                 body, re.S)]
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return text, cells


def _catalogue_japanese() -> re.Pattern[str]:
    """Any sentence of the catalogue, in Japanese: on an English page it is one that missed
    its English (a sentence the catalogue lacks is shown in Japanese, never as an error).
    Words of one or two characters are left out: they also occur inside names (a bank's, a
    branch's) that a page shows as they are."""
    sentences = sorted({ja for (_, ja) in english() if len(ja) > 2}, key=len, reverse=True)
    return re.compile("|".join(re.escape(s) for s in sentences) or "(?!)")


def problems(page: str, lang: str) -> list[str]:
    text, cells = visible(page)
    found = [m.group(0) for m in INTERNAL.finditer(text)
             if not m.group(0).endswith((".jp", ".pdf", ".csv"))]
    if lang == "en":
        found += [f"untranslated: {m.group(0)}" for m in _catalogue_japanese().finditer(text)]
    found += [a for a in ACTIONS if a in text]
    words = {e.value for enum_ in ENUMS for e in enum_}
    for word in sorted(words):
        if word in PROSE and lang == "en":
            found += [c for c in cells if c == word]
        elif re.search(rf"(?<![\w/.-]){re.escape(word)}(?![\w/.-])", text):
            found.append(word)
    return found


@pytest.fixture
def bank(db: Database) -> Iterator[TestClient]:
    clock.set_now(T0)
    build_demo(db)
    with TestClient(create_app(db, Settings(demo=True)), headers=HTML) as client:
        yield client
    clock.set_now(None)


def _login_yamada(client: TestClient) -> str:
    r = client.post("/api/v1/auth/login/retail-001", headers={"Accept": "application/json"},
                    json={"member_number": du.YAMADA_MEMBER_NUMBER,
                          "password": du.YAMADA_PASSWORD})
    assert r.status_code == 200, r.text
    token: str = r.json()["session_token"]
    client.cookies.set(SESSION_COOKIE, token)
    return token


def _operator(client: TestClient, db: Database, code: str) -> None:
    sign_in_operator(client, code, db=db)


def _pages(client: TestClient, fill: dict[str, str]) -> list[str]:
    urls = []
    for path, methods in all_routes(client.app):
        if "GET" not in methods or path.startswith(SKIP) or path == "/":
            continue
        params = re.findall(r"\{(\w+)\}", path)
        if any(p not in fill for p in params):
            continue
        urls.append(re.sub(r"\{(\w+)\}", lambda m: fill[m.group(1)], path))
    return sorted(set(urls))


def test_every_page_speaks_words_in_both_languages(bank: TestClient, db: Database) -> None:
    client = bank
    token = _login_yamada(client)
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    with db.transaction() as s:
        yamada = s.query(Account).filter(Account.holder_kana == "ﾔﾏﾀﾞ ﾀﾛｳ").first()
        sato = s.query(Account).filter(Account.holder_kana == "ｻﾄｳ ﾊﾅｺ").first()
        assert yamada and sato
        account_id, payee = yamada.id, (sato.branch_code, sato.number)
    draft = client.post("/api/v1/transfers", headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
                        json={"from_account_id": account_id, "amount": 1000, "bank_code": "0999",
                              "branch_code": payee[0], "account_type": "ordinary",
                              "number": payee[1]})
    assert draft.status_code == 201, draft.text
    with db.transaction() as s:  # a registered payee (its registration's step-up is tested
        from kinko.auth.models import AuthUser  # with the payee pages)
        from kinko.instructions.service import Actor
        from kinko.transfers.service import register_payee

        user = s.query(AuthUser).filter(AuthUser.login_id == du.YAMADA_MEMBER_NUMBER).one()
        register_payee(s, Actor(user.id, user.contract_id, user.customer_id), bank_code="0999",
                       branch_code=payee[0], account_type="ordinary", number=payee[1],
                       nickname="佐藤さん")
    deposit = client.post("/api/v1/time-deposits",
                          headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
                          json={"from_account_id": account_id, "amount": 10000,
                                "term_months": 12})
    assert deposit.status_code == 201, deposit.text
    fill = {"account_id": str(account_id), "instruction_id": str(draft.json()["id"])}
    # The operator's queues: a locked user, a report, a request waiting for approval.
    with db.transaction() as s:
        from kinko.auth.models import AuthUser

        sato_user = s.query(AuthUser).filter(AuthUser.login_id == du.SATO_USER_ID).one()
        sato_user.state = UserState.LOCKED
        shoji = s.query(AuthUser).filter(AuthUser.login_id == du.SHOJI_LOGIN_ID).one()
        compromise.report(s, user_id=shoji.id, credential=compromise.Credential.TOKEN,
                          channel="phone", actor="operator:T001")
        sato_id = sato_user.id
    _operator(client, db, "T001")
    console = client.get("/operator").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', console)
    assert csrf
    asked = client.post("/operator/requests", data={
        "csrf_token": csrf.group(1), "action": "auth.release_lock",
        "target_id": str(sato_id), "reason": "本人確認済み"})
    assert asked.status_code == 200 and "承認を依頼しました" in asked.text
    _operator(client, db, "S001")
    # The operator's sign-in starts from a clean client; the customer's pages need her session.
    client.cookies.set(SESSION_COOKIE, token)

    urls = [*_pages(client, fill),
            f"/banking/time-deposits/{deposit.json()['id']}/confirm",
            f"/banking/transfer/{draft.json()['id']}/confirm",
            "/operator?product=retail-001&login_id=" + du.YAMADA_MEMBER_NUMBER]
    assert "佐藤さん" in client.get("/banking/payees").text
    assert {"/banking", "/banking/instructions", "/banking/time-deposits", "/operator",
            "/banking/payees", "/banking/limits", "/banking/payeasy"} <= set(urls)
    seen: dict[str, list[str]] = {}
    for lang in ("ja", "en"):
        for url in urls:
            response = client.get(url, params={"lang": lang})
            assert response.status_code < 500, (url, response.text)
            if response.status_code >= 400 or "text/html" not in response.headers.get(
                    "content-type", ""):
                continue
            if bad := problems(response.text, lang):
                seen[f"{lang} {url}"] = bad
    assert not seen, seen


@pytest.mark.parametrize("page,lang,bad", [
    ("<td>ordinary</td>", "ja", ["ordinary"]),
    ("<td>active</td>", "en", ["active"]),
    ("<p>It is active now.</p>", "en", []),
    ("<p>auth_user 1 (account 9)</p>", "ja", ["auth_user 1", "account 9"]),
    ("<p>処理しました: requested-1 auth.release_lock</p>", "ja",
     ["requested-1", "auth.release_lock", "auth.release_lock"]),
])
def test_the_checker_finds_codes(page: str, lang: str, bad: list[str]) -> None:
    assert sorted(problems(page, lang)) == sorted(bad)


def test_the_checker_finds_a_sentence_left_in_japanese_on_an_english_page() -> None:
    (_, ja), en = max(english().items(), key=lambda kv: len(kv[0][1]))
    assert problems(f"<p>{ja}</p>", "en") == [f"untranslated: {ja}"]
    assert problems(f"<p>{en}</p>", "en") == []
    assert problems(f"<p>{ja}</p>", "ja") == []


def test_the_catalogue_has_both_languages_for_every_code_a_page_shows() -> None:
    from kinko.backoffice.actions import ACTIONS as APPROVABLE
    from kinko.debitcards.models import CardState as DebitCardState
    from kinko.web.messages import codes, label, message_for

    groups: dict[str, list[str]] = {
        "account_type": [t.value for t in AccountType if t is not AccountType.INTERNAL],
        "account_state": [s.value for s in AccountState],
        "instruction_status": [s.value for s in InstructionStatus],
        "instruction_kind": ["transfer", "payeasy", "time_deposit", "time_deposit_cancel"],
        "deposit_state": [s.value for s in DepositState],
        "debit_card_state": [s.value for s in DebitCardState],
        "user_state": [s.value for s in UserState], "user_role": [r.value for r in UserRole],
        "product": [p.value for p in Product], "contract_state": [c.value for c in ContractState],
        "operator_role": [r.value for r in OperatorRole],
        "compromise_scope": [c.value for c in CompromiseScope],
        "credential": [c.value for c in compromise.Credential],
        "compromise_reason": [c.value for c in compromise.Credential],
        "operator_action": sorted(set(ACTIONS) | set(APPROVABLE)),
    }
    for group, values in groups.items():
        for value in values:
            ja, en = label("ja", group, value), label("en", group, value)
            assert ja != "—" and en != "—" and ja != en, (group, value)
    assert all(ja and en for ja, en in codes().values())
    assert message_for("INSUFFICIENT_FUNDS", "en") == "The withdrawable amount is not sufficient."
    assert message_for("not a code", "ja") is None
