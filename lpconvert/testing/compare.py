"""Comparing two packages by content, the way a round trip should be judged.

Two packages are "the same" when everything the first one says survives in the second:

* media is compared by its bytes (sha256), never by how it is carried: a file in a zip, a
  base64 string in JSON and a blob in SQLite are the same file;
* timestamps are compared as instants in UTC;
* collection members are a set; container children an ordered list;
* a field the original leaves empty (None) is not compared: a format may fill in a default
  (an archive's creation time), but it may not change or drop a value that was there;
* what the destination format declares it cannot hold (`FormatSpec.cannot_hold`) is removed
  from both sides first, so a declared loss is not reported as a difference and an
  undeclared one is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ..model import Collection, CompletePackageInput, Entity, EntityVersion, HubModel
from ..package import Package


class Keyed(dict):  # type: ignore[type-arg]
    """A mapping whose keys are identities (entity keys, version numbers, media paths):
    an entry present on one side only is a difference, whatever its value."""


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, HubModel):
        return {k: _value(v) for k, v in value.model_dump(mode="python").items()}
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_value(v) for v in value]
    return value


def _fields(model: HubModel, names: Iterable[str], keep_unknown: bool) -> dict[str, Any]:
    out = {name: _value(getattr(model, name)) for name in names}
    if keep_unknown:
        for name, value in (model.model_extra or {}).items():
            out[name] = _value(value)
    return out


def _digest(package: Package, media: Any) -> str:
    h = hashlib.sha256()
    with package.open_media(media) as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _version(package: Package, version: EntityVersion, lost: frozenset[str], unknown: bool) -> dict[str, Any]:
    names = ("title", "children") if lost & {"version-times", "timestamps"} else ("title", "created", "children")
    out = _fields(version, names, unknown)
    out["media"] = Keyed({path: _digest(package, m) for path, m in version.media.items()})
    if "version-attributes" not in lost:
        out["attributes"] = _value(dict(version.attributes))
    return out


def _kept_versions(entity: Entity, lost: frozenset[str]) -> tuple[Keyed, bool]:
    """The versions a format that loses `lost` still has to keep (and whether numbers count)."""
    current = entity.current_version
    if "history" in lost:
        return Keyed({"current": current} if current is not None else {}), False
    kept = {v.version_num: v for v in entity.versions}
    numbers_count = True
    if "other-versions" in lost:
        kept = {n: v for n, v in kept.items() if n in (entity.draft_version, entity.published_version)}
    if "published-behind-draft" in lost and entity.published_version != entity.draft_version:
        kept.pop(entity.published_version, None)  # type: ignore[arg-type]
        numbers_count = False
    return Keyed(kept), numbers_count


def comparable(package: Package, lost: Iterable[str] = ()) -> dict[str, Any]:
    """A plain, order-independent picture of a package's content, minus the `lost` kinds."""
    lost = frozenset(lost)
    unknown = "unknown-fields" not in lost
    model: CompletePackageInput = package.model
    held = {c for e in model.entities for v in e.versions for c in (v.children or ())}
    entities = Keyed()
    for entity in model.entities:
        if "loose-components" in lost and not entity.is_container and entity.key not in held:
            continue
        names = ["container_type"] + ["can_stand_alone"] * ("can-stand-alone" not in lost) + \
            ["created"] * ("timestamps" not in lost)
        record = _fields(entity, names, unknown)
        versions, numbers_count = _kept_versions(entity, lost)
        if numbers_count:
            record["draft_version"] = entity.draft_version
            record["published_version"] = entity.published_version
        record["versions"] = Keyed({n: _version(package, v, lost, unknown) for n, v in versions.items()})
        entities[entity.key] = record
    package_fields = ["key", "title"] + ["description"] * ("package-description" not in lost) + \
        ["created", "updated"] * ("timestamps" not in lost)
    out: dict[str, Any] = {
        "learning_package": _fields(model.learning_package, package_fields, unknown),
        "entities": entities,
    }
    if model.meta is not None and "meta" not in lost:
        out["meta"] = _fields(model.meta, ("format_version", "created_by", "created_by_email", "created_at",
                                           "origin_server"), unknown)
    if "collections" not in lost:
        out["collections"] = Keyed({c.key: _collection(c, unknown) for c in model.collections})
    if "root" not in lost and model.root is not None:
        out["root"] = _fields(model.root, ("kind", "attributes", "children"), unknown)
    if "package-files" not in lost:
        out["files"] = Keyed({path: _digest(package, m) for path, m in model.files.items()})
    return out


def _collection(collection: Collection, unknown: bool) -> dict[str, Any]:
    out = _fields(collection, ("title", "description", "created"), unknown)
    out["entities"] = sorted(set(collection.entities))
    return out


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every place where `actual` does not keep what `expected` says, as readable lines."""
    here = path or "package"
    if expected is None:
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{here}: expected a mapping, found {actual!r}"]
        out: list[str] = []
        for key, value in expected.items():
            sub = f"{path}.{key}" if path else str(key)
            if key not in actual:
                if isinstance(expected, Keyed) or value is not None:
                    out.append(f"{sub}: missing")
                continue
            out += differences(value, actual[key], sub)
        if isinstance(expected, Keyed):
            out += [f"{path}.{key}: unexpected" if path else f"{key}: unexpected"
                    for key in actual if key not in expected]
        return out
    if expected != actual:
        return [f"{here}: expected {expected!r}, found {actual!r}"]
    return []
