"""A direct debit cycle in a real browser (DD-1): the company registers its payers' 依頼書 on
its page, uploads a 91 file, the bank's run debits the payers on the debit day, the company
downloads the 91 result file, and the next business day the total less fees reaches its
account."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from kinko import clock
from kinko.auth.models import AuthUser
from kinko.config import get_settings
from kinko.corporate_services import debits
from kinko.corporate_services.models import AgreementKind
from kinko.ledger.models import Account
from kinko.web import demo_users as du
from kinko.zengin import read
from kinko.zengin.reader import Options
from tests.corporate_services.debit_support import ORIGINATOR, request_file
from tests.e2e.conftest import Site

REQUESTED = date(2026, 12, 5)        # a Saturday: debited on Monday 12-07
DEBIT_DAY = date(2026, 12, 7)
SETTLEMENT = date(2026, 12, 8)


def _login(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/login")
    page.click("#product-corporate-002")
    page.fill("input[name=login_id]", du.SHOJI_LOGIN_ID)
    page.fill("input[name=password]", du.SHOJI_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{site.url}/login/second-step")
    page.fill("input[name=secret_phrase]", du.SHOJI_PHRASE)
    page.click("#second-step-form button[type=submit]")
    page.wait_for_url(f"{site.url}/corporate")


def _at(day: date, hour: int) -> None:
    clock.set_now(datetime(day.year, day.month, day.day, hour, 0, tzinfo=clock.JST))


@pytest.mark.req("DD-1")
@pytest.mark.req("UI-1")
def test_direct_debit_cycle(browser: Any, site: Site, tmp_path: Path) -> None:
    ids = site.demo.ids
    with site.db.transaction() as s:
        master = s.get(AuthUser, site.demo.user(du.SHOJI_LOGIN_ID).user_id)
        assert master is not None
        debits.create_agreement(
            s, contract_id=master.contract_id, kind=AgreementKind.DIRECT_DEBIT,
            originator_code=ORIGINATOR, originator_name="ｶ)ｷﾝｺｼﾖｳｼﾞ",
            settlement_account_id=ids["shoji_ordinary"], actor="test")
        payers = [s.get(Account, ids[k]) for k in ("yamada_ordinary", "sato_ordinary",
                                                   "wang_ordinary")]
        signed = [(a.branch_code, a.number, a.holder_kana)  # type: ignore[union-attr]
                  for a in payers[:2]]               # 王さん never signed a 依頼書
        before = {a.id: a.balance for a in payers}  # type: ignore[union-attr]
        company_before = s.get(Account, ids["shoji_ordinary"]).balance  # type: ignore[union-attr]
    bank = get_settings().bank_code
    upload = tmp_path / "kouzafurikae.txt"
    upload.write_bytes(request_file(
        [(bank, a.branch_code, a.number, amount)  # type: ignore[union-attr]
         for a, amount in zip(payers, (5_000, 9_999_999, 3_000), strict=True)],
        debit_date=REQUESTED, today=site.now.date()))
    context = browser.new_context(locale="ja-JP", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _login(page, site)
        page.click("nav a[href='/corporate/services']")
        page.click("a[href='/corporate/direct-debit']")
        # The 依頼書 the payers signed, registered on the company's page.
        page.click("a.mandates")
        for branch, number, holder in signed:
            page.fill("input[name=branch_code]", branch)
            page.fill("input[name=account_number]", number)
            page.fill("input[name=payer_name]", holder)
            page.click("#mandate-form button[type=submit]")
            page.wait_for_selector(f"#mandates tr:has-text('{number}')")
        assert "有効 2 / 解約済 0" in page.inner_text("#mandate-counts")
        page.goto(f"{site.url}/corporate/direct-debit")
        page.set_input_files("input[type=file]", str(upload))
        page.click("form[enctype] button[type=submit]")
        page.wait_for_selector("#batches")
        assert "受付済" in page.inner_text("#batches")
        assert "2026-12-07" in page.inner_text("#batches")    # the holiday moved to Monday
        # The debit day: the bank's run decides every record from the payers' accounts.
        _at(DEBIT_DAY, 9)
        debits.run_due(site.db)
        _login(page, site)
        page.goto(f"{site.url}/corporate/direct-debit")
        assert "振替済" in page.inner_text("#batches")
        with page.expect_download() as download:
            page.click("#batches a.result")
        result = read(Path(download.value.path()).read_bytes(),
                      Options(reference_date=DEBIT_DAY))
        codes = [d.result_code for d in result.groups[0].records]  # type: ignore[attr-defined]
        assert codes == ["0", "1", "4"]     # collected, 資金不足, 依頼書なし
        # The next business day: the total less the fee reaches the company's account.
        _at(SETTLEMENT, 9)
        debits.run_due(site.db)
        _login(page, site)
        page.goto(f"{site.url}/corporate/direct-debit")
        assert "入金済" in page.inner_text("#batches")
    finally:
        context.close()
        clock.set_now(site.now)
    with site.db.transaction() as s:
        after = {k: s.get(Account, k).balance for k in before}  # type: ignore[union-attr]
        company = s.get(Account, ids["shoji_ordinary"]).balance  # type: ignore[union-attr]
    assert [before[k] - after[k] for k in before] == [5_000, 0, 0]
    assert company - company_before == 5_000 - 110
