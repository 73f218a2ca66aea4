"""`lpconvert.fastcheck.SCHEMA` mirrors the hub model, and `validate` imports no pydantic (issue 16).

The fast check is only safe while it is at least as strict as the model: a field added,
removed, retyped or constrained in `lpconvert.model` without the same change in the mirror
fails here, before it can let an invalid package through `validate`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import pytest

from lpconvert import model
from lpconvert.fastcheck import MEDIA, REQUIRED, SCHEMA, Rule

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT.parent / "shared" / "corpora"
MEDIA_REFS = [{"$ref": f"#/$defs/{name}"} for name in ("ResourceMedia", "TextMedia", "BinaryMedia")]


def _json_schema_of(rule: Rule) -> dict[str, Any]:
    """What pydantic's JSON Schema says for a field with this rule (titles and defaults aside)."""
    kind = rule.kind
    out: dict[str, Any]
    if kind == "str" and rule.choices:
        out = {"enum": list(rule.choices), "type": "string"}
    elif kind == "str":
        out = {"type": "string"}
    elif kind == "int":
        out = {"type": "integer"}
    elif kind == "bool":
        out = {"type": "boolean"}
    elif kind == "datetime":
        out = {"format": "date-time", "type": "string"}
    elif kind == "str-list":
        out = {"items": {"type": "string"}, "type": "array"}
    elif kind == "json-map":
        out = {"additionalProperties": {"$ref": "#/$defs/JsonValue"}, "type": "object"}
    elif kind == "media-map":
        out = {"additionalProperties": {"anyOf": MEDIA_REFS}, "type": "object"}
    elif kind.startswith("list:"):
        out = {"items": {"$ref": f"#/$defs/{kind[5:]}"}, "type": "array"}
    else:
        out = {"$ref": f"#/$defs/{kind}"}
    if rule.min_length is not None:
        out["minLength"] = rule.min_length
    if rule.pattern is not None:
        out["pattern"] = rule.pattern
    if rule.ge is not None:
        out["minimum"] = rule.ge
    if rule.le is not None:
        out["maximum"] = rule.le
    return {"anyOf": [out, {"type": "null"}]} if rule.nullable else out


def _plain(node: Any) -> Any:
    """A property's schema without what does not constrain a value (title, default, description)."""
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items() if k not in ("title", "default", "description")}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


MODEL_SCHEMA = model.CompletePackageInput.model_json_schema(mode="validation")
DEFS = {**MODEL_SCHEMA["$defs"], "CompletePackageInput": MODEL_SCHEMA}
MIRRORS = {**SCHEMA, **MEDIA}


def test_every_model_is_mirrored_and_nothing_else() -> None:
    assert set(DEFS) - {"JsonValue"} == set(MIRRORS)


@pytest.mark.parametrize("name", sorted(MIRRORS))
def test_fields_types_and_constraints_match_the_model(name: str) -> None:
    schema = DEFS[name]
    mirror = MIRRORS[name]
    assert list(mirror) == list(schema["properties"])  # same names, same order (hints use it)
    for field, rule in mirror.items():
        assert _json_schema_of(rule) == _plain(schema["properties"][field]), f"{name}.{field}"
    assert sorted(f for f, r in mirror.items() if r.default is REQUIRED) == sorted(schema.get("required", []))
    # Hub models keep unknown fields (warned about); media files refuse them.
    assert schema["additionalProperties"] is (name in SCHEMA)


@pytest.mark.parametrize("name", sorted(MIRRORS))
def test_defaults_match_the_model(name: str) -> None:
    cls = getattr(model, name)
    for field, info in cls.model_fields.items():
        rule = MIRRORS[name][field]
        if rule.default is REQUIRED:
            assert info.is_required(), f"{name}.{field}"
        else:
            assert info.get_default(call_default_factory=True) == rule.default, f"{name}.{field}"


@pytest.mark.parametrize("name", sorted(MIRRORS))
def test_the_model_has_no_validator_the_mirror_cannot_see(name: str) -> None:
    """A custom validator is invisible to the JSON Schema: the mirror could not follow it."""
    decorators = getattr(model, name).__pydantic_decorators__
    assert not decorators.field_validators and not decorators.model_validators, name


