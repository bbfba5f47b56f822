"""`kinko zengin …`: validate, convert and inspect Zengin files (ZEN-1, ZEN-2).

Exit codes: 0 the file is valid (or was converted), 1 the file is refused (one error per line
on stdout), 2 the file cannot be read at all (missing, a directory, no permission).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, NoReturn

import typer

from kinko.clihelpers import both
from kinko.zengin import jsonio, kana, zedi
from kinko.zengin.errors import FieldTooLong, KanaConversionError, ZenginError, ZenginFileInvalid
from kinko.zengin.model import ZenginFile
from kinko.zengin.reader import Options, parse
from kinko.zengin.writer import write

app = typer.Typer(help=both("全銀フォーマット"), no_args_is_help=True)

# Show a progress bar from about 8,000 records up; below that the work is over in a blink.
PROGRESS_BYTES = 1_000_000

ReferenceDate = Annotated[str | None, typer.Option(
    "--reference-date", help="resolve MMDD and 和暦 years against this date (YYYY-MM-DD; "
    "default: today in Japan)")]
WoInNames = Annotated[bool | None, typer.Option(
    "--wo-in-names/--no-wo-in-names", help="admit ｦ in names (revised 付録1); default: only "
    "in 01/03")]
YearStyle = Annotated[str, typer.Option(
    "--year-style", help="years of 01/03 dates: wareki (和暦, JBA) or seireki (西暦 variant)")]
NoticeFormat = Annotated[str, typer.Option(
    "--notice-format", help="01 data records: auto, A or B")]
MaxErrors = Annotated[int, typer.Option("--max-errors", min=1, help="stop after this many")]
Lang = Annotated[str, typer.Option("--lang", help="error language: en, ja or both")]


def _die(message: str, code: int) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _options(reference_date: str | None, wo_in_names: bool | None, year_style: str,
             notice_format: str, max_errors: int) -> Options:
    reference = None
    if reference_date:
        try:
            reference = date.fromisoformat(reference_date)
        except ValueError:
            _die(f"--reference-date: not a date (YYYY-MM-DD): {reference_date}", 2)
    if year_style not in ("wareki", "seireki"):
        _die("--year-style must be wareki or seireki", 2)
    if notice_format not in ("auto", "A", "B"):
        _die("--notice-format must be auto, A or B", 2)
    return Options(reference_date=reference, wo_in_names=wo_in_names,
                   year_style=year_style,  # type: ignore[arg-type]
                   notice_format=notice_format,  # type: ignore[arg-type]
                   max_errors=max_errors)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        _die(f"{path}: no such file", 2)
    except IsADirectoryError:
        _die(f"{path}: is a directory", 2)
    except OSError as exc:
        _die(f"{path}: cannot read: {exc.strerror or exc}", 2)


def _print_errors(errors: list[ZenginError], lang: str, truncated: bool,
                  limit: int) -> NoReturn:
    for error in errors:
        typer.echo(error.describe(lang))
    if truncated:
        typer.echo(f"(stopped after {limit} errors; --max-errors raises the limit)", err=True)
    raise typer.Exit(1)


@contextmanager
def _progress(label: str, size: int) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on stderr for large files, only when a person is watching."""
    if size < PROGRESS_BYTES or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True,
                  # the records go to stdout; rich would otherwise reroute them to the bar
                  redirect_stdout=False, redirect_stderr=False) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        yield update


def _load(path: Path, options: Options, lang: str) -> ZenginFile:
    """Read a fixed-length file or its camt XML form; exit 1 with its errors if refused."""
    data = _read_bytes(path)
    if zedi.looks_like_xml(data):
        try:
            return zedi.read_xml(data, options)
        except ZenginFileInvalid as exc:
            _print_errors(exc.errors, lang, exc.truncated, options.max_errors)
    with _progress(f"checking {path.name}", len(data)) as progress:
        result = parse(data, options, progress=progress)
    for notice in result.notices:
        typer.echo(f"note: {notice.describe('ja' if lang == 'ja' else 'en')}", err=True)
    if result.file is None:
        _print_errors(result.errors, lang, result.truncated, options.max_errors)
    return result.file


@app.command("validate")
def validate_command(
    file: Annotated[Path, typer.Argument(help="a Zengin file (or camt.054 / camt.052 XML)")],
    reference_date: ReferenceDate = None,
    wo_in_names: WoInNames = None,
    year_style: YearStyle = "wareki",
    notice_format: NoticeFormat = "auto",
    max_errors: MaxErrors = 1000,
    lang: Lang = "en",
    json_output: Annotated[bool, typer.Option("--json", help="errors as JSON lines")] = False,
) -> None:
    """Check a file: exit 0 when valid; exit 1 with one error per line otherwise."""
    options = _options(reference_date, wo_in_names, year_style, notice_format, max_errors)
    if json_output:
        data = _read_bytes(file)
        errors: list[ZenginError] = []
        try:
            if zedi.looks_like_xml(data):
                zedi.read_xml(data, options)
            else:
                errors = parse(data, options).errors
        except ZenginFileInvalid as exc:
            errors = exc.errors
        for error in errors:
            typer.echo(json.dumps(error.to_dict(), ensure_ascii=False))
        raise typer.Exit(1 if errors else 0)
    loaded = _load(file, options, lang)
    summary = loaded.summary()
    typer.echo(f"{file}: valid, type {summary['type_code']}, {summary['groups']} group(s), "
               f"{summary['data_records']} data record(s)", err=True)


