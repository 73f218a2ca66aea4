"""Writing the sections layout: the outline in section files, components in folders.

Where each container goes: a section gets its own file; a subsection or unit is written
inside the first container (in outline order) whose current version holds it, and as a
``ref`` everywhere else it appears; containers that no current outline holds (a library's
standalone units) get files of their own. So every entity is defined exactly once, and the
file an author opens to edit a unit is the file of the section it is in.
"""

from __future__ import annotations

from typing import Any

import tomlkit

from lpconvert.formats import WriteOptions
from lpconvert.model import CompletePackageInput, Entity
from lpconvert.package import Package
from lpconvert.problems import Problem
from lpconvert.storage import Sink, TreeSink

from .entries import CHILD_KEY, current, entry_for
from .naming import Names, slug
from .plugin import LAYOUT_NAME, PACKAGE_TOML

LAYOUT_VERSION = 1


def _toml(data: dict[str, Any]) -> bytes:
    return tomlkit.dumps(data).encode("utf-8")


def _package_toml(model: CompletePackageInput) -> dict[str, Any]:
    doc: dict[str, Any] = {"layout": {"format": LAYOUT_NAME, "version": LAYOUT_VERSION}}
    if model.meta is not None:
        doc["meta"] = _clean(model.meta.model_dump(mode="python"))
    doc["learning_package"] = _clean(model.learning_package.model_dump(mode="python"))
    if model.root is not None:
        doc["root"] = _clean(model.root.model_dump(mode="python"))
    rest = model.model_dump(mode="python", exclude={"meta", "learning_package", "entities", "collections",
                                                    "root", "files"})
    if rest:
        from .entries import toml_safe

        if toml_safe(rest):
            doc["extra"] = rest
        else:
            import json

            doc["extra_json"] = json.dumps(model.model_dump(mode="json", exclude={
                "meta", "learning_package", "entities", "collections", "root", "files"}), ensure_ascii=False)
    return doc


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Drop None values (TOML has no null; an absent optional field means the same)."""
    return {k: (_clean(v) if isinstance(v, dict) else v) for k, v in data.items() if v is not None}


class _Outline:
    def __init__(self, model: CompletePackageInput) -> None:
        self.entities = model.entity_map()
        self.defined: set[str] = set()

    def entry(self, entity: Entity) -> dict[str, Any]:
        """The entry of a container, with its children nested (or referenced)."""
        self.defined.add(entity.key)
        version = current(entity)
        assert version is not None
        entry = entry_for(entity, version)
        ctype = entity.container_type or "unit"
        if version.children is not None:
            if ctype == "unit":
                entry[CHILD_KEY[ctype]] = list(version.children)
            else:
                entry[CHILD_KEY[ctype]] = [self.child(key) for key in version.children]
        return entry

    def child(self, key: str) -> dict[str, Any]:
        entity = self.entities.get(key)
        if key in self.defined or entity is None:
            return {"ref": key}
        return self.entry(entity)


def write_sections(package: Package, sink: Sink, options: WriteOptions) -> list[Problem]:
    assert isinstance(sink, TreeSink), "the sections layout is a tree of files"
    model = package.model
    progress = options.progress
    if progress:
        progress.start(len(model.entities), "writing sections")
    sink.write_bytes(PACKAGE_TOML, _toml(_package_toml(model)))

    outline = _Outline(model)
    by_type: dict[str, list[Entity]] = {"section": [], "subsection": [], "unit": []}
    components: list[Entity] = []
    for entity in model.entities:
        if entity.container_type is None:
            components.append(entity)
        else:
            by_type[entity.container_type].append(entity)

    for folder, kind in (("sections", "section"), ("subsections", "subsection"), ("units", "unit")):
        names = Names()
        for entity in by_type[kind]:
            if entity.key in outline.defined or current(entity) is None:
                continue
            sink.write_bytes(f"{folder}/{names.allocate(entity.key)}.toml", _toml(outline.entry(entity)))

    names_by_type: dict[str, Names] = {}
    for entity in components:
        version = current(entity)
        if version is None:
            continue
        parts = entity.key.split(":", 2)
        block_type, code = (parts[1], parts[2]) if len(parts) == 3 else ("component", entity.key)
        folder = f"components/{slug(block_type)}"
        stem = names_by_type.setdefault(folder, Names()).allocate(entity.key, code)
        sink.write_bytes(f"{folder}/{stem}.toml", _toml(entry_for(entity, version)))
        for path, media in version.media.items():
            with package.open_media(media) as stream:
                sink.write_stream(f"{folder}/{stem}/{path}", stream, package.media_size(media))
        if progress:
            progress.advance()

    if model.collections:
        collections = [_clean(c.model_dump(mode="python")) for c in model.collections]
        sink.write_bytes("collections.toml", _toml({"collection": collections}))
    for path, media in model.files.items():
        with package.open_media(media) as stream:
            sink.write_stream(f"files/{path}", stream, package.media_size(media))
    if progress:
        progress.finish()
    return []
