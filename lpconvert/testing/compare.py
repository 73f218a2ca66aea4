"""Comparing two packages by content, the way a round trip should be judged.

Two packages are "the same" when everything the first one says survives in the second:

* media is compared by its bytes (sha256), never by how it is carried: a file in a zip, a
  base64 string in JSON and a blob in SQLite are the same file;
* timestamps are compared as instants in UTC;
* collection members are a set; container children an ordered list;
* a field the original leaves empty (None) is not compared: a format may fill in a default
  (an archive's creation time), but it may not change or drop a value that was there;
* what the destination format declares it cannot hold is removed from both sides first, by
  each loss kind's own `strip` (`LossKind.strip`; the core's are below), so a declared loss
  is not reported as a difference and an undeclared one is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from ..formats import CORE_LOSS_KINDS, LossKind
from ..model import Collection, CompletePackageInput, EntityVersion, HubModel
from ..package import Package
from ..versions import media_digest


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


class Record(dict):  # type: ignore[type-arg]
    """One model object's fields; `unknown` names the ones lpconvert does not know (its
    pydantic extras), so the `unknown-fields` strip can remove exactly those."""

    unknown: frozenset[str] = frozenset()


def _record(model: HubModel, names: Iterable[str]) -> Record:
    out = Record({name: _value(getattr(model, name)) for name in names})
    extra = model.model_extra or {}
    out.update((name, _value(value)) for name, value in extra.items())
    out.unknown = frozenset(extra)
    return out


def _version(package: Package, version: EntityVersion) -> Record:
    out = _record(version, ("title", "created", "children"))
    out["media"] = Keyed({path: media_digest(package, m) for path, m in version.media.items()})
    out["attributes"] = _value(dict(version.attributes))
    return out


class Picture(dict):  # type: ignore[type-arg]
    """A package as plain data. `strict` says how it was taken, for the strips that differ."""

    strict: bool = False


def picture(package: Package, *, strict: bool = False) -> Picture:
    """Everything a package says, as plain data: what `comparable` then strips the lost kinds
    from. Collection members are a set, unless `strict`: then their order counts too."""
    model: CompletePackageInput = package.model
    entities = Keyed()
    for entity in model.entities:
        record = _record(entity, ("container_type", "can_stand_alone", "created", "draft_version",
                                  "published_version"))
        record["versions"] = Keyed({v.version_num: _version(package, v) for v in entity.versions})
        entities[entity.key] = record
    out = Picture({
        "learning_package": _record(model.learning_package, ("key", "title", "description", "created", "updated")),
        "entities": entities,
        "collections": Keyed({c.key: _collection(c, strict) for c in model.collections}),
        "files": Keyed({path: media_digest(package, m) for path, m in model.files.items()}),
    })
    out.strict = strict
    if model.meta is not None:
        out["meta"] = _record(model.meta, ("format_version", "created_by", "created_by_email", "created_at",
                                           "origin_server"))
    if model.root is not None:
        out["root"] = _record(model.root, ("kind", "attributes", "children"))
    return out


def _collection(collection: Collection, strict: bool) -> Record:
    out = _record(collection, ("title", "description", "created"))
    out["entities"] = list(collection.entities) if strict else sorted(set(collection.entities))
    return out


# -- strips: what each core loss kind removes from a picture (named by CORE_LOSS_KINDS) ------

def _versions(picture: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entity in picture["entities"].values():
        yield from entity["versions"].values()


def _numbers_do_not_count(entity: dict[str, Any]) -> None:
    entity.pop("draft_version", None)
    entity.pop("published_version", None)


def strip_loose_components(picture: dict[str, Any]) -> None:
    held = {c for v in _versions(picture) for c in (v.get("children") or ())}
    for key in [k for k, e in picture["entities"].items() if e["container_type"] is None and k not in held]:
        del picture["entities"][key]


def strip_collections(picture: dict[str, Any]) -> None:
    picture.pop("collections", None)


def strip_other_versions(picture: dict[str, Any]) -> None:
    for entity in picture["entities"].values():
        if "draft_version" not in entity:
            continue  # `history` kept the current version only
        keep = (entity.get("draft_version"), entity.get("published_version"))
        for number in [n for n in entity["versions"] if n not in keep]:
            del entity["versions"][number]


def strip_published_behind_draft(picture: dict[str, Any]) -> None:
    for entity in picture["entities"].values():
        published, draft = entity.get("published_version"), entity.get("draft_version")
        if "draft_version" in entity and published != draft:
            entity["versions"].pop(published, None)
            _numbers_do_not_count(entity)


def strip_history(picture: dict[str, Any]) -> None:
    """Only the current version (the draft, else the published one) stays, without its number;
    a strict picture keeps the number, and draft/published where they name it."""
    strict = getattr(picture, "strict", False)
    for entity in picture["entities"].values():
        versions = entity["versions"]
        number = entity.get("draft_version") if entity.get("draft_version") in versions else \
            entity.get("published_version")
        current = versions.get(number)
        if strict:
            entity["versions"] = Keyed({number: current} if current is not None else {})
            for field in ("draft_version", "published_version"):
                entity[field] = entity[field] if current is not None and entity[field] == number else None
            continue
        entity["versions"] = Keyed({"current": current} if current is not None else {})
        _numbers_do_not_count(entity)


def strip_root(picture: dict[str, Any]) -> None:
    picture.pop("root", None)


def strip_package_files(picture: dict[str, Any]) -> None:
    picture.pop("files", None)


def strip_version_attributes(picture: dict[str, Any]) -> None:
    for version in _versions(picture):
        version.pop("attributes", None)


def strip_unknown_fields(picture: dict[str, Any]) -> None:
    records: list[Any] = [picture["learning_package"], picture.get("meta"), picture.get("root"),
                          *picture.get("collections", {}).values()]
    for entity in picture["entities"].values():
        records += [entity, *entity["versions"].values()]
    for record in records:
        for name in getattr(record, "unknown", ()):
            record.pop(name, None)


def strip_version_times(picture: dict[str, Any]) -> None:
    for version in _versions(picture):
        version.pop("created", None)


def strip_meta(picture: dict[str, Any]) -> None:
    picture.pop("meta", None)


def strip_package_description(picture: dict[str, Any]) -> None:
    picture["learning_package"].pop("description", None)


def strip_timestamps(picture: dict[str, Any]) -> None:
    for name in ("created", "updated"):
        picture["learning_package"].pop(name, None)
    for entity in picture["entities"].values():
        entity.pop("created", None)
    strip_version_times(picture)


def strip_can_stand_alone(picture: dict[str, Any]) -> None:
    for entity in picture["entities"].values():
        entity.pop("can_stand_alone", None)


def _kinds(lost: Iterable[str | LossKind]) -> list[LossKind]:
    """The `LossKind` objects `lost` names: the core's, in their order, then formats' own."""
    names = {k.name if isinstance(k, LossKind) else k for k in lost}
    own = {k.name: k for k in lost if isinstance(k, LossKind)}
    if names - set(CORE_LOSS_KINDS) - set(own):
        from ..plugin_manager import get_registry

        for spec in get_registry().formats.values():
            own.update((k.name, k) for k in spec.losses if k.name in names and k.name not in own)
    return [kind for name, kind in CORE_LOSS_KINDS.items() if name in names] + \
        [kind for name, kind in own.items() if name not in CORE_LOSS_KINDS]


def comparable(package: Package, lost: Iterable[str | LossKind] = (), *, strict: bool = False) -> dict[str, Any]:
    """The package's `picture`, minus what each `lost` kind covers (its declared strip).
    `strict` keeps collection order and the current version's number under `history`."""
    out = picture(package, strict=strict)
    for kind in _kinds(lost):
        strip = kind.load_strip()
        if strip is not None:
            strip(out)
    return out


