"""Every retail journey in a real browser (UI-1, UI-2), for both retail products — 山田 太郎 on
retail-001 (card cells) and 佐藤 花子 on retail-003 (one-time password) — on a 390×844 phone
and on a desktop, in Japanese and in English: balances, a transfer with step-up (the same card
cells after a reload, the result after a reload), a time deposit with its interest and tax, a
Pay-easy bill looked up and then discarded, limits, payees, debit cards, e-mail settings and
the instruction list.

Every page is checked with axe-core (bundled by axe-playwright-python, no network): no serious
or critical violation. A screenshot of each page is kept under ``tmp/artifacts/e2e/`` (not
committed) for a person to look at. Also: login → transfer with the keyboard only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kinko.auth.models import AuthUser
from kinko.web import demo_users as du
from tests.e2e.conftest import Site
from tests.e2e.support import sato_code

ARTIFACTS = Path(__file__).resolve().parents[2] / "tmp" / "artifacts" / "e2e"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
SERIOUS = ("serious", "critical")


def axe_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} — "
            f"{[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v.get("impact") in SERIOUS]


class Journey:
    """One browser context: checks every page it reaches, and keeps a screenshot of it."""

    def __init__(self, page: Any, site: Site, name: str, width: int) -> None:
        self.page, self.site, self.name, self.width = page, site, name, width
        self.found: dict[str, list[str]] = {}
        self.shots = 0

    def check(self, what: str) -> None:
        self.page.wait_for_load_state("domcontentloaded")
        if bad := axe_violations(self.page):
            self.found[f"{what} {self.page.url}"] = bad
        overflow = self.page.evaluate("document.documentElement.scrollWidth")
        if overflow > self.width:
            self.found[f"{what} {self.page.url}"] = [f"wider than the screen: {overflow}px"]
        self.shots += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{self.shots:02d}-{what}.png"),
                             full_page=True)

    def go(self, path: str, what: str) -> None:
        self.page.goto(f"{self.site.url}{path}")
        self.check(what)


@pytest.fixture(scope="module")
def sato_ready(site: Site) -> None:
    """佐藤 花子 as after her first login (the forced change is another test's journey)."""
    with site.db.transaction() as s:
        user = s.query(AuthUser).filter(AuthUser.login_id == du.SATO_USER_ID).one()
        user.must_change_login_id = False
        user.must_change_password = False


def _login(page: Any, site: Site, product: str, lang: str) -> None:
    page.goto(f"{site.url}/login?lang={lang}" + ("&product=retail-003"
                                                  if product == "retail-003" else ""))
    page.wait_for_selector("#login-form")
    if product == "retail-001":
        page.fill("input[name=login_id]", du.YAMADA_MEMBER_NUMBER)
        page.fill("input[name=password]", du.YAMADA_PASSWORD)
    else:
        page.fill("input[name=login_id]", du.SATO_USER_ID)
        page.fill("input[name=password]", du.SATO_PASSWORD)
        page.fill("input[name=otp_code]", sato_code())
        code = site.codes.by_challenge[page.input_value("input[name=challenge_id]")]
        page.fill("input[name=confirmation_code]", code)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{site.url}/banking")


def _step_up(page: Any, site: Site, product: str) -> None:
    """Answer the confirmation screen's step-up as the customer would."""
    site.tick(1)   # a fresh time step: each one-time password confirms once
    if product == "retail-001":
        grid = site.demo.user(du.YAMADA_MEMBER_NUMBER).extra["card_grid"]
        rows = {int(r.split(":")[0]): r.split(":")[1].split() for r in grid.split(" / ")}
        cells = page.input_value("input[name=card_cells]").split(",")
        for i, cell in enumerate(cells, start=1):
            page.fill(f"input[name=card_answer_{i}]", rows[int(cell[1:])][ord(cell[0]) - 65])
    else:
        page.fill("input[name=otp_code]", sato_code())


@pytest.fixture
def context_for(browser: Any) -> Iterator[Any]:
    made: list[Any] = []

    def make(viewport: str, lang: str) -> Any:
        options = PHONE if viewport == "phone" else DESKTOP
        context = browser.new_context(locale="ja-JP" if lang == "ja" else "en-US", **options)
        made.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in made:
        context.close()


@pytest.mark.req("UI-1")
@pytest.mark.req("UI-2")
@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("product", ["retail-001", "retail-003"])
def test_every_retail_journey(product: str, viewport: str, lang: str, site: Site,
                              sato_ready: None, context_for: Any) -> None:
    page = context_for(viewport, lang)
    width = 390 if viewport == "phone" else 1280
    j = Journey(page, site, f"{product}-{viewport}-{lang}", width)
    _login(page, site, product, lang)
    j.check("balances")
    own, other = (("yamada_ordinary", "sato_ordinary") if product == "retail-001"
                  else ("sato_ordinary", "yamada_ordinary"))

    # A transfer to the other demo customer, with step-up; reloads change nothing.
    j.go("/banking/transfer", "transfer")
    page.select_option("select[name=from_account_id]", value=str(site.demo.ids[own]))
    with site.db.transaction() as s:
        from kinko.ledger.models import Account

        target = s.get(Account, site.demo.ids[other])
        assert target is not None
        branch, number = target.branch_code, target.number
    page.fill("input[name=branch_code]", branch)
    page.fill("input[name=number]", number)
    page.fill("input[name=amount]", "1000")
    page.click("form[action='/banking/transfer'] button[type=submit]")
    page.wait_for_selector(".payee-name")
    j.check("transfer-confirm")
    if product == "retail-001":
        cells = page.input_value("input[name=card_cells]")
        page.reload()
        assert page.input_value("input[name=card_cells]") == cells   # the same cells
    _step_up(page, site, product)
    page.click("form[action*='/confirm'] button[type=submit]")
    page.wait_for_selector("h1.done")
    j.check("transfer-result")
    page.reload()                                   # the result again, not an expired form
    assert page.locator("h1.done").is_visible()
    page.go_back()                                  # Back: the confirmation is decided
    page.wait_for_selector("h1.done")

    # A time deposit: the interest and the tax before confirming.
    j.go("/banking/time-deposits", "time-deposits")
    page.select_option("select[name=from_account_id]", value=str(site.demo.ids[own]))
    page.fill("input[name=amount]", "10000")
    page.select_option("select[name=term_months]", value="12")
    page.click("form[action='/banking/time-deposits'] button[type=submit]")
    page.wait_for_selector("dd.tax")
    j.check("time-deposit-confirm")
    _step_up(page, site, product)
    page.click("form[action*='/confirm'] button[type=submit]")
    page.wait_for_selector("h1.done")

    # Pay-easy: the bill is shown, then the customer decides not to pay it now.
    j.go("/banking/payeasy", "payeasy")
    page.fill("input[name=agency_code]", "12345")
    page.fill("input[name=customer_number]", "10000000000000000001")
    page.fill("input[name=confirmation_number]", "123456")
    page.select_option("select[name=from_account_id]", value=str(site.demo.ids[own]))
    page.click("form[action='/banking/payeasy'] button[type=submit]")
    page.wait_for_selector(".payee-name")
    assert "8,640" in page.inner_text("dd.amount")
    j.check("payeasy-confirm")
    page.click("form.discard button[type=submit]")
    page.wait_for_url(re.compile(r"/banking/instructions$"))
    j.check("instructions")

    for path, what in (("/banking/limits", "limits"), ("/banking/payees", "payees"),
                       ("/banking/debit-cards", "debit-cards"), ("/banking/email", "email"),
                       (f"/banking/accounts/{site.demo.ids[own]}", "statement")):
        j.go(path, what)
    assert not j.found, j.found


@pytest.mark.req("UI-2")
def test_login_then_transfer_with_the_keyboard_only(site: Site, sato_ready: None,
                                                    context_for: Any) -> None:
    """Every control is reachable by Tab and labelled; Enter submits; nothing needs a mouse."""
    page = context_for("desktop", "ja")
    page.goto(f"{site.url}/login")
    page.wait_for_selector("#login-form")

    def tab_to(selector: str) -> None:
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate(f"document.activeElement.matches({selector!r})"):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("input[name=login_id]")
    page.keyboard.type(du.YAMADA_MEMBER_NUMBER)
    tab_to("input[name=password]")
    page.keyboard.type(du.YAMADA_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.url}/banking")
    tab_to("a[href='/banking/transfer']")
    page.keyboard.press("Enter")
    page.wait_for_selector("input[name=amount]")
    with site.db.transaction() as s:
        from kinko.ledger.models import Account

        target = s.get(Account, site.demo.ids["sato_ordinary"])
        assert target is not None
        branch, number = target.branch_code, target.number
    tab_to("input[name=branch_code]")
    page.keyboard.type(branch)
    tab_to("input[name=number]")
    page.keyboard.type(number)
    tab_to("input[name=amount]")
    page.keyboard.type("2000")
    page.keyboard.press("Enter")
    page.wait_for_selector(".payee-name")
    grid = site.demo.user(du.YAMADA_MEMBER_NUMBER).extra["card_grid"]
    rows = {int(r.split(":")[0]): r.split(":")[1].split() for r in grid.split(" / ")}
    cells = page.input_value("input[name=card_cells]").split(",")
    for i, cell in enumerate(cells, start=1):
        tab_to(f"input[name=card_answer_{i}]")
        page.keyboard.type(rows[int(cell[1:])][ord(cell[0]) - 65])
    page.keyboard.press("Enter")
    page.wait_for_selector("h1.done")
    assert "実行しました" in page.inner_text("h1.done")
