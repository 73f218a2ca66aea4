"""Versions by content: when two versions say the same thing, and importing one as the newest.

Merging two packages (`lpconvert.merge`) and pasting a clipboard over an existing entity
(`lpconvert.clipboard`) ask the same two questions, so they share one answer:

* *Is this the same content?* Title, children, attributes and the sha256 of every media
  file; never the version number or the dates, which are not comparable across packages.
  Media is compared by its bytes, read as a stream, because a package may carry large
  videos and because the same file may be a zip member on one side and a base64 string on
  the other (the round-trip comparison of `lpconvert.testing` uses the same digest).
* *How does content become a version?* As the newest one, numbered above every number the
  entity has, so history is never rewritten and numbers never go backwards; unless the
  newest already holds that content, which is then reused.
"""

from __future__ import annotations

import hashlib
import json

from .model import Entity, EntityVersion, MediaFile
from .package import Package
from .storage import SourceError
from .storage.source import READ_ERRORS

MEDIA_READ_ERRORS: tuple[type[BaseException], ...] = (SourceError, *READ_ERRORS)
"""What reading a media file can raise when its source was damaged after it validated: a
storage `Source` says `SourceError`; a plugin's own resolver may let the errors storage
translates (`READ_ERRORS`: a bad zip, a truncated stream, an OS error) through as they are."""

_CHUNK = 1 << 20


def media_digest(package: Package, media: MediaFile) -> str:
    """The sha256 of a media file's bytes, read as a stream (media can be larger than memory)."""
    digest = hashlib.sha256()
    with package.open_media(media) as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def content_of(package: Package, version: EntityVersion) -> tuple[object, ...]:
    """What makes two versions "the same content": never the version number or dates."""
    media = tuple(sorted((path, media_digest(package, m)) for path, m in version.media.items()))
    children = tuple(version.children) if version.children is not None else None
    return (version.title, children, json.dumps(version.attributes, sort_keys=True, default=str), media)


def import_version(package: Package, entity: Entity, content: EntityVersion, *,
                   wanted: tuple[object, ...] | None = None) -> tuple[Entity, int, bool]:
    """Make `content` the newest version of `entity`: reuse the newest when it holds the same
    content (`content_of`, read through `package`), else add a version numbered above all others.

    `wanted` is `content_of(package, content)` when the caller has it already (saving a second
    read of every media file). Returns the entity (a new object when a version was added),
    the number `content` now has, and whether a version was added.
    """
    if wanted is None:
        wanted = content_of(package, content)
    newest = max(entity.versions, key=lambda v: v.version_num, default=None)
    if newest is not None and content_of(package, newest) == wanted:
        return entity, newest.version_num, False
    num = (newest.version_num if newest is not None else 0) + 1
    added = content.model_copy(update={"version_num": num})
    return entity.model_copy(update={"versions": [*entity.versions, added]}), num, True


__all__ = ["MEDIA_READ_ERRORS", "content_of", "import_version", "media_digest"]