@app.command("to-json")
def to_json(
    file: Annotated[Path, typer.Argument(help="a Zengin file (or camt.054 / camt.052 XML)")],
    reference_date: ReferenceDate = None,
    wo_in_names: WoInNames = None,
    year_style: YearStyle = "wareki",
    notice_format: NoticeFormat = "auto",
    max_errors: MaxErrors = 1000,
    lang: Lang = "en",
) -> None:
    """Print the records as JSON on stdout (nothing if the file is refused)."""
    options = _options(reference_date, wo_in_names, year_style, notice_format, max_errors)
    loaded = _load(file, options, lang)
    total = sum(len(g.records) for g in loaded.groups)
    size = total * 120
    with _progress("writing JSON", size) as progress:
        def tick(done: int) -> None:
            if progress is not None:
                progress(done, total)

        jsonio.dump(loaded, sys.stdout, progress=tick)


@app.command("from-json")
def from_json(
    file: Annotated[Path, typer.Argument(help="JSON as printed by to-json")],
    output: Annotated[Path, typer.Option("-o", "--output", help="where to write the file")],
    reference_date: ReferenceDate = None,
    wo_in_names: WoInNames = None,
    year_style: YearStyle = "wareki",
    normalize: Annotated[bool, typer.Option(
        "--normalize", help="convert names to half-width kana first (kanji are refused)")]
    = False,
    truncate: Annotated[bool, typer.Option(
        "--truncate", help="with --normalize, cut over-long names instead of refusing them")]
    = False,
    lang: Lang = "en",
) -> None:
    """Write the strict fixed-length file (CRLF) that a JSON document describes."""
    options = _options(reference_date, wo_in_names, year_style, "auto", 1000)
    data = _read_bytes(file)
    try:
        loaded = jsonio.loads(data)
        out = write(loaded, options, normalize=normalize,
                    overflow="truncate" if truncate else "error")
    except ZenginFileInvalid as exc:
        _print_errors(exc.errors, lang, exc.truncated, options.max_errors)
    try:
        output.write_bytes(out)
    except OSError as exc:
        _die(f"{output}: cannot write: {exc.strerror or exc}", 2)


@app.command("to-pain001")
def to_pain001(
    file: Annotated[Path, typer.Argument(help="a 総合振込 (21) file")],
    output: Annotated[Path | None, typer.Option("-o", "--output")] = None,
    sender_id: Annotated[str, typer.Option(help="AppHdr Fr: the bank-issued sender ID")] = "",
    center_code: Annotated[str, typer.Option(help="センター確認コード")] = "",
    business_service: Annotated[str, typer.Option("--biz-svc", help="AppHdr BizSvc")] = "",
    message_id: Annotated[str | None, typer.Option(help="default: 委託者コード + date")] = None,
    corporate_number: Annotated[str, typer.Option(help="法人番号 (TXID)")] = "",
    edi: Annotated[Path | None, typer.Option(
        help='JSON {"record number": "EDI text"} with extended 金融EDI情報 per payee')] = None,
    reference_date: ReferenceDate = None,
    lang: Lang = "en",
) -> None:
    """Print the ZEDI pain.001.001.03 (with head.001) of a 総合振込 file."""
    options = _options(reference_date, None, "wareki", "auto", 1000)
    loaded = _load(file, options, lang)
    extended: dict[int, str] = {}
    if edi is not None:
        try:
            raw = json.loads(_read_bytes(edi))
            extended = {int(k): str(v) for k, v in raw.items()}
        except (ValueError, AttributeError, TypeError):
            typer.echo(f"{edi}: not a JSON object of record number → EDI text")
            raise typer.Exit(1) from None
    envelope = zedi.Envelope(sender_id=sender_id, center_code=center_code,
                             business_service=business_service, message_id=message_id,
                             corporate_number=corporate_number)
    try:
        xml = zedi.to_pain001(loaded, envelope, edi=extended)
    except ZenginFileInvalid as exc:
        _print_errors(exc.errors, lang, exc.truncated, options.max_errors)
    if output is None:
        sys.stdout.buffer.write(xml)
        sys.stdout.flush()
        return
    try:
        output.write_bytes(xml)
    except OSError as exc:
        _die(f"{output}: cannot write: {exc.strerror or exc}", 2)


@app.command("kana")
def kana_command(
    text: Annotated[str, typer.Argument(help="a name as typed")],
    length: Annotated[int | None, typer.Option(help="the field's length")] = None,
    truncate: Annotated[bool, typer.Option(help="cut instead of refusing")] = False,
) -> None:
    """Show the half-width kana a name becomes in a Zengin field."""
    overflow: Literal["error", "truncate"] = "truncate" if truncate else "error"
    try:
        result = kana.normalize(text)
        if length is not None:
            result = kana.fit(result, length, overflow=overflow)
    except KanaConversionError as exc:
        typer.echo(f"{exc.reason_en} / {exc.reason_ja}")
        raise typer.Exit(1) from None
    except FieldTooLong as exc:
        typer.echo(f"{exc.describe('en')} / {exc.describe('ja')}")
        raise typer.Exit(1) from None
    typer.echo(result)
