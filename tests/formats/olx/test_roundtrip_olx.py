"""OLX in the round-trip matrix: every format into OLX and out of it keeps the outline.

OLX is lossy by nature (it renumbers versions, keeps no timestamps, meta, collections or
v2 keys, takes titles from display_name, and wraps loose content in an extra chapter), so
the general matrix in test_roundtrip_matrix.py cannot compare OLX pairs field by field.
What OLX *does* keep is what authors care about, and that is compared here, for every
other format X and both directions (X -> olx and olx -> X):

* every entity reachable from the outline (the root, or every section of a library) comes
  back with the same container type, the same current children in order, the same
  container title, and the same block.xml (as XML, canonicalized);
* every static/ file of a component comes back byte for byte, on the component or, when
  its OLX does not mention it as /static/NAME (a video's `sub="x.srt"`), as a course file
  in the course's static/ folder, which is where OLX keeps it;
* every entity that comes back and existed before is unchanged in those respects;
* nothing but OLX's own wrappers (keys starting `lpconvert_unsorted`) is added.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from helpers.packages import FIXTURES, build
from lxml import etree

import lpconvert
from lpconvert.package import Package
from lpconvert.plugin_manager import get_registry

OTHERS = sorted(s.name for s in get_registry().formats.values()
                if s.can_read and s.can_write and s.name != "olx")
DESTINATION = {"json": "p.json", "sqlite": "p.sqlite", "olx": "p.tar.gz"}
WRAPPER = "lpconvert_unsorted"

pytestmark = pytest.mark.skipif(get_registry().get("olx") is None, reason="olx format not installed")


def _media_picture(package: Package, path: str, media: Any) -> str:
    data = package.read_media(media)
    if path == "block.xml":
        data = etree.tostring(etree.fromstring(data), method="c14n")
    return hashlib.sha256(data).hexdigest()


def picture(package: Package) -> dict[str, Any]:
    """Key -> what OLX keeps of the entity's current version."""
    out: dict[str, Any] = {}
    for entity in package.entities:
        if entity.key.startswith(WRAPPER):
            continue
        version = entity.current_version
        assert version is not None, entity.key
        record: dict[str, Any] = {"type": entity.container_type}
        if entity.container_type:
            record["title"] = version.title
            record["children"] = [c for c in version.children or () if not c.startswith(WRAPPER)]
        else:
            record["block"] = _media_picture(package, "block.xml", version.media["block.xml"])
        out[entity.key] = record
    return out


def static_files(package: Package, keys: set[str] | None = None) -> dict[tuple[str, str], str]:
    """(key, static path) -> digest for the components' current versions."""
    out = {}
    for entity in package.entities:
        version = entity.current_version
        if entity.container_type or version is None or (keys is not None and entity.key not in keys):
            continue
        for path, media in version.media.items():
            if path.startswith("static/"):
                out[(entity.key, path)] = _media_picture(package, path, media)
    return out


def outline(package: Package) -> set[str]:
    """Keys reachable from the root (or from every section when there is no root)."""
    model = package.model
    by_key = model.entity_map()
    start = list(model.root.children) if model.root else [e.key for e in model.entities
                                                           if e.container_type == "section"]
    seen: set[str] = set()
    while start:
        key = start.pop()
        if key in seen or key not in by_key:
            continue
        seen.add(key)
        current = by_key[key].current_version
        start.extend(current.children or () if current else ())
    return seen


def _through(package: Package, fmt: str, tmp: Path, step: str) -> lpconvert.ReadResult:
    dest = tmp / f"{step}-{DESTINATION.get(fmt, fmt + '-tree')}"
    written = lpconvert.write(package, str(dest), fmt)
    assert written.written, [p.render() for p in written.problems]
    back = lpconvert.read(str(dest), fmt)
    assert back.package is not None, [p.render() for p in back.problems if p.is_error][:5]
    return back


def _pairs() -> list[Any]:
    return [pytest.param(a, b, f, id=f"{a}-{b}-{f}")
            for other in OTHERS for a, b in (("olx", other), (other, "olx")) for f in sorted(FIXTURES)]


@pytest.mark.parametrize(("first", "second", "fixture"), _pairs())
def test_olx_pairs_keep_the_outline(first: str, second: str, fixture: str, tmp_path: Path) -> None:
    original = build(fixture)
    before = picture(original)
    reachable = outline(original)
    with _through(original, first, tmp_path, "a") as a:
        with _through(a.package, second, tmp_path, "b") as b:
            after = picture(b.package)
            kept_static = static_files(b.package)
            course_static = {path: _media_picture(b.package, path, m) for path, m in b.package.model.files.items()
                             if path.startswith("static/")}
    for key in sorted(reachable):
        assert after.get(key) == before[key], key
    for key, record in after.items():
        assert key in before, f"{key} was added"
        assert record == before[key], key
    # a file OLX moved to the course's static/ is a package-level file, which a second format
    # may declare it cannot hold (lp-archive does, and warns): then only the component's count
    course_files_kept = "package-files" not in get_registry().get(second).cannot_hold
    for (key, path), digest in static_files(original, reachable).items():
        found = kept_static.get((key, path), course_static.get(path))
        if found is None and not course_files_kept:
            continue
        assert found == digest, f"{key}: {path}"


def test_files_olx_cannot_hold_are_named_in_a_loss(tmp_path: Path) -> None:
    written = lpconvert.write(build("library"), str(tmp_path / "c.tar.gz"), "olx")
    assert written.written
    losses = [p.message for p in written.problems if p.code == "loss"]
    assert any("xblock.v1:problem:q1: hello.txt" in m for m in losses), losses
    assert any("collection" in m for m in losses)
