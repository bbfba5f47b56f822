"""`kinko verification register-face` and `kinko verification sweep` on a real database."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from typer.testing import CliRunner

from kinko import clock
from kinko.cli import app
from kinko.db import Database
from kinko.verification import service
from tests import factories
from tests.verification.conftest import START, policy_days
from tests.verification.faces import DATA, no_face


def test_register_a_document_face_then_the_sweep_marks_the_customer_due(
        db: Database, database_url: str, tmp_path: Path) -> None:
    clock.set_now(START)
    with db.transaction() as s:
        customer = factories.customer(s)
        number, customer_id = customer.number, customer.id
    wall = tmp_path / "wall.jpg"
    wall.write_bytes(no_face())
    refused = CliRunner().invoke(app, ["verification", "register-face", number, str(wall),
                                       "--database-url", database_url])
    assert refused.exit_code == 2 and "No face" in refused.stderr
    done = CliRunner().invoke(app, ["verification", "register-face", number,
                                    str(DATA / "obama.jpg"), "--database-url", database_url])
    assert done.exit_code == 0, done.output
    later = clock.to_jst(START + timedelta(days=policy_days()[0])).isoformat()
    swept = CliRunner().invoke(app, ["verification", "sweep", "--at", later,
                                     "--database-url", database_url])
    assert swept.exit_code == 0 and "due 1," in swept.stdout
    with db.transaction() as s:
        assert service.open_case(s, customer_id) is not None
