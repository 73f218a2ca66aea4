"""Update instead of create: apply an incoming package to an existing one.

Studio's import and upstream's restore always make a *new* library. An author who edited a
copy (or exported, changed and re-imported) wants the opposite: the existing package, with
the incoming content applied. The rules, chosen so that nothing already in the base is lost
and so that the result reads the way an author thinks about it:

* An entity only in INCOMING is added as it is, every version and number kept.
* An entity in both gets INCOMING's content as new versions numbered above every version
  it already has: an imported version always becomes the newest, so the base's history is
  never rewritten and version numbers never go backwards. INCOMING's published version is
  imported first, then its draft, and each one whose content equals the entity's newest
  version (`lpconvert.versions`: title, children, attributes and the sha256 of every media file; never version
  numbers, which are not comparable across packages) reuses that version instead of making
  a new one; a published version equal to BASE's published one is not imported at all. The
  draft and published pointers then follow INCOMING; merge never unpublishes (INCOMING
  unpublished leaves the base's published version) and never deletes a draft.
* An entity only in BASE stays as it is.
* Collections merge by key: INCOMING's title and description, BASE's members followed by
  INCOMING's new ones. Package-level files merge by path (INCOMING wins); an OLX root keeps
  BASE's settings and gains INCOMING's new top-level children.
* The learning package's key, title and meta stay BASE's: the merge updates BASE.

The two packages may live in different sources whose resource ids look alike (two
lp-archives both have ``entities/...``), so the merged package reads media through
`LayeredResources`, which gives each incoming layer its own prefix. Keep BASE and INCOMING
open until the merged package is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Literal

from .model import Collection, CompletePackageInput, Entity, EntityVersion, MediaFile, PackageRoot, ResourceMedia
from .package import Package, ResourceResolver
from .problems import Problem, error, has_errors
from .versions import MEDIA_READ_ERRORS, content_of, import_version, media_digest

Action = Literal["added", "updated", "unchanged"]


# --------------------------------------------------------------------------- resources


class LayeredResources:
    """A resolver over several sources: BASE's ids as they are, each added layer's ids prefixed.

    Layering a `LayeredResources` again extends it (rather than wrapping it), so the prefixes
    of a package merged several times never shadow one another.
    """

    PREFIX = "lpconvert-layer-"

    def __init__(self, base: ResourceResolver) -> None:
        if isinstance(base, LayeredResources):
            self._base: ResourceResolver = base._base
            self._layers: dict[str, ResourceResolver] = dict(base._layers)
        else:
            self._base = base
            self._layers = {}

    def add(self, resolver: ResourceResolver) -> Callable[[str], str]:
        """Add a source; returns the function that turns its resource ids into ids of this resolver."""
        prefix = f"{self.PREFIX}{len(self._layers) + 1}:"
        self._layers[prefix] = resolver
        return lambda resource: prefix + resource

    def _route(self, resource: str) -> tuple[ResourceResolver, str]:
        if resource.startswith(self.PREFIX):
            prefix, sep, rest = resource.partition(":")
            layer = self._layers.get(prefix + sep)
            if layer is not None:
                return layer, rest
        return self._base, resource

    def open(self, resource: str) -> IO[bytes]:
        resolver, rid = self._route(resource)
        return resolver.open(rid)

    def size(self, resource: str) -> int | None:
        resolver, rid = self._route(resource)
        return resolver.size(rid)


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class EntityChange:
    """What a merge did to one entity."""

    key: str
    kind: str
    action: Action
    new_versions: tuple[int, ...] = ()
    draft: tuple[int | None, int | None] | None = None
    published: tuple[int | None, int | None] | None = None

    def describe(self) -> str:
        """One line for a person: what changed, in version numbers."""
        if self.action == "added":
            return f"{self.key} ({self.kind})"
        if self.action == "unchanged":
            return self.key
        parts = []
        if self.new_versions:
            nums = ", ".join(f"v{n}" for n in self.new_versions)
            parts.append(f"new {'versions' if len(self.new_versions) > 1 else 'version'} {nums}")
        for name, move in (("draft", self.draft), ("published", self.published)):
            if move is not None:
                parts.append(f"{name} {_num(move[0])} -> {_num(move[1])}")
        return f"{self.key}: " + "; ".join(parts)


def _num(n: int | None) -> str:
    return "none" if n is None else f"v{n}"


@dataclass(frozen=True)
class CollectionChange:
    key: str
    action: Action
    added_members: tuple[str, ...] = ()
    retitled: bool = False

    def describe(self) -> str:
        if self.action != "updated":
            return self.key
        parts = []
        if self.added_members:
            parts.append(f"{len(self.added_members)} new member(s)")
        if self.retitled:
            parts.append("title or description")
        return f"{self.key}: " + "; ".join(parts)


@dataclass
class MergeReport:
    """Everything the merge added, updated and left unchanged, in a stable order."""

    entities: list[EntityChange] = field(default_factory=list)
    collections: list[CollectionChange] = field(default_factory=list)
    files: dict[str, Action] = field(default_factory=dict)

    def entities_by(self, action: Action) -> list[EntityChange]:
        return [c for c in self.entities if c.action == action]

    def collections_by(self, action: Action) -> list[CollectionChange]:
        return [c for c in self.collections if c.action == action]

    def counts(self) -> dict[str, int]:
        return {a: len(self.entities_by(a)) for a in ("added", "updated", "unchanged")}

    def lines(self, *, list_unchanged: bool = False) -> list[str]:
        """The report as text: added and updated one per line, unchanged counted (or listed)."""
        out = []
        for action in ("added", "updated", "unchanged"):
            changes = self.entities_by(action)  # type: ignore[arg-type]
            if action == "unchanged" and not list_unchanged:
                if changes:
                    out.append(f"unchanged  {len(changes)} entit{'y' if len(changes) == 1 else 'ies'}")
                continue
            out += [f"{action:<10} {c.describe()}" for c in changes]
        for action in ("added", "updated", "unchanged"):
            cols = self.collections_by(action)  # type: ignore[arg-type]
            if cols:
                out.append(f"{action:<10} collection{'s' * (len(cols) != 1)} "
                           + ", ".join(c.describe() for c in cols))
        for path, action in sorted(self.files.items()):
            if action != "unchanged":
                out.append(f"{action:<10} file {path}")
        return out


@dataclass
class MergeResult:
    """The merged package (None when the merge cannot be made) and what was done."""

    package: Package | None
    report: MergeReport
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return self.package is not None


# --------------------------------------------------------------------------- merge


def merge(base: Package, incoming: Package) -> MergeResult:
    """Apply `incoming` to `base` (see the module docstring for the rules); neither is changed.

    Media is read to compare content; a source that cannot be read gives a
    `source-unreadable` problem and no package, not an exception.
    """
    try:
        merged = _merge(base, incoming)
    except MEDIA_READ_ERRORS as exc:
        return MergeResult(None, MergeReport(), [error("source-unreadable", f"cannot read media while merging: "
                                                                            f"{exc}")])
    if isinstance(merged, MergeResult):  # refused before anything was merged
        return merged
    model, resources, report = merged
    return _finish(model, resources, base, report)


def _merge(base: Package, incoming: Package
           ) -> MergeResult | tuple[CompletePackageInput, LayeredResources, MergeReport]:
    """The merged model, or a `MergeResult` refusing the merge (an entity of two kinds).

    Validating the merged model is left to the caller, outside the guard for unreadable
    media, so that an error of validation is never reported as a damaged source.
    """
    report = MergeReport()
    base_map = base.model.entity_map()
    inc_map = incoming.model.entity_map()
    conflicts = [
        error("duplicate-key", f"{key} is a {_kind(base_map[key])} in the base but a {_kind(inc)} in the "
              "incoming package; rename one of them before merging", file=incoming.source)
        for key, inc in inc_map.items()
        if key in base_map and base_map[key].container_type != inc.container_type
    ]
    if conflicts:
        return MergeResult(None, report, conflicts)

    resources = LayeredResources(base.resources)
    to_layer = resources.add(incoming.resources)
    reader = Package(base.model, resources)  # reads both sides' media during the merge

    def moved(media: MediaFile) -> MediaFile:
        if isinstance(media, ResourceMedia):
            return media.model_copy(update={"resource": to_layer(media.resource)})
        return media

    def moved_version(version: EntityVersion) -> EntityVersion:
        if not version.media:
            return version
        return version.model_copy(update={"media": {p: moved(m) for p, m in version.media.items()}})

    entities: list[Entity] = []
    for ent in base.model.entities:
        inc = inc_map.get(ent.key)
        if inc is None:
            entities.append(ent)
            continue
        merged, change = _merge_entity(ent, inc, reader, moved_version)
        entities.append(merged)
        report.entities.append(change)
    for inc in incoming.model.entities:
        if inc.key not in base_map:
            entities.append(inc.model_copy(update={"versions": [moved_version(v) for v in inc.versions]}))
            report.entities.append(EntityChange(inc.key, inc.kind, "added",
                                                tuple(v.version_num for v in inc.versions)))
    # Entities seen twice in incoming (invalid, but be safe): keep the report to one line per key.
    report.entities = list({c.key: c for c in report.entities}.values())

    collections = _merge_collections(base.model.collections, incoming.model.collections, report)
    files = dict(base.model.files)
    for path, media in incoming.model.files.items():
        new = moved(media)
        if path not in files:
            files[path] = new
            report.files[path] = "added"
        elif media_digest(reader, files[path]) != media_digest(reader, new):
            files[path] = new
            report.files[path] = "updated"
        else:
            report.files[path] = "unchanged"
    model = base.model.model_copy(update={
        "entities": entities, "collections": collections, "files": files,
        "root": _merge_root(base.model.root, incoming.model.root),
    })
    return model, resources, report


def _finish(model: CompletePackageInput, resources: ResourceResolver, base: Package,
            report: MergeReport) -> MergeResult:
    from .validation import revalidate

    problems = revalidate(model)
    if has_errors(problems):
        return MergeResult(None, report, problems)
    return MergeResult(Package(model, resources, base.source), report, problems)


def _kind(entity: Entity) -> str:
    return entity.container_type or "component"


def _merge_entity(ent: Entity, inc: Entity, reader: Package,
                  moved_version: Callable[[EntityVersion], EntityVersion]) -> tuple[Entity, EntityChange]:
    """Incoming's published version, then its draft, onto `ent` (see the module docstring)."""
    merged, new = ent, []
    draft, published = ent.draft_version, ent.published_version
    inc_published, inc_draft = inc.version(inc.published_version), inc.version(inc.draft_version)
    if inc_published is not None:
        content = moved_version(inc_published)
        wanted = content_of(reader, content)
        current = ent.version(ent.published_version)
        if current is not None and content_of(reader, current) == wanted:
            pass  # the same published content: nothing to import, even if it is not the newest
        else:
            merged, published, added = import_version(reader, merged, content, wanted=wanted)
            new += [published] if added else []
    if inc_draft is not None:
        merged, draft, added = import_version(reader, merged, moved_version(inc_draft))
        new += [draft] if added else []
    elif new:
        draft = max(new)  # incoming has only a published version, now the newest: the draft shows it
    if draft != merged.draft_version or published != merged.published_version:
        merged = merged.model_copy(update={"draft_version": draft, "published_version": published})
    changed = bool(new) or draft != ent.draft_version or published != ent.published_version
    change = EntityChange(
        ent.key, ent.kind, "updated" if changed else "unchanged", tuple(new),
        (ent.draft_version, draft) if draft != ent.draft_version else None,
        (ent.published_version, published) if published != ent.published_version else None,
    )
    return merged, change


