"""Sharing equal values in a read model (`lpconvert.compact`): less memory, nothing else changed.

A read package's model is compacted (`lpconvert.read`); these tests compare it with the
same source validated without compaction (`validate_raw` on the reader's output) and check
that what is shared is never written through.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from helpers.paths import FIXTURES, corpus

import lpconvert
from lpconvert.api import detect_format
from lpconvert.formats import ReadOptions
from lpconvert.progress import NullProgress
from lpconvert.storage import open_source
from lpconvert.validation import validate_raw

SOURCES = [
    FIXTURES / "lp-archive" / "small-library",
    FIXTURES / "json" / "small-library.json",
    FIXTURES / "olx" / "tiny-course",
]


def _uncompacted(source: Path):  # type: ignore[no-untyped-def]
    src = open_source(str(source))
    raw = detect_format(src).load_reader()(src, ReadOptions(progress=NullProgress(), extra={}))
    model, problems = validate_raw(raw)
    assert model is not None, problems
    return model


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_a_read_model_equals_the_uncompacted_one(source: Path) -> None:
    with lpconvert.read(str(source)) as result:
        assert result.package is not None
        read = result.package.model
        plain = _uncompacted(source)
        assert read.model_dump(mode="json") == plain.model_dump(mode="json")
        assert [e.model_fields_set for e in read.entities] == [e.model_fields_set for e in plain.entities]
        assert [v.model_extra for e in read.entities for v in e.versions] == \
            [v.model_extra for e in plain.entities for v in e.versions]


def test_versions_share_one_field_set_per_shape() -> None:
    with lpconvert.read(str(corpus("lp/synth-1000.zip"))) as result:
        assert result.package is not None
        versions = [v for e in result.package.entities for v in e.versions]
        shapes = {frozenset(v.model_fields_set) for v in versions}
        objects = {id(v.model_fields_set) for v in versions}
        assert len(versions) > 1000
        assert len(objects) == len(shapes)


def test_copying_a_compacted_version_leaves_the_others_alone() -> None:
    with lpconvert.read(str(FIXTURES / "lp-archive" / "small-library")) as result:
        assert result.package is not None
        versions = [v for e in result.package.entities for v in e.versions]
        before = [set(v.model_fields_set) for v in versions]
        copy = versions[0].model_copy(update={"created": None, "zzz_extra": 1})
        assert "created" in copy.model_fields_set
        assert [set(v.model_fields_set) for v in versions] == before
        assert all("zzz_extra" not in (v.model_extra or {}) for v in versions)


def test_a_converted_package_is_byte_for_byte_what_the_uncompacted_model_writes(tmp_path: Path) -> None:
    source = corpus("lp/synth-1000.zip")
    compacted, plain = tmp_path / "compacted.tar.gz", tmp_path / "plain.tar.gz"
    assert lpconvert.convert(str(source), str(compacted)).ok
    with lpconvert.read(str(source)) as result:
        assert result.package is not None
        result.package.model = _uncompacted(source)
        assert lpconvert.write(result.package, str(plain)).ok
    assert hashlib.sha256(compacted.read_bytes()).digest() == hashlib.sha256(plain.read_bytes()).digest()


def test_equal_instants_keep_their_own_offsets(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "json" / "small-library.json").read_text())
    stamps = ["2026-02-01T09:12:00+00:00", "2026-02-01T11:12:00+02:00"]
    entity = data["entities"][0]
    entity["created"] = stamps[0]
    entity["versions"][0]["created"] = stamps[1]
    source = tmp_path / "offsets.json"
    source.write_text(json.dumps(data))
    with lpconvert.read(str(source)) as result:
        assert result.package is not None
        read = result.package.entities[0]
        assert [read.created.isoformat(), read.versions[0].created.isoformat()] == stamps
