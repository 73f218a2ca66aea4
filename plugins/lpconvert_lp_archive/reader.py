"""Reading an lp-archive into raw hub data, collecting problems instead of raising.

Rules that matter (see docs/formats/lp-archive.md):

* The key inside a file wins over its name. Component media is found beside the TOML file
  that declares the key (``<toml path without .toml>/component_versions/v<N>/``), never by
  guessing a key from a directory name: upstream's release-blocking bug #38623 came from a
  reader that did.
* An entity is a container when its ``[entity.container]`` table names a type; archives
  written before upstream PR #406 carry an empty ``[entity.container]`` (and ``uuid``
  fields) on components: both are tolerated.
* Unknown keys are kept (they become unknown fields of the hub, reported as warnings);
  unknown top-level tables of package.toml are kept as package-level extras.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

from lpconvert.plugin import (
    Origin,
    Problem,
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

from .locate import TomlLocator
from .parallel import parse_all

PACKAGE_TOML = "package.toml"
_VERSION_DIR = re.compile(r"^v(\d+)/(.+)$")
_TOML_LINE = re.compile(r"at line (\d+)")

ENTITY_KNOWN = {"key", "can_stand_alone", "created", "draft", "published", "container"}
ENTITY_LEGACY = {"uuid"}  # upstream database ids in pre-#406 archives: not content, not kept
VERSION_KNOWN = {"title", "version_num", "container"}
BLANK_MEANS_ABSENT = ("created_by", "created_by_email", "origin_server")


def _parse(source: Source, path: str, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        text = source.read_text(path)
    except SourceError as exc:
        problems.append(exc.problem())
        return None
    limit = source.limits.max_nesting
    deep_line = toml_key_too_deep(text, limit)
    if deep_line is not None:  # tomllib would spend minutes on it
        problems.append(error("toml-too-deep", f"{path}: a table header or key names more than {limit} levels",
                              path, line=deep_line))
        return None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_LINE.search(str(exc))
        problems.append(error("toml-syntax", f"{path} is not valid TOML: {exc}", path,
                              line=int(m.group(1)) if m else None))
        return None
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        problems.append(error("toml-too-deep", f"{path}: arrays or inline tables nest too deep to parse "
                              f"(more than {limit} levels are refused)", path))
        return None
    deep = too_deep(doc, limit)
    if deep is not None:  # every format's reader refuses the same depth, so what one reads all can write
        problems.append(error("toml-too-deep", f"{path}: a value nests arrays or tables more than {limit} levels "
                              "deep (the field names the first one too deep)", path, dotted(deep)))
        return None
    return doc


def _table(doc: dict[str, Any], name: str, path: str, problems: list[Problem],
           known: tuple[str, ...]) -> dict[str, Any] | None:
    value = doc.get(name)
    if isinstance(value, dict):
        return value
    if value is None:
        import difflib

        close = difflib.get_close_matches(name, [k for k in doc if k not in known], n=1, cutoff=0.7)
        hint = f" (found [{close[0]}]: a typo?)" if close else ""
        problems.append(error("missing-field", f"{path} has no [{name}] table{hint}", path, name))
    else:
        problems.append(error("toml-structure", f"{path}: {name} must be a table, not a "
                              f"{type(value).__name__}", path, name))
    return None


def _read_package_toml(source: Source, data: dict[str, Any], raw: RawPackage, locator: TomlLocator) -> None:
    problems = raw.problems
    if not source.exists(PACKAGE_TOML):
        folders = " and ".join(f"{name}/" for name in ("entities", "collections") if source.isdir(name))
        if folders:
            problems.append(error("missing-package-toml", f"{source.label}: a learning-package archive missing "
                                  f"its {PACKAGE_TOML} (it has {folders} but no {PACKAGE_TOML} at its root); "
                                  f"export it again, or put back the {PACKAGE_TOML} it was made with",
                                  PACKAGE_TOML))
        else:
            problems.append(error("missing-file", f"{PACKAGE_TOML} is missing: this is not a learning-package "
                                  "archive, or it was zipped from the wrong folder", PACKAGE_TOML))
        return
    doc = _parse(source, PACKAGE_TOML, problems)
    if doc is None:
        return
    origin = Origin(PACKAGE_TOML, locator)
    for name, value in doc.items():
        if not isinstance(value, dict):
            problems.append(error("toml-structure", f"{PACKAGE_TOML}: {name!r} is a value outside any table",
                                  PACKAGE_TOML, name))
    meta = _table(doc, "meta", PACKAGE_TOML, problems, ("meta", "learning_package"))
    lp = _table(doc, "learning_package", PACKAGE_TOML, problems, ("meta", "learning_package"))
    if meta is not None:
        meta = dict(meta)
        for name in BLANK_MEANS_ABSENT:
            if meta.get(name) == "":
                meta[name] = None
        data["meta"] = meta
        raw.origins[("meta",)] = origin
    if lp is not None:
        data["learning_package"] = lp
        raw.origins[("learning_package",)] = origin
    for name, value in doc.items():
        if name not in ("meta", "learning_package") and isinstance(value, dict):
            data[name] = value  # unknown table: kept, reported as an unknown field
            raw.origins[(name,)] = origin


def _entity_from_toml(doc: dict[str, Any], path: str, problems: list[Problem]) -> dict[str, Any] | None:
    for name in doc:
        if name not in ("entity", "version"):
            problems.append(warning("unknown-field", f"{path}: unknown table [{name}]"
                                    + (" (did you mean [entity]?)" if name.startswith("ent") else ""), path, name))
    entity = _table(doc, "entity", path, problems, ("entity", "version"))
    if entity is None:
        return None
    out: dict[str, Any] = {k: v for k, v in entity.items() if k not in ENTITY_KNOWN and k not in ENTITY_LEGACY}
    for name in ("key", "can_stand_alone", "created"):
        if name in entity:
            out[name] = entity[name]
    for pointer in ("draft", "published"):
        table = entity.get(pointer)
        if isinstance(table, dict):
            if "version_num" in table:
                out[f"{pointer}_version"] = table["version_num"]
            for extra in table:
                if extra != "version_num":  # a typo here would silently drop the pointer
                    problems.append(warning("unknown-field", f"{path}: unknown field entity.{pointer}.{extra}"
                                            " (did you mean version_num?)", path, f"entity.{pointer}.{extra}"))
        elif table is not None:
            problems.append(error("toml-structure", f"{path}: entity.{pointer} must be a table", path,
                                  f"entity.{pointer}"))
    container = entity.get("container")
    if container is not None and not isinstance(container, dict):
        problems.append(error("toml-structure", f"{path}: entity.container must be a table such as "
                              "[entity.container.unit]", path, "entity.container"))
    if isinstance(container, dict) and container:
        names = list(container)
        if len(names) != 1:
            problems.append(error("invalid-value", f"{path}: entity.container must name exactly one type "
                                  f"(section, subsection or unit), not {', '.join(names)}", path, "entity.container"))
        else:
            out["container_type"] = names[0]  # an unknown type fails schema validation, naming the file
    versions = doc.get("version", [])
    if not isinstance(versions, list):
        problems.append(error("toml-structure", f"{path}: version must be an array of tables ([[version]])",
                              path, "version"))
        versions = []
    out_versions = []
    for j, version in enumerate(versions):
        if not isinstance(version, dict):
            problems.append(error("toml-structure", f"{path}: version[{j}] is not a table", path, f"version[{j}]"))
            continue
        v: dict[str, Any] = {k: val for k, val in version.items() if k not in VERSION_KNOWN and k != "uuid"}
        for name in ("title", "version_num"):
            if name in version:
                v[name] = version[name]
        vc = version.get("container")
        if isinstance(vc, dict):
            v["children"] = vc.get("children", [])
            for extra in vc:
                if extra != "children":
                    v[extra] = vc[extra]
        elif "container_type" in out:
            problems.append(error("missing-field", f"{path}: version[{j}] of a container has no "
                                  "[version.container] children", path, f"version[{j}].container"))
        out_versions.append(v)
    out["versions"] = out_versions
    return out


def _attach_media(source: Source, entity: dict[str, Any], toml_path: str, problems: list[Problem],
                  media_index: dict[str, list[str]]) -> None:
    """Give each version the files under ``<toml path without .toml>/component_versions/v<N>/``."""
    root = toml_path[: -len(".toml")]
    prefix = root + "/component_versions/"
    by_num: dict[int, dict[str, Any]] = {}
    for v in entity["versions"]:
        if isinstance(v.get("version_num"), int) and not isinstance(v.get("version_num"), bool):
            by_num.setdefault(v["version_num"], v)
    for path in media_index.pop(root, ()):
        if not path.startswith(prefix):
            problems.append(warning("stray-file", f"{path} is not inside {prefix}; ignored", path))
            continue
        m = _VERSION_DIR.match(path[len(prefix):])
        if not m:
            problems.append(warning("stray-file", f"{path} is not inside a v<N>/ version folder; ignored", path))
            continue
        version = by_num.get(int(m.group(1)))
        if version is None:
            problems.append(warning("stray-file", f"{path} belongs to version {m.group(1)}, which "
                                    f"{toml_path} does not list; ignored", path))
            continue
        version.setdefault("media", {})[m.group(2)] = {"resource": path, "size": source.size(path)}


def read_archive(source: Source, options: ReadOptions) -> RawPackage:
    """Read every file of the archive; never raises on bad content."""
    data: dict[str, Any] = {}
    raw = RawPackage(data=data, resources=source)
    locator = TomlLocator(source)
    _read_package_toml(source, data, raw, locator)

    entity_files: list[str] = []
    collection_files: list[str] = []
    media_index: dict[str, list[str]] = {}  # component folder -> files under it
    others: list[str] = []
    for path in source.files:
        depth = path.count("/")
        if path.startswith("entities/") and path.endswith(".toml") and depth in (1, 3):
            entity_files.append(path)
        elif path.startswith("collections/") and path.endswith(".toml") and depth == 1:
            collection_files.append(path)
        elif path.startswith("entities/") and depth >= 4:
            media_index.setdefault("/".join(path.split("/", 4)[:4]), []).append(path)
        elif path != PACKAGE_TOML:
            others.append(path)

    progress = options.progress
    progress.start(len(entity_files) + len(collection_files), "reading archive")
    entities: list[dict[str, Any]] = []
    collections: list[dict[str, Any]] = []
    collection_set = set(collection_files)
    for path, doc, problems in parse_all(source, entity_files + collection_files, _parse, options.jobs):
        raw.problems += problems
        progress.advance()
        if path in collection_set:
            _add_collection(doc, path, raw, collections, locator)
            continue
        if doc is None:
            continue
        entity = _entity_from_toml(doc, path, raw.problems)
        if entity is None:
            continue
        if path.count("/") == 3:
            _attach_media(source, entity, path, raw.problems, media_index)
        raw.origins[("entities", len(entities))] = Origin(path, locator)
        entities.append(entity)
    data["entities"] = entities
    data["collections"] = collections
    progress.finish()

    for paths in media_index.values():
        others.extend(paths)
    for path in sorted(others):
        raw.problems.append(warning("stray-file", f"{path} is not part of any entity or collection; ignored", path))
    raw.problems = [_with_line(p, locator) for p in raw.problems]
    return raw


def _add_collection(doc: dict[str, Any] | None, path: str, raw: RawPackage, collections: list[dict[str, Any]],
                    locator: TomlLocator) -> None:
    if doc is None:
        return
    table = _table(doc, "collection", path, raw.problems, ("collection",))
    if table is None:
        return
    raw.origins[("collections", len(collections))] = Origin(path, locator)
    collections.append(dict(table))


def _with_line(problem: Problem, locator: TomlLocator) -> Problem:
    """Give a reader problem that names a TOML field (a typo'd table, a stray value) its line."""
    if problem.line is not None or not problem.field or not (problem.file or "").endswith(".toml"):
        return problem
    line = locator.line_of(problem.file or "", problem.field)
    if line is None:
        return problem
    return Problem(problem.severity, problem.code, problem.message, problem.file, problem.field, line)
