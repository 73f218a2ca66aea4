"""How deep a parsed JSON or TOML value nests, found without recursion.

Parsers of JSON and TOML build arbitrarily deep values, and everything after them recurses
over those values (pydantic, `repr`, the JSON and TOML writers), so a document nested a
few thousand levels deep ends in a RecursionError far from the reader that could have
named it. Readers call `too_deep` on what they parsed and refuse it with the path of the
first value beyond the limit; the walk keeps its own stack, so it cannot overflow Python's.

TOML needs one check *before* parsing: tomllib takes time that grows faster than the length
of a dotted key or table header (`[a.a.a...]` of 100,000 parts: half a minute; a dotted key
of as many parts: many minutes), so `toml_key_too_deep` finds such a key in one scan of the
text and the reader refuses the file unparsed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

Path = tuple[str | int, ...]


def too_deep(value: Any, limit: int) -> Path | None:
    """The path of a list/dict nested more than `limit` levels inside `value`, or None.

    `value` itself is level 1 when it is a list or dict. The common case (not too deep) is
    one pass over the containers, with no paths built; the path is worked out only for a
    value that is refused.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        item, depth = pop()
        if depth > limit:
            return _path_to_depth(value, limit + 1)
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                push((child, depth + 1))
    return None


def _path_to_depth(value: Any, depth: int) -> Path:
    """The path of the first list/dict found at `depth` (one is known to exist)."""
    stack: list[tuple[Any, Path]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if len(path) + 1 >= depth:
            return path
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in reversed(list(pairs)):
            if isinstance(child, (dict, list)):
                stack.append((child, path + (key,)))
    return ()


_TOML_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""


@lru_cache(maxsize=8)
def _long_toml_key(limit: int) -> re.Pattern[str]:
    """A table header or dotted key, at the start of a line, with more than `limit` parts."""
    part = _TOML_KEY_PART
    return re.compile(rf"^[ \t]*\[{{0,2}}[ \t]*(?:{part}[ \t]*\.[ \t]*){{{limit}}}{part}", re.MULTILINE)


def toml_key_too_deep(text: str, limit: int) -> int | None:
    """The 1-based line of a TOML key or header naming more than `limit` levels, or None.

    A line scan, not a parser: a line inside a multi-line string that looks like such a key
    would count too, which real content (a hundred dot-separated names in a row) never has.
    """
    if text.count(".") < limit:
        return None  # the usual file: too few dots for any such key, no scan needed
    found = _long_toml_key(limit).search(text)
    return text.count("\n", 0, found.start()) + 1 if found else None
