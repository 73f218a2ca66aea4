"""Common Cartridges judged by other people's software: openedx-core's restore (the oracle) and olxcleaner.

Slow or optional, so apart from tests/formats/imscc/test_imscc.py; they skip cleanly when the tool is missing.
"""

from __future__ import annotations

import tarfile
from collections import Counter
from pathlib import Path

import pytest
from helpers.paths import corpus
from helpers.imscc import CARTRIDGES, expected_kinds, imscc_format  # noqa: F401  (the fixture registers the plugin)

import lpconvert

KIND_NAMES = {"xblock.v1:html": "html", "xblock.v1:problem": "problem", "xblock.v1:discussion": "discussion",
              "xblock.v1:lti_consumer": "lti_consumer"}

ACCEPTED_OLXCLEANER = {
    # A cartridge has no course end date and no course image; lpconvert invents neither.
    ("InvalidSetting", "'end'"), ("InvalidSetting", "'course_image'"),
    # An LTI link's passport (key and secret) is never in a cartridge; the reader says to re-enter it.
    ("InvalidSetting", "'lti_id'"),
}


@pytest.mark.oracle
@pytest.mark.slow
@pytest.mark.parametrize("name", CARTRIDGES)
def test_every_cartridge_converts_to_an_lp_archive_upstream_restores(name: str, tmp_path: Path, oracle) -> None:
    path = corpus(f"cc/{name}")
    out = tmp_path / "course.zip"
    converted = lpconvert.convert(str(path), str(out))
    assert converted.ok, [p.render() for p in converted.problems]
    restored = oracle.summary(out)
    components = Counter(KIND_NAMES.get(e["kind"], e["kind"]) for e in restored["entities"].values()
                         if e["kind"] not in ("section", "subsection", "unit"))
    assert components == expected_kinds(path)


def _olxcleaner_errors(archive: Path, into: Path) -> list[tuple[str, str]]:
    validate = pytest.importorskip("olxcleaner").validate
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    course = next(p.parent for p in into.rglob("course.xml"))
    _, store, _ = validate(str(course), steps=8)
    return [(type(e).__name__, e.description) for e in store.errors
            if str(getattr(e.level, "name", e.level)) == "ERROR"]


@pytest.mark.slow
@pytest.mark.parametrize("name", CARTRIDGES)
def test_every_cartridge_converts_to_olx_that_olxcleaner_accepts(name: str, tmp_path: Path) -> None:
    pytest.importorskip("olxcleaner")
    out = tmp_path / "course.tar.gz"
    converted = lpconvert.convert(str(corpus(f"cc/{name}")), str(out))
    assert converted.ok, [p.render() for p in converted.problems]
    errors = _olxcleaner_errors(out, tmp_path / "x")
    unexpected = [(kind, text) for kind, text in errors
                  if not any(kind == k and part in text for k, part in ACCEPTED_OLXCLEANER)]
    assert unexpected == []
