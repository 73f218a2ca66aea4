"""From a location in the hub back to OLX's own words and a line number.

Validation only knows hub locations such as ``("entities", 7, "versions", 0, "title")``; a
person fixing an export wants ``display_name`` on line 1 of ``sequential/abc.xml``. This is
only consulted when there is a problem, so it re-reads the file then.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from lpconvert.plugin import Loc, Source

_HUB_TO_OLX = {"title": "display_name", "key": "url_name"}


def olx_field(loc: Loc) -> str | None:
    """The OLX attribute (or child position) a hub location stands for."""
    parts = list(loc)
    while parts and parts[0] in ("entities", "versions", "learning_package", "root") or (
            parts and isinstance(parts[0], int)):
        parts.pop(0)
    if not parts:
        return None
    head = parts[0]
    if head == "attributes" and len(parts) > 1:
        return str(parts[1])
    if head == "children" and len(parts) > 1:
        return f"child[{parts[1]}]"
    return _HUB_TO_OLX.get(str(head), str(head))


class OlxLocator:
    """`lpconvert.package.Locator` for OLX files: attribute names, and the line they are on."""

    def __init__(self, source: Source) -> None:
        self.source = source

    def locate(self, file: str, loc: Loc) -> tuple[str | None, int | None]:
        field = olx_field(loc)
        if field is None or field.startswith("child["):
            return field, None
        try:
            text = self.source.read_text(file)
        except Exception:  # noqa: BLE001 - a line number is a nicety, never a failure
            return field, None
        match = re.search(rf"(?<![\w-]){re.escape(field)}\s*=", text)
        return field, (text.count("\n", 0, match.start()) + 1) if match else None
