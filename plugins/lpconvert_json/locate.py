"""From a hub location back to a line of the JSON document.

The document *is* the hub model, so a hub location such as
``("entities", 3, "versions", 0, "title")`` is already the JSON path; only the line is
missing. It is found by a small tokenizer that runs only when there is a problem to
report, once per document, and only for documents small enough (`MAX_INDEXED`) that a
person would open them in an editor anyway.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from lpconvert.plugin import Loc

MAX_INDEXED = 64 << 20

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def json_path(loc: Loc) -> str:
    """A location as the JSON path a person types: ``entities[3].versions[0].media["block.xml"]``.

    Keys that are not plain names (a media path with a dot or a slash) are quoted, so the
    path says unambiguously which member is meant.
    """
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _NAME.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part, ensure_ascii=False)}]"
    return out

_TOKEN = re.compile(r'\n|"(?:[^"\\\n]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+')


def path_lines(text: str, max_depth: int = 256) -> dict[tuple[Any, ...], int]:
    """Every JSON path in `text`, `max_depth` parts long at most, -> the 1-based line its value starts on.

    The cap keeps a hostile document (many branches, each hundreds of levels deep) from
    costing a path per token per level: no problem is ever named deeper than the depth the
    reader accepts.
    """
    out: dict[tuple[Any, ...], int] = {}
    line = 1
    path: list[Any] = []
    frames: list[list[Any]] = []  # ["o", has_key] or ["a"]
    expect_key = False
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok == "\n":
            line += 1
            continue
        if expect_key:
            if tok.startswith('"'):
                try:
                    path.append(json.loads(tok))
                except ValueError:
                    return out
                frames[-1][1] = True
                expect_key = False
            elif tok == "}":
                frames.pop()
                expect_key = False
            continue
        if tok == ":":
            continue
        if tok == ",":
            if not frames:
                return out
            if frames[-1][0] == "o":
                if frames[-1][1]:
                    path.pop()
                frames[-1][1] = False
                expect_key = True
            else:
                path[-1] += 1
            continue
        if tok == "}":
            if frames and frames[-1][0] == "o":
                if frames[-1][1]:
                    path.pop()
                frames.pop()
            continue
        if tok == "]":
            if frames and frames[-1][0] == "a":
                path.pop()
                frames.pop()
            continue
        if len(path) <= max_depth:
            out.setdefault(tuple(path), line)
        if tok == "{":
            frames.append(["o", False])
            expect_key = True
        elif tok == "[":
            frames.append(["a"])
            path.append(0)
    return out


class JsonLocator:
    """`lpconvert.package.Locator` for a JSON document; `load` returns its text on demand."""

    def __init__(self, load: Callable[[], str | None], max_depth: int = 256) -> None:
        self._load = load
        self._max_depth = max_depth
        self._lines: dict[tuple[Any, ...], int] | None = None

    def locate(self, file: str, loc: Loc) -> tuple[str | None, int | None]:
        if self._lines is None:
            try:
                text = self._load()
            except Exception:  # noqa: BLE001 - a line number is a nicety, never a failure
                text = None
            self._lines = path_lines(text, self._max_depth) if text is not None else {}
        for n in range(len(loc), -1, -1):
            line = self._lines.get(tuple(loc[:n]))
            if line is not None:
                return json_path(loc) or None, line
        return json_path(loc) or None, None