# --------------------------------------------------------------------------- the import diet

@pytest.mark.parametrize("source", [
    ROOT / "fixtures" / "lp-archive" / "small-library",
    ROOT / "fixtures" / "olx" / "tiny-course",
    CORPORA / "olx" / "openedx-demo-course.tar.gz",
], ids=lambda p: p.name)
def test_validate_imports_no_pydantic_and_no_fsspec(source: Path) -> None:
    if not source.exists():
        pytest.skip(f"{source} is not here")
    code = (
        "import sys\n"
        "from lpconvert.cli import main\n"
        f"sys.argv = ['lpconvert', 'validate', '-q', {str(source)!r}]\n"
        "rc = main()\n"
        "print(json.dumps([rc, sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'fsspec',"
        " 'pydantic_core') or m == 'lpconvert.model')]))\n"
    )
    out = subprocess.run([sys.executable, "-c", "import json\n" + code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    rc, heavy = json.loads(out.stdout.strip().splitlines()[-1])
    assert rc == 0
    assert heavy == []


# --------------------------------------------------------------------------- the value checks

def _odd_strings() -> list[str]:
    """Strings around every character Python or Rust might class differently: whitespace,
    controls, separators, and a sample of the rest of the Basic Multilingual Plane."""
    import unicodedata

    chars = [chr(c) for c in range(0x3100) if chr(c).isspace() or unicodedata.category(chr(c))[0] in "CZ"]
    chars += [chr(c) for c in range(0x3100, 0x10000, 97)] + ["\U0001f600", "\ufeff", "\u180e", "\u200b"]
    out = ["", "a", "a@b.c", "a-b_c.d", "aGk=", "a@b", "@b.c"]
    for c in chars:
        out += [c, f"a{c}", f"{c}a", f"a{c}b@c.d", f"a@b{c}.c", f"key{c}1", f"aG{c}k="]
    return out


def _odd_values() -> list[Any]:
    from datetime import UTC, date, datetime, timedelta, timezone

    scalars: list[Any] = [None, True, False, 0, 1, -1, 2, 2**31, 2**63 - 1, 2**63, 2**64, -(2**63), 1.0, 0.5, -0.0,
                          float("nan"), float("inf"), "", "1", "true", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00",
                          "2026-01-01T00:00:00+23:59", "2026-01-01T00:00:00-00:00", "2026-12-31T23:59:59.999999+14:00",
                          datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1),
                          datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-5))), date(2026, 1, 1),
                          b"x", bytearray(b"x"), ("a",), {"a"}, frozenset(), object()]
    nested = [[v] for v in scalars[:25]] + [{"k": v} for v in scalars[:25]] + [{1: "a"}, [[["deep"]]], {"a": {"b": []}}]
    return scalars + nested


def _pydantic_refuses_none_the_fast_check_accepts(name: str, field: str, values: list[Any]) -> None:
    from pydantic import TypeAdapter

    from lpconvert.fastcheck import _scalar_check

    rule = MIRRORS[name][field]
    accepts = _scalar_check(rule)
    info = getattr(model, name).model_fields[field]
    adapter = TypeAdapter(Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation)
    for value in values:
        if accepts(value) or (value is None and rule.nullable):
            adapter.validate_python(value, strict=False)  # raises if pydantic refuses it


SCALAR_FIELDS = [(m, f) for m, fields in MIRRORS.items() for f, r in fields.items()
                 if r.kind in ("int", "bool", "datetime", "str-list", "json-map", "str")]


@pytest.mark.parametrize("name,field", [(m, f) for m, f in SCALAR_FIELDS if MIRRORS[m][f].kind == "str"],
                         ids=lambda x: str(x))
def test_every_string_the_fast_check_accepts_pydantic_accepts(name: str, field: str) -> None:
    """Python's and Rust's regex classes differ (\\s, \\S): the fast check must never be the wider."""
    _pydantic_refuses_none_the_fast_check_accepts(name, field, _odd_strings())


@pytest.mark.parametrize("name,field", SCALAR_FIELDS, ids=lambda x: str(x))
def test_every_value_the_fast_check_accepts_pydantic_accepts(name: str, field: str) -> None:
    _pydantic_refuses_none_the_fast_check_accepts(name, field, _odd_values())
