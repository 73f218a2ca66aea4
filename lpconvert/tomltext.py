"""Small TOML text helpers shared by the formats that write and locate TOML by hand.

The lp-archive and sections formats write TOML line by line (tomlkit's document model costs
minutes on a 100,000-component library) and map problems back to TOML lines. What they
share (escaping, values, the line scan, the nearest-line lookup) lives here so that a fix
reaches both: they once had two value encoders that disagreed about NaN.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from typing import Any

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f]')
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_LAST_PART = re.compile(r"(\[\d+\]|\.[^.\[]+)$")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY_LINE = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")


def basic_string(text: str) -> str:
    """A TOML basic string, escaped as tomlkit escapes it (so upstream's files diff cleanly)."""
    if _NEEDS_ESCAPE.search(text) is None:
        return f'"{text}"'  # the common case: nothing to escape (most keys and titles)
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


_KEYS: dict[str, str] = {}
_KEYS_MAX = 4096


def key(name: str) -> str:
    """A bare key when TOML allows one, else a quoted key.

    Remembered: a library repeats the same few dozen field names thousands of times (bounded,
    so a package of many distinct attribute names cannot grow it without end)."""
    text = _KEYS.get(name)
    if text is None:
        text = name if _BARE_KEY.fullmatch(name) else basic_string(name)
        if len(_KEYS) < _KEYS_MAX:
            _KEYS[name] = text
    return text


def value(v: Any) -> str:
    """One TOML value, for any value the hub model can hold.

    TOML 1.0 has ``nan``, ``inf`` and ``-inf``, and both the reader lpconvert uses (tomllib)
    and upstream's (tomlkit) read them back, so a float is never refused. TOML has no null: a
    None inside a list or table is left out (a writer counts or routes them first and says so);
    a None on its own, or a type TOML has no word for, is a TypeError. A datetime keeps its
    offset (``Z`` for UTC) and a naive one stays a local date-time, so it reads back equal.

    The exact types the model holds most (str, bool, int) are tried first, with `type(v) is`:
    they are most of a library's values, and this runs for every one of them.
    """
    kind = type(v)
    if kind is str:
        return basic_string(v)
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
        return basic_string(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isfinite(v):
            return repr(v)
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, datetime):
        text = v.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(v, date | time):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return "[" + ", ".join(value(x) for x in v if x is not None) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{key(k if type(k) is str else str(k))} = {value(x)}"
                               for k, x in v.items() if x is not None) + "}"
    raise TypeError("TOML has no null" if v is None else f"TOML cannot hold a {type(v).__name__}")


def nearest_line(lines: dict[str, int], field: str) -> int | None:
    """The line of a dotted field path ("version[1].container.children[2]") or, failing that,
    of the nearest enclosing table or array that has one."""
    probe = field
    while probe:
        if probe in lines:
            return lines[probe]
        shorter = _LAST_PART.sub("", probe)
        if shorter == probe:
            break
        probe = shorter
    return None


def field_lines(text: str) -> dict[str, int]:
    """Dotted TOML path -> 1-based line, for the TOML these formats write: ``version[1].title``,
    ``entity.draft.version_num``, ``subsection[1].unit[0].title``.

    A line scan rather than a parser, because a parser forgets lines and this runs only when
    there is a problem to point at. An array of tables is numbered within its parent
    (``[[subsection.unit]]`` counts per subsection); a sub-table belongs to the latest element
    of any array it names (``[version.container]`` to the last ``[[version]]``); each table a
    header passes through gets that header's line unless it had its own, so a field of
    ``entity.container`` points at ``[entity.container.unit]``.
    """
    lines: dict[str, int] = {}
    table = ""
    latest: dict[str, str] = {}  # header name ("subsection.unit") -> its latest indexed path
    counts: dict[tuple[str, str], int] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            names = [part.strip().strip("\"'") for part in header.group(2).split(".")]
            parent = ""
            for k in range(len(names) - 1):
                parent = latest.get(".".join(names[: k + 1]), f"{parent}.{names[k]}" if parent else names[k])
                lines.setdefault(parent, n)
            table = f"{parent}.{names[-1]}" if parent else names[-1]
            if header.group(1) == "[[":
                index = counts.get((parent, names[-1]), 0)
                counts[(parent, names[-1])] = index + 1
                table = f"{table}[{index}]"
                latest[".".join(names)] = table
            lines.setdefault(table, n)
            continue
        key_line = _KEY_LINE.match(line)
        if key_line:
            name = key_line.group(1).strip("\"'")
            lines.setdefault(f"{table}.{name}" if table else name, n)
    return lines
