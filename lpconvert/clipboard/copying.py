"""Copy: one entity of a package, with its descendants and their files, onto a clipboard.

What travels is what an author sees in Studio: each entity's *current* version (the draft
if there is one, else the published version), its children, and the bytes of its files, read
now through the package's resolver, because the clipboard must not depend on the source
staying open. Course-level static files a block refers to come along with the block.
Collections come along only as far as they hold copied entities, so that a paste can file
the copies where the originals were.
"""

from __future__ import annotations

import difflib

from ..model import Entity, MediaFile
from ..package import Package
from ..staticrefs import static_references
from ..versions import MEDIA_READ_ERRORS
from .errors import ClipboardError
from .model import (
    Clipboard,
    ClipboardCollection,
    ClipboardItem,
    ClipboardSource,
    InlineMedia,
    inline_media,
    media_data,
)


def copy(package: Package, key: str) -> Clipboard:
    """The entity `key` of `package` and everything it needs, as a self-contained `Clipboard`.

    Raises `ClipboardError` when the key is not in the package or an entity to copy has no
    current version (nothing an author could see, so nothing to copy).
    """
    entities = package.model.entity_map()
    if key not in entities:
        close = difflib.get_close_matches(key, list(entities), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ClipboardError(f"no entity {key!r} in {package.model.learning_package.key}{hint}")
    order: list[str] = []
    seen: set[str] = set()
    stack = [key]
    # Depth first, children in order, each entity once (a component may sit in two units).
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        order.append(current)
        entity = entities.get(current)
        if entity is None:
            raise ClipboardError(f"cannot copy {key!r}: it holds {current!r}, which the package does not have")
        version = entity.current_version
        if version is None:
            raise ClipboardError(f"cannot copy {key!r}: {current!r} has no current (draft or published) version")
        stack.extend(reversed([c for c in version.children or () if c not in seen]))
    items = [_item(package, entities[k]) for k in order]
    copied = set(order)
    collections = [
        ClipboardCollection(key=c.key, title=c.title, description=c.description,
                            entities=[m for m in c.entities if m in copied])
        for c in package.model.collections if copied.intersection(c.entities)
    ]
    lp = package.model.learning_package
    return Clipboard(root=key, items=items, collections=collections,
                     source=ClipboardSource(key=lp.key, title=lp.title))


def _course_files(package: Package, own: dict[str, MediaFile], copied: dict[str, InlineMedia]
                  ) -> dict[str, InlineMedia]:
    """Package-level static files the block refers to but does not hold itself.

    An OLX course keeps its files in the course's static/, shared by every block; a v2
    library keeps them with each component. A copy must work in either, so a file the block
    refers to as /static/NAME that only the course holds travels with the block, as Studio's
    clipboard copies the course assets a block uses. References are found as the OLX reader
    and the consistency check find them (`static_references`: asset keys, escaped HTML, ...).
    """
    block = copied.get("block.xml")
    files = package.model.files
    if block is None or not files:
        return {}
    text = media_data(block).decode("utf-8", "replace")
    out: dict[str, InlineMedia] = {}
    for ref in static_references(text):
        for path in (f"static/{name}" for name in ref.names):
            if path in own or path in out:
                break
            if path in files:
                try:
                    out[path] = inline_media(package.read_media(files[path]))
                except MEDIA_READ_ERRORS as exc:
                    raise ClipboardError(f"cannot copy the course file {path}: {exc}") from None
                break
    return out


def _item(package: Package, entity: Entity) -> ClipboardItem:
    version = entity.current_version
    assert version is not None
    media = {}
    for path, m in sorted(version.media.items()):
        try:
            media[path] = inline_media(package.read_media(m))
        except MEDIA_READ_ERRORS as exc:
            raise ClipboardError(f"cannot copy {path} of {entity.key}: {exc}") from None
    media.update(_course_files(package, version.media, media))
    return ClipboardItem(
        key=entity.key, container_type=entity.container_type, can_stand_alone=entity.can_stand_alone,
        version_num=version.version_num, title=version.title,
        children=list(version.children or []) if entity.container_type is not None else None,
        media=media, attributes=dict(version.attributes),
    )
