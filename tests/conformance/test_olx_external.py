"""OLX judged by other people's software: openedx-core's restore (the oracle) and olxcleaner.

Both are slow or optional, so they live apart from tests/formats/olx/test_olx.py and skip cleanly when
the tool is not installed.
"""

from __future__ import annotations

import tarfile
from collections import Counter
from pathlib import Path

import pytest
from helpers.olx_trees import expected_counts, unpack
from helpers.paths import OLX_CORPORA, corpus

import lpconvert

COURSES = [p for p in OLX_CORPORA if "library" not in p.name and "problem-bank" not in p.name]


@pytest.mark.oracle
@pytest.mark.slow
@pytest.mark.parametrize("name", ["openedx-test-course.tar.gz", "olx-example-course.tar.gz",
                                  "openedx-demo-course.tar.gz"])
def test_olx_to_lp_archive_restores_upstream_with_one_entity_per_block(name: str, tmp_path: Path, oracle) -> None:
    archive = corpus(f"olx/{name}")
    expected = expected_counts(unpack(archive, tmp_path / "x"))
    out = tmp_path / "course.zip"
    converted = lpconvert.convert(str(archive), str(out))
    assert converted.ok, [p.render() for p in converted.problems]
    restored = oracle.summary(out)
    kinds = Counter(e["kind"] for e in restored["entities"].values())
    assert dict(kinds) == dict(expected)
    assert restored["title"]
    with lpconvert.read(str(archive)) as ours:
        assert ours.package is not None
        for ent in ours.package.model.entities:
            theirs = restored["entities"][ent.key]
            assert (theirs["draft"] is None, theirs["published"] is None) == (
                ent.draft_version is None, ent.published_version is None), ent.key
            if ent.container_type is None:
                media = next(iter(theirs["versions"].values()))["media"]
                assert set(media) == set(ent.current_version.media), ent.key


def _olxcleaner_errors(course_dir: Path) -> Counter[str]:
    validate = pytest.importorskip("olxcleaner").validate
    _, store, _ = validate(str(course_dir), steps=8)
    return Counter(type(e).__name__ for e in store.errors)


def _course_dir(archive: Path, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return next(p.parent for p in into.rglob("course.xml"))


@pytest.mark.slow
@pytest.mark.parametrize("archive", COURSES, ids=lambda p: p.name)
def test_olxcleaner_finds_no_more_errors_in_written_olx(archive: Path, tmp_path: Path) -> None:
    pytest.importorskip("olxcleaner")
    out = tmp_path / "out.tar.gz"
    assert lpconvert.convert(str(archive), str(out)).ok
    before = _olxcleaner_errors(_course_dir(archive, tmp_path / "a"))
    after = _olxcleaner_errors(_course_dir(out, tmp_path / "b"))
    assert all(after[kind] <= before[kind] for kind in after), (before, after)


@pytest.mark.slow
def test_a_v2_library_written_as_a_course_passes_olxcleaner_structure_checks(tmp_path: Path) -> None:
    pytest.importorskip("olxcleaner")
    out = tmp_path / "course.tar.gz"
    assert lpconvert.convert(str(corpus("lp/upstream-library-backup.zip")), str(out)).ok
    errors = _olxcleaner_errors(_course_dir(out, tmp_path / "b"))
    # (olxcleaner flags every pure XBlock tag as UnexpectedTag, on Studio's own exports too)
    structural = {"MissingFile", "DuplicateURLName", "MissingURLName", "InvalidXML", "BadCourseLink",
                  "InvalidPointer", "TagMismatch", "URLNameMismatch"}
    assert not (set(errors) & structural), errors
