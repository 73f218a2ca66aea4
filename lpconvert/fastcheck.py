"""Validation without pydantic: a structural check of a reader's raw data, for `validate`.

Why: `lpconvert validate` on a real course export reads a few hundred components, which
costs less than importing pydantic and building the hub model's validators (about 0.2 s
before any work: docs/performance.md, issue 16). `validate` builds no model a writer would
use, so it need not pay for one.

The rule that keeps this safe: the fast path *decides*, it never *reports* schema errors.
`SCHEMA` mirrors `lpconvert.model` field for field and constraint for constraint, and every
check here is at least as strict as pydantic's (a value pydantic might coerce, such as a
number given for a date, is refused here). When the raw data passes, pydantic would accept
it too, so the only problems are the reader's, the unknown-field warnings and the
consistency checks, all produced here exactly as `validate_raw` produces them. When it does
not pass (or holds anything this module does not fully understand), `validate_fast` returns
None and the caller runs `validate_raw`, so an error report is always pydantic's, word for
word. tests/core/test_fast_validate_mirror.py checks `SCHEMA` against the model's own
schema; tests/core/test_fast_validate_differential.py checks both paths agree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .consistency import check_consistency
from .package import Loc, RawPackage
from .problems import Problem, ProblemLimit
from .unknown_fields import unknown_field_warnings


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""The default of a field that has none."""


@dataclass(frozen=True)
class Rule:
    """What one field of the hub model accepts, in the model's own terms.

    `kind`: ``str``, ``int``, ``bool``, ``datetime`` (timezone-aware), ``str-list``,
    ``json-map`` (str -> JSON value), ``media-map`` (str -> media file), or the name of a
    nested model (``Meta``...), ``list:<model>`` for a list of them.
    """

    kind: str
    default: Any = REQUIRED
    nullable: bool = False
    min_length: int | None = None
    pattern: str | None = None
    ge: int | None = None
    le: int | None = None
    choices: tuple[str, ...] | None = None


NON_BLANK = r"\S"
COLLECTION_KEY = r"^[a-zA-Z0-9_.-]+$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
BASE64 = r"^[A-Za-z0-9+/=\s]*$"
_DT: dict[str, Any] = {"default": None, "nullable": True}

SCHEMA: dict[str, dict[str, Rule]] = {
    "Meta": {
        "format_version": Rule("int", default=1, ge=1, le=1),
        "created_by": Rule("str", default=None, nullable=True),
        "created_by_email": Rule("str", default=None, nullable=True, pattern=EMAIL),
        "created_at": Rule("datetime", **_DT),
        "origin_server": Rule("str", default=None, nullable=True),
    },
    "LearningPackage": {
        "key": Rule("str", min_length=1),
        "title": Rule("str", min_length=1, pattern=NON_BLANK),
        "description": Rule("str", default=""),
        "created": Rule("datetime", **_DT),
        "updated": Rule("datetime", **_DT),
    },
    "EntityVersion": {
        "version_num": Rule("int", ge=1),
        "title": Rule("str"),
        "created": Rule("datetime", **_DT),
        "children": Rule("str-list", default=None, nullable=True),
        "media": Rule("media-map", default={}),
        "attributes": Rule("json-map", default={}),
    },
    "Entity": {
        "key": Rule("str", min_length=1),
        "container_type": Rule("str", default=None, nullable=True, choices=("section", "subsection", "unit")),
        "can_stand_alone": Rule("bool", default=True),
        "created": Rule("datetime", **_DT),
        "draft_version": Rule("int", default=None, nullable=True, ge=1),
        "published_version": Rule("int", default=None, nullable=True, ge=1),
        "versions": Rule("list:EntityVersion", default=[]),
    },
    "Collection": {
        "key": Rule("str", pattern=COLLECTION_KEY),
        "title": Rule("str", min_length=1, pattern=NON_BLANK),
        "description": Rule("str", default=""),
        "created": Rule("datetime", **_DT),
        "entities": Rule("str-list", default=[]),
    },
    "PackageRoot": {
        "kind": Rule("str", min_length=1),
        "attributes": Rule("json-map", default={}),
        "children": Rule("str-list", default=[]),
    },
    "CompletePackageInput": {
        "meta": Rule("Meta", default=None, nullable=True),
        "learning_package": Rule("LearningPackage"),
        "entities": Rule("list:Entity", default=[]),
        "collections": Rule("list:Collection", default=[]),
        "root": Rule("PackageRoot", default=None, nullable=True),
        "files": Rule("media-map", default={}),
    },
}
"""The hub model (`lpconvert.model`), field by field; media files are `MEDIA` (they forbid extras)."""

