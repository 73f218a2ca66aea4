"""The OLX format: reading Studio exports, writing OLX back, and what a user sees when it is broken.

Expected numbers come from the exports themselves (counted here with tarfile and lxml,
following Studio's pointer rule), never from the code under test.
"""

from __future__ import annotations

import json
import shutil
import tarfile
from collections import Counter
from pathlib import Path

import pytest
from helpers.olx_trees import compare_trees, expected_counts, tree_files, unpack
from helpers.paths import FIXTURES, OLX_CORPORA, corpus
from lxml import etree

import lpconvert
from lpconvert.api import format_names
from lpconvert.model import ResourceMedia

TINY = FIXTURES / "olx" / "tiny-course"


# --------------------------------------------------------------------------- helpers


def _counts(package: lpconvert.Package) -> Counter[str]:
    return Counter(e.kind for e in package.model.entities)


def _static_paths(package: lpconvert.Package) -> set[str]:
    """The export's static/ files the hub holds: as course files, or as the file a component's
    static/NAME was read from (a component names a file by its asset key, Studio stores it under
    its display name: `Brain_green.png` is `static/Brain green.png`)."""
    paths = {p for p in package.model.files if p.startswith("static/")}
    for _, _, path, media in package.iter_media():
        if path.startswith("static/"):
            paths.add(media.resource if isinstance(media, ResourceMedia) else path)
    return paths


def _errors(problems: list) -> list:
    return [p for p in problems if p.is_error]


# --------------------------------------------------------------------------- reading the corpora


@pytest.mark.parametrize("archive", OLX_CORPORA, ids=lambda p: p.name)
def test_every_corpus_reads_with_counts_matching_the_export(archive: Path, tmp_path: Path) -> None:
    files = unpack(archive, tmp_path / "x")
    with lpconvert.read(str(archive)) as result:
        assert result.format == "olx"
        assert _errors(result.problems) == []
        assert result.package is not None
        counts = _counts(result.package)
        expected = expected_counts(files)
        assert {k: counts[k] for k in expected} == dict(expected)
        assert _static_paths(result.package) == {p for p in files if p.startswith("static/")}


def test_cli_info_counts_the_test_course_like_the_export(cli, tmp_path: Path) -> None:
    archive = corpus("olx/openedx-test-course.tar.gz")
    expected = expected_counts(unpack(archive, tmp_path / "x"))
    done = cli("info", "--json", str(archive))
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)
    assert info["format"] == "olx" and info["key"] == "course-v1:TestX+Course+1"
    assert {k: info["counts"].get(k, 0) for k in expected} == dict(expected)
    assert info["unpublished"] == 2  # the draft-only unit and its html


def test_test_course_drafts_become_draft_versions() -> None:
    with lpconvert.read(str(corpus("olx/openedx-test-course.tar.gz"))) as result:
        assert result.package is not None
        ents = result.package.model.entity_map()
        # drafts/vertical/47b6... exists only in drafts/: a unit never published
        only_draft = ents["47b6b8c202854d828d14704948446e7e"]
        assert only_draft.container_type == "unit"
        assert only_draft.published_version is None and only_draft.draft_version == 1
        # its sequential lists it in the draft only, at index_in_children_list=3
        seq = ents["293eb66432aa467585816f59629afb82"]
        assert "47b6b8c202854d828d14704948446e7e" not in seq.version(seq.published_version).children
        assert seq.version(seq.draft_version).children[3] == "47b6b8c202854d828d14704948446e7e"


def test_component_block_xml_is_the_blocks_olx_with_children_inline() -> None:
    with lpconvert.read(str(corpus("olx/openedx-test-course.tar.gz"))) as result:
        assert result.package is not None
        ents = result.package.model.entity_map()
        split = ents["xblock.v1:split_test:17c9c74e7f4f4af887d3611bee41337b"]
        xml = result.package.read_media(split.current_version.media["block.xml"])
        root = etree.fromstring(xml)
        assert root.tag == "split_test"
        verticals = root.findall("vertical")
        assert [v.get("url_name") for v in verticals] == [
            "9ddfbdb864b64d65a78b6b55a4e42490", "ca4b73c26a0b467fbdc08352b694f0d5",
            "37c4cdabe1224273a41f3977d84a8981"]
        assert all(len(v) > 0 for v in verticals), "the verticals' own blocks are inline too"


