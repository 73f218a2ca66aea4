"""Consistency checks on hub data, whatever format it came from.

Some problems cannot be reached through an lp-archive (its media paths come from archive
member names, which are checked first), but can through a JSON document, a SQLite file or
a plugin: these tests build the raw data directly, as such a reader would.
"""

from __future__ import annotations

import base64
from typing import Any

from lpconvert.model import CompletePackageInput
from lpconvert.package import Origin, RawPackage
from lpconvert.problems import Problem
from lpconvert.validation import validate_raw


def comp(key: str, xml: str | None = "<html/>", media: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    files: dict[str, Any] = dict(media or {})
    if xml is not None:
        files["block.xml"] = {"text": xml}
    return {"key": key, "draft_version": 1, "versions": [{"version_num": 1, "title": key, "media": files}], **kw}


def cont(key: str, kind: str, children: list[str], **kw: Any) -> dict[str, Any]:
    return {"key": key, "container_type": kind, "draft_version": 1,
            "versions": [{"version_num": 1, "title": key, "children": children}], **kw}


def validate(entities: list[dict[str, Any]], collections: list[dict[str, Any]] | None = None,
             strict: bool = False, **top: Any) -> tuple[CompletePackageInput | None, list[Problem]]:
    data = {"learning_package": {"key": "lib:Ex:T", "title": "T"}, "entities": entities,
            "collections": collections or [], **top}
    raw = RawPackage(data=data)
    for i in range(len(entities)):
        raw.origins[("entities", i)] = Origin(f"doc.json#entities[{i}]")
    return validate_raw(raw, strict=strict)


def codes(problems: list[Problem], errors_only: bool = True) -> list[str]:
    return sorted(p.code for p in problems if p.is_error or not errors_only)


def test_a_consistent_package_validates() -> None:
    model, problems = validate([
        cont("s", "section", ["ss"]), cont("ss", "subsection", ["u"]), cont("u", "unit", ["xblock.v1:html:a"]),
        comp("xblock.v1:html:a"),
    ], [{"key": "c", "title": "C", "entities": ["u"]}])
    assert problems == []
    assert model is not None and [e.key for e in model.entities] == ["s", "ss", "u", "xblock.v1:html:a"]


def test_unsafe_media_paths_are_errors() -> None:
    for path in ("../../etc/passwd", "/etc/passwd", "static/../x", "C:/x", "static\\x", "static//x", "./x"):
        model, problems = validate([comp("xblock.v1:html:a", media={path: {"text": "x"}})])
        assert model is None
        assert "unsafe-media-path" in codes(problems), path


def test_unsafe_package_file_paths_are_errors() -> None:
    model, problems = validate([comp("xblock.v1:html:a")], files={"../outside.txt": {"text": "x"}})
    assert model is None
    assert codes(problems) == ["unsafe-media-path"]


def test_media_on_a_container_and_children_on_a_component() -> None:
    unit = cont("u", "unit", ["xblock.v1:html:a"])
    unit["versions"][0]["media"] = {"block.xml": {"text": "<unit/>"}}
    component = comp("xblock.v1:html:a")
    component["versions"][0]["children"] = ["u"]
    _, problems = validate([unit, component])
    assert {"media-on-container", "children-on-component"} <= set(codes(problems))


def test_a_root_child_that_does_not_exist() -> None:
    _, problems = validate([comp("xblock.v1:html:a")],
                           root={"kind": "course", "children": ["xblock.v1:html:a", "chapter-gone"]})
    [problem] = [p for p in problems if p.is_error]
    assert problem.code == "unresolved-root-child" and "chapter-gone" in problem.message


def test_a_cycle_is_reported_once_with_its_path() -> None:
    _, problems = validate([cont("a", "unit", ["b"]), cont("b", "unit", ["c"]), cont("c", "unit", ["a"])])
    cycles = [p for p in problems if p.code == "cycle"]
    assert len(cycles) == 1
    assert all(k in cycles[0].message for k in ("a", "b", "c"))


def test_an_invalid_entity_does_not_cascade() -> None:
    """One mistake, one error: the unit listing a broken component is not blamed as well."""
    broken = comp("xblock.v1:html:a")
    broken["versions"][0]["version_num"] = 0
    _, problems = validate([cont("u", "unit", ["xblock.v1:html:a"]), broken],
                           [{"key": "c", "title": "C", "entities": ["xblock.v1:html:a"]}])
    assert codes(problems) == ["invalid-value"]


def test_static_references_resolve_against_version_and_package_files() -> None:
    xml = ('<html><![CDATA[<img src="/static/own.png"/><img src="/static/course.png"/>'
           '<a href="https://cdn.example.com/static/elsewhere.png">x</a>'
           '<a href="/static/my%20notes.pdf">notes</a>]]></html>')
    model, problems = validate(
        [comp("xblock.v1:html:a", xml, media={"static/own.png": {"base64": "AAAA"},
                                              "static/my notes.pdf": {"text": "pdf"}})],
        files={"static/course.png": {"base64": "AAAA"}})
    assert problems == [], [p.render() for p in problems]
    assert model is not None


def test_a_missing_static_file_is_a_warning_and_strict_makes_it_an_error() -> None:
    xml = '<html>&lt;img src=&quot;/static/gone.png&quot;/&gt;</html>'
    model, problems = validate([comp("xblock.v1:html:a", xml)])
    assert model is not None
    [problem] = problems
    assert problem.code == "missing-static" and not problem.is_error
    assert "/static/gone.png" in problem.message  # found inside escaped HTML, without the &quot;
    model, problems = validate([comp("xblock.v1:html:a", xml)], strict=True)
    assert model is None and codes(problems) == ["missing-static"]


def test_unreferenced_media_is_a_warning() -> None:
    model, problems = validate([comp("xblock.v1:html:a", media={"static/unused.srt": {"text": "1"}})])
    assert model is not None
    assert codes(problems, errors_only=False) == ["unreferenced-media"]


def test_asset_key_links_and_video_transcripts_are_checked_like_static_links() -> None:
    xml = ('<video transcripts="{&quot;en&quot;: &quot;v-en.srt&quot;}" sub="abc">'
           '<handout src="/asset-v1:O+C+R+type@asset+block@slides.pdf"/></video>')
    _, problems = validate([comp("xblock.v1:video:v", xml, media={"static/slides.pdf": {"text": "pdf"}})])
    assert [p.message for p in problems] == [
        "xblock.v1:video:v v1: block.xml refers to transcripts['en'] = 'v-en.srt', which neither this version "
        "nor the package has"]  # the derived subs_abc.srt.sjson is lpconvert's guess, never a warning


def test_a_file_a_carried_stylesheet_links_is_referenced() -> None:
    xml = '<html><![CDATA[<link rel="stylesheet" href="/static/css/style.css"/>]]></html>'
    media = {"static/css/style.css": {"text": "p { background: url(img/bg.png) }"},
             "static/css/img/bg.png": {"base64": "AAAA"}, "static/stray.png": {"base64": "AAAA"}}
    _, problems = validate([comp("xblock.v1:html:a", xml, media=media)])
    assert [p.message for p in problems] == ["xblock.v1:html:a v1: static/stray.png is never mentioned in block.xml"]


def test_inline_block_xml_is_checked_whatever_its_encoding() -> None:
    good = base64.b64encode(b"<video/>").decode()
    _, problems = validate([comp("xblock.v1:video:v", None, media={"block.xml": {"base64": good}})])
    assert problems == []
    _, problems = validate([comp("xblock.v1:video:v", "<html/>")])
    assert codes(problems) == ["block-type-mismatch"]
    # base64 that does not decode is not a crash
    _, problems = validate([comp("xblock.v1:video:v", None, media={"block.xml": {"base64": "A==="}})])
    assert all(p.code in ("invalid-value",) for p in problems if p.is_error)


def test_lists_that_are_not_lists_are_problems_not_crashes() -> None:
    raw = RawPackage(data={"learning_package": {"key": "k", "title": "t"}, "entities": 7, "collections": "x"})
    model, problems = validate_raw(raw)
    assert model is None
    assert codes(problems) == ["invalid-value", "invalid-value"]


def test_an_orphan_is_a_warning() -> None:
    model, problems = validate([comp("xblock.v1:html:a", can_stand_alone=False)])
    assert model is not None
    assert codes(problems, errors_only=False) == ["orphan"]


def test_no_versions_is_a_warning() -> None:
    model, problems = validate([{"key": "xblock.v1:html:a", "versions": []}])
    assert codes(problems, errors_only=False) == ["no-versions"]


def test_a_flood_of_one_problem_is_capped() -> None:
    """A hostile input with thousands of dangling children stays a bounded report."""
    children = [f"gone-{i}" for i in range(1500)]
    model, problems = validate([cont("u", "unit", children)])
    assert model is None
    assert sum(p.code == "unresolved-child" for p in problems) == 1000
    [summary] = [p for p in problems if p.code == "too-many-problems"]
    assert "500 more 'unresolved-child'" in summary.message


def test_unknown_fields_suggest_the_nearest_name() -> None:
    entity = comp("xblock.v1:html:a", can_stand_alon=True)
    model, problems = validate([entity])
    assert model is not None
    [problem] = problems
    assert problem.code == "unknown-field" and "can_stand_alone" in problem.message
    assert problem.file == "doc.json#entities[0]"
