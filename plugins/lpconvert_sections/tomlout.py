"""A small TOML writer for the layout's fixed shapes.

Why not tomlkit: its document model costs milliseconds per file, which is minutes for a
library of 10,000 components, and its placement of sub-tables (after arrays of tables)
reads badly. The layout needs little: key = value lines, inline tables and arrays, and
arrays of tables for the nested outline. Every value the hub can hold is covered (strings,
booleans, integers, finite floats, dates and times, lists, tables); `entries.toml_safe`
keeps null and NaN away from here.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time
from typing import Any

from lpconvert.plugin import toml_string as basic_string, toml_key as key

string = basic_string


def value(v: Any) -> str:
    """One TOML value. The exact types the model holds (str, bool, int) are tried first: they are
    most of a library's values, and `type(v) is` is cheaper than a chain of isinstance calls."""
    kind = type(v)
    if kind is str:
        return string(v)
    if kind is bool:
        return "true" if v else "false"
    if kind is int:
        return str(v)
    return _other_value(v)


def _other_value(v: Any) -> str:
    """Every other value, and subclasses of the common ones."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return string(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError("TOML cannot hold NaN or infinity here")
        return repr(v)
    if isinstance(v, datetime):
        text = v.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(v, date | time):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {value(x)}" for k, x in v.items()) + "}" if v else "{}"
    raise TypeError(f"TOML cannot hold a {type(v).__name__}")


_KEYS: dict[str, str] = {}
_KEYS_MAX = 4096


def _key(name: str) -> str:
    """`key(name)`, remembered: a library repeats the same few dozen field names thousands of times
    (bounded, so a package of many distinct attribute names cannot grow it without end)."""
    text = _KEYS.get(name)
    if text is None:
        text = key(name)
        if len(_KEYS) < _KEYS_MAX:
            _KEYS[name] = text
    return text


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _as_table(v: Any, tables: bool) -> bool:
    return _is_table_array(v) or (tables and isinstance(v, dict) and bool(v))


def _table(lines: list[str], data: dict[str, Any], path: str, tables: bool) -> None:
    """Key/value lines first, then sub-tables (`tables`: dicts as [sub] tables, else inline).

    TOML puts a table's plain keys before its sub-tables, so a sub-table can only be written
    as one when every key after it is a sub-table too; any earlier one is written inline.
    That keeps the keys in their order: a JSON-valued OLX setting ({"topics": [...],
    "max_team_size": 10}) comes back as it was, not with its keys moved around.
    """
    items = list(data.items())
    split = len(items)
    while split and _as_table(items[split - 1][1], tables):
        split -= 1
    for k, v in items[:split]:
        lines.append(f"{_key(k)} = {value(v)}")
    for k, v in items[split:]:
        sub = f"{path}.{_key(k)}" if path else _key(k)
        if isinstance(v, dict):
            lines.extend(["", f"[{sub}]"])
            _table(lines, v, sub, tables)
        else:
            for item in v:
                lines.extend(["", f"[[{sub}]]"])
                _table(lines, item, sub, tables)


def dumps(data: dict[str, Any], *, tables: bool = False) -> str:
    """A TOML document. `tables=True` writes nested dicts as [tables] (package.toml);
    otherwise they are inline (an entry's `attributes = {...}` stays on its line)."""
    lines: list[str] = []
    _table(lines, data, "", tables)
    return "\n".join(lines).lstrip("\n") + "\n"