def test_html_content_is_cdata_and_static_files_travel_with_the_block() -> None:
    with lpconvert.read(str(TINY)) as result:
        assert result.package is not None
        welcome = result.package.model.entity_map()["xblock.v1:html:welcome"].current_version
        text = result.package.read_media(welcome.media["block.xml"]).decode()
        assert "<![CDATA[<p>Welcome!" in text and "filename" not in text
        assert set(welcome.media) == {"block.xml", "static/logo.png"}
        assert result.package.read_media(welcome.media["static/logo.png"]).startswith(b"\x89PNG")
        # a static file no block names is kept at the package level, with policies and about/
        assert {"static/syllabus.txt", "policies/2026/policy.json", "about/overview.html"} <= set(
            result.package.model.files)


def test_container_settings_are_decoded_like_studio_does() -> None:
    with lpconvert.read(str(TINY)) as result:
        assert result.package is not None
        lesson = result.package.model.entity_map()["lesson1"].current_version
        assert lesson.attributes["graded"] is True
        assert lesson.attributes["format"] == "Homework"
        assert result.package.model.root is not None
        assert result.package.model.root.attributes["self_paced"] is True


def test_a_block_directly_in_a_sequential_gets_a_wrapper_unit() -> None:
    with lpconvert.read(str(TINY)) as result:
        assert result.package is not None
        ents = result.package.model.entity_map()
        lesson = ents["lesson1"].version(1)
        wrapper = ents[lesson.children[1]]
        assert wrapper.container_type == "unit"
        assert wrapper.current_version.children == ["xblock.v1:html:loose_note"]


# --------------------------------------------------------------------------- writing and round trips


