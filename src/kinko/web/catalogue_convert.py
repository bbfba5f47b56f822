"""Move inline Japanese/English pairs into the message catalogue (``scripts/catalogue-extract``).

A page used to write each sentence twice where it shows it: ``t(lang, "日本語", "English")``
in Python, ``{{ t("日本語", "English") }}`` in a template. This converter rewrites every such
call whose two texts are literals into a call by the Japanese alone (``tr(lang, "日本語")``,
``{{ _("日本語") }}``) and puts the English into ``messages.po``, so that the English lives in
one place. It is re-runnable: a tree it has converted has no literal pair left, so a second run
changes nothing, and a tree where others have since added pages is converted in the same way.

What it cannot rewrite on its own it reports and leaves as it is:

- a pair whose texts are not literals (``t(q.title_ja, q.title_en)``, an f-string): the texts
  are data, held with both languages where they are made;
- the same Japanese with a different English than the catalogue already has: the call gets a
  context named after its English (``ctx="accepted"``), a new entry, and a line in the report,
  so that two meanings of one Japanese word keep their two translations.

Python is read with :mod:`ast` (exact positions, no false match inside a string or a
comment); templates with a lexer of Jinja's ``{{ … }}`` and ``{% … %}`` tags, so text
outside a tag and comments (``{# … #}``) are never touched.
"""

from __future__ import annotations

import ast
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from kinko.web.i18n import CATALOGUE_PATH

