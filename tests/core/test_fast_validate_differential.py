"""`validate` without pydantic reports exactly what the pydantic path reports (issue 16).

`api.validate` takes `lpconvert.fastcheck` and falls back to the model only when the fast
check has a doubt; `api.read` always builds the model. Both must give the same problems, in
the same order, for every bundled fixture, every real corpus input and many broken variants;
and wherever the fast check decides alone, its verdict must be the model's.
"""

from __future__ import annotations

import copy
import json
import math
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from lpconvert import api
from lpconvert.fastcheck import validate_fast
from lpconvert.formats import ReadOptions
from lpconvert.package import RawPackage
from lpconvert.storage import open_source
from lpconvert.validation import validate_raw

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
CORPORA = ROOT.parent / "shared" / "corpora"

INPUTS = [
    FIXTURES / "lp-archive" / "small-library",
    FIXTURES / "olx" / "tiny-course",
    FIXTURES / "olx" / "inline-course",
    FIXTURES / "json" / "small-library.json",
    FIXTURES / "sqlite" / "small-library.sqlite",
    FIXTURES / "sections" / "small-library",
    FIXTURES / "sections" / "hand-written",
    *sorted((CORPORA / "olx").glob("*.tar.gz")),
    *sorted((CORPORA / "lp").glob("*.zip")),
    *sorted((CORPORA / "cc").glob("*.imscc")),
]


def _key(p: Any) -> tuple[Any, ...]:
    return (p.severity, p.code, p.message, p.file, p.field, p.line, getattr(p, "media_line", None))


def _same_report(source: str, strict: bool = False) -> api.ValidationResult:
    fast = api.validate(source, strict=strict)
    with api.read(source, strict=strict) as slow:
        assert [_key(p) for p in fast.problems] == [_key(p) for p in slow.problems]
        assert fast.valid == (slow.package is not None)
        assert fast.format == slow.format
    return fast


def _raw(source: str | Path) -> RawPackage:
    src = open_source(str(source))
    spec = api.detect_format(src)
    if spec is None:  # a Common Cartridge where the imscc plugin is not installed
        pytest.skip(f"no installed format reads {source}")
    return spec.load_reader()(src, ReadOptions())


@pytest.mark.parametrize("source", [p for p in INPUTS if p.exists()], ids=lambda p: p.name)
def test_every_fixture_and_corpus_input_gets_the_same_report(source: Path) -> None:
    _same_report(str(source))
    _same_report(str(source), strict=True)


@pytest.mark.parametrize("source", [p for p in INPUTS if p.exists()], ids=lambda p: p.name)
def test_the_fast_check_decides_alone_on_every_valid_real_package(source: Path) -> None:
    """Else validate would still import pydantic: the speed would be lost without a sound."""
    assert validate_fast(_raw(source)) is not None


@pytest.mark.parametrize("course", sorted((CORPORA / "olx").glob("*.tar.gz")), ids=lambda p: p.name)
def test_an_unpacked_course_folder_gets_the_same_report(course: Path, tmp_path: Path) -> None:
    shutil.unpack_archive(course, tmp_path)
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    _same_report(str(folder))


# --------------------------------------------------------------------------- broken variants

SMALL_JSON = json.loads((FIXTURES / "json" / "small-library.json").read_text(encoding="utf-8"))

