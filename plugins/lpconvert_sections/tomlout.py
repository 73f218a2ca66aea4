"""A small TOML writer for the layout's fixed shapes.

Why not tomlkit: its document model costs milliseconds per file, which is minutes for a
library of 10,000 components, and its placement of sub-tables (after arrays of tables)
reads badly. The layout needs little: key = value lines, inline tables and arrays, and
arrays of tables for the nested outline. Values are the core's `toml_value`, the one
lp-archive writes with too; `entries.toml_safe` keeps null away from here.
"""

from __future__ import annotations

from typing import Any

from lpconvert.plugin import toml_key as _key, toml_value as value


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
