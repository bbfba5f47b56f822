"""The secret key (AUTH-10, DESIGN security defaults): no public default, `kinko serve` refuses
weak keys, the demo keeps its own, per-purpose derived keys, and rotation with previous keys."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from kinko import clock
from kinko.audit.service import record, seal_all, verify
from kinko.auth import otp, sessions
from kinko.auth.crypto import DecryptionFailed, derived_key, needs_reencryption
from kinko.auth.models import OtpToken
from kinko.auth.policy import rules_for
from kinko.backoffice import operators
from kinko.backoffice.models import OperatorRole
from kinko.cli import app
from kinko.config import get_settings, reset_settings
from kinko.db import Database
from kinko.keys import (
    KEY_FILE_NAME,
    KNOWN_DEFAULTS,
    Purpose,
    SecretKeyMissing,
    generate,
    key_problem,
    keyring,
    serving_problems,
)
from kinko.web.auth import csrf_matches, csrf_token
from tests.auth import builders

runner = CliRunner()
KEY_B = "Zp4rT9vXq2Lm7NcWb8Kd3HsFj6GyUe1Ai5OoRt0QwEzPxCvBnM"


def use_keys(monkeypatch: pytest.MonkeyPatch, current: str, *previous: str) -> None:
    monkeypatch.setenv("KINKO_SECRET_KEY", current)
    if previous:
        monkeypatch.setenv("KINKO_SECRET_KEY_PREVIOUS", ",".join(previous))
    else:
        monkeypatch.delenv("KINKO_SECRET_KEY_PREVIOUS", raising=False)
    reset_settings()


@pytest.mark.req("AUTH-10")
def test_generated_keys_pass_and_public_short_or_patterned_keys_do_not() -> None:
    for _ in range(200):
        assert key_problem(generate()) is None
    assert key_problem(os.urandom(32).hex()) is None
    for default in KNOWN_DEFAULTS:
        assert key_problem(default) is not None
    assert "published default" in str(
        key_problem("dev-only-secret-change-me-in-production-0000"))
    assert "shorter than 32 bytes" in str(key_problem("Xq7-short-but-random-9Lm"))
    assert "entropy" in str(key_problem("a" * 64))
    assert "entropy" in str(key_problem("0123456789abcdef" * 4))
    assert "entropy" in str(key_problem("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLM"))


@pytest.mark.req("AUTH-10")
@pytest.mark.parametrize(("env", "expected"), [
    ({}, "no secret key"),
    ({"KINKO_SECRET_KEY": "dev-only-secret-change-me-in-production-0000"}, "published default"),
    ({"KINKO_SECRET_KEY": "s3cr3t-s3cr3t"}, "shorter than 32 bytes"),
    ({"KINKO_SECRET_KEY": KEY_B, "KINKO_SECRET_KEY_PREVIOUS": "change-me"},
     "previous key #1"),
])
def test_serve_refuses_to_start_without_a_strong_secret_key(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str],
        expected: str) -> None:
    monkeypatch.delenv("KINKO_SECRET_KEY")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    url = f"sqlite:///{tmp_path / 'none.sqlite3'}"
    result = runner.invoke(app, ["serve", "--database-url", url])
    assert result.exit_code == 2
    assert "refusing to serve" in result.output and expected in result.output
    assert "serving on" not in result.output


@pytest.mark.req("AUTH-10")
def test_serve_accepts_a_strong_key_and_then_checks_the_database(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_keys(monkeypatch, KEY_B)
    result = runner.invoke(app, ["serve", "--database-url",
                                 f"sqlite:///{tmp_path / 'none.sqlite3'}"])
    assert "refusing to serve" not in result.output
    assert "no Kinko schema" in result.output   # got past the key check
    checked = runner.invoke(app, ["keys", "check"])
    assert checked.exit_code == 0 and "KINKO_SECRET_KEY: ok" in checked.output


@pytest.mark.req("AUTH-10")
def test_the_demo_generates_its_key_once_mode_0600_and_reuses_it(
        db: Database, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KINKO_SECRET_KEY")
    monkeypatch.setenv("KINKO_DATABASE_URL", database_url)
    reset_settings()
    with pytest.raises(SecretKeyMissing):
        keyring()
    first = runner.invoke(app, ["demo", "--no-serve"])
    assert first.exit_code == 0, (first.output, repr(first.exception))
    path = get_settings().data_dir / KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = path.read_text().strip()
    assert key_problem(key) is None and "generated the demo's secret key" in first.output
    again = runner.invoke(app, ["demo", "--no-serve"])
    assert again.exit_code == 0 and path.read_text().strip() == key
    assert "generated" not in again.output
    reset_settings()
    assert keyring().current == key.encode() and serving_problems() == []
    # Other commands on the demo's data directory use the same key.
    assert runner.invoke(app, ["batch", "run"]).exit_code == 0
    verified = runner.invoke(app, ["audit", "verify"])
    assert verified.exit_code == 0 and "intact" in verified.output
    path.chmod(0o644)
    reset_settings()
    assert any("readable by other users" in p for p in serving_problems())


@pytest.mark.req("AUTH-10")
def test_each_purpose_has_its_own_derived_key() -> None:
    purposes = [*(p.value for p in Purpose), "aead:totp-seed", "digest:session",
                "digest:challenge"]
    keys = {derived_key(p) for p in purposes}
    assert len(keys) == len(purposes)
    assert keyring().current not in keys


@pytest.mark.req("AUTH-10")
def test_rotation_old_data_readable_new_writes_under_the_new_key_then_reencrypt(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    key_a = os.environ["KINKO_SECRET_KEY"]
    # Under key A: a TOTP seed, a session, sealed audit events, a CSRF token.
    with db.transaction() as s:
        r = builders.retail_003(s, serial="ET-ROT-1")
        seed = otp.code_at(r.token, clock.now())   # reading it decrypts the seed
        token, _row = sessions.start(s, r.user, rules_for(r.user.product))
        user_id = r.user.id
        record(s, actor="test", action="test.before_rotation", subject_type="t", subject_id=1)
        seal_all(s)
        staff = operators.create_operator(s, code="V900", name="監督", actor="test",
                                          roles=[OperatorRole.SUPERVISOR])
        operators.set_credentials(s, operator_id=staff.id, password="Console8Demo",
                                  seed=b"operator-seed-000001", must_change=False, actor="test")
        staff_code = operators.current_code(staff)
    csrf_a = csrf_token(token)

    use_keys(monkeypatch, KEY_B, key_a)         # rotate: B current, A previous
    with db.transaction() as s:
        t = s.execute(select(OtpToken).where(OtpToken.serial == "ET-ROT-1")).scalar_one()
        assert otp.code_at(t, clock.now()) == seed and needs_reencryption(otp.SEED_PURPOSE,
                                                             t.seed_ciphertext)
        assert sessions.authenticate(s, token).user_id == user_id   # nobody logged out
        assert verify(s).ok                                           # old links verify
        record(s, actor="test", action="test.after_rotation", subject_type="t", subject_id=2)
        seal_all(s)
        assert verify(s).ok
    assert csrf_matches(csrf_a, token) and csrf_token(token) != csrf_a

    use_keys(monkeypatch, KEY_B)                # A dropped too early: old data is refused
    with db.transaction() as s:
        t = s.execute(select(OtpToken).where(OtpToken.serial == "ET-ROT-1")).scalar_one()
        with pytest.raises(DecryptionFailed):
            otp.code_at(t, clock.now())
        assert not verify(s).ok
        # The session moved to key B on its first request after the rotation.
        assert sessions.authenticate(s, token).user_id == user_id
    assert not csrf_matches(csrf_a, token)

    use_keys(monkeypatch, KEY_B, key_a)         # put A back, re-encrypt, then drop it
    done = runner.invoke(app, ["keys", "reencrypt", "--database-url", db.url.render_as_string(
        hide_password=False)])
    assert done.exit_code == 0, done.output
    assert "otp_seeds 1" in done.output and "operator_totp_seeds 1" in done.output
    use_keys(monkeypatch, KEY_B)
    with db.transaction() as s:
        staff_now = operators.operator_by_code(s, "V900")
        assert staff_now is not None and operators.current_code(staff_now) == staff_code
        t = s.execute(select(OtpToken).where(OtpToken.serial == "ET-ROT-1")).scalar_one()
        assert otp.code_at(t, clock.now()) == seed and not needs_reencryption(otp.SEED_PURPOSE,
                                                                 t.seed_ciphertext)
        seal_all(s)
        assert verify(s).ok


@pytest.mark.req("AUTH-10")
def test_the_demo_with_a_weak_key_refuses_before_building_anything(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_keys(monkeypatch, "change-me-please-0000000000000000000")
    result = runner.invoke(app, ["demo", "--database-url",
                                 f"sqlite:///{tmp_path / 'demo.sqlite3'}"])
    assert result.exit_code == 2 and "refusing to serve" in result.output
    assert "demo bank created" not in result.output
    assert not (tmp_path / "demo.sqlite3").exists()


@pytest.mark.req("AUTH-4")
@pytest.mark.req("AUTH-10")
def test_telephony_webhooks_signed_with_the_previous_keys_secret_pass_during_rotation(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from kinko.auth import phone
    from kinko.auth.errors import WebhookRejected
    from kinko.keys import derive

    key_a = os.environ["KINKO_SECRET_KEY"]
    body = json.dumps({"event_id": "ev-1", "caller": "+81 90-1234-5678",
                       "callee": "0120-000-000",
                       "called_at": clock.now().isoformat()}).encode()
    sent = int(clock.now().timestamp())
    signed_a = phone.sign(body, sent, derive(key_a.encode(), "phone-webhook"))
    use_keys(monkeypatch, KEY_B, key_a)
    with db.transaction() as s:
        assert phone.handle_webhook(s, body=body, timestamp=str(sent), signature=signed_a)
    use_keys(monkeypatch, KEY_B)
    with db.transaction() as s, pytest.raises(WebhookRejected):
        phone.handle_webhook(s, body=body, timestamp=str(sent), signature=signed_a)
