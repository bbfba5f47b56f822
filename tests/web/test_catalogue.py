"""The message catalogue (UI-2, issue 10): every sentence of the pages is written once in
Japanese where it is shown and has its English in messages.po, nowhere else.

- no literal Japanese/English pair is left in src/ (a new page cannot bring one back);
- every catalogue entry has its English, and every sentence the code names is in it;
- the converter (scripts/catalogue-extract) rewrites pairs, fills the catalogue, gives a
  context to the same Japanese with another English, leaves non-literal pairs alone and
  changes nothing when run again.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kinko.web import catalogue_convert as cc
from kinko.web.i18n import CATALOGUE_PATH, english, tr

ROOT = Path(__file__).resolve().parents[2]
_STR = r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
TEMPLATE_USE = re.compile(
    rf"(?<![\w.])_\(\s*(?P<ja>{_STR})\s*(?:,\s*ctx\s*=\s*(?P<ctx>{_STR})\s*)?\)")
TEMPLATE_ANY_USE = re.compile(r"(?<![\w.])_\(")


def test_no_literal_pair_is_left_in_src() -> None:
    left: list[str] = []
    for file in cc.sources(ROOT):
        text = file.read_text(encoding="utf-8")
        found = (cc.template_pairs(text) if file.suffix == ".html"
                 else cc.literal_python_pairs(text))
        left += [f"{file.relative_to(ROOT)}: {p}" for p in found]
    codes = cc.codes_left((ROOT / cc.CODES_MODULE).read_text(encoding="utf-8"))
    left += [f"{cc.CODES_MODULE}: {codes} items in CATALOGUE"] if codes else []
    assert not left, "run scripts/catalogue-extract:\n" + "\n".join(left)


def test_every_entry_has_english_and_none_is_twice() -> None:
    from babel.messages.pofile import read_po

    with CATALOGUE_PATH.open("rb") as f:
        catalog = read_po(f, locale="en")
    bad = [(m.context, m.id) for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert not bad
    keys = re.findall(r'^(?:msgctxt "(.*)"\n)?msgid "(.+)"$',
                      CATALOGUE_PATH.read_text(encoding="utf-8"), re.M)
    assert len(keys) == len(set(keys)) == len(english())


def _uses() -> list[tuple[str, str | None, str]]:
    """(where, context, Japanese) for every sentence the code asks the catalogue for."""
    uses: list[tuple[str, str | None, str]] = []
    for file in cc.sources(ROOT):
        name = str(file.relative_to(ROOT))
        text = file.read_text(encoding="utf-8")
        if file.suffix == ".html":
            for tag in cc.JINJA_TAG.finditer(text):
                body = tag.group(0)
                literal = {u.start() for u in TEMPLATE_USE.finditer(body)}
                for u in TEMPLATE_USE.finditer(body):
                    ctx = u.group("ctx")
                    uses.append((name, ctx and ast.literal_eval(ctx),
                                 ast.literal_eval(u.group("ja"))))
                uses += [(name, None, f"<not a literal: {body[a.start():a.start() + 40]}>")
                         for a in TEMPLATE_ANY_USE.finditer(body) if a.start() not in literal]
            continue
        for node in ast.walk(ast.parse(text)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "tr" and name != "src/kinko/web/templating.py"):
                ja = node.args[1] if len(node.args) > 1 else None
                ctx = next((k.value for k in node.keywords if k.arg == "ctx"), None)
                if not (isinstance(ja, ast.Constant) and isinstance(ja.value, str)) or not (
                        ctx is None or isinstance(ctx, ast.Constant)):
                    uses.append((f"{name}:{node.lineno}", None, "<not a literal>"))
                    continue
                uses.append((f"{name}:{node.lineno}",
                             None if ctx is None else str(ctx.value), ja.value))
    return uses


def test_every_sentence_the_pages_name_is_in_the_catalogue() -> None:
    uses = _uses()
    assert len(uses) > 100  # the pages do speak through the catalogue
    missing = [u for u in uses if (u[1], u[2]) not in english()]
    assert not missing, missing


def test_a_sentence_is_japanese_first_and_english_from_the_catalogue() -> None:
    (ctx, ja), en = next(iter(english().items()))
    assert tr("ja", ja, ctx) == ja
    assert tr("en", ja, ctx) == en
    # Not in the catalogue: the page still shows (in Japanese); the tests above find it.
    assert tr("en", "カタログにない文") == "カタログにない文"


# --- the converter, on a small tree of its own ----------------------------------------------

PAGE = """{% block title %}{{ t("ようこそ", "Welcome") }}{% endblock %}
<p>{{ t('残高', 'Balance') }} {{ t("残高", "Balances") }} {{ x or t("受付", "Received") }}</p>
{# t("コメント", "Comment") is not code #}
<p>t("本文", "Text") is page text, not a call</p>
<p>{{ t(q.title_ja, q.title_en) }}</p>
"""
MODULE = '''"""A page module."""

from kinko.web.i18n import language, t


def page(lang: str) -> str:
    notice = t(lang, "ログアウトしました。",
               "You have logged out.")
    error = ("一致しません。" if lang == "ja"
             else "They differ.")
    key = "reasons_ja" if lang == "ja" else "reasons_en"
    return notice + error + key + t(lang, "受付", "Upload") + language.__name__


def data(lang: str, pair: tuple[str, str]) -> str:
    return t(lang, *pair) + t(lang, pair[0], pair[1])
'''


def _tree(tmp_path: Path) -> Path:
    page = tmp_path / "src" / "kinko" / "web" / "templates" / "page.html"
    module = tmp_path / "src" / "kinko" / "web" / "pages" / "page.py"
    page.parent.mkdir(parents=True)
    module.parent.mkdir(parents=True)
    page.write_text(PAGE, encoding="utf-8")
    module.write_text(MODULE, encoding="utf-8")
    return tmp_path


def test_the_converter_moves_pairs_into_the_catalogue(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    report = cc.run(root)
    page = (root / "src/kinko/web/templates/page.html").read_text(encoding="utf-8")
    module = (root / "src/kinko/web/pages/page.py").read_text(encoding="utf-8")
    assert page == """{% block title %}{{ _("ようこそ") }}{% endblock %}
<p>{{ _('残高') }} {{ _("残高", ctx="balances") }} {{ x or _("受付") }}</p>
{# t("コメント", "Comment") is not code #}
<p>t("本文", "Text") is page text, not a call</p>
<p>{{ t(q.title_ja, q.title_en) }}</p>
"""
    assert 'notice = tr(lang, "ログアウトしました。")' in module
    assert 'error = (tr(lang, "一致しません。"))' in module
    assert '"reasons_ja" if lang == "ja" else "reasons_en"' in module  # a key, not a sentence
    assert 'tr(lang, "受付", ctx="upload")' in module  # 受付 is "Received" on the page
    assert "from kinko.web.i18n import language, t, tr\n" in module  # t stays for data pairs
    compile(module, "page.py", "exec")
    assert report.rewritten == {"src/kinko/web/templates/page.html": 4,
                                "src/kinko/web/pages/page.py": 3}
    assert len(report.conflicts) == 2 and "ctx='balances'" in report.conflicts[0]
    assert [x.split(": ")[-1] for x in report.left] == [
        "t(q.title_ja, q.title_en)", "t(lang, *pair)", "t(lang, pair[0], pair[1])"]

    from babel.messages.pofile import read_po

    with (root / cc.CATALOGUE_FILE).open("rb") as f:
        po = {(m.context, m.id): m.string for m in read_po(f) if m.id}
    assert po == {(None, "ようこそ"): "Welcome", (None, "残高"): "Balance",
                  ("balances", "残高"): "Balances", (None, "受付"): "Received",
                  (None, "ログアウトしました。"): "You have logged out.",
                  (None, "一致しません。"): "They differ.", ("upload", "受付"): "Upload"}

    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    again = cc.run(root)
    assert not again.rewritten and not again.added and not again.conflicts
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_the_converter_keeps_t_out_of_the_import_when_no_pair_is_left(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    module = root / "src/kinko/web/pages/page.py"
    module.write_text(MODULE.split("\n\ndef data", maxsplit=1)[0] + "\n", encoding="utf-8")
    cc.run(root)
    assert "from kinko.web.i18n import language, tr\n" in module.read_text(encoding="utf-8")


def test_the_script_checks_without_writing(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    shutil.copytree(ROOT / "scripts", root / "scripts")
    env = {"PYTHON": sys.executable, "PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    check = subprocess.run([str(root / "scripts/catalogue-extract"), "--check", str(root)],
                           capture_output=True, text=True, env=env, check=False)
    assert check.returncode == 1, check.stderr
    assert "rewritten: 7 calls in 2 files" in check.stdout
    assert not (root / cc.CATALOGUE_FILE).exists()
    done = subprocess.run([str(root / "scripts/catalogue-extract"), str(root)],
                          capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    again = subprocess.run([str(root / "scripts/catalogue-extract"), "--check", str(root)],
                           capture_output=True, text=True, env=env, check=False)
    assert again.returncode == 0 and "rewritten: 0 calls" in again.stdout


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_a_converted_page_reads_as_before(lang: str) -> None:
    """The rewrite changes no word a customer reads: a template rendered before and after."""
    from jinja2 import Environment

    source = ('{{ t("ログアウトしました。", "You have logged out.") }}|'
              '{{ t("残高", "Balance") }}')
    root_pairs = {"ログアウトしました。": "You have logged out.", "残高": "Balance"}
    env = Environment(autoescape=True)
    before = env.from_string(source).render(
        t=lambda ja, en: en if lang == "en" else ja)
    entries = cc.Entries(cc.load(Path("/nonexistent.po")))
    after_source = cc.convert_template(source, "x.html", entries, cc.Report())
    after = env.from_string(after_source).render(
        _=lambda ja, ctx=None: ja if lang == "ja" else entries.english[(ctx, ja)])
    assert before == after
    assert {ja: en for (_, ja), en in entries.english.items()} == root_pairs


CODES = '''"""Codes."""

CATALOGUE: dict[str, tuple[str, str]] = {
    # a comment
    "account_type.ordinary": ("普通預金", "Ordinary deposit"),
    "state.x": (NAME, "X"),
}
'''


def test_the_converter_moves_the_words_for_codes_into_the_catalogue(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    module = root / cc.CODES_MODULE
    module.write_text(CODES, encoding="utf-8")
    report = cc.run(root)
    assert module.read_text(encoding="utf-8") == CODES.replace(
        CODES[CODES.index("{"):CODES.rindex("}") + 1], '{\n    "state.x": (NAME, "X"),\n}')
    assert any(x.endswith("(NAME, 'X')") for x in report.left)
    from babel.messages.pofile import read_po

    with (root / cc.CATALOGUE_FILE).open("rb") as f:
        po = {(m.context, m.id): m.string for m in read_po(f) if m.id}
    assert po[("account_type.ordinary", "普通預金")] == "Ordinary deposit"
    # Added again by hand with another text: the id keeps one entry, the new one.
    module.write_text(CODES.replace('"普通預金", "Ordinary deposit"', '"普通", "Ordinary"'),
                      encoding="utf-8")
    again = cc.run(root)
    assert len(again.conflicts) == 1 and "account_type.ordinary" in again.conflicts[0]
    with (root / cc.CATALOGUE_FILE).open("rb") as f:
        po = {(m.context, m.id): m.string for m in read_po(f) if m.id}
    assert [k for k in po if k[0] == "account_type.ordinary"] == [
        ("account_type.ordinary", "普通")]
    assert not cc.run(root).rewritten


def test_a_module_that_does_not_parse_is_reported_and_the_rest_converted(tmp_path: Path
                                                                         ) -> None:
    root = _tree(tmp_path)
    broken = root / "src/kinko/web/pages/broken.py"
    broken.write_text('from kinko.web.i18n import t\n<<<<<<< HEAD\nx = t(lang, "日", "Day")\n',
                      encoding="utf-8")
    report = cc.run(root)
    assert any(x.startswith("src/kinko/web/pages/broken.py:2: not converted") for x in report.left)
    assert "src/kinko/web/templates/page.html" in report.rewritten
    assert 't(lang, "日", "Day")' in broken.read_text(encoding="utf-8")


def test_a_rewritten_line_stays_within_the_line_length(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    module = root / "src/kinko/web/pages/page.py"
    module.write_text('''from kinko.web.i18n import t


def page(lang: str) -> str:
    return "-".join(["x", t(lang, "行員番号・パスワード・確認コードのいずれかが正しくありません。",
                            "Wrong operator code, password or authenticator code."), "y"])
''', encoding="utf-8")
    cc.run(root)
    text = module.read_text(encoding="utf-8")
    assert 'tr(lang,\n' in text and compile(text, "page.py", "exec")
    assert max(cc._width(line) for line in text.splitlines()) <= cc.LINE_LENGTH
