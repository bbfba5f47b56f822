"""The fuzz targets' properties, shared by the atheris driver (:mod:`tests.fuzz.fuzz`) and the
regression tests that replay the corpus (:mod:`tests.fuzz.test_fuzz`).

Each target takes any bytes and must give a result or the module's own domain error — a
refused file says which record and field is wrong (DESIGN.md "Errors and bad input") — never
another exception. A target raises :class:`PropertyBroken` (or the unexpected exception
itself) when that is not so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from kinko.zengin import errors, jsonio, reader, writer, zedi
from kinko.zengin.model import ZenginFile

OPTIONS = reader.Options(reference_date=date(2026, 11, 20))
# What the Zengin modules may raise for bad input: their own domain errors.
DOMAIN_ERRORS = (errors.ZenginFileInvalid, errors.ZenginXmlInvalid,
                 errors.KanaConversionError, errors.FieldTooLong)


class PropertyBroken(AssertionError):
    """The target's property does not hold for this input."""


def _check_file(file: ZenginFile) -> None:
    """A file read from any source can be shown as JSON and read back as the same file."""
    if jsonio.loads(_dump(file)) != file:
        raise PropertyBroken("a file read does not survive its own JSON form")


def _dump(file: ZenginFile) -> str:
    import io

    out = io.StringIO()
    jsonio.dump(file, out)
    return out.getvalue()


def zengin_reader(data: bytes) -> None:
    """Fixed-length Zengin files: ``parse`` answers records or errors, never raises;
    ``read`` raises only ``ZenginFileInvalid``; what is read can be written again."""
    result = reader.parse(data, OPTIONS)
    if result.ok != (result.file is not None and not result.errors):
        raise PropertyBroken("ok disagrees with the file and the errors")
    if result.file is None:
        if not result.errors:
            raise PropertyBroken("refused without a single error")
        try:
            reader.read(data, OPTIONS)
        except errors.ZenginFileInvalid:
            return
        raise PropertyBroken("parse refused what read accepted")
    _check_file(result.file)
    try:
        written = writer.write(result.file, OPTIONS)
    except DOMAIN_ERRORS:
        return
    again = reader.parse(written, OPTIONS)
    if again.file != result.file:
        raise PropertyBroken("what was read, written again, reads differently: "
                             f"{[e.describe() for e in again.errors[:3]]}")


def zengin_json(data: bytes) -> None:
    """The JSON form of a Zengin file (the importer of ``kinko zengin from-json``)."""
    try:
        file = jsonio.loads(data)
    except DOMAIN_ERRORS:
        return
    if not isinstance(file, ZenginFile):
        raise PropertyBroken(f"loads gave {type(file).__name__}")
    list(jsonio.iter_records(file))
    _check_file(file)


def zengin_xml(data: bytes) -> None:
    """ZEDI / ISO 20022 camt.054 and camt.052 documents."""
    try:
        file = zedi.read_xml(data, OPTIONS)
    except DOMAIN_ERRORS:
        return
    if not isinstance(file, ZenginFile):
        raise PropertyBroken(f"read_xml gave {type(file).__name__}")


TARGETS: dict[str, Callable[[bytes], None]] = {
    "zengin_reader": zengin_reader,
    "zengin_json": zengin_json,
    "zengin_xml": zengin_xml,
}
