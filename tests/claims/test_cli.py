"""`kinko claims evaluate`: exit 0 and the decision JSON, or exit 2 naming the bad field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kinko.claims.case import case_schema, stored_schema
from kinko.cli import app
from tests.claims.casebuilder import case, tx

runner = CliRunner()


def _evaluate(tmp_path: Path, doc: Any) -> Any:
    path = tmp_path / "case.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return runner.invoke(app, ["claims", "evaluate", str(path)])


@pytest.mark.req("CLM-3")
def test_decision_on_stdout(tmp_path: Path) -> None:
    result = _evaluate(tmp_path, case())
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)
    assert decision["decision"] == "full" and decision["compensation"] == 100_440
    assert decision["eligible_transaction_ids"] == ["t1"] and decision["excluded"] == []
    assert all({"rule", "source", "effect"} <= set(s) for s in decision["trail"])


@pytest.mark.req("CLM-1")
def test_a_none_decision_still_exits_zero(tmp_path: Path) -> None:
    result = _evaluate(tmp_path, case(conditions={"police_report": False}))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["decision"] == "none"


@pytest.mark.parametrize(("doc", "field"), [
    ({k: v for k, v in case().items() if k != "notified_on"}, "notified_on"),
    (case(product="retail-999"), "product"),
    (case(stolen_on="2026-02-30"), "stolen_on"),
    (case(noticed_on="yesterday"), "noticed_on"),
    (case(transactions=[tx(amount=-1)]), "transactions[0].amount"),
    (case(transactions=[tx(fee=-440)]), "transactions[0].fee"),
    (case(transactions=[tx(), tx(payee="friend")]), "transactions[1].payee"),
    (case(conditions={"police_report": "yes"}), "conditions.police_report"),
    (case(security={"password_changed_on": "soon"}), "security.password_changed_on"),
    (case(refunded_to_customer=-5), "refunded_to_customer"),
    (case(customer_fault="careless"), "customer_fault"),
    (case(transactions=[tx(amount=1.5)]), "transactions[0].amount"),
    (case(transactions=[]), "transactions"),
    (case(transactions=[tx(), tx()]), "transactions"),
    ("{not json", "(case)"),
    ("[]", "(case)"),
])
def test_a_malformed_case_exits_2_naming_the_field(tmp_path: Path, doc: Any,
                                                   field: str) -> None:
    result = _evaluate(tmp_path, doc)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"field {field}:" in result.stderr


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["claims", "evaluate", str(tmp_path / "none.json")])
    assert result.exit_code == 2


def test_the_published_schema_is_the_validators_schema() -> None:
    assert stored_schema() == case_schema()
    docs = Path(__file__).parents[2] / "docs" / "claims.md"
    assert json.dumps(case_schema(), ensure_ascii=False, indent=2) in docs.read_text("utf-8")
