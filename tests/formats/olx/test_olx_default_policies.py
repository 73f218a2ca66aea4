"""Studio's default course policy, written by the OLX writer for a course that came from elsewhere.

A package that never was OLX (JSON, sections, a v2 library, a cartridge) has no
policies/RUN/policy.json or grading_policy.json; its OLX gets Studio's defaults for a new
course. A course that has a policy keeps it byte for byte, and an OLX course that had none
comes back without one. The written files are judged by the OLX reader (round trip) and by
olxcleaner, not by the writer's own code.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from helpers.olx_trees import tree_files
from helpers.paths import FIXTURES
from lxml import etree

import lpconvert
from lpconvert.model import CompletePackageInput
from lpconvert.package import Package

TINY = FIXTURES / "olx" / "tiny-course"
INLINE = FIXTURES / "olx" / "inline-course"


def _component(key: str, olx: str) -> dict[str, Any]:
    return {"key": key, "draft_version": 1, "published_version": 1,
            "versions": [{"version_num": 1, "title": key.rsplit(":", 1)[1], "media": {"block.xml": {"text": olx}}}]}


def _container(key: str, kind: str, children: list[str]) -> dict[str, Any]:
    return {"key": key, "container_type": kind, "draft_version": 1, "published_version": 1,
            "versions": [{"version_num": 1, "title": key, "children": children}]}


def course_package(blocks: dict[str, str], root_attributes: dict[str, Any] | None = None,
                   files: dict[str, Any] | None = None) -> Package:
    """A course built in the test: one section, subsection and unit holding `blocks` (key -> OLX)."""
    entities = [_component(key, olx) for key, olx in blocks.items()]
    entities += [_container("unit1", "unit", list(blocks)), _container("seq1", "subsection", ["unit1"]),
                 _container("ch1", "section", ["seq1"])]
    data: dict[str, Any] = {
        "learning_package": {"key": "course-v1:Org+Num+Run_1", "title": "Built elsewhere"},
        "entities": entities,
        "root": {"kind": "course", "attributes": {"display_name": "Built elsewhere", **(root_attributes or {})},
                 "children": ["ch1"]},
    }
    if files:
        data["files"] = files
    return Package(CompletePackageInput.model_validate(data))


HTML = {"xblock.v1:html:intro": "<html display_name='Intro'><![CDATA[<p>Hi</p>]]></html>"}
LTI = {"xblock.v1:lti_consumer:tool": "<lti_consumer display_name='Tool' launch_url='https://example.org/'/>"}


def write_olx(package: Package, out: Path) -> dict[str, Path]:
    written = lpconvert.write(package, str(out), "olx")
    assert written.ok, [p.render() for p in written.problems]
    return tree_files(out)


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def test_a_course_from_elsewhere_gets_studios_default_policy(tmp_path: Path) -> None:
    files = write_olx(course_package(HTML), tmp_path / "out")
    # course.xml names the run whose policy Studio reads
    run = etree.parse(str(files["course.xml"])).getroot().get("url_name")
    assert run == "Run_1"
    policy = load(files["policies/Run_1/policy.json"])
    assert policy == {"course/Run_1": {"start": "2030-01-01T00:00:00Z"}}
    grading = load(files["policies/Run_1/grading_policy.json"])
    assert [g["type"] for g in grading["GRADER"]] == ["Homework", "Lab", "Midterm Exam", "Final Exam"]
    assert sum(g["weight"] for g in grading["GRADER"]) == pytest.approx(1.0)
    assert grading["GRADE_CUTOFFS"] == {"Pass": 0.5}


def test_the_policy_enables_the_lti_blocks_the_course_uses(tmp_path: Path) -> None:
    with_lti = write_olx(course_package({**HTML, **LTI}), tmp_path / "a")
    assert load(with_lti["policies/Run_1/policy.json"])["course/Run_1"]["advanced_modules"] == ["lti_consumer"]
    without = write_olx(course_package(HTML), tmp_path / "b")
    assert "advanced_modules" not in load(without["policies/Run_1/policy.json"])["course/Run_1"]


def test_settings_the_course_root_holds_are_not_overridden_by_the_policy(tmp_path: Path) -> None:
    package = course_package(LTI, {"start": "2027-09-01T00:00:00Z", "advanced_modules": ["lti_consumer", "poll"]})
    files = write_olx(package, tmp_path / "out")
    assert load(files["policies/Run_1/policy.json"]) == {"course/Run_1": {}}
    course = etree.parse(str(files["course/Run_1.xml"])).getroot()
    assert (course.get("start"), course.get("advanced_modules")) == (
        "2027-09-01T00:00:00Z", '["lti_consumer", "poll"]')


def test_the_written_policy_reads_back_as_the_courses_package_files(tmp_path: Path) -> None:
    write_olx(course_package(LTI), tmp_path / "out")
    with lpconvert.read(str(tmp_path / "out")) as back:
        assert back.package is not None and not [p for p in back.problems if p.is_error]
        assert {"policies/Run_1/policy.json", "policies/Run_1/grading_policy.json"} <= set(back.package.model.files)
        assert back.package.model.learning_package.title == "Built elsewhere"


def test_olxcleaner_finds_the_start_date_and_a_valid_grading_policy(tmp_path: Path) -> None:
    validate = pytest.importorskip("olxcleaner").validate
    files = write_olx(course_package({**HTML, **LTI}), tmp_path / "out")
    _, store, _ = validate(str(files["course.xml"].parent), steps=8)
    errors = {(type(e).__name__, e.description) for e in store.errors}
    policy_errors = [e for e in errors if e[0] in ("GradingPolicyIssue", "BadPolicyFormat", "SettingOverride")]
    assert policy_errors == []
    assert not [e for e in errors if "'start'" in e[1] or "advanced module" in e[1]]


def test_json_and_sections_packages_without_a_root_get_the_policy_too(tmp_path: Path) -> None:
    for name, source in (("json", FIXTURES / "json" / "small-library.json"),
                         ("sections", FIXTURES / "sections" / "hand-written")):
        out = tmp_path / name
        assert lpconvert.convert(str(source), str(out), to="olx").ok
        files = tree_files(out)
        run = etree.parse(str(files["course.xml"])).getroot().get("url_name")
        assert load(files[f"policies/{run}/policy.json"]) == {f"course/{run}": {"start": "2030-01-01T00:00:00Z"}}
        assert "GRADER" in load(files[f"policies/{run}/grading_policy.json"])


def test_a_course_with_its_own_policy_keeps_it_byte_for_byte(tmp_path: Path) -> None:
    write_olx(lpconvert.read(str(TINY)).package, tmp_path / "out")
    written = tree_files(tmp_path / "out")
    theirs = sorted(p for p in tree_files(TINY) if p.startswith("policies/"))
    assert sorted(p for p in written if p.startswith("policies/")) == theirs
    for path in theirs:
        assert written[path].read_bytes() == (TINY / path).read_bytes()


def test_a_policy_of_its_own_in_the_legacy_place_is_not_joined_by_a_default(tmp_path: Path) -> None:
    own = {"policies/Run_1.json": {"text": '{"course/Run_1": {"start": "2026-01-01T00:00:00Z"}}\n'}}
    files = write_olx(course_package(HTML, files=own), tmp_path / "out")
    assert sorted(p for p in files if p.startswith("policies/")) == ["policies/Run_1.json"]


def test_an_olx_course_without_a_policy_comes_back_without_one(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(INLINE, src)
    assert not (src / "policies").exists()
    with lpconvert.read(str(src)) as result:
        assert result.package is not None
        # ... also through JSON, which carries what the OLX reader recorded
        assert lpconvert.write(result.package, str(tmp_path / "c.json"), "json").ok
    assert lpconvert.convert(str(tmp_path / "c.json"), str(tmp_path / "out"), to="olx").ok
    assert not [p for p in tree_files(tmp_path / "out") if p.startswith("policies/")]


def test_a_v1_library_gets_no_course_policy(tmp_path: Path) -> None:
    written = lpconvert.write(course_package(HTML), str(tmp_path / "lib"), "olx",
                              options={"olx_layout": "library"})
    assert written.ok
    assert not [p for p in tree_files(tmp_path / "lib") if p.startswith("policies/")]