@pytest.mark.parametrize("archive", OLX_CORPORA, ids=lambda p: p.name)
def test_olx_hub_olx_gives_the_same_files_and_the_same_hub(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.tar.gz"
    converted = lpconvert.convert(str(archive), str(out))
    assert converted.ok, [p.render() for p in converted.problems]
    assert [p for p in converted.write.problems if p.code == "loss"] == []
    with tarfile.open(out) as tar:
        tops = {name.split("/", 1)[0] for name in tar.getnames()}
    assert tops in ({"course"}, {"library"}), "Studio imports one top-level folder"
    assert compare_trees(unpack(archive, tmp_path / "a"), unpack(out, tmp_path / "b")) == []
    with lpconvert.read(str(archive)) as first, lpconvert.read(str(out)) as second:
        assert first.package is not None and second.package is not None
        assert first.package.model.model_dump(exclude={"files"}) == second.package.model.model_dump(exclude={"files"})
        assert set(first.package.model.files) == set(second.package.model.files)


def test_tiny_fixture_round_trips_with_drafts_and_wrappers(tmp_path: Path) -> None:
    out = tmp_path / "tiny.tar.gz"
    assert lpconvert.convert(str(TINY), str(out)).ok
    written = unpack(out, tmp_path / "b")
    assert compare_trees(tree_files(TINY), written) == []
    seq = etree.parse(str(written["sequential/lesson1.xml"])).getroot()
    assert [c.tag for c in seq] == ["vertical", "html", "vertical"], "the wrapper unit is not written"
    assert etree.parse(str(written["drafts/vertical/unit3.xml"])).getroot().get("index_in_children_list") == "3"


def test_hand_written_inline_course_round_trips(tmp_path: Path) -> None:
    """2012-style OLX: everything inline in course.xml, a url_name with ':' (a subfolder)."""
    src = FIXTURES / "olx" / "inline-course"
    with lpconvert.read(str(src)) as result:
        assert result.package is not None and _errors(result.problems) == []
        counts = _counts(result.package)
        assert (counts["section"], counts["subsection"], counts["unit"]) == (2, 3, 3)
        quiz = result.package.model.entity_map()["xblock.v1:problem:week1:quiz"]
        assert b"Sky colour?" in result.package.read_media(quiz.current_version.media["block.xml"])
        out = tmp_path / "out"
        assert lpconvert.write(result.package, str(out), "olx").ok
    assert compare_trees(tree_files(src), tree_files(out)) == []


def test_html_that_cdata_cannot_hold_keeps_its_bytes(tmp_path: Path) -> None:
    src = _copy_tiny(tmp_path)
    content = b"<p>line one\r\nline two</p>\r\n<script>if (a[b[0]]>1) {}</script>\n"
    (src / "html" / "recap.html").write_bytes(content)
    out = tmp_path / "out"
    with lpconvert.read(str(src)) as result:
        assert result.package is not None
        assert lpconvert.write(result.package, str(out), "olx").ok
    assert (out / "course" / "html" / "recap.html").read_bytes() == content


def test_writing_is_reproducible(tmp_path: Path) -> None:
    a, b = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    assert lpconvert.convert(str(TINY), str(a)).ok
    assert lpconvert.convert(str(TINY), str(b)).ok
    assert a.read_bytes() == b.read_bytes()


def test_lp_archive_to_olx_course_and_v1_library(tmp_path: Path) -> None:
    src = corpus("lp/upstream-library-backup.zip")
    course = tmp_path / "course.tar.gz"
    result = lpconvert.convert(str(src), str(course))
    assert result.ok, [p.render() for p in result.problems]
    assert any(p.code == "loss" and "collection" in p.message for p in result.write.problems)
    assert any(p.code == "loss" and p.field == "meta" for p in result.write.problems)
    files = tree_files(_unpack_dir(course, tmp_path / "c"))
    assert "course.xml" in files
    with lpconvert.read(str(src)) as original, lpconvert.read(str(course)) as back:
        assert original.package is not None and back.package is not None
        # every component comes back; those outside every section sit in one extra chapter
        components = {e.key for e in original.package.model.entities if e.container_type is None}
        assert components <= set(back.package.model.entity_map())
        titles = [e.current_version.title for e in back.package.model.entities if e.container_type == "section"]
        assert "Outside any section" in titles
    library = tmp_path / "library.tar.gz"
    result = lpconvert.convert(str(src), str(library), write_options={"olx_layout": "library"})
    assert result.ok, [p.render() for p in result.problems]
    losses = " ".join(p.message for p in result.write.problems if p.code == "loss")
    assert "container" in losses and "draft of 1 component" in losses
    with lpconvert.read(str(src)) as original, lpconvert.read(str(library)) as back:
        assert back.package is not None and back.package.model.root is not None
        assert back.package.model.root.kind == "library"
        components = [e for e in original.package.model.entities if e.container_type is None]
        assert len(back.package.model.root.children) == len(components)


def _unpack_dir(archive: Path, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into


def test_cli_info_and_convert(cli, tmp_path: Path) -> None:
    info = cli("info", str(TINY))
    assert info.returncode == 0, info.stderr
    assert "olx" in info.stdout
    out = tmp_path / "tiny.tar.gz"
    done = cli(str(TINY), str(out))
    assert done.returncode == 0, done.stderr
    assert out.exists()


# --------------------------------------------------------------------------- bad inputs


def _copy_tiny(tmp_path: Path) -> Path:
    dest = tmp_path / "course"
    shutil.copytree(TINY, dest)
    return dest


def test_malformed_xml_names_file_and_line(tmp_path: Path) -> None:
    src = _copy_tiny(tmp_path)
    (src / "problem" / "q1.xml").write_text('<problem display_name="Q">\n  <p>unclosed\n</problem>\n')
    result = lpconvert.read(str(src))
    assert result.package is None
    bad = [p for p in result.problems if p.code == "xml-syntax"]
    assert bad and bad[0].file == "problem/q1.xml" and bad[0].line == 3


def test_pointer_to_a_missing_file(tmp_path: Path) -> None:
    src = _copy_tiny(tmp_path)
    (src / "problem" / "q1.xml").unlink()
    result = lpconvert.read(str(src))
    assert result.package is None
    missing = [p for p in result.problems if p.code == "missing-file"]
    assert missing and missing[0].file == "vertical/unit1.xml" and missing[0].line == 3
    assert "problem/q1.xml" in missing[0].message


def test_static_reference_to_a_missing_file_is_a_warning(tmp_path: Path) -> None:
    src = _copy_tiny(tmp_path)
    (src / "static" / "logo.png").unlink()
    result = lpconvert.read(str(src))
    assert result.package is not None
    warned = [p for p in result.problems if p.code == "missing-static"]
    assert warned and "logo.png" in warned[0].message and warned[0].file == "html/welcome.xml"
    result.close()


def test_duplicate_url_names_are_reported(tmp_path: Path) -> None:
    src = _copy_tiny(tmp_path)
    unit = src / "vertical" / "unit2.xml"
    unit.write_text('<vertical display_name="Unit 2">\n  <html url_name="recap"/>\n'
                    '  <poll url_name="poll1" display_name="Another poll"/>\n</vertical>\n')
    result = lpconvert.read(str(src))
    assert result.package is None
    dup = [p for p in result.problems if p.code == "duplicate-key"]
    assert dup and "xblock.v1:poll:poll1" in dup[0].message and dup[0].file == "vertical/unit2.xml"


def test_unknown_tags_are_reported_and_kept(tmp_path: Path) -> None:
    src = _copy_tiny(tmp_path)
    (src / "course" / "2026.xml").write_text(
        '<course display_name="Tiny Course">\n  <chapter url_name="week1"/>\n  <gizmo size="3"/>\n</course>\n')
    with lpconvert.read(str(src)) as result:
        assert result.package is not None
        unknown = [p for p in result.problems if p.code == "unknown-tag"]
        assert unknown and unknown[0].file == "course/2026.xml" and unknown[0].line == 3
        out = tmp_path / "out"
        assert lpconvert.write(result.package, str(out), "olx").ok
    written = etree.parse(str(out / "course" / "course" / "2026.xml")).getroot()
    assert [c.tag for c in written] == ["chapter", "gizmo"]


def test_not_olx_at_all(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "course.xml").write_text("<course/>")
    result = lpconvert.read(str(tmp_path / "src"))
    assert result.package is None
    assert any(p.code == "missing-field" and p.file == "course.xml" for p in result.problems)


def test_bad_olx_layout_option_is_refused_before_writing(tmp_path: Path) -> None:
    with lpconvert.read(str(TINY)) as result:
        assert result.package is not None
        with pytest.raises(lpconvert.LpconvertError, match="olx_layout must be one of course, library, not 'book'"):
            lpconvert.write(result.package, str(tmp_path / "x.tar.gz"), options={"olx_layout": "book"})
    assert not (tmp_path / "x.tar.gz").exists()


def test_a_block_that_contains_itself_is_a_cycle_not_a_crash(tmp_path: Path) -> None:
    src = _copy_tiny(tmp_path)
    (src / "vertical" / "unit2.xml").write_text('<vertical display_name="Unit 2">\n  <split_test url_name="loop"/>\n'
                                                '</vertical>\n')
    (src / "split_test").mkdir()
    (src / "split_test" / "loop.xml").write_text('<split_test display_name="Loop">\n  <vertical url_name="inner"/>\n'
                                                 '</split_test>\n')
    (src / "vertical" / "inner.xml").write_text('<vertical>\n  <split_test url_name="loop"/>\n</vertical>\n')
    result = lpconvert.read(str(src))
    assert result.package is None
    cycle = [p for p in result.problems if p.code == "cycle"]
    assert cycle and cycle[0].file == "vertical/inner.xml" and cycle[0].line == 2


def test_a_broken_archive_is_a_problem(tmp_path: Path) -> None:
    bad = tmp_path / "course.tar.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00 this is not really gzip")
    result = lpconvert.read(str(bad))
    assert result.package is None and result.problems[0].code == "archive-corrupt"


@pytest.mark.parametrize("suffix", [".json", ".sqlite"])
def test_olx_survives_a_trip_through_another_format(suffix: str, tmp_path: Path) -> None:
    """The @olx facts, root and package files live in the hub, so any lossless format carries them."""
    if suffix.lstrip(".") not in format_names():
        pytest.skip(f"the {suffix} format is not installed")
    middle, out = tmp_path / f"course{suffix}", tmp_path / "out.tar.gz"
    assert lpconvert.convert(str(TINY), str(middle)).ok
    assert lpconvert.convert(str(middle), str(out)).ok
    assert compare_trees(tree_files(TINY), unpack(out, tmp_path / "b")) == []


def test_course_title_from_a_legacy_policy_location(tmp_path: Path) -> None:
    src = _copy_tiny(tmp_path)
    (src / "course" / "2026.xml").write_text('<course start="2026-01-01T00:00:00Z">\n  <chapter url_name="week1"/>\n'
                                             '</course>\n')
    shutil.rmtree(src / "policies" / "2026")
    (src / "policies" / "2026.json").write_text('{"course/2026": {"display_name": "Title from the old policy"}}')
    with lpconvert.read(str(src)) as result:
        assert result.package is not None
        assert result.package.model.learning_package.title == "Title from the old policy"
        assert "policies/2026.json" in result.package.model.files


def test_cli_validate_points_at_the_broken_file(cli, tmp_path: Path) -> None:
    src = _copy_tiny(tmp_path)
    (src / "vertical" / "unit1.xml").write_text('<vertical display_name="Unit 1">\n  <html url_name="welcome">\n'
                                                '</vertical>\n')
    done = cli("validate", str(src))
    assert done.returncode != 0
    shown = done.stdout + done.stderr
    assert "vertical/unit1.xml" in shown and "line 3" in shown and "xml-syntax" in shown


def test_validation_problems_speak_olx(tmp_path: Path) -> None:
    """A problem validation finds in OLX-read data names the OLX file, attribute and line."""
    from lpconvert_olx.reader import read_olx

    from lpconvert.formats import ReadOptions
    from lpconvert.storage import open_source
    from lpconvert.validation import validate_raw

    with open_source(str(TINY)) as source:
        raw = read_olx(source, ReadOptions())
        index = next(i for i, e in enumerate(raw.data["entities"]) if e["key"] == "lesson1")
        raw.data["entities"][index]["versions"][0]["title"] = 5  # what a buggy plugin might hand over
        _, problems = validate_raw(raw)
    bad = [p for p in problems if p.code == "invalid-value"]
    assert bad and (bad[0].file, bad[0].field, bad[0].line) == ("sequential/lesson1.xml", "display_name", 1)


def test_an_older_per_block_draft_becomes_the_blocks_draft(tmp_path: Path) -> None:
    src = _copy_tiny(tmp_path)
    (src / "drafts" / "problem").mkdir()
    (src / "drafts" / "problem" / "q1.xml").write_text(
        '<problem display_name="Question 1 (draft)" parent_url="block-v1:TinyX+T101+2026+type@vertical+block@unit1" '
        'index_in_children_list="1">\n  <p>Rewritten</p>\n</problem>\n')
    with lpconvert.read(str(src)) as result:
        assert result.package is not None and _errors(result.problems) == []
        q1 = result.package.model.entity_map()["xblock.v1:problem:q1"]
        assert (q1.published_version, q1.draft_version) == (1, 2)
        assert q1.version(2).title == "Question 1 (draft)"
        assert b"parent_url" not in result.package.read_media(q1.version(2).media["block.xml"])
        out = tmp_path / "out"
        assert lpconvert.write(result.package, str(out), "olx").ok
    # written back the modern way: the whole unit under drafts/
    assert (out / "course" / "drafts" / "vertical" / "unit1.xml").exists()
    assert "Rewritten" in (out / "course" / "drafts" / "problem" / "q1.xml").read_text()


def test_a_sections_own_draft_is_reported_as_lost(tmp_path: Path) -> None:
    from lpconvert.model import CompletePackageInput
    from lpconvert.package import Package

    def ent(key: str, kind: str | None, versions: list[dict], draft: int, published: int | None) -> dict:
        out = {"key": key, "versions": versions, "draft_version": draft, "published_version": published}
        if kind:
            out["container_type"] = kind
        return out

    html = {"version_num": 1, "title": "T", "media": {"block.xml": {"text": '<html><![CDATA[<p>x</p>]]></html>'}}}
    model = CompletePackageInput.model_validate({
        "learning_package": {"key": "lib:Org:Lib", "title": "Lib"},
        "entities": [
            ent("xblock.v1:html:a", None, [html], 1, 1),
            ent("u", "unit", [{"version_num": 1, "title": "U", "children": ["xblock.v1:html:a"]}], 1, 1),
            ent("s", "subsection", [{"version_num": 1, "title": "S", "children": ["u"]}], 1, 1),
            ent("sec", "section", [{"version_num": 1, "title": "Old", "children": ["s"]},
                                   {"version_num": 2, "title": "New title", "children": ["s"]}], 2, 1),
        ]})
    written = lpconvert.write(Package(model), str(tmp_path / "out.tar.gz"), "olx")
    assert written.ok
    losses = [p.message for p in written.problems if p.code == "loss"]
    assert any("sec" in m and "section" in m for m in losses), losses


def test_titles_xml_cannot_carry_are_cleaned_and_reported(tmp_path: Path) -> None:
    from lpconvert.model import CompletePackageInput
    from lpconvert.package import Package

    html = {"version_num": 1, "title": "T", "media": {"block.xml": {"text": '<html><![CDATA[<p>x</p>]]></html>'}}}
    model = CompletePackageInput.model_validate({
        "learning_package": {"key": "lib:Org:Lib", "title": "Lib"},
        "entities": [
            {"key": "xblock.v1:html:a", "versions": [html], "draft_version": 1, "published_version": 1},
            {"key": "u", "container_type": "unit", "draft_version": 1, "published_version": 1,
             "versions": [{"version_num": 1, "title": "Bell\x07 unit", "children": ["xblock.v1:html:a"],
                           "attributes": {"bad name": 1}}]},
        ]})
    out = tmp_path / "out.tar.gz"
    written = lpconvert.write(Package(model), str(out), "olx")
    assert written.ok
    assert any(p.code == "loss" and "control characters" in p.message and "bad name" in p.message
               for p in written.problems)
    with lpconvert.read(str(out)) as back:
        assert back.package is not None
        assert back.package.model.entity_map()["u"].current_version.title == "Bell unit"


def test_titles_edited_in_the_hub_reach_the_olx(tmp_path: Path) -> None:
    """Another format may edit titles: the course title follows; a block's title that is not its display_name is reported."""
    from lpconvert.package import Package

    with lpconvert.read(str(TINY)) as result:
        assert result.package is not None
        model = result.package.model
        lp = model.learning_package.model_copy(update={"title": "Renamed course"})
        entities = []
        for ent in model.entities:
            if ent.key == "xblock.v1:problem:q1":
                versions = [v.model_copy(update={"title": "Renamed question"}) for v in ent.versions]
                ent = ent.model_copy(update={"versions": versions})
            entities.append(ent)
        edited = Package(model.model_copy(update={"learning_package": lp, "entities": entities}),
                         result.package.resources)
        out = tmp_path / "out"
        written = lpconvert.write(edited, str(out), "olx")
    assert written.ok
    course = etree.parse(str(out / "course" / "course" / "2026.xml")).getroot()
    assert course.get("display_name") == "Renamed course"
    assert any(p.code == "loss" and "xblock.v1:problem:q1" in p.message for p in written.problems)
