"""Browser tests: the demo bank served by uvicorn on a free port (a background thread, a
migrated temporary SQLite database with the demo data and demo users), driven by Playwright
with Debian's headless Chromium. Skipped, with the reason, when Chromium is not installed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kinko import clock
from kinko.auth.crypto import CHEAP_FOR_TESTS, SecretHasher, use_hasher
from kinko.config import Settings
from kinko.db import Database
from kinko.db.migrate import upgrade
from kinko.web.app import create_app
from tests.e2e.support import T0, Codes, Demo, build_demo, running

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@dataclass
class Site:
    url: str
    db: Database
    demo: Demo
    codes: Codes
    now: datetime = T0
    problems: list[str] = field(default_factory=list)

    def tick(self, minutes: int = 2) -> None:
        """Each test starts a little later, so its one-time passwords are fresh."""
        self.now += timedelta(minutes=minutes)
        clock.set_now(self.now)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip(f"the browser tests need Debian's chromium at {CHROMIUM}")
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'kinko.sqlite3'}"
    upgrade(url)
    db = Database(url)
    # The demo's clock is frozen (a business morning) and the argon2 cost is the test one:
    # the server runs in this process, so both apply to it.
    clock.set_now(T0)
    with use_hasher(SecretHasher(CHEAP_FOR_TESTS)), pytest.MonkeyPatch.context() as mp:
        demo = build_demo(db)
        codes = Codes().install(mp)
        with running(create_app(db, Settings(demo=True))) as base:
            yield Site(base, db, demo, codes)
    clock.set_now(None)
    db.dispose()


@pytest.fixture(autouse=True)
def _site_clock(site: Site) -> None:
    site.tick()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    """A desktop page that records console errors (a CSP violation is one)."""
    context = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    yield _watched(context.new_page(), site)
    context.close()


@pytest.fixture
def phone(browser: Any, site: Site) -> Iterator[Any]:
    """A phone-sized page (390×844, touch, a smartphone browser's user agent)."""
    context = browser.new_context(
        locale="ja-JP", viewport={"width": 390, "height": 844}, is_mobile=True,
        has_touch=True, device_scale_factor=3,
        user_agent=("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
                    "(KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"))
    yield _watched(context.new_page(), site)
    context.close()


def _watched(page: Any, site: Site) -> Any:
    site.problems.clear()

    def console(message: Any) -> None:
        # A failed load is judged by its response below (the browser asks for a favicon).
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            site.problems.append(message.text)

    def response(r: Any) -> None:
        if r.status >= 500 or (r.status == 404 and not r.url.endswith("/favicon.ico")):
            site.problems.append(f"{r.status} {r.url}")

    page.on("console", console)
    page.on("response", response)
    page.on("pageerror", lambda e: site.problems.append(str(e)))
    page.set_default_timeout(15_000)
    return page
