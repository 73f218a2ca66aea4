"""Readable, stable file names from keys.

Names come from keys, not titles: a title changes as an author edits, a key does not, so a
file keeps its name (and its git history) for the life of the entity. Names are unique
without regard to case (macOS and Windows), and a collision is settled with a short hash of
the key, which depends on the key alone, never on what else is in the package.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_STEM = 60
_ALREADY = re.compile(r"[a-z0-9_](?:[a-z0-9._-]{0,%d}[a-z0-9_])?" % (MAX_STEM - 2))
"""A text that is its own slug: allowed characters only, no '-' or '.' at either end, not too long."""


def slug(text: str) -> str:
    """Lower-case ASCII letters, digits, '.', '_' and '-'; accents dropped, the rest '-'."""
    if _ALREADY.fullmatch(text):
        return text  # most keys' codes: nothing to normalise, replace or cut
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    out = re.sub(r"[^a-z0-9._-]+", "-", ascii_text.lower()).strip("-.")
    return out[:MAX_STEM].rstrip("-.") or "x"


class Names:
    """Allocates unique names inside one folder."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def allocate(self, key: str, text: str | None = None) -> str:
        name = slug(text if text is not None else key)
        if name.lower() in self.taken or name.lower() in ("package", "collections"):
            name = f"{name}-{hashlib.blake2b(key.encode('utf-8'), digest_size=3).hexdigest()}"
            while name.lower() in self.taken:
                name += "x"
        self.taken.add(name.lower())
        return name
