"""Raw package -> `CompletePackageInput`, reporting every problem at once.

Two levels, as the design brief says:

1. *Schema*: what the JSON Schema of the model can say (types, required fields, ranges,
   patterns). The model is validated piece by piece (meta, learning package, each entity,
   each collection) rather than in one call, so that one bad entity does not hide the
   others, each error is attributed to the file the piece came from, and the consistency
   checks can still run over every piece that is valid.
2. *Consistency* (`lpconvert.consistency`): what a schema cannot say.

Unknown fields are kept in the model and reported as warnings with the nearest known name;
`strict` turns every warning into an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from .gcpause import paused_gc
from .model import (
    Collection,
    CompletePackageInput,
    Entity,
    LearningPackage,
    Meta,
    PackageRoot,
)
from .package import Loc, RawPackage, dotted
from .problems import Problem, ProblemLimit, Severity, error, has_errors
from .unknown_fields import unknown_field_warnings

if TYPE_CHECKING:
    from .compact import SharedValues

_PYDANTIC_CODES = {
    "missing": "missing-field",
    "timezone_aware": "naive-datetime",
}


def _schema_problems(raw: RawPackage, prefix: Loc, exc: ValidationError, limit: ProblemLimit) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        loc: Loc = prefix + tuple(err["loc"])
        # pydantic names the union member in the loc of media errors; drop those names.
        loc = tuple(p for p in loc if p not in ("ResourceMedia", "TextMedia", "BinaryMedia"))
        origin = raw.origin_of(loc)
        field, line = origin.locate(loc) if origin else (dotted(loc), None)
        code = _PYDANTIC_CODES.get(err["type"], "invalid-value")
        if err["type"] == "literal_error" and loc and loc[-1] == "container_type":
            code = "unknown-container-type"
        label = field or dotted(loc)
        if code == "missing-field":
            message = f"{label} is required"
        else:
            got = err.get("input")
            shown = repr(got)
            if len(shown) > 60:
                shown = shown[:57] + "..."
            message = f"{label}: {err['msg'][0].lower() + err['msg'][1:]} (got {shown})"
        problem = Problem(Severity.ERROR, code, message, origin.file if origin else None, field, line)
        if limit.admit(problem):
            out.append(problem)
    return out


def _validate_piece(model: type[BaseModel], data: Any, raw: RawPackage, prefix: Loc,
                    problems: list[Problem], limit: ProblemLimit) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(_schema_problems(raw, prefix, exc, limit))
        return None


_KNOWN: dict[type[BaseModel], list[str]] = {}


def _known_fields(model: type[BaseModel]) -> list[str]:
    if model not in _KNOWN:
        _KNOWN[model] = list(model.model_fields)
    return _KNOWN[model]


def _unknown_field_warnings(raw: RawPackage, loc: Loc, obj: BaseModel | None) -> list[Problem]:
    if obj is None or not obj.model_extra:
        return []
    return unknown_field_warnings(raw, loc, list(obj.model_extra), _known_fields(type(obj)))


def _as_list(raw: RawPackage, data: dict[str, Any], name: str, problems: list[Problem]) -> list[Any]:
    """`data[name]` when it is a list; otherwise one clear problem instead of a TypeError."""
    value = data.get(name)
    if value is None:
        return []
    if isinstance(value, list):
        return value
    origin = raw.origin_of((name,))
    problems.append(error("invalid-value", f"{name} must be a list, not {type(value).__name__}",
                          origin.file if origin else None, name))
    return []


def validate_raw(raw: RawPackage, *, strict: bool = False,
                 share: SharedValues | None = None) -> tuple[CompletePackageInput | None, list[Problem]]:
    """Validate a raw package. Returns the model (None if any error) and all problems found.

    The reader's own problems come first; an error there (a file that does not parse) makes
    the package invalid even if the rest validates.

    Consumes `raw.data["entities"]`: each raw entity is replaced by None once validated, so
    that the raw dicts and the model never both exist whole (at 100,000 components that is
    a quarter of peak memory). Problems found later still name their file and line through
    `raw.origins`, which is kept.

    `share`: share equal small values between the model's objects as each entity is
    validated (`lpconvert.compact`), for a model a writer is going to need memory beside.
    """
    from .consistency import check_consistency

    limit = ProblemLimit()
    # The reader's problems go through the same cap: a hostile archive with a million stray
    # files must not become a million Problem objects.
    problems: list[Problem] = [p for p in raw.problems if limit.admit(p)]
    data = raw.data if isinstance(raw.data, dict) else {}

    meta = None
    if data.get("meta") is not None:
        meta = _validate_piece(Meta, data["meta"], raw, ("meta",), problems, limit)

    lp = None
    if "learning_package" in data:
        lp = _validate_piece(LearningPackage, data["learning_package"], raw, ("learning_package",), problems, limit)
    elif not has_errors(raw.problems):
        problems.append(error("missing-field", "the package has no learning_package (key and title)"))

    entities: list[Entity] = []
    entity_locs: list[int] = []
    invalid_keys: set[str] = set()
    raw_entities = _as_list(raw, data, "entities", problems)
    for i, item in enumerate(raw_entities):
        ent = _validate_piece(Entity, item, raw, ("entities", i), problems, limit)
        if ent is not None:
            if share is not None:
                share.entity(ent)
            entities.append(ent)
            entity_locs.append(i)
        elif isinstance(item, dict) and isinstance(item.get("key"), str):
            invalid_keys.add(item["key"])  # its own errors are reported; its users should not cascade
        raw_entities[i] = None  # validated: its raw dicts can go (a quarter of the peak at 100K)

    collections: list[Collection] = []
    collection_locs: list[int] = []
    for i, item in enumerate(_as_list(raw, data, "collections", problems)):
        col = _validate_piece(Collection, item, raw, ("collections", i), problems, limit)
        if col is not None:
            if share is not None:
                share.collection(col)
            collections.append(col)
            collection_locs.append(i)

    root = None
    if data.get("root") is not None:
        root = _validate_piece(PackageRoot, data["root"], raw, ("root",), problems, limit)

    rest = {k: v for k, v in data.items()
            if k not in ("meta", "learning_package", "entities", "collections", "root")}
    top = None
    try:
        top = CompletePackageInput.model_validate(
            {"learning_package": {"key": "k", "title": "t"}, **rest})
    except ValidationError as exc:
        problems.extend(_schema_problems(raw, (), exc, limit))

    # unknown fields -----------------------------------------------------------------------
    problems += _unknown_field_warnings(raw, (), top)
    problems += _unknown_field_warnings(raw, ("meta",), meta)
    problems += _unknown_field_warnings(raw, ("learning_package",), lp)
    problems += _unknown_field_warnings(raw, ("root",), root)
    for i, ent in zip(entity_locs, entities):
        problems += _unknown_field_warnings(raw, ("entities", i), ent)
        for j, ver in enumerate(ent.versions):
            problems += _unknown_field_warnings(raw, ("entities", i, "versions", j), ver)
    for i, col in zip(collection_locs, collections):
        problems += _unknown_field_warnings(raw, ("collections", i), col)

    # consistency over every valid piece ----------------------------------------------------
    problems += check_consistency(raw, entities, entity_locs, collections, collection_locs, root, limit,
                                  files=top.files if top is not None else None, invalid_keys=invalid_keys)
    problems += limit.overflow()

    if strict:
        problems = [p.as_error() for p in problems]
    if has_errors(problems) or lp is None or top is None:
        return None, problems
    extras = dict(top.model_extra or {})
    model = CompletePackageInput.model_construct(
        meta=meta, learning_package=lp, entities=entities, collections=collections, root=root,
        files=top.files, **extras,
    )
    if share is not None:
        share.package_parts(model)
    return model, problems


def revalidate(model: CompletePackageInput) -> list[Problem]:
    """Consistency problems of an already-built model (after a merge or a paste)."""
    raw = RawPackage(data=model.model_dump(mode="python"))
    return validate_raw(raw)[1]


__all__ = ["validate_raw", "revalidate", "paused_gc"]
