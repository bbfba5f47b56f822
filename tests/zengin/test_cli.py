"""`kinko zengin …` (ZEN-1, ZEN-2): exit 0 when valid, 1 with one error per line, 2 when the
file cannot be read; to-json then from-json reproduces a strict file byte for byte."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kinko.cli import app

from .golden_spec import FILES, GOLDEN
from .helpers import join, put, records

pytestmark = pytest.mark.req("ZEN-1")
REF = ["--reference-date", "2026-04-01"]
runner = CliRunner()


def zengin(*args: str | Path) -> tuple[int, str, str, bytes]:
    result = runner.invoke(app, ["zengin", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception))
    return result.exit_code, result.stdout, result.stderr, result.stdout_bytes


def test_validate_a_valid_file() -> None:
    code, out, err, _ = zengin("validate", GOLDEN / "transfer_21.txt", *REF)
    assert (code, out) == (0, "")
    assert "valid, type 21, 2 group(s), 3 data record(s)" in err


def test_validate_prints_one_error_per_line(tmp_path: Path) -> None:
    recs = records("transfer_21.txt")
    recs[1] = put(recs[1], 81, "00000I0000")
    recs[3] = put(recs[3], 2, "000009")
    recs[5] = put(recs[5], 51, b"\xa6")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(join(recs))
    code, out, _, _ = zengin("validate", bad, *REF)
    assert code == 1
    assert out.splitlines() == [
        "record 2, bytes 81-90, 振込金額 (amount): not a number: 'I' (0x49) at byte 86 (N "
        "fields take digits only)",
        "record 6, bytes 51-80, 受取人名 (payee name): character 'ｦ' (0xA6) at byte 51 is not "
        "allowed: payee name takes name characters (ｱ-ﾝ ﾞ ﾟ A-Z 0-9 space ( ) - .)",
    ]
    code, out, _, _ = zengin("validate", bad, *REF, "--lang", "ja")
    assert code == 1 and "86 バイト目が数字ではありません" in out.splitlines()[0]
    code, out, _, _ = zengin("validate", bad, *REF, "--json")
    first = json.loads(out.splitlines()[0])
    assert (code, first["record"], first["start"], first["end"]) == (1, 2, 81, 90)


def test_validate_reports_lf_as_a_note(tmp_path: Path) -> None:
    lf = tmp_path / "lf.txt"
    lf.write_bytes(join(records("transfer_21.txt"), b"\n"))
    code, out, err, _ = zengin("validate", lf, *REF)
    assert code == 0 and out == "" and "note: line endings are LF" in err


def test_unreadable_files_exit_2(tmp_path: Path) -> None:
    code, _, err, _ = zengin("validate", tmp_path / "missing.txt")
    assert code == 2 and "no such file" in err
    code, _, err, _ = zengin("validate", tmp_path)
    assert code == 2 and "is a directory" in err
    code, _, err, _ = zengin("validate", GOLDEN / "transfer_21.txt", "--reference-date", "x")
    assert code == 2


@pytest.mark.parametrize("name", sorted(FILES))
def test_to_json_then_from_json_is_byte_exact(name: str, tmp_path: Path) -> None:
    code, out, _, _ = zengin("to-json", GOLDEN / name, *REF)
    assert code == 0
    document = json.loads(out)
    assert document["groups"][0]["header"]["record"].endswith("_header")
    source = tmp_path / "file.json"
    source.write_text(out, encoding="utf-8")
    target = tmp_path / "out.txt"
    code, _, err, _ = zengin("from-json", source, "-o", target, *REF)
    assert code == 0, err
    assert target.read_bytes() == (GOLDEN / name).read_bytes()


def test_to_json_of_a_refused_file_prints_errors_not_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(join(records("transfer_21.txt"))[:-122])
    code, out, _, _ = zengin("to-json", bad, *REF)
    assert code == 1 and out.startswith("record 8, データ区分 (record type): the file has no end")


def test_from_json_refuses_bad_documents(tmp_path: Path) -> None:
    source = tmp_path / "file.json"
    code, out, _, _ = zengin("to-json", GOLDEN / "transfer_21.txt", *REF)
    document = json.loads(out)
    document["groups"][0]["records"][1]["amount"] = "140000"
    document["groups"][0]["records"][0]["payee_name"] = "山田太郎"
    document["groups"][0]["records"][0]["colour"] = "red"
    source.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    code, out, _, _ = zengin("from-json", source, "-o", tmp_path / "x.txt", *REF)
    assert code == 1
    assert out.splitlines() == [
        "record 2, $.groups[0].records[0].colour: unknown attribute",
        "record 3, bytes 81-90, 振込金額 (amount ($.groups[0].records[1].amount)): must be an "
        "integer (yen and counts are whole)",
    ]
    document["groups"][0]["records"][1]["amount"] = 140000
    del document["groups"][0]["records"][0]["colour"]
    source.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    code, out, _, _ = zengin("from-json", source, "-o", tmp_path / "x.txt", *REF)
    assert code == 1 and out.startswith("record 2, bytes 51-80, 受取人名 (payee name): character")
    code, out, _, _ = zengin("from-json", source, "-o", tmp_path / "x.txt", *REF, "--normalize")
    assert code == 1 and "kanji '山'" in out
    source.write_text("{not json", encoding="utf-8")
    code, out, _, _ = zengin("from-json", source, "-o", tmp_path / "x.txt")
    assert code == 1 and "not valid JSON" in out
    assert not (tmp_path / "x.txt").exists()


def test_to_pain001(tmp_path: Path) -> None:
    """ZEN-1/BULK-1: the ZEDI XML form of a 総合振込 file."""
    edi = tmp_path / "edi.json"
    edi.write_text(json.dumps({"2": "請求書 INV-1"}, ensure_ascii=False), encoding="utf-8")
    code, _, _, xml = zengin("to-pain001", GOLDEN / "transfer_21.txt", *REF, "--sender-id",
                             "C123PASS", "--center-code", "0001", "--edi", edi)
    assert code == 0
    root = ET.fromstring(xml)
    assert [child.tag.split("}")[1] for child in root] == ["AppHdr", "Document"]
    code, out, _, _ = zengin("to-pain001", GOLDEN / "notice_a_01.txt", *REF)
    assert code == 1 and "only a 総合振込 (21) file maps to pain.001" in out


def test_kana_command() -> None:
    code, out, _, _ = zengin("kana", "キャッシュ　カード")
    assert (code, out.strip()) == (0, "ｷﾔﾂｼﾕ ｶ-ﾄﾞ")
    code, out, _, _ = zengin("kana", "山田")
    assert code == 1 and "kanji" in out


def test_the_real_command_never_shows_a_traceback(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 3)
    kinko = [str(Path(sys.executable).parent / "kinko")]
    for args, expected in (([str(junk)], 1), ([str(tmp_path / "none")], 2)):
        done = subprocess.run(
            [*kinko, "zengin", "validate", *args], capture_output=True, text=True,
            check=False, timeout=60)
        assert done.returncode == expected, done.stderr
        assert "Traceback" not in done.stderr + done.stdout
