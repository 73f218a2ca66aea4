"""What OLX cannot hold, found on the model before a byte is written.

The core detects the losses any format may have (collections, meta, timestamps ...); these
are the ones only OLX has. Each is a loss kind the plugin declares (listed by
`lpconvert formats`, accepted one by one with `--allow-loss`), and each detector looks at
the package exactly as the writer will write it, so that `--strict` names every loss in
one run, before writing, and no warning names something that is in fact written. The kinds
are declared in `plugin.py` (`LOSS_KINDS`), which names these functions without importing them.

Why the detectors follow the writer's choices (which version of an entity goes where,
which layout) rather than a simpler rule: a loss warning that is not true sends users
looking for something that is there. Where OLX keeps what the hub says (a unit's draft
under drafts/, a title equal to the block's display_name), nothing is said.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from lxml import etree

from lpconvert.plugin import CompletePackageInput, Entity, EntityVersion, MediaFile, Package, is_xml_name, media_digest
from lpconvert.plugin import loss_examples as examples

from .assets import package_policy, studio_path
from .values import OLX_FACTS, encode_value, olx_facts
from .xmltools import xml_text


def writes_library(model: CompletePackageInput, options: Mapping[str, str]) -> bool:
    """Whether the writer writes a v1 library: asked with ``-O olx_layout=library``, or the
    package's own root is one. Anything else (a v2 library has no root) becomes a course."""
    layout = options.get("olx_layout")
    root = model.root
    return layout == "library" or (layout in (None, "") and root is not None and root.kind == "library")


def _draft_ahead(ent: Entity) -> bool:
    return ent.draft_version is not None and ent.draft_version != ent.published_version


def _deleted(ent: Entity) -> bool:
    return ent.draft_version is None and ent.published_version is None


def _main(ent: Entity) -> EntityVersion | None:
    """What the main (published) tree shows: the published version, else the draft."""
    return ent.version(ent.published_version) or ent.version(ent.draft_version)


def _in_units(model: CompletePackageInput) -> set[str]:
    return {c for e in model.entities if e.container_type == "unit" for v in e.versions for c in (v.children or ())}


def _only_units_added(ent: Entity, unpublished: set[str]) -> bool:
    """True when a container's draft is its published version plus never-published units,
    which drafts/ can show (each such unit is written there at its index)."""
    draft, published = ent.version(ent.draft_version), ent.version(ent.published_version)
    if draft is None or published is None:
        return True
    if (draft.title, draft.attributes) != (published.title, published.attributes):
        return False
    before = list(published.children or [])
    kept = set(before)
    after = [k for k in draft.children or [] if k not in unpublished or k in kept]
    return after == before


class _Plan:
    """Which entities and versions the writer writes, worked out once for every detector."""

    def __init__(self, model: CompletePackageInput, options: Mapping[str, str]) -> None:
        self.model = model
        self.library = writes_library(model, options)
        self.in_units = set() if self.library else _in_units(model)
        unpublished = {e.key for e in model.entities if e.published_version is None}
        self.draft_kept: set[str] = set()
        """Entities whose draft ahead of the published version OLX keeps (under drafts/)."""
        if not self.library:
            for e in model.entities:
                if not _draft_ahead(e) or e.published_version is None:
                    continue
                if e.container_type == "unit" or (e.container_type is None and e.key in self.in_units) or (
                        e.container_type in ("section", "subsection") and _only_units_added(e, unpublished)):
                    self.draft_kept.add(e.key)

    def written(self) -> Iterator[Entity]:
        """Entities the writer writes: not deleted; in a v1 library, components only."""
        for e in self.model.entities:
            if not _deleted(e) and not (self.library and e.container_type is not None):
                yield e

    def versions(self, ent: Entity) -> list[EntityVersion]:
        """The versions of `ent` the writer writes: the main one, and a kept draft."""
        out = [v for v in (_main(ent),) if v is not None]
        current = ent.current_version
        if ent.key in self.draft_kept and current is not None and current not in out:
            out.append(current)
        return out

    def components(self) -> Iterator[tuple[Entity, EntityVersion]]:
        for e in self.written():
            if e.container_type is None:
                for v in self.versions(e):
                    yield e, v


# --------------------------------------------------------------------------- drafts and states

def drafts_outside_units(package: Package, options: Mapping[str, str]) -> str | None:
    plan = _Plan(package.model, options)
    containers = [e.key for e in plan.written() if e.container_type in ("section", "subsection")
                  and _draft_ahead(e) and e.published_version is not None and e.key not in plan.draft_kept]
    components = [e.key for e in plan.written() if e.container_type is None and _draft_ahead(e)
                  and e.published_version is not None and e.key not in plan.draft_kept]
    parts = []
    if containers:
        parts.append(f"of {len(containers)} section(s)/subsection(s) ({examples(containers)})")
    if components:
        parts.append(f"of {len(components)} component(s) outside every unit ({examples(components)})")
    if not parts:
        return None
    return (f"OLX keeps drafts only for units and the blocks in them; the draft {' and '.join(parts)} "
            "is dropped and the published version written")


