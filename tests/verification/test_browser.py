"""The verification flow in a real browser with a fake camera (KYC-2, KYC-3): Debian's
Chromium plays a video made from the test photos as its camera (frontal, then the head turning
left and right), the customer follows the notice after login, starts the capture, and the page
sends the frames it took itself. Skipped when Chromium is not installed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from kinko import clock
from kinko.auth import sessions
from kinko.auth.models import AuthUser
from kinko.auth.policy import rules_for
from kinko.config import Settings
from kinko.db import Database
from kinko.verification import service
from kinko.verification.jobs import sweep
from kinko.web.app import create_app
from kinko.web.auth import SESSION_COOKIE
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.support import running
from tests.verification.conftest import START, mails, policy_days
from tests.verification.faces import photo, turned
from tests.web.conftest import login

WIDTH, HEIGHT, FPS = 480, 360, 5


def _frame(jpeg: bytes) -> Image.Image:
    import io

    with Image.open(io.BytesIO(jpeg)) as img:
        face = img.convert("RGB")
    face.thumbnail((WIDTH, HEIGHT))
    canvas = Image.new("RGB", (WIDTH, HEIGHT), (200, 200, 190))
    canvas.paste(face, ((WIDTH - face.width) // 2, (HEIGHT - face.height) // 2))
    return canvas


def write_y4m(path: Path, frames: list[Image.Image]) -> None:
    """A YUV4MPEG2 video (4:2:0, full-range JPEG YCbCr), the format Chromium's fake camera
    plays from a file."""
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            y, cb, cr = frame.convert("YCbCr").split()
            half = (WIDTH // 2, HEIGHT // 2)
            out.write(b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes()
                      + cr.resize(half).tobytes())


@pytest.fixture(scope="module")
def camera_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2.6 s facing the camera, 4 s turning left and right, then facing it again (looped)."""
    front = _frame(photo("obama2"))
    left, right = _frame(turned("obama2", 0.6)), _frame(turned("obama2", 1.4))
    frames = [front] * 13 + [left, left, right, right] * 5 + [front] * 7
    path = tmp_path_factory.mktemp("camera") / "turning.y4m"
    write_y4m(path, frames)
    return path


@pytest.fixture(scope="module")
def camera_browser(camera_video: Path) -> Iterator[Any]:
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip(f"the browser tests need Debian's chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            *CHROMIUM_ARGS, "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={camera_video}"])
        yield chromium
        chromium.close()


@pytest.mark.req("KYC-2")
@pytest.mark.req("KYC-3")
def test_a_phone_follows_the_notice_and_verifies_with_its_camera(
        camera_browser: Any, db: Database) -> None:
    clock.set_now(START)
    user_id, _, _ = login(db)
    with db.transaction() as s:
        user = s.get(AuthUser, user_id)
        assert user is not None
        service.register_document_face(s, customer_id=user.customer_id,
                                       photo=photo("obama"), actor="operator:opening")
    clock.set_now(START + timedelta(days=policy_days()[0]))
    assert sweep(db).due == 1
    with db.transaction() as s:
        user = s.get(AuthUser, user_id)
        assert user is not None
        token, _ = sessions.start(s, user, rules_for(user.product))
    problems: list[str] = []
    with running(create_app(db, Settings())) as base:
        context = camera_browser.new_context(
            locale="ja-JP", viewport={"width": 390, "height": 844}, is_mobile=True,
            has_touch=True, permissions=["camera"])
        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": base}])
        page = context.new_page()
        page.on("pageerror", lambda e: problems.append(str(e)))
        # A CSP violation or a script error is a console error; failed loads are judged by
        # their responses (the browser asks for a favicon the app does not have).
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" and not
                m.text.startswith("Failed to load resource") else None)
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
        page.set_default_timeout(30_000)
        page.goto(f"{base}/banking")
        page.click("#verification-notice a.button")
        page.wait_for_selector("#camera:not([hidden])")
        page.click("#start")
        page.wait_for_selector("#verification-result")
        outcome = page.get_attribute("#verification-result", "data-outcome")
        context.close()
    assert outcome == "same_person", problems
    assert problems == []
    assert len(mails(db, "verification.passed")) == 1