MEDIA: dict[str, dict[str, Rule]] = {
    "ResourceMedia": {"resource": Rule("str"), "size": Rule("int", default=None, nullable=True)},
    "TextMedia": {"text": Rule("str")},
    "BinaryMedia": {"base64": Rule("str", pattern=BASE64)},
}


# --------------------------------------------------------------------------- value checks
# Each is at least as strict as pydantic's for the same annotation; doubt means False.

_INT_LIMIT = 1 << 63
_AWARE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)")
"""What both Python and pydantic read as an aware datetime; `fromisoformat` then checks the
calendar. The offset is spelt out: Python takes ``+05:60`` as +06:00, pydantic refuses it."""
# Python's \s is wider than pydantic's (Rust's): a pattern with \s is spelled out narrower here.
_PATTERNS: dict[str, Callable[[str], bool]] = {
    NON_BLANK: lambda s: not s.isspace() and s != "",  # a non-space char for Python is one for Rust too
    COLLECTION_KEY: re.compile(r"[a-zA-Z0-9_.-]+").fullmatch,  # type: ignore[dict-item]
    EMAIL: re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+").fullmatch,  # type: ignore[dict-item]
    BASE64: re.compile(r"[A-Za-z0-9+/= \t\n\r\f\v]*").fullmatch,  # type: ignore[dict-item]
}


def _is_unicode(s: str) -> bool:
    """No lone surrogate: what pydantic can pass to its (Rust) constraint checks."""
    if s.isascii():
        return True
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_int(v: object) -> bool:
    return type(v) is int and -_INT_LIMIT < v < _INT_LIMIT  # type: ignore[operator]


def _is_aware(v: object) -> bool:
    if isinstance(v, datetime):
        return v.tzinfo is not None and v.utcoffset() is not None
    if type(v) is str and _AWARE.fullmatch(v):
        try:
            return datetime.fromisoformat(v).tzinfo is not None
        except ValueError:
            return False
    return False


def _is_json(v: object, depth: int = 0) -> bool:
    t = type(v)
    if v is None or t is str or t is bool:
        return True
    if t is int:
        return _is_int(v)
    if t is float:
        return math.isfinite(v)  # type: ignore[arg-type]
    if depth > 200:
        return False
    if t is list:
        return all(_is_json(x, depth + 1) for x in v)  # type: ignore[attr-defined]
    if t is dict:
        return all(type(k) is str and _is_json(x, depth + 1) for k, x in v.items())  # type: ignore[attr-defined]
    return False


def _is_str_list(v: object) -> bool:
    return type(v) is list and all(isinstance(x, str) for x in v)