ODD_VALUES: list[Any] = [
    None, "", " ", "\u00a0", "\x1c", "x", "lib:Example:SMALL", 0, -1, 1, 2, 2**70, True, False, 1.0, 1.5,
    math.nan, math.inf, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00", "2026-02-30T00:00:00Z",
    "2026-01-01T00:00:00.1234567+01:00", "2026-01-01 00:00:00Z", "2026-01-01T00:00Z", "2026-01-01",
    "2026-01-01T00:00:00+05:60", "2026-01-01T00:00:00+05:99", "2026-01-01T00:00:00-23:59",
    "2026-01-01T23:59:60Z", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "9999-12-31T23:59:59-01:00",
    "2026-01-01t00:00:00z", "2026-01-01T00:00:00+0500", "1700000000", 1700000000, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1),
    datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=5))), [], ["a"], [1], [None], {}, {"a": 1},
    {"text": "<html/>"}, {"resource": "r"}, {"base64": "aGk="}, {"base64": "a\u00a0b"}, {"text": 1},
    {"resource": "r", "size": -1}, {"resource": "r", "text": "t"}, ("a",), b"bytes", "a@b.c", "a@b",
    "a\u00a0b@c.d", "unit", "section", "course", "Unit", "bad key!", "key.with-dots_1", "a\n", "x\ny",
]


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every location in a JSON document, containers and leaves alike."""
    out = [path] if path else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, path + (i,))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    doc = copy.deepcopy(doc)
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = copy.deepcopy(value)
    return doc


def _delete(doc: Any, path: tuple[Any, ...]) -> Any:
    doc = copy.deepcopy(doc)
    node = doc
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return doc


def _both_paths(data: Any, origins_from: RawPackage) -> tuple[list[Any] | None, list[Any]]:
    fast = validate_fast(RawPackage(data=copy.deepcopy(data), origins=origins_from.origins,
                                    resources=origins_from.resources))
    _, slow = validate_raw(RawPackage(data=copy.deepcopy(data), origins=origins_from.origins,
                                      resources=origins_from.resources))
    return fast, slow


def _variants() -> list[Any]:
    """The small library with one value replaced (by every odd value), one field removed, or one
    unknown field added, at every location: bad types, missing fields, bad dates, broken references."""
    out = []
    for path in _paths(SMALL_JSON):
        out.append(_delete(SMALL_JSON, path))
        for value in ODD_VALUES:
            out.append(_set(SMALL_JSON, path, value))
        if not isinstance(path[-1], int):
            out.append(_set(SMALL_JSON, path[:-1] + (str(path[-1]) + "_",), 1))
    return out


def test_where_the_fast_check_decides_its_report_is_the_models() -> None:
    reference = _raw(FIXTURES / "json" / "small-library.json")
    decided = fell_back = 0
    for data in _variants():
        fast, slow = _both_paths(data, reference)
        if fast is None:
            fell_back += 1
            continue
        decided += 1
        assert [_key(p) for p in fast] == [_key(p) for p in slow], json.dumps(data, default=str)[:400]
    # Both outcomes must really be exercised: warnings-only variants decided fast, broken ones not.
    assert decided > 100 and fell_back > 100


def test_a_schema_error_always_falls_back_to_the_models_report() -> None:
    reference = _raw(FIXTURES / "json" / "small-library.json")
    for data in _variants():
        fast, slow = _both_paths(data, reference)
        schema_codes = {"missing-field", "invalid-value", "naive-datetime", "unknown-container-type"}
        if any(p.code in schema_codes and p.is_error for p in slow):
            assert fast is None


BROKEN_JSON = {
    "a component under a section": lambda d: d["entities"][2]["versions"][0].update(
        children=["xblock.v1:html:intro"]),
    "a dangling child": lambda d: d["entities"][0]["versions"][0]["children"].append("nowhere"),
    "a duplicate key": lambda d: d["entities"].append(copy.deepcopy(d["entities"][0])),
    "a naive date": lambda d: d["entities"][0].update(created="2026-02-01T09:12:00"),
    "a string version number": lambda d: d["entities"][0]["versions"][0].update(version_num="2"),
    "no title": lambda d: d["learning_package"].pop("title"),
    "an unknown field": lambda d: d["entities"][0].update(containr_type="unit"),
    "a bad collection key": lambda d: d["collections"][0].update(key="has space") if d.get("collections") else None,
}


@pytest.mark.parametrize("name", sorted(BROKEN_JSON))
def test_a_broken_json_package_gets_the_same_report_end_to_end(name: str, tmp_path: Path) -> None:
    doc = copy.deepcopy(SMALL_JSON)
    BROKEN_JSON[name](doc)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    _same_report(str(path))


BROKEN_TOML = {
    "a string where a number belongs": ("version_num = 1", 'version_num = "1"'),
    "a missing title": ("title = ", "titel = "),
    "a naive date": ("Z\n", "\n"),
    "a dangling child": ("children = [", 'children = ["lct:nowhere:unit:x", '),
}


@pytest.mark.parametrize("name", sorted(BROKEN_TOML))
def test_a_broken_lp_archive_gets_the_same_report_end_to_end(name: str, tmp_path: Path) -> None:
    folder = tmp_path / "lib"
    shutil.copytree(FIXTURES / "lp-archive" / "small-library", folder)
    old, new = BROKEN_TOML[name]
    changed = 0
    for toml in sorted(folder.rglob("*.toml")):
        text = toml.read_text(encoding="utf-8")
        if old in text:
            toml.write_text(text.replace(old, new, 1), encoding="utf-8")
            changed += 1
            break
    assert changed
    result = _same_report(str(folder))
    assert result.problems  # each variant is really broken