# A Jinja string literal, either quote (Jinja unescapes them as Python does).
_STR = r'"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
TEMPLATE_PAIR = re.compile(rf"(?<![\w.])t\(\s*(?P<ja>{_STR})\s*,\s*(?P<en>{_STR})\s*\)")
TEMPLATE_CALL = re.compile(r"(?<![\w.])t\(")
JINJA_TAG = re.compile(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", re.S)
CATALOGUE_FILE = "src/kinko/web/locale/en/LC_MESSAGES/messages.po"  # from the tree's root
HEADER = """\
# The English of Kinko's pages. msgid: the Japanese a page shows (written where it is shown);
# msgstr: its English; msgctxt: only where one Japanese needs two English texts.
# Correct the English here. New sentences come in with scripts/catalogue-extract, or by hand
# (docs/messages.md)."""
_EPOCH = datetime(2026, 12, 4, tzinfo=UTC)  # the catalogue's creation date, kept stable


@dataclass
class Report:
    """What one run did and what it left for a person to look at."""

    rewritten: dict[str, int] = field(default_factory=dict)   # file → calls rewritten
    added: list[tuple[str | None, str, str]] = field(default_factory=list)  # ctx, ja, en
    conflicts: list[str] = field(default_factory=list)      # same Japanese, other English
    left: list[str] = field(default_factory=list)           # pairs that are not literals

    def lines(self) -> Iterator[str]:
        total = sum(self.rewritten.values())
        yield f"rewritten: {total} calls in {len(self.rewritten)} files"
        for name, n in sorted(self.rewritten.items()):
            yield f"  {name}: {n}"
        yield f"catalogue: {len(self.added)} new entries"
        yield f"conflicts (the same Japanese with another English, given a context): " \
              f"{len(self.conflicts)}"
        yield from (f"  {c}" for c in self.conflicts)
        yield f"left as they are (texts that are not literals): {len(self.left)}"
        yield from (f"  {c}" for c in self.left)


class Entries:
    """The catalogue being filled: (context, Japanese) → English."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.english: dict[tuple[str | None, str], str] = {
            (msg.context, msg.id): msg.string for msg in catalog
            if msg.id and isinstance(msg.id, str) and isinstance(msg.string, str)}

    def context_for(self, ja: str, en: str, where: str, report: Report) -> str | None:
        """The context under which ``ja`` means ``en``: none unless another English has it."""
        known = self.english.get((None, ja))
        if known is None:
            self._add(None, ja, en, report)
            return None
        if known == en:
            return None
        for (ctx, msgid), text in sorted(self.english.items(), key=lambda kv: str(kv[0])):
            if msgid == ja and ctx is not None and text == en:
                return ctx
        base = re.sub(r"[^a-z0-9]+", "-", en.lower()).strip("-")[:40].strip("-") or "en"
        ctx, n = base, 1
        while (ctx, ja) in self.english:
            n += 1
            ctx = f"{base}-{n}"
        self._add(ctx, ja, en, report)
        report.conflicts.append(f"{where}: {ja!r} is {known!r} in the catalogue, here {en!r}: "
                                f"ctx={ctx!r}")
        return ctx

    def set_code(self, code: str, ja: str, en: str, where: str, report: Report) -> None:
        """The words for a code: one entry per id (its context); a changed text replaces it."""
        old = [(ctx, msgid) for (ctx, msgid) in self.english if ctx == code]
        if old == [(code, ja)] and self.english[(code, ja)] == en:
            return
        for ctx, msgid in old:
            report.conflicts.append(f"{where}: {code} was {msgid!r} / "
                                    f"{self.english[(ctx, msgid)]!r}, now {ja!r} / {en!r}")
            del self.english[(ctx, msgid)]
            self.catalog.delete(msgid, context=ctx)
        self._add(code, ja, en, report)

    def _add(self, ctx: str | None, ja: str, en: str, report: Report) -> None:
        self.english[(ctx, ja)] = en
        self.catalog.add(ja, en, context=ctx)
        report.added.append((ctx, ja, en))


def load(path: Path = CATALOGUE_PATH) -> Catalog:
    if path.exists():
        with path.open("rb") as f:
            return read_po(f, locale="en")
    return Catalog(locale="en", domain="messages", project="Kinko", version="1",
                   header_comment=HEADER, msgid_bugs_address="Kinko",
                   creation_date=_EPOCH, revision_date=_EPOCH,
                   language_team="Kinko", last_translator="Kinko", fuzzy=False)


def save(catalog: Catalog, path: Path = CATALOGUE_PATH) -> None:
    """Write the catalogue sorted and unwrapped, so that a run that adds nothing writes the
    same bytes and a sentence can be found with grep."""
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.revision_date = catalog.creation_date
    with path.open("wb") as f:
        write_po(f, catalog, width=0, no_location=True, sort_output=True)


# --- templates -------------------------------------------------------------------------------


def _call(ja_src: str, ctx: str | None, quote: str) -> str:
    return f"_({ja_src})" if ctx is None else f"_({ja_src}, ctx={quote}{ctx}{quote})"


def convert_template(text: str, name: str, entries: Entries, report: Report) -> str:
    def tag(match: re.Match[str]) -> str:
        body = match.group(0)
        if body.startswith("{#"):
            return body
        line = text.count("\n", 0, match.start()) + 1

        def pair(p: re.Match[str]) -> str:
            ja, en = ast.literal_eval(p.group("ja")), ast.literal_eval(p.group("en"))
            ctx = entries.context_for(ja, en, f"{name}:{line}", report)
            report.rewritten[name] = report.rewritten.get(name, 0) + 1
            return _call(p.group("ja"), ctx, p.group("ja")[0])

        body = TEMPLATE_PAIR.sub(pair, body)
        for rest in TEMPLATE_CALL.finditer(body):
            snippet = body[rest.start():rest.start() + 60].split(")")[0]
            report.left.append(f"{name}:{line}: {snippet})")
        return body

    return JINJA_TAG.sub(tag, text)


def template_pairs(text: str) -> list[str]:
    """The literal pairs still in a template (the test that keeps them out)."""
    return [p.group(0) for m in JINJA_TAG.finditer(text) if not m.group(0).startswith("{#")
            for p in TEMPLATE_PAIR.finditer(m.group(0))]


# --- Python ----------------------------------------------------------------------------------


def _is_str(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")


def _is_japanese(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) \
        and bool(_JAPANESE.search(node.value))


def _lang_test(node: ast.expr) -> tuple[ast.expr, str] | None:
    """``lang == "ja"`` → (the ``lang`` expression, "ja")."""
    if (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq)
            and isinstance(node.left, ast.Name) and node.left.id == "lang"
            and isinstance(node.comparators[0], ast.Constant)
            and node.comparators[0].value in ("ja", "en")):
        return node.left, str(node.comparators[0].value)
    return None


def python_pairs(tree: ast.AST) -> Iterator[tuple[ast.expr, ast.expr, ast.expr, ast.expr]]:
    """(the node to replace, the language expression, Japanese, English) for each pair:
    ``t(lang, "日本語", "English")`` and ``"日本語" if lang == "ja" else "English"``."""
    speaks = any(isinstance(n, ast.ImportFrom) and n.module == "kinko.web.i18n"
                 and any(a.name == "t" for a in n.names) for n in ast.walk(tree))
    for node in ast.walk(tree):
        if (speaks and isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "t"):
            if len(node.args) == 3 and not node.keywords and not any(
                    isinstance(a, ast.Starred) for a in node.args):
                yield node, node.args[0], node.args[1], node.args[2]
            else:  # reported as not literal
                yield node, node.func, node.func, node.func
        elif isinstance(node, ast.IfExp) and (test := _lang_test(node.test)):
            ja, en = (node.body, node.orelse) if test[1] == "ja" else (node.orelse, node.body)
            # a sentence, not a key chosen by language ("reasons_ja" if lang == "ja" …)
            if _is_japanese(ja) and _is_str(en) and not _is_japanese(en):
                yield node, test[0], ja, en


def _offsets(source: bytes) -> list[int]:
    starts = [0]
    for i, b in enumerate(source):
        if b == 0x0A:
            starts.append(i + 1)
    return starts


def _span(node: ast.expr, starts: list[int]) -> tuple[int, int]:
    assert node.end_lineno is not None and node.end_col_offset is not None
    return (starts[node.lineno - 1] + node.col_offset,
            starts[node.end_lineno - 1] + node.end_col_offset)


LINE_LENGTH = 100


def _width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def _uses_t(tree: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id == "t" for n in ast.walk(tree))


def _fix_import(source: str, keep_t: bool) -> str:
    """``from kinko.web.i18n import …`` names ``tr`` (and ``t`` only while it is still used)."""
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "kinko.web.i18n":
            names = {a.name for a in node.names} | {"tr"}
            if not keep_t:
                names.discard("t")
            lines = source.splitlines(keepends=True)
            assert node.end_lineno is not None
            new = f"from kinko.web.i18n import {', '.join(sorted(names))}\n"
            return "".join([*lines[:node.lineno - 1], new, *lines[node.end_lineno:]])
    # No import to extend: put one after the last ``from kinko.web`` import.
    lines = source.splitlines(keepends=True)
    last = max((n.end_lineno or 0 for n in tree.body
                if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("kinko.web")),
               default=0)
    if not last:
        last = max((n.end_lineno or 0 for n in tree.body
                    if isinstance(n, ast.Import | ast.ImportFrom)), default=0)
    return "".join([*lines[:last], "from kinko.web.i18n import tr\n", *lines[last:]])


def convert_python(text: str, name: str, entries: Entries, report: Report) -> str:
    tree = ast.parse(text)
    source = text.encode()
    starts = _offsets(source)
    edits: list[tuple[int, int, bytes]] = []
    for node, lang, ja, en in sorted(python_pairs(tree), key=lambda p: (p[0].lineno,
                                                                         p[0].col_offset)):
        line = f"{name}:{node.lineno}"
        if not (_is_str(ja) and _is_str(en)):
            report.left.append(f"{line}: {ast.unparse(node)[:80]}")
            continue
        if any(s <= _span(node, starts)[0] < e for s, e, _ in edits):
            continue
        assert isinstance(ja, ast.Constant) and isinstance(en, ast.Constant)
        ctx = entries.context_for(str(ja.value), str(en.value), line, report)
        lang_src = source[slice(*_span(lang, starts))].decode()
        ja_src = source[slice(*_span(ja, starts))].decode()
        tail = "" if ctx is None else f', ctx="{ctx}"'
        start, end = _span(node, starts)
        call = f"tr({lang_src}, {ja_src}{tail})"
        before = source[starts[node.lineno - 1]:start].decode()
        after = source[end:].decode().split("\n", 1)[0]
        if _width(before + call + after) > LINE_LENGTH:  # ruff's limit, as it counts (wide 2)
            indent = " " * (len(before) - len(before.lstrip()) + 4)
            call = f"tr({lang_src},\n{indent}{ja_src}{tail})"
        edits.append((start, end, call.encode()))
    if not edits:
        return text
    report.rewritten[name] = len(edits)
    for start, end, new in sorted(edits, reverse=True):
        source = source[:start] + new + source[end:]
    out = source.decode()
    return _fix_import(out, keep_t=_uses_t(ast.parse(out)))


def literal_python_pairs(text: str) -> list[str]:
    """The literal pairs still in a module (the test that keeps them out)."""
    tree = ast.parse(text)
    return [ast.unparse(node)[:80] for node, _, ja, en in python_pairs(tree)
            if _is_str(ja) and _is_str(en)]


# --- the words for codes (kinko.web.messages.CATALOGUE) --------------------------------------

CODES_MODULE = "src/kinko/web/messages.py"


def _codes_dict(tree: ast.Module) -> ast.Dict | None:
    for node in tree.body:
        target: ast.expr
        value: ast.expr | None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "CATALOGUE" \
                and isinstance(value, ast.Dict):
            return value
    return None


def codes_left(text: str) -> int:
    """How many items ``CATALOGUE`` still holds (the test that keeps them in messages.po)."""
    found = _codes_dict(ast.parse(text))
    return 0 if found is None else len(found.keys)


def convert_codes(text: str, name: str, entries: Entries, report: Report) -> str:
    """Move ``"id": ("日本語", "English")`` items of ``CATALOGUE`` into the catalogue as
    entries whose context is the id; an item whose texts are not literals stays."""
    tree = ast.parse(text)
    found = _codes_dict(tree)
    if found is None or not found.keys:
        return text
    source = text.encode()
    starts = _offsets(source)
    kept: list[str] = []
    moved = 0
    for key, value in zip(found.keys, found.values, strict=True):
        pair = value.elts if isinstance(value, ast.Tuple) else []
        if not (key is not None and _is_str(key) and len(pair) == 2
                and all(_is_str(x) for x in pair)):
            kept.append(source[_span(key, starts)[0] if key else _span(value, starts)[0]:
                               _span(value, starts)[1]].decode())
            report.left.append(f"{name}:{value.lineno}: {ast.unparse(value)[:60]}")
            continue
        assert isinstance(key, ast.Constant)
        code = str(key.value)
        ja, en = (str(x.value) for x in pair if isinstance(x, ast.Constant))
        entries.set_code(code, ja, en, f"{name}:{key.lineno}", report)
        moved += 1
    if not moved:
        return text
    report.rewritten[name] = moved
    body = "{}" if not kept else "{\n" + "".join(f"    {k},\n" for k in kept) + "}"
    start, end = _span(found, starts)
    return (source[:start] + body.encode() + source[end:]).decode()


# --- the run ---------------------------------------------------------------------------------


def sources(root: Path) -> Iterable[Path]:
    """Every file that may hold a page's words: the web package's templates and every module
    of ``src/kinko`` (a non-web module that speaks to customers with ``t`` is converted too),
    in a fixed order so that two runs on the same tree decide conflicts the same way."""
    package = root / "src" / "kinko"
    yield from sorted((package / "web" / "templates").rglob("*.html"))
    yield from sorted(p for p in package.rglob("*.py")
                      if p.name != "catalogue_convert.py")


def run(root: Path, catalogue: Path | None = None, *, write: bool = True) -> Report:
    path = catalogue or root / CATALOGUE_FILE
    entries = Entries(load(path))
    report = Report()
    for file in sources(root):
        name = str(file.relative_to(root))
        text = file.read_text(encoding="utf-8")
        if file.suffix == ".html":
            new = convert_template(text, name, entries, report)
        else:
            try:
                if name == CODES_MODULE:
                    new = convert_codes(text, name, entries, report)
                elif "t(" not in text and " if lang ==" not in text:
                    continue
                else:
                    new = convert_python(text, name, entries, report)
            except SyntaxError as exc:  # a half-merged module: say so, convert the rest
                report.left.append(f"{name}:{exc.lineno}: not converted, not Python: {exc.msg}")
                continue
        if new != text and write:
            file.write_text(new, encoding="utf-8")
    if write and (report.added or report.conflicts or not path.exists()):
        save(entries.catalog, path)
    return report


def main(argv: list[str]) -> int:
    """``scripts/catalogue-extract [--check] [ROOT]``: convert, print the report; with
    ``--check`` change nothing and answer 1 when something would change."""
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    root = Path(args[0]).resolve() if args else Path.cwd()
    report = run(root, write=not check)
    for line in report.lines():
        print(line)
    if check and (report.rewritten or report.added):
        print("literal pairs remain: run scripts/catalogue-extract")
        return 1
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
