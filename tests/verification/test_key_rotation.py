"""Face images stay readable across a rotation of the secret key and move to the new key with
`kinko keys reencrypt` (KYC-6)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from kinko import clock
from kinko.cli import app
from kinko.config import reset_settings
from kinko.db import Database
from kinko.verification import repository as repo
from kinko.verification import service
from kinko.verification.vault import ImageUndecryptable
from tests.conftest import TEST_SECRET_KEY
from tests.verification.conftest import START, individual
from tests.verification.faces import photo

NEW_KEY = "Zr8Qw2Lm5Xn7Vb1Kc4Hj6Tg9Pd3Sf0Ay-Ue2Io8Rx5Bn7Mq1Wv4Cz6Lk9Jh3Gt"


def _read(db: Database, customer_id: int) -> bytes | None:
    def run(s):  # type: ignore[no-untyped-def]
        face = repo.current_document_face(s, customer_id)
        assert face is not None
        return service.read_image(s, face.id, actor="test", purpose="rotation test")
    return db.run(run)


def test_images_survive_a_key_rotation(db: Database, database_url: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    clock.set_now(START)
    person = individual(db)
    monkeypatch.setenv("KINKO_SECRET_KEY", NEW_KEY)
    monkeypatch.setenv("KINKO_SECRET_KEY_PREVIOUS", TEST_SECRET_KEY)
    reset_settings()
    assert _read(db, person.customer_id) == photo("obama")  # under the previous key
    out = CliRunner().invoke(app, ["keys", "reencrypt", "--database-url", database_url])
    assert out.exit_code == 0, out.output
    assert "face_images 1" in out.stdout
    monkeypatch.delenv("KINKO_SECRET_KEY_PREVIOUS")
    reset_settings()
    assert _read(db, person.customer_id) == photo("obama")  # now under the new key alone
    monkeypatch.setenv("KINKO_SECRET_KEY", TEST_SECRET_KEY)
    reset_settings()
    with pytest.raises(ImageUndecryptable):
        _read(db, person.customer_id)
