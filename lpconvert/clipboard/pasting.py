"""Paste: a clipboard's entities into a package, remapping keys consistently.

A key of the clipboard that the package does not have keeps its key. A key it already has
is a conflict, settled by `on_conflict`:

* ``rename`` (the default, what Studio does): the pasted entity gets a fresh key
  (``...-copy``, ``...-copy-2``); the original is untouched.
* ``replace``: the existing entity gets the clipboard's content as its newest version, by
  the same rule as `lpconvert.merge` (`lpconvert.versions`: no new version when the
  content is the same).
* ``skip``: the existing entity is kept as it is, and pasted containers refer to it.

An existing entity of another kind (a unit key that is a section in the package) can
neither be replaced nor referred to, so it is renamed whatever `on_conflict` says. Every
rename is applied everywhere the key appears: in pasted containers' children and in the
collections the copy brings along. A new entity is an unpublished draft (version 1), as a
paste in Studio is; the pasted root stands alone, since nothing in the package holds it yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal, get_args

from ..model import Collection, CompletePackageInput, Entity, EntityVersion, PackageRoot
from ..package import Package
from ..problems import Problem, has_errors
from ..versions import import_version
from .errors import ClipboardError
from .model import Clipboard, ClipboardItem

OnConflict = Literal["rename", "replace", "skip"]
ON_CONFLICT: tuple[str, ...] = get_args(OnConflict)


@dataclass
class PasteResult:
    """The package with the paste applied (None when it would be invalid) and what happened.

    `renamed` maps each clipboard key that got a new key to that key; `root` is the pasted
    root's key in the package.
    """

    package: Package | None
    root: str
    renamed: dict[str, str] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.package is not None


def paste(clipboard: Clipboard, into: Package, on_conflict: str = "rename", *,
          now: datetime | None = None) -> PasteResult:
    """Paste `clipboard` into `into` (unchanged; the result is a new package). See the module docstring.

    `now` dates the new entities and versions (default: the clock). Raises `ClipboardError`
    for a bad `on_conflict` or arguments of the wrong type.
    """
    if on_conflict not in ON_CONFLICT:
        raise ClipboardError(f"on_conflict must be one of {', '.join(ON_CONFLICT)}; got {on_conflict!r}")
    if not isinstance(clipboard, Clipboard):
        raise ClipboardError(f"paste() needs a Clipboard, not {type(clipboard).__name__}")
    if not isinstance(into, Package):
        raise ClipboardError(f"paste() pastes into a Package, not {type(into).__name__}")
    when = now or datetime.now(timezone.utc)
    existing = into.model.entity_map()
    taken = set(existing) | {item.key for item in clipboard.items}
    final: dict[str, str] = {}
    result = PasteResult(None, clipboard.root)
    for item in clipboard.items:
        there = existing.get(item.key)
        if there is None:
            final[item.key] = item.key
        elif on_conflict == "rename" or there.container_type != item.container_type:
            final[item.key] = result.renamed[item.key] = _fresh_key(item.key, taken)
            taken.add(final[item.key])
        else:
            final[item.key] = item.key
    result.root = final[clipboard.root]

    updated: dict[str, Entity] = {}
    added: list[Entity] = []
    for item in clipboard.items:
        key = final[item.key]
        version = _version(item, final, when)
        there = existing.get(key) if key == item.key else None
        if there is None:
            standalone = True if item.key == clipboard.root else item.can_stand_alone
            added.append(Entity(key=key, container_type=item.container_type, can_stand_alone=standalone,
                                created=when, draft_version=1, versions=[version]))
            result.added.append(key)
        elif on_conflict == "skip":
            result.skipped.append(key)
        else:
            entity, num, new = import_version(into, there, version)
            if new or entity.draft_version != num:
                updated[key] = entity.model_copy(update={"draft_version": num})
                result.replaced.append(key)
            else:
                result.skipped.append(key)

    model = into.model.model_copy(update={
        "entities": [updated.get(e.key, e) for e in into.model.entities] + added,
        "collections": _collections(into.model.collections, clipboard, final, when),
        "root": _root(into.model, result.root, clipboard.root_item, result.root in result.added),
    })
    from ..validation import revalidate

    result.problems = revalidate(model)
    if not has_errors(result.problems):
        result.package = Package(model, into.resources, into.source)
    return result


def _version(item: ClipboardItem, final: dict[str, str], when: datetime) -> EntityVersion:
    children = [final[c] for c in item.children or ()] if item.container_type is not None else None
    return EntityVersion(version_num=1, title=item.title, created=when, children=children,
                         media=dict(item.media), attributes=dict(item.attributes))


def _fresh_key(key: str, taken: set[str]) -> str:
    """`key-copy`, `key-copy-2`, ...: readable, deterministic, and never a key already in use."""
    n = 1
    while True:
        candidate = f"{key}-copy" if n == 1 else f"{key}-copy-{n}"
        if candidate not in taken:
            return candidate
        n += 1


def _collections(current: list[Collection], clipboard: Clipboard, final: dict[str, str],
                 when: datetime) -> list[Collection]:
    out = {c.key: c for c in current}
    order = [c.key for c in current]
    for col in clipboard.collections:
        members = [final[m] for m in col.entities]
        there = out.get(col.key)
        if there is None:
            out[col.key] = Collection(key=col.key, title=col.title if col.title.strip() else col.key,
                                      description=col.description, created=when, entities=members)
            order.append(col.key)
            continue
        extra = [m for m in members if m not in set(there.entities)]
        if extra:
            out[col.key] = there.model_copy(update={"entities": [*there.entities, *extra]})
    return [out[k] for k in order]


def _root(model: CompletePackageInput, key: str, item: ClipboardItem, added: bool) -> PackageRoot | None:
    """A course or v1 library lists its top-level entities: a pasted section (or component) joins them."""
    root = model.root
    if root is None or not added:
        return root
    by_key = model.entity_map()
    levels = {by_key[k].container_type for k in root.children if k in by_key}
    if not levels:
        levels = {"section"} if root.kind == "course" else {None}
    if levels != {item.container_type}:
        return root
    return root.model_copy(update={"children": [*root.children, key]})


__all__ = ["paste", "PasteResult", "OnConflict", "ON_CONFLICT"]

