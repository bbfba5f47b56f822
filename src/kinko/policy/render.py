"""Show a policy version as TOML (a valid policy file) or JSON, for people and for diffing.

tomllib only reads TOML, and the values here are a small known set (tables, arrays, strings,
integers, booleans, dates, times), so a few lines write it instead of another dependency.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from kinko.policy.book import PolicyVersion
from kinko.policy.fields import RATE_SUFFIX

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def to_toml(version: PolicyVersion) -> str:
    """The version as one ``[[version]]`` table: loading it back gives the same policy."""
    lines = ["[[version]]"]
    if version.is_baseline:
        lines.append("# in force from the beginning: the baseline every later version changes")
    lines.append(f"effective_from = {_value(version.effective_from)}")
    if version.note:
        lines.append(f"note = {_value(version.note)}")
    for group, values in version.policy.model_dump().items():
        lines += ["", f"[version.{group}]"]
        lines += [_line(name, value) for name, value in values.items()]
    return "\n".join(lines) + "\n"


def to_json(version: PolicyVersion, in_force_at: datetime | None = None) -> str:
    document: dict[str, Any] = {
        "in_force_at": None if in_force_at is None else in_force_at.isoformat(),
        "effective_from": version.effective_from.isoformat(),
        "note": version.note,
        "policy": version.policy.model_dump(mode="json"),
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def _line(name: str, value: Any) -> str:
    line = f"{_key(name)} = {_value(value)}"
    if name.endswith(RATE_SUFFIX) and isinstance(value, int):
        line += f"  # {value // 1000}.{value % 1000:03d} %"
    return line


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, Mapping):
        inner = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, Sequence) and not isinstance(value, str):
        if any(isinstance(item, Mapping) for item in value):
            # Inline tables may not span lines in TOML 1.0, but an array of them may.
            return "[\n" + "".join(f"  {_value(item)},\n" for item in value) + "]"
        return "[" + ", ".join(_value(item) for item in value) + "]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        # TOML allows digit separators; a limit of 10_000_000 is misread less than 10000000.
        return f"{value:_}"
    if isinstance(value, str):
        # A JSON string is a valid TOML basic string (same escapes, \uXXXX included).
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, date | time):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
