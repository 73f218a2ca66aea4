"""From a hub location back to the TOML path and line an author would edit.

Each entity remembers the table it was read from (``subsection[1].unit[0]`` inside a
section file, or the top of a file). Hub field names become the layout's own words
(``draft_version`` -> ``draft``, a version's ``title`` -> ``title``, ``children`` ->
``components``/``unit``/``subsection``), and the line comes from a small scan of the file's
headers and keys, done only when there is a problem to report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lpconvert.plugin import toml_field_lines as field_lines, toml_key_too_deep, toml_nearest_line as nearest_line

if TYPE_CHECKING:  # pragma: no cover
    from lpconvert.plugin import Loc, Source

MAX_INDEXED = 4 << 20
"""Files larger than this are not scanned for lines (a section file of hundreds of units is ~100 KB)."""
MAX_INDEXED_KEY_PARTS = 8
"""Nor files with a longer header or key than this (the layout writes four parts at most): the
line scan joins every prefix of every header, so a file of thousands of long headers would
make naming one problem in it take minutes. A line number is a nicety; a hang is not."""

_ENTITY_FIELDS = {"draft_version": "draft", "published_version": "published", "container_type": ""}
_VERSION_FIELDS = {"version_num": "version", "created": "version_created"}


def _join(base: str, *parts: Any) -> str:
    out = base
    for p in parts:
        if p == "":
            continue
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


class SectionsLocator:
    """`lpconvert.package.Locator` for the layout's TOML files."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.tables: dict[int, tuple[str, str]] = {}  # entity index -> (table path, children key)
        self._lines: dict[str, dict[str, int]] = {}

    def field(self, loc: Loc) -> str:
        parts = list(loc)
        if len(parts) >= 2 and parts[0] == "entities" and isinstance(parts[1], int):
            base, child_key = self.tables.get(parts[1], ("", "children"))
            rest = parts[2:]
            if not rest:
                return base
            if rest[0] == "versions":
                tail = rest[2:]
                if not tail:
                    return _join(base, "version")
                name = tail[0]
                if name == "children":
                    return _join(base, child_key, *tail[1:])
                if name == "media":
                    return _join(base, *tail[1:2]) if len(tail) > 1 else base
                return _join(base, _VERSION_FIELDS.get(str(name), name), *tail[1:])
            return _join(base, _ENTITY_FIELDS.get(str(rest[0]), rest[0]), *rest[1:])
        if len(parts) >= 2 and parts[0] == "collections":
            return _join(f"collection[{parts[1]}]", *parts[2:])
        return _join("", *parts)

    def line(self, file: str, field: str) -> int | None:
        if file not in self._lines:
            try:
                size = self.source.size(file)
                text = self.source.read_text(file) if size is None or size <= MAX_INDEXED else ""
                indexable = toml_key_too_deep(text, MAX_INDEXED_KEY_PARTS) is None
                self._lines[file] = field_lines(text) if indexable else {}
            except Exception:  # noqa: BLE001 - a line number is a nicety, never a failure
                self._lines[file] = {}
        lines = self._lines[file]
        found = nearest_line(lines, field)
        if found is not None:
            return found
        return lines.get("key") if "." not in field and "[" not in field else None

    def locate(self, file: str, loc: Loc) -> tuple[str | None, int | None]:
        field = self.field(loc)
        return field or None, self.line(file, field)
