"""Entities outside every section of a package that has a course root still reach the OLX course.

A cartridge's pages that no module shows, or a JSON course with a component no unit holds,
have a course root *and* loose entities. A course shows only what its chapters hold, so they
go to the "Outside any section" chapter, as a v2 library's do; the loss report (which counts
them as written) stays true. Judged by reading the written OLX back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lpconvert
from lpconvert.model import CompletePackageInput
from lpconvert.package import Package


def _entity(key: str, kind: str | None, children: list[str] | None = None) -> dict[str, Any]:
    version: dict[str, Any] = {"version_num": 1, "title": key}
    if kind is None:
        version["media"] = {"block.xml": {"text": f"<html display_name='{key}'><![CDATA[<p>{key}</p>]]></html>"}}
    else:
        version["children"] = children or []
    ent = {"key": key, "draft_version": 1, "published_version": 1, "versions": [version]}
    if kind is not None:
        ent["container_type"] = kind
    return ent


def test_components_and_sections_outside_the_course_root_are_written_and_read_back(tmp_path: Path) -> None:
    data = {
        "learning_package": {"key": "course-v1:O+C+R", "title": "Course"},
        "entities": [_entity("xblock.v1:html:shown", None), _entity("unit1", "unit", ["xblock.v1:html:shown"]),
                     _entity("seq1", "subsection", ["unit1"]), _entity("ch1", "section", ["seq1"]),
                     _entity("xblock.v1:html:loose", None),
                     _entity("xblock.v1:html:in_other", None), _entity("unit2", "unit", ["xblock.v1:html:in_other"]),
                     _entity("seq2", "subsection", ["unit2"]), _entity("ch_other", "section", ["seq2"])],
        "root": {"kind": "course", "attributes": {"display_name": "Course"}, "children": ["ch1"]},
    }
    package = Package(CompletePackageInput.model_validate(data))
    written = lpconvert.write(package, str(tmp_path / "out"), "olx")
    assert written.ok and not [p.render() for p in written.problems if p.code == "loss"]
    with lpconvert.read(str(tmp_path / "out")) as back:
        assert back.package is not None
        model = back.package.model
        ents = model.entity_map()
        assert {"xblock.v1:html:shown", "xblock.v1:html:loose", "xblock.v1:html:in_other"} <= set(ents)
        assert model.root is not None and model.root.children[:2] == ["ch1", "ch_other"]
        unsorted = ents[model.root.children[2]]
        assert unsorted.current_version.title == "Outside any section"