def _merge_collections(base: Iterable[Collection], incoming: Iterable[Collection],
                       report: MergeReport) -> list[Collection]:
    out: dict[str, Collection] = {}
    for existing in base:
        out.setdefault(existing.key, existing)
    base_keys = set(out)
    for inc in incoming:
        col = out.get(inc.key)
        if col is None:
            out[inc.key] = inc
            report.collections.append(CollectionChange(inc.key, "added", tuple(inc.entities)))
            continue
        if inc.key not in base_keys:  # a key repeated inside incoming: keep the first
            continue
        members = list(col.entities)
        extra = tuple(m for m in dict.fromkeys(inc.entities) if m not in set(members))
        retitled = (inc.title, inc.description) != (col.title, col.description)
        if not extra and not retitled:
            report.collections.append(CollectionChange(col.key, "unchanged"))
            continue
        out[inc.key] = col.model_copy(update={"entities": members + list(extra), "title": inc.title,
                                              "description": inc.description})
        report.collections.append(CollectionChange(col.key, "updated", extra, retitled))
    return list(out.values())


def _merge_root(base: PackageRoot | None, incoming: PackageRoot | None) -> PackageRoot | None:
    if base is None or incoming is None:
        return base
    extra = [k for k in incoming.children if k not in set(base.children)]
    if not extra:
        return base
    return base.model_copy(update={"children": [*base.children, *extra]})


__all__ = ["merge", "MergeResult", "MergeReport", "EntityChange", "CollectionChange", "LayeredResources"]
