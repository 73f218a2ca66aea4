"""Small TOML text helpers shared by the formats that write and locate TOML by hand.

The lp-archive and sections formats write TOML line by line (tomlkit's document model costs
minutes on a 100,000-component library) and map problems back to TOML lines. The two
pieces they share live here so that a fix to escaping or to line lookup reaches both.
"""

from __future__ import annotations

import re

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\\x7f]')
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_LAST_PART = re.compile(r"(\[\d+\]|\.[^.\[]+)$")


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


def key(name: str) -> str:
    """A bare key when TOML allows one, else a quoted key."""
    return name if _BARE_KEY.fullmatch(name) else basic_string(name)


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