def _scalar_check(rule: Rule) -> Callable[[Any], bool]:
    """A predicate for a str/int/bool/datetime rule, constraints included (None not included)."""
    if rule.kind == "str":
        pattern = _PATTERNS[rule.pattern] if rule.pattern else None
        low = rule.min_length or 0
        choices = rule.choices
        if choices is not None:  # a Literal: the exact strings, no subclass
            return lambda v: type(v) is str and v in choices
        if pattern is None and not low:
            return lambda v: isinstance(v, str)
        # A constrained string is handed to Rust, which refuses a lone surrogate ("\ud800").
        return lambda v: (isinstance(v, str) and len(v) >= low and (pattern is None or bool(pattern(v)))
                          and _is_unicode(v))
    if rule.kind == "int":
        ge = rule.ge if rule.ge is not None else -_INT_LIMIT
        le = rule.le if rule.le is not None else _INT_LIMIT
        return lambda v: _is_int(v) and ge <= v <= le
    if rule.kind == "bool":
        return lambda v: type(v) is bool
    if rule.kind == "datetime":
        return _is_aware
    if rule.kind == "str-list":
        return _is_str_list
    if rule.kind == "json-map":
        return lambda v: type(v) is dict and all(type(k) is str and _is_json(x) for k, x in v.items())
    raise ValueError(f"no scalar check for {rule.kind!r}")


# --------------------------------------------------------------------------- what consistency reads
# The consistency checks read the same attribute names from these as from the models.

class _Resource:
    __slots__ = ("resource", "size")

    def __init__(self, resource: str, size: int | None) -> None:
        self.resource, self.size = resource, size


class _Text:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _Binary:
    __slots__ = ("base64",)

    def __init__(self, b64: str) -> None:
        self.base64 = b64

    def decode(self) -> bytes:
        import base64

        return base64.b64decode(self.base64)


class _Fields:
    """A checked piece of the package: its fields (defaults filled in) as attributes."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.__dict__.update(fields)

    def __getattr__(self, name: str) -> Any:  # only for a field that is not there; tells mypy the rest exist
        raise AttributeError(name)


class _Doubt(Exception):
    """The raw data is not certainly valid: leave the verdict (and the report) to pydantic."""


class _Checker:
    """Checks raw data against `SCHEMA`, building `_Fields` views and noting unknown fields."""

    def __init__(self) -> None:
        self.compiled = {name: self._compile(fields) for name, fields in SCHEMA.items()}
        self.known = {name: list(fields) for name, fields in SCHEMA.items()}
        self.media_rules = {name: {f: (_scalar_check(r), r) for f, r in fields.items()}
                            for name, fields in MEDIA.items()}
        self.extras: list[tuple[Loc, list[str], list[str]]] = []

    def _compile(self, fields: dict[str, Rule]) -> list[tuple[str, Rule, Callable[[Any, Loc], Any]]]:
        return [(name, rule, self._field_check(rule)) for name, rule in fields.items()]

    def _field_check(self, rule: Rule) -> Callable[[Any, Loc], Any]:
        """(value, loc) -> the value the view holds; raises `_Doubt` when the value may be invalid."""
        kind = rule.kind
        if kind == "media-map":
            return self._media_map
        if kind.startswith("list:"):
            model = kind[5:]

            def items(v: Any, loc: Loc) -> list[Any]:
                if type(v) is not list:
                    raise _Doubt
                return [self.piece(model, x, loc + (i,)) for i, x in enumerate(v)]
            return items
        if kind in SCHEMA:
            return lambda v, loc: self.piece(kind, v, loc)
        ok = _scalar_check(rule)

        def scalar(v: Any, loc: Loc) -> Any:
            if not ok(v):
                raise _Doubt
            return v
        return scalar

    def piece(self, model: str, data: Any, loc: Loc, skip: tuple[str, ...] = ()) -> _Fields:
        """One model's raw dict, checked; unknown fields noted in the order pydantic keeps them."""
        if type(data) is not dict:
            raise _Doubt
        out: dict[str, Any] = {}
        for name, rule, check in self.compiled[model]:
            if name in skip:
                continue
            value = data.get(name, REQUIRED)
            if value is REQUIRED:
                if rule.default is REQUIRED:
                    raise _Doubt
                out[name] = rule.default
            elif value is None and rule.nullable:
                out[name] = None
            else:
                out[name] = check(value, loc + (name,))
        known = self.known[model]
        extra = [k for k in data if k not in out and k not in skip]
        if extra:
            if not all(type(k) is str for k in extra):
                raise _Doubt
            self.extras.append((loc, extra, known))
        return _Fields(out)

    def _media_map(self, v: Any, loc: Loc) -> dict[str, Any]:
        if type(v) is not dict:
            raise _Doubt
        return {path: self._media(path, m) for path, m in v.items()}

    def _media(self, path: object, m: Any) -> object:
        if not isinstance(path, str) or type(m) is not dict:
            raise _Doubt
        kind = "ResourceMedia" if "resource" in m else "TextMedia" if "text" in m else "BinaryMedia"
        rules = self.media_rules[kind]
        for name, value in m.items():
            if name not in rules:
                raise _Doubt  # media files forbid extras; a mix of shapes is pydantic's to word
            ok, rule = rules[name]
            if not (ok(value) or (value is None and rule.nullable)):
                raise _Doubt
        if kind == "ResourceMedia":
            return _Resource(m["resource"], m.get("size"))
        if kind == "TextMedia":
            return _Text(m["text"])
        if "base64" not in m:
            raise _Doubt
        return _Binary(m["base64"])


