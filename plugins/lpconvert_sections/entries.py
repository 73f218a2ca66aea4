"""One entity as a TOML table, and back: the vocabulary shared by every file of the layout.

An entry holds the entity and its *current* version side by side, because an author
thinks of "the unit", not of "the unit's version 3":

    key = "unit-a"            title = "Unit A"         version = 3
    published = false         # is this version the published one?
    draft = false             # only written when the version is not the draft
    can_stand_alone = false   # only written when false
    created / version_created, attributes = {...}, extra = {...}, version_extra = {...}

TOML has no null, so a table holding one anywhere (rare: unknown fields from another
format) is written as JSON text under ``<name>_json`` instead; nothing is dropped.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from lpconvert.plugin import Entity, EntityVersion

ENTITY_HANDLED = {"key", "container_type", "can_stand_alone", "created", "draft_version", "published_version",
                  "versions"}
VERSION_HANDLED = {"version_num", "title", "created", "children", "media", "attributes"}
ENTRY_KEYS = {"key", "title", "version", "published", "draft", "can_stand_alone", "created", "version_created",
              "attributes", "attributes_json", "extra", "extra_json", "version_extra", "version_extra_json"}
CHILD_KEY = {"section": "subsection", "subsection": "unit", "unit": "components"}
"""Where an entry lists its children: nested tables for sections and subsections, keys for units."""


def toml_safe(value: Any) -> bool:
    """Whether TOML can hold the value as it is: anything but a null (NaN and infinity are TOML)."""
    if value is None:
        return False
    if isinstance(value, dict):
        return all(isinstance(k, str) and toml_safe(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(toml_safe(v) for v in value)
    return True


def json_data(model: BaseModel, **dump: Any) -> Any:
    """`model.model_dump(mode="json", **dump)`, but NaN and infinity stay floats: pydantic's JSON
    mode turns them into null, and json.dumps writes them as NaN / Infinity, which the reader's
    json.loads takes back. A table goes to ``<name>_json`` for its null, not to lose its NaN."""
    return to_jsonable_python(model.model_dump(mode="python", **dump), inf_nan_mode="constants")


def _put(entry: dict[str, Any], name: str, model: BaseModel, fields: set[str] | None,
         exclude: set[str] | None = None) -> None:
    python = model.model_dump(mode="python", include=fields, exclude=exclude)
    if fields is not None and len(fields) == 1:
        python = python.get(next(iter(fields)), {})
    if not python:
        return
    if toml_safe(python):
        entry[name] = python
    else:
        data = json_data(model, include=fields, exclude=exclude)
        if fields is not None and len(fields) == 1:
            data = data.get(next(iter(fields)), {})
        entry[f"{name}_json"] = json.dumps(data, ensure_ascii=False, sort_keys=False)


def current(entity: Entity) -> EntityVersion | None:
    """The version this layout keeps: the draft, else the published one, else the last."""
    return entity.current_version or (entity.versions[-1] if entity.versions else None)


def entry_for(entity: Entity, version: EntityVersion) -> dict[str, Any]:
    entry: dict[str, Any] = {"key": entity.key, "title": version.title, "version": version.version_num,
                             "published": entity.published_version == version.version_num}
    if entity.draft_version != version.version_num:
        entry["draft"] = False
    if not entity.can_stand_alone:
        entry["can_stand_alone"] = False
    if entity.created is not None:
        entry["created"] = entity.created
    if version.created is not None:
        entry["version_created"] = version.created
    _put(entry, "attributes", version, {"attributes"})
    _put(entry, "extra", entity, None, ENTITY_HANDLED)
    _put(entry, "version_extra", version, None, VERSION_HANDLED)
    return entry
