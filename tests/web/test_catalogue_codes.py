"""The rest of the message catalogue (issue 10): what was held as Japanese/English data.

- every DomainError names its Japanese; its English is the catalogue's ``error.CODE`` entry,
  and the API answers it for ``Accept-Language: en`` / ``?lang=en``;
- the words for the codes the pages showed from (ja, en) pairs in the domains — queues, the
  business net's services, token applications, restriction reasons, claim findings, the
  login products, bulk kinds, mandate fields — are catalogue entries, and the Japanese a
  domain still says (a mail, a customer's restriction text) is the catalogue's;
- only texts that are data in both languages where they are made stay pairs.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import kinko
from kinko import catalogue
from kinko.backoffice.queues import QUEUES
from kinko.config import Settings
from kinko.corporate.rules import Service
from kinko.corporate_portal.tokens import KINDS
from kinko.db import Database
from kinko.errors import DomainError
from kinko.onboarding import restrictions
from kinko.onboarding.rules import RESTRICTION_REASONS
from kinko.web import catalogue_convert as cc
from kinko.web.app import create_app
from kinko.web.messages import codes, m
from kinko.web.problems import _FAULTS, _HTTP_CODES, OUT_OF_RANGE, SERVER_BUSY, english

ROOT = Path(__file__).resolve().parents[2]


def _error_classes() -> list[type[DomainError]]:
    for module in pkgutil.walk_packages(kinko.__path__, "kinko."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    found: list[type[DomainError]] = []
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_domain_error_takes_its_english_from_the_catalogue() -> None:
    classes = _error_classes()
    assert len(classes) > 100
    missing = [f"{c.__module__}.{c.__name__} ({c.code})" for c in classes
               if (f"error.{c.code}", c.message_ja) not in catalogue.english()]
    assert not missing, "add msgctxt \"error.CODE\" entries to messages.po:\n" + "\n".join(missing)
    # The class keeps its Japanese only: an English written beside it would be a second copy.
    written = [c.__name__ for c in classes[1:] if "message_en" in vars(c)]
    assert not written
    for cls in classes:
        assert cls.message_en == catalogue.english()[(f"error.{cls.code}", cls.message_ja)]
        assert cls.message_en != cls.message_ja


def test_an_error_instance_speaks_both_languages() -> None:
    from kinko.ledger.errors import InsufficientFunds

    exc = InsufficientFunds(detail="account 9")
    assert exc.message_en == "The withdrawable amount is not sufficient."
    assert exc.for_customer("en") == exc.message_en and exc.for_customer("ja") == exc.message_ja
    problem = exc.to_problem("en")
    assert problem["title"] == problem["message_en"] == exc.message_en
    assert exc.to_problem("ja")["title"] == exc.message_ja


def test_the_answers_without_a_domain_error_have_their_english_too() -> None:
    answers = [(c, ja) for c, ja in _HTTP_CODES.values()]
    answers += [(c, ja) for c, ja, _ in _FAULTS.values()]
    answers += [SERVER_BUSY[:2], OUT_OF_RANGE, ("HTTP_ERROR", "エラーです。"),
                ("INTERNAL_ERROR", "システムエラーが発生しました。")]
    for code, ja in answers:
        assert english(code, ja) != ja, code


@pytest.fixture
def client(db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(db, Settings(demo=False))) as c:
        yield c


def test_the_api_answers_a_domain_error_in_the_language_asked(client: TestClient) -> None:
    login = {"member_number": "9999999999", "password": "wrong-password-1"}
    ja = client.post("/api/v1/auth/login/retail-001", json=login)
    assert ja.status_code == 401 and ja.json()["code"] == "AUTH_INVALID_CREDENTIALS"
    assert ja.json()["title"] == "ご入力内容に誤りがあります。再度ご入力ください。"
    for asked in ({"headers": {"Accept-Language": "en-GB,en;q=0.9"}},
                  {"params": {"lang": "en"}}):
        en = client.post("/api/v1/auth/login/retail-001", json=login, **asked)  # type: ignore[arg-type]
        body = en.json()
        assert body["title"] == body["message_en"] == (
            "The details you entered are not correct. Please try again.")
        assert body["message_ja"] == ja.json()["title"]


def test_the_error_page_is_in_the_language_asked(client: TestClient) -> None:
    html = {"Accept": "text/html"}
    assert "見つかりません。" in client.get("/no-such-page", headers=html).text
    english_page = client.get("/no-such-page?lang=en", headers=html).text
    assert "<h1>Not found.</h1>" in english_page and "見つかりません" not in english_page


# --- the words for codes that were pairs in the domains ----------------------------------

def _entry(message_id: str) -> tuple[str, str]:
    found = codes().get(message_id)
    assert found is not None, message_id
    return found


def test_queues_speak_through_the_catalogue() -> None:
    for key, queue in QUEUES.items():
        ja, en = _entry(f"queue.{key}")
        assert ja != en
        for column in queue.columns:
            _entry(f"queue_column.{column}")
    # One Japanese heading, two meanings: a recall was *requested*, a report came by a *channel*.
    assert m("en", "queue_column.requested") == "Requested"
    assert m("en", "queue_column.channel") == "Channel"
    assert m("ja", "queue_column.requested") == m("ja", "queue_column.channel") == "受付"


def test_codes_shown_by_the_pages_have_both_languages() -> None:
    ids = [f"service.{s.value}" for s in Service]
    ids += [f"token_application.{k}" for k in KINDS]
    ids += [f"restriction_reason.{k}" for k in (*RESTRICTION_REASONS, "bank")]
    ids += [f"login_product.{p}" for p in ("retail-001", "retail-003", "corporate-002")]
    ids += [f"bulk_kind.{k}" for k in ("bulk", "payroll", "bonus")]
    ids += [f"claim_finding.{k}" for k in (
        "prompt_notice", "sufficient_explanation", "police_report", "false_statement",
        "social_disorder", "bank_at_fault", "pc_lent_or_pledged", "breach_of_bank_rules")]
    ids += [f"mandate_field.{k}" for k in (
        "branch_code", "account_number", "payer_name", "customer_number")]
    for message_id in ids:
        ja, en = _entry(message_id)
        assert ja and en and ja != en, message_id
    # What a domain still says in Japanese (a mail's subject line, a restriction's reason) is
    # the catalogue's Japanese for that code, so the page and the mail agree.
    for k, ja in KINDS.items():
        assert _entry(f"token_application.{k}")[0] == ja
    for k, ja in RESTRICTION_REASONS.items():
        assert _entry(f"restriction_reason.{k}")[0] == ja


def test_a_restriction_is_explained_in_the_customers_language() -> None:
    state = "bank:aml_concern"
    assert restrictions.BANK == "bank:"
    ja = restrictions.restriction_text(state, "ja")
    en = restrictions.restriction_text(state, "en")
    assert ja is not None and "マネー・ローンダリング等の疑い" in ja
    assert en is not None and "(a money-laundering concern)" in en
    unknown = restrictions.restriction_text("bank:something-new", "en")
    assert unknown is not None and "(the bank's decision)" in unknown


def test_only_texts_held_as_data_stay_pairs() -> None:
    """A ratchet: the pairs left are texts made in both languages where they are made (a policy
    notice an operator wrote in each), the validators' reasons and the refused fields' names
    (both kept with an upload's problem, the English from the catalogue where it was made)."""
    report = cc.run(ROOT, write=False)
    left = sorted(line.split(": ", 1)[1] for line in report.left)
    assert left == sorted([
        "t(n.text_ja, n.text_en)",
        "t(p.field, p.field_en)", "t(p.field, p.field_en)", "t(p.field, p.field_en)",
        "t(p.reason_ja, p.reason_en)", "t(p.reason_ja, p.reason_en)",
        "t(p.reason_ja, p.reason_en)", "t(lang, p['reason_ja'], p['reason_en'])",
        "t(lang, ja, en)"])