_CHECKER: _Checker | None = None
_PARTS = ("meta", "learning_package", "entities", "collections", "root")


def validate_fast(raw: RawPackage, *, strict: bool = False) -> list[Problem] | None:
    """Every problem `validate_raw` would report, or None when only pydantic may decide.

    None means the raw data may break the model's schema: the caller validates it with
    `validate_raw`, which reports every schema error. Otherwise the problems are identical,
    in the same order, to `validate_raw(raw, strict=strict)[1]`.
    """
    global _CHECKER
    data = raw.data
    if type(data) is not dict or data.get("learning_package") is None:
        return None
    if _CHECKER is None:
        _CHECKER = _Checker()
    checker = _CHECKER
    checker.extras = []
    try:
        # In validate_raw's order: meta, the learning package, entities, collections, root, the rest.
        top = checker.piece("CompletePackageInput", data, (), skip=_PARTS)
        meta = checker.piece("Meta", data["meta"], ("meta",)) if data.get("meta") is not None else None
        checker.piece("LearningPackage", data["learning_package"], ("learning_package",))
        entities = _list_of(checker, "Entity", data.get("entities"), "entities")
        collections = _list_of(checker, "Collection", data.get("collections"), "collections")
        root = checker.piece("PackageRoot", data["root"], ("root",)) if data.get("root") is not None else None
    except (_Doubt, RecursionError):
        return None
    del meta
    limit = ProblemLimit()
    problems: list[Problem] = [p for p in raw.problems if limit.admit(p)]
    for loc, names, known in _warning_order(checker.extras):
        problems += unknown_field_warnings(raw, loc, names, known)
    problems += check_consistency(raw, entities, list(range(len(entities))),  # type: ignore[arg-type]
                                  collections, list(range(len(collections))), root, limit,  # type: ignore[arg-type]
                                  files=top.files)
    problems += limit.overflow()
    if strict:
        problems = [p.as_error() for p in problems]
    return problems


def _list_of(checker: _Checker, model: str, value: Any, name: str) -> list[_Fields]:
    if value is None:
        return []
    if type(value) is not list:
        raise _Doubt
    return [checker.piece(model, x, (name, i)) for i, x in enumerate(value)]


def _warning_order(extras: list[tuple[Loc, list[str], list[str]]]) -> list[tuple[Loc, list[str], list[str]]]:
    """Unknown fields in validate_raw's order: the top, meta, learning package, root, then each
    entity followed by its versions, then collections (checking met them in another order)."""
    def rank(loc: Loc) -> tuple[int, Loc]:
        head = loc[0] if loc else ""
        order = {"": 0, "meta": 1, "learning_package": 2, "root": 3, "entities": 4, "collections": 5}
        return order[head], loc  # type: ignore[index, return-value]
    return sorted(extras, key=lambda e: rank(e[0]))


__all__ = ["MEDIA", "REQUIRED", "SCHEMA", "Rule", "validate_fast"]
