"""From a location in the hub model back to the archive's own words and line numbers.

Validation only knows hub locations such as ``("entities", 7, "versions", 1, "title")``.
A person fixing the archive wants ``version[1].title`` on line 17 of the file they will
open. This is only consulted when there is a problem, so it re-reads the file then rather
than keeping every file's text around for the whole run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lpconvert.plugin import toml_field_lines as field_lines, toml_nearest_line as nearest_line

if TYPE_CHECKING:  # pragma: no cover
    from lpconvert.plugin import Loc, Source

_ENTITY_FIELDS = {
    "draft_version": "entity.draft.version_num",
    "published_version": "entity.published.version_num",
    "container_type": "entity.container",
}


def hub_to_toml(loc: Loc) -> str:
    """The TOML field path for a hub location inside one archive file."""
    parts = list(loc)
    if parts and parts[0] in ("entities", "collections") and len(parts) >= 2:
        kind = parts[0]
        rest = parts[2:]
        if kind == "collections":
            return _join(["collection", *rest])
        if not rest:
            return "entity"
        if rest[0] == "versions" and len(rest) >= 2:
            tail = rest[2:]
            base = f"version[{rest[1]}]"
            if tail and tail[0] == "children":
                return _join([base + ".container.children", *tail[1:]])
            return _join([base, *tail])
        if isinstance(rest[0], str) and rest[0] in _ENTITY_FIELDS:
            return _ENTITY_FIELDS[rest[0]]
        return _join(["entity", *rest])
    return _join(parts)


def _join(parts: list[str | int]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


class TomlLocator:
    """`lpconvert.package.Locator` for archive TOML files."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._cache: dict[str, dict[str, int]] = {}

    def locate(self, file: str, loc: Loc) -> tuple[str | None, int | None]:
        field = hub_to_toml(loc)
        return field, self.line_of(file, field)

    def line_of(self, file: str, field: str) -> int | None:
        """The line of a TOML field path in `file`, or of the nearest enclosing table."""
        if file not in self._cache:
            try:
                self._cache[file] = field_lines(self.source.read_text(file))
            except Exception:  # noqa: BLE001 - a line number is a nicety, never a failure
                self._cache[file] = {}
        return nearest_line(self._cache[file], field)