def differences(expected: Any, actual: Any, path: str = "", *, strict: bool = False) -> list[str]:
    """Every place where `actual` does not keep what `expected` says, as readable lines.

    Lenient by default: what `expected` leaves empty (None) may be filled in by `actual` (a
    format may supply a default). `strict` asks for equality: a None must stay None, and a
    field only `actual` has is a difference."""
    here = path or "package"
    if expected is None and not strict:
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{here}: expected a mapping, found {actual!r}"]
        out: list[str] = []
        for key, value in expected.items():
            sub = f"{path}.{key}" if path else str(key)
            if key not in actual:
                if isinstance(expected, Keyed) or value is not None or strict:
                    out.append(f"{sub}: missing")
                continue
            out += differences(value, actual[key], sub, strict=strict)
        if isinstance(expected, Keyed) or strict:
            out += [f"{path}.{key}: unexpected" if path else f"{key}: unexpected"
                    for key in actual if key not in expected]
        return out
    if expected != actual:
        return [f"{here}: expected {expected!r}, found {actual!r}"]
    return []


def assert_same_content(expected: Package, actual: Package, lost: Iterable[str | LossKind] = (), *,
                        strict: bool = True) -> None:
    """Fail, naming every difference, unless `actual` holds what `expected` holds but the
    `lost` kinds. Strict by default (equality; see `differences`), as a format's own tests
    want; `strict=False` lets `actual` fill in what `expected` left empty."""
    found = differences(comparable(expected, lost, strict=strict), comparable(actual, lost, strict=strict),
                        strict=strict)
    if found:
        shown = "\n  ".join(found[:25])
        more = f"\n  ... and {len(found) - 25} more" if len(found) > 25 else ""
        raise AssertionError(f"{len(found)} difference(s) (lost: {', '.join(sorted(map(str, lost))) or 'nothing'}):"
                             f"\n  {shown}{more}")
