"""Reading the sections layout into raw hub data, collecting problems instead of raising.

Every entry becomes an entity with one version (the one the layout keeps). The key inside
a file wins over the file's name; a component's files are the ones in the folder beside its
TOML file (``components/html/intro.toml`` -> ``components/html/intro/``). A nested entry
that is only ``ref = "key"`` points at a container defined elsewhere. Whatever an author
writes that the layout does not know is kept as an unknown field of the entity (and
reported as a warning, with a "did you mean" when it is close to a known name).
"""

from __future__ import annotations

import json
import tomllib
from typing import Any

from lpconvert.plugin import (
    NullProgress,
    Origin,
    Problem,
    Progress,
    RawPackage,
    ReadOptions,
    Source,
    SourceError,
    dotted,
    error,
    toml_key_too_deep,
    too_deep,
    warning,
)

from .entries import CHILD_KEY, ENTRY_KEYS
from .layout import classify
from .locate import SectionsLocator
from .plugin import LAYOUT_NAME, PACKAGE_TOML
from .writer import LAYOUT_VERSION



class _Reader:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.raw = RawPackage(data={}, resources=source)
        self.locator = SectionsLocator(source)
        self.entities: list[dict[str, Any]] = []
        self.progress: Progress = NullProgress()
        """The run's progress reporter (`ReadOptions.progress`): one step per TOML file."""

    @property
    def problems(self) -> list[Problem]:
        return self.raw.problems

    def problem(self, code: str, message: str, file: str, field: str | None, severity: str = "error") -> None:
        line = self.locator.line(file, field) if field else None
        make = error if severity == "error" else warning
        self.problems.append(make(code, message, file, field, line))

    def parse(self, path: str) -> dict[str, Any] | None:
        try:
            text = self.source.read_text(path)
        except SourceError as exc:
            self.problems.append(exc.problem())
            return None
        limit = self.source.limits.max_nesting
        deep_line = toml_key_too_deep(text, limit)
        if deep_line is not None:
            self.problems.append(error("toml-too-deep", f"{path}: a table header or key names more than {limit} "
                                       "levels", path, line=deep_line))
            return None
        try:
            doc = tomllib.loads(text)
        except RecursionError:
            self.problems.append(error("toml-too-deep", f"{path}: arrays or inline tables nest too deep to parse "
                                       f"(more than {limit} levels are refused)", path))
            return None
        except tomllib.TOMLDecodeError as exc:
            import re

            m = re.search(r"at line (\d+)", str(exc))
            self.problems.append(error("toml-syntax", f"{path} is not valid TOML: {exc}", path,
                                       line=int(m.group(1)) if m else None))
            return None
        deep = too_deep(doc, limit)
        if deep is not None:
            self.problem("toml-too-deep", f"{path}: a value nests arrays or tables more than {limit} levels deep "
                         "(the field names the first one too deep)", path, dotted(deep))
            return None
        return doc

    # -- package.toml --------------------------------------------------------------------
    def package(self) -> None:
        doc = self.parse(PACKAGE_TOML)
        if doc is None:
            return
        data = self.raw.data
        layout = doc.get("layout")
        if not isinstance(layout, dict) or layout.get("format") != LAYOUT_NAME:
            self.problem("toml-structure", f'{PACKAGE_TOML} must have [layout] format = "{LAYOUT_NAME}"',
                         PACKAGE_TOML, "layout.format")
        elif layout.get("version", LAYOUT_VERSION) != LAYOUT_VERSION:
            self.problem("invalid-value", f"{PACKAGE_TOML}: layout version {layout.get('version')!r} is not "
                         f"supported (this lpconvert reads {LAYOUT_VERSION})", PACKAGE_TOML, "layout.version")
        origin = Origin(PACKAGE_TOML, self.locator)
        for name, value in doc.items():
            if name == "layout":
                continue
            if name.endswith("_json"):
                value = self.json(value, PACKAGE_TOML, name)
                name = name[: -len("_json")]
            if name == "extra" and isinstance(value, dict):
                data.update(value)
            elif value is not None:
                data[name] = value
            self.raw.origins[(name,)] = origin
        self.raw.origins[()] = origin
        if "learning_package" not in doc and "learning_package_json" not in doc:
            self.problem("missing-field", f"{PACKAGE_TOML} has no [learning_package] table (key and title)",
                         PACKAGE_TOML, None)

    def json(self, text: Any, file: str, field: str) -> Any:
        limit = self.source.limits.max_nesting
        try:
            value = json.loads(text)
        except (TypeError, ValueError) as exc:
            self.problem("json-syntax", f"{file}: {field} is not valid JSON ({exc})", file, field)
            return None
        except RecursionError:
            value, deep = None, ()
        else:
            deep = too_deep(value, limit)
        if deep is not None:
            self.problem("json-too-deep", f"{file}: {field} nests arrays or objects more than {limit} levels deep",
                         file, field)
            return None
        return value

    # -- entries -------------------------------------------------------------------------
    def entry(self, entry: Any, file: str, table: str, ctype: str | None) -> str | None:
        """Add the entity an entry defines; return the key it stands for (defined or referenced)."""
        where = table or "(top)"
        if not isinstance(entry, dict):
            self.problem("toml-structure", f"{file}: {where} must be a table", file, table or None)
            return None
        if "ref" in entry:
            ref = entry["ref"]
            if not isinstance(ref, str) or len(entry) > 1:
                self.problem("toml-structure", f"{file}: {_at(table, 'ref')} must be the only field of a "
                             "reference, and a key (text)", file, _at(table, "ref"))
            return ref if isinstance(ref, str) else None
        entity: dict[str, Any] = {}
        version: dict[str, Any] = {}
        for name, value in entry.items():
            if name in ENTRY_KEYS or (ctype is not None and name == CHILD_KEY[ctype]):
                continue
            entity[name] = value  # unknown: kept, and reported by validation
        if "key" in entry:
            entity["key"] = entry["key"]
        if ctype is not None:
            entity["container_type"] = ctype
        if "can_stand_alone" in entry:
            entity["can_stand_alone"] = entry["can_stand_alone"]
        if "created" in entry:
            entity["created"] = entry["created"]
        num = entry.get("version", 1)
        version["version_num"] = num
        if "title" in entry:
            version["title"] = entry["title"]
        if "version_created" in entry:
            version["created"] = entry["version_created"]
        for flag, default, field in (("draft", True, "draft_version"), ("published", False, "published_version")):
            value = entry.get(flag, default)
            if not isinstance(value, bool):
                self.problem("invalid-value", f"{file}: {_at(table, flag)} must be true or false, not {value!r}",
                             file, _at(table, flag))
                value = default
            entity[field] = num if value else None
        for name, target in (("attributes", version), ("extra", entity), ("version_extra", version)):
            value = entry.get(name)
            if f"{name}_json" in entry:
                value = self.json(entry[f"{name}_json"], file, _at(table, f"{name}_json"))
            if value is None:
                continue
            if not isinstance(value, dict):
                self.problem("toml-structure", f"{file}: {_at(table, name)} must be a table", file,
                             _at(table, name))
            elif name == "attributes":
                version["attributes"] = value
            else:
                target.update(value)
        if ctype is not None and CHILD_KEY[ctype] in entry:
            version["children"] = self.children(entry[CHILD_KEY[ctype]], file, table, ctype)
        entity["versions"] = [version]
        index = len(self.entities)
        self.raw.origins[("entities", index)] = Origin(file, self.locator)
        self.locator.tables[index] = (table, CHILD_KEY.get(ctype or "", "children"))
        self.entities.append(entity)
        return entry.get("key") if isinstance(entry.get("key"), str) else None

    def children(self, value: Any, file: str, table: str, ctype: str) -> list[Any]:
        name = CHILD_KEY[ctype]
        field = _at(table, name)
        if not isinstance(value, list):
            self.problem("toml-structure", f"{file}: {field} must be a list", file, field)
            return []
        if ctype == "unit":
            return list(value)
        child_type = name
        keys = []
        for i, child in enumerate(value):
            key = self.entry(child, file, f"{field}[{i}]", child_type)
            keys.append(key if key is not None else f"<{field}[{i}]>")
        return keys

    # -- files ---------------------------------------------------------------------------
    def read(self) -> RawPackage:
        self.package()
        layout = classify(self.source.files)
        container_files, components, others = layout.container_files, layout.components, layout.others
        media = layout.media
        files: dict[str, Any] = {path[len("files/"):]: {"resource": path, "size": self.source.size(path)}
                                 for path in layout.files}

        self.progress.start(len(container_files) + len(components), "reading sections")
        for path, ctype in container_files:
            self.progress.advance()
            doc = self.parse(path)
            if doc is not None:
                self.entry(doc, path, "", ctype)
        for path in components:
            self.progress.advance()
            doc = self.parse(path)
            if doc is None:
                media.pop(path[: -len(".toml")], None)
                continue
            for key in CHILD_KEY.values():
                if key in doc:
                    self.problem("toml-structure", f"{path}: a component has no {key}", path, key)
            before = len(self.entities)
            self.entry(doc, path, "", None)
            if len(self.entities) > before:
                version = self.entities[-1]["versions"][0]
                folder = path[: -len(".toml")]
                for file in media.pop(folder, []):
                    version.setdefault("media", {})[file[len(folder) + 1:]] = {
                        "resource": file, "size": self.source.size(file)}
        for paths in media.values():
            for path in paths:
                self.problems.append(warning("stray-file", f"{path} is in a component folder that has no "
                                             "TOML file beside it; ignored", path))
        self.raw.data["entities"] = self.entities

        collections: list[Any] = []
        if self.source.exists("collections.toml"):
            doc = self.parse("collections.toml")
            if doc is not None:
                items = doc.get("collection", [])
                if not isinstance(items, list):
                    self.problem("toml-structure", "collections.toml: collection must be an array of tables "
                                 "([[collection]])", "collections.toml", "collection")
                    items = []
                for i, item in enumerate(items):
                    if isinstance(item, dict) and set(item) == {"json"}:
                        item = self.json(item["json"], "collections.toml", f"collection[{i}].json")
                    self.raw.origins[("collections", i)] = Origin("collections.toml", self.locator)
                    collections.append(item)
        self.raw.data["collections"] = collections
        if files:
            self.raw.data["files"] = files
        for path in sorted(others):
            self.problems.append(warning("stray-file", f"{path} is not part of the sections layout; ignored",
                                         path))
        return self.raw


def _at(table: str, name: str) -> str:
    return f"{table}.{name}" if table else name


def read_sections(source: Source, options: ReadOptions) -> RawPackage:
    reader = _Reader(source)
    reader.progress = options.progress
    raw = reader.read()
    reader.progress.finish()
    return raw
