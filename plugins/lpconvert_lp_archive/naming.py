"""File names in the archive, chosen exactly as upstream chooses them.

Upstream (openedx-core's zipper) names each entity file with Django's
``slugify(id, allow_unicode=True)``; when that slug was already used anywhere in the
archive (one set shared by containers, components and collections, entities visited in key
order, collections after) the name becomes ``f"{slug}_{blake2b(id, digest_size=3)}"``.
Matching this keeps our archives diffable against upstream's. Names are never trusted on
reading: the key inside a file wins.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NOT_WORD = re.compile(r"[^\w\s-]")
_DASH_SPACE = re.compile(r"[-\s]+")


def slugify(value: str) -> str:
    """Django's slugify with allow_unicode=True, reimplemented from its documented behaviour.

    NFKC-normalise, lowercase, drop characters that are not word characters, spaces or
    dashes, collapse runs of dashes and whitespace into one dash, strip dashes and
    underscores from both ends.
    """
    value = unicodedata.normalize("NFKC", value)
    value = _NOT_WORD.sub("", value.lower())
    return _DASH_SPACE.sub("-", value).strip("-_")


def short_hash(identifier: str) -> str:
    return hashlib.blake2b(identifier.encode("utf-8"), digest_size=3).hexdigest()


class NameAllocator:
    """Hands out unique file names in upstream's order and manner."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def name(self, identifier: str) -> str:
        slug = slugify(identifier)
        if slug in self.used or not slug:
            name = f"{slug}_{short_hash(identifier)}"
        else:
            name = slug
        self.used.add(slug)
        return name
