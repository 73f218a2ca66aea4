"""Writing the sections layout: the outline in section files, components in folders.

Where each container goes: a section gets its own file; a subsection or unit is written
inside the first container (in outline order) whose current version holds it, and as a
``ref`` everywhere else it appears; containers that no current outline holds (a library's
standalone units) get files of their own. So every entity is defined exactly once, and the
file an author opens to edit a unit is the file of the section it is in.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from lpconvert.plugin import CompletePackageInput, Entity, Package, Problem, Sink, TreeSink, WriteOptions

from .entries import CHILD_KEY, current, entry_for, json_data, toml_safe
from .naming import Names, slug
from .plugin import LAYOUT_NAME, PACKAGE_TOML
from .tomlout import dumps

LAYOUT_VERSION = 1
_PACKAGE_PARTS = {"meta", "learning_package", "entities", "collections", "root", "files"}


def _toml(data: dict[str, Any], tables: bool = False) -> bytes:
    return dumps(data, tables=tables).encode("utf-8")


def _table(model: BaseModel) -> dict[str, Any]:
    """A model as a TOML table: absent optional fields left out, tables last (`_tables_last`)."""
    data = model.model_dump(mode="python")
    for name in type(model).model_fields:
        if data.get(name, 0) is None:
            del data[name]
    return _tables_last(data)


def _tables_last(data: dict[str, Any]) -> dict[str, Any]:
    """The same fields, those holding a table last: only fields whose order carries nothing
    (a model's, package.toml's parts) are moved, so they can be [sub] tables, not inline."""
    return dict(sorted(data.items(), key=lambda item: isinstance(item[1], dict)))


def _json_text(model: BaseModel, exclude: set[str] | None = None) -> str:
    data = json_data(model, exclude=exclude)
    for name in type(model).model_fields:
        if data.get(name, 0) is None:
            del data[name]
    return json.dumps(data, ensure_ascii=False)


def _package_toml(model: CompletePackageInput) -> dict[str, Any]:
    """package.toml; a table TOML cannot hold (a null inside) is written as ``<name>_json``."""
    doc: dict[str, Any] = {"layout": {"format": LAYOUT_NAME, "version": LAYOUT_VERSION}}
    for name, part in (("meta", model.meta), ("learning_package", model.learning_package), ("root", model.root)):
        if part is None:
            continue
        table = _table(part)
        if toml_safe(table):
            doc[name] = table
        else:
            doc[f"{name}_json"] = _json_text(part)
    rest = model.model_dump(mode="python", exclude=_PACKAGE_PARTS)
    if rest:
        if toml_safe(rest):
            doc["extra"] = rest
        else:
            doc["extra_json"] = json.dumps(json_data(model, exclude=_PACKAGE_PARTS), ensure_ascii=False)
    return _tables_last(doc)


def _collection(collection: BaseModel) -> dict[str, Any]:
    table = _table(collection)
    return table if toml_safe(table) else {"json": _json_text(collection)}


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
    progress.start(len(model.entities), "writing sections")
    sink.write_bytes(PACKAGE_TOML, _toml(_package_toml(model), tables=True))

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
            progress.advance()  # one step per entity, as for components below; nested ones are written inline
            if entity.key in outline.defined or current(entity) is None:
                continue
            sink.write_bytes(f"{folder}/{names.allocate(entity.key)}.toml", _toml(outline.entry(entity)))

    names_by_type: dict[str, Names] = {}
    for entity in components:
        version = current(entity)
        if version is None:
            progress.advance()
            continue
        parts = entity.key.split(":", 2)
        block_type, code = (parts[1], parts[2]) if len(parts) == 3 else ("component", entity.key)
        folder = f"components/{slug(block_type)}"
        stem = names_by_type.setdefault(folder, Names()).allocate(entity.key, code)
        sink.write_bytes(f"{folder}/{stem}.toml", _toml(entry_for(entity, version)))
        for path, media in version.media.items():
            with package.open_media(media) as stream:
                sink.write_stream(f"{folder}/{stem}/{path}", stream, package.media_size(media))
        progress.advance()

    if model.collections:
        collections = [_collection(c) for c in model.collections]
        sink.write_bytes("collections.toml", _toml({"collection": collections}))
    for path, media in model.files.items():
        with package.open_media(media) as stream:
            sink.write_stream(f"files/{path}", stream, package.media_size(media))
    progress.finish()
    return []