def unpublished_outside_units(package: Package, options: Mapping[str, str]) -> str | None:
    plan = _Plan(package.model, options)
    containers = () if plan.library else ("section", "subsection")
    keys = [e.key for e in plan.written() if e.published_version is None and (
        e.container_type in containers or (e.container_type is None and e.key not in plan.in_units))]
    if keys:
        return (f"OLX has no unpublished sections, subsections or blocks outside units; {len(keys)} "
                f"never-published entit(ies) ({examples(keys)}) are written as published")
    return None


def deleted_entities(package: Package, options: Mapping[str, str]) -> str | None:
    """Named apart from the unpublished: calling these "written as published" sent users looking for them."""
    keys = [e.key for e in package.model.entities if _deleted(e)]
    if keys:
        return f"OLX has no deleted entities; {len(keys)} deleted entit(ies) ({examples(keys)}) are not written"
    return None


def library_containers(package: Package, options: Mapping[str, str]) -> str | None:
    if not writes_library(package.model, options):
        return None
    keys = [e.key for e in package.model.entities if e.container_type is not None and not _deleted(e)]
    if keys:
        return (f"a v1 library holds components only; {len(keys)} container(s) ({examples(keys)}) are "
                "dropped and their components listed at the top")
    return None


class _Bytes:
    """Whether two media files hold different bytes: the same object or resource is the same
    file, a different size a different one; only two files of one size are read (once each)."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.digests: dict[int, str] = {}

    def digest(self, media: MediaFile) -> str:
        known = self.digests.get(id(media))
        if known is None:
            known = self.digests[id(media)] = media_digest(self.package, media)
        return known

    def differ(self, a: MediaFile, b: MediaFile) -> bool:
        if a == b:
            return False
        if self.package.media_size(a) != self.package.media_size(b):
            return True
        return self.digest(a) != self.digest(b)


def _same_in_olx(ent: Entity, same: _Bytes) -> bool:
    """Whether a kept draft is written exactly as its published version, which a reader then
    takes for no draft at all (only a title OLX does not write, or a number, told them apart)."""
    draft, published = ent.version(ent.draft_version), ent.version(ent.published_version)
    if draft is None or published is None:
        return False
    if ent.container_type is not None:
        def settings(v: EntityVersion) -> dict[str, Any]:
            return {k: val for k, val in v.attributes.items() if k != OLX_FACTS}
        return (draft.title, draft.children, settings(draft)) == (published.title, published.children,
                                                                  settings(published))
    return draft.media.keys() == published.media.keys() and not any(
        same.differ(media, published.media[path]) for path, media in draft.media.items())


def version_numbers(package: Package, options: Mapping[str, str]) -> str | None:
    """OLX has no version numbers: reading it back numbers the published version 1 and a kept
    draft 2, and a draft OLX writes exactly as its published version is no draft at all."""
    plan = _Plan(package.model, options)
    same = _Bytes(package)
    keys, merged = [], []
    for e in plan.written():
        if e.key in plan.draft_kept and _same_in_olx(e, same):
            merged.append(e.key)
        elif e.published_version is None:
            if e.draft_version != 1:
                keys.append(e.key)
        else:
            kept_draft = e.draft_version if e.key in plan.draft_kept else e.published_version
            if e.published_version != 1 or kept_draft not in (e.published_version, 2):
                keys.append(e.key)
    parts = []
    if keys:
        parts.append(f"{len(keys)} entit(ies) ({examples(keys)}) come back numbered from 1 (published 1, a "
                     "draft ahead 2)")
    if merged:
        parts.append(f"the draft of {len(merged)} entit(ies) ({examples(merged)}) is written as its published "
                     "version is, so they come back with that version only")
    if parts:
        return "OLX has no version numbers; " + "; ".join(parts)
    return None


def package_key(package: Package, options: Mapping[str, str]) -> str | None:
    """OLX spells a course key in course.xml (org, course, run) and a v1 library key in
    library.xml (org, library); any other key (a v2 library's lib:ORG:SLUG) becomes one."""
    from .writer import course_key_parts, library_key_parts  # the writer imports this module

    model = package.model
    key = model.learning_package.key
    root = model.root
    if not writes_library(model, options):
        back = "course-v1:{}+{}+{}".format(*course_key_parts(key))
    elif root is not None and root.kind == "library":
        back = f"library-v1:{root.attributes.get('org')}+{root.attributes.get('library')}"
    else:
        back = "library-v1:{}+{}".format(*library_key_parts(key))
    if back != key:
        return f"OLX has no place for the package key {key}; it comes back as {back}"
    return None


# --------------------------------------------------------------------------- content

def _display_name(package: Package, block: MediaFile) -> str | None:
    """The display_name on a block.xml's root element (read up to that element only), or None
    when it does not parse: the writer refuses such a block with its own error."""
    parser = etree.XMLPullParser(events=("start",), resolve_entities=False, no_network=True, load_dtd=False)
    try:
        with package.open_media(block) as stream:
            while chunk := stream.read(1 << 14):
                parser.feed(chunk)
                for _, el in parser.read_events():
                    return str(el.get("display_name", ""))
    except etree.XMLSyntaxError:
        return None
    return None


def titles(package: Package, options: Mapping[str, str]) -> str | None:
    """OLX takes a title from display_name: a component's from its block.xml, a container's
    from its display_name setting when it has one."""
    plan = _Plan(package.model, options)
    keys = []
    for e, v in plan.components():
        block = v.media.get("block.xml")
        name = _display_name(package, block) if block is not None else None
        if name is not None and name != v.title:
            keys.append(e.key)
    for e in plan.written():
        if e.container_type is not None and not plan.library:
            for v in plan.versions(e):
                said = v.attributes.get("display_name")
                if said is not None and encode_value(said) != v.title:
                    keys.append(e.key)
    keys = list(dict.fromkeys(keys))
    if keys:
        return (f"OLX takes a block's title from its display_name; the different title of {len(keys)} "
                f"entit(ies) ({examples(keys)}) is dropped")
    return None


def component_files(package: Package, options: Mapping[str, str]) -> str | None:
    """A component file outside static/ has no place in an OLX export (course files live in static/)."""
    plan = _Plan(package.model, options)
    lost = sorted({f"{e.key}: {path}" for e, v in plan.components() for path in v.media
                   if path != "block.xml" and not path.startswith("static/")})
    if lost:
        return f"OLX keeps a block's files in static/ only; {len(lost)} other file(s) ({examples(lost)}) are dropped"
    return None


def static_conflicts(package: Package, options: Mapping[str, str]) -> str | None:
    """OLX has one static/ folder: two different files under one path cannot both be written.

    Bytes are compared as `_Bytes` does, so a library that repeats one image in every
    component reads each copy once at most. Paths are where the writer puts each file
    (`studio_path`: a Studio display name), so two names for one file are one path here too.
    """
    plan = _Plan(package.model, options)
    first: dict[str, MediaFile] = {}
    differs = _Bytes(package).differ
    clashes: list[str] = []
    policy = package_policy(package)
    held = [(e.key, studio_path(path, olx_facts(v.attributes), policy), media) for e, v in plan.components()
            for path, media in v.media.items() if path.startswith("static/")]
    held += [("the package", path, media) for path, media in package.model.files.items() if path.startswith("static/")]
    for owner, path, media in held:
        known = first.setdefault(path, media)
        if known is not media and differs(known, media):
            clashes.append(f"{path} of {owner}")
    clashes = list(dict.fromkeys(clashes))
    if clashes:
        return (f"OLX has one static/ folder; {len(clashes)} file(s) differ from another under the same path "
                f"({examples(clashes)}) and only the first is written")
    return None


def _url_name(ent: Entity, facts: dict[str, Any]) -> str:
    return str(facts.get("url_name") or ent.key)


def xml_characters(package: Package, options: Mapping[str, str]) -> str | None:
    """What XML cannot carry in the names and values the writer puts in attributes and file names."""
    plan = _Plan(package.model, options)
    model = package.model
    found: list[str] = []

    def text(owner: str, value: str) -> None:
        if xml_text(value)[1]:
            found.append(f"{owner}: control characters in {value!r}")

    def pairs(owner: str, items: Mapping[str, Any]) -> None:
        for name, value in items.items():
            if name == OLX_FACTS:
                continue
            if not is_xml_name(name):
                found.append(f"{owner}: attribute {name!r} (not an XML name)")
            else:
                text(owner, encode_value(value))

    for e in plan.written():
        if e.container_type is None:
            text(e.key, e.key.split(":", 2)[2] if e.key.count(":") >= 2 else e.key)
            continue
        for v in plan.versions(e):
            facts = olx_facts(v.attributes)
            if facts.get("wrapper"):
                continue
            text(e.key, _url_name(e, facts))
            pairs(e.key, v.attributes)
            if v.title or "display_name" in v.attributes:
                text(e.key, v.title)
    owner = "the library" if plan.library else "the course"
    if model.root is not None and model.root.kind == ("library" if plan.library else "course"):
        pairs(owner, model.root.attributes)
    text(owner, model.learning_package.title)
    found = list(dict.fromkeys(found))
    if found:
        shown = "; ".join(found[:3]) + (" ..." if len(found) > 3 else "")
        return f"XML cannot carry {len(found)} value(s): {shown}; dropped"
    return None
