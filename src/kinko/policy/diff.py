"""What differs between two policies, value by value (``kinko policy diff``, the console)."""

from __future__ import annotations

from typing import Any

from kinko.policy.model import Policy


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = value


def diff(before: Policy, after: Policy) -> list[tuple[str, Any, Any]]:
    """(dotted path, old value, new value) for every value that differs, in path order; a list
    (fee bands, closing days) is compared whole."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    _flatten(before.model_dump(mode="json"), "", old)
    _flatten(after.model_dump(mode="json"), "", new)
    return [(path, old.get(path), new.get(path)) for path in sorted(old.keys() | new.keys())
            if old.get(path) != new.get(path)]
