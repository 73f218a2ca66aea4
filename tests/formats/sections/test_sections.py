"""The sections layout: an outline a person edits in a text editor and keeps in git."""

from __future__ import annotations

import shutil
import tarfile
import tomllib
from pathlib import Path

import pytest
from lxml import etree

import lpconvert
from lpconvert.api import get_format
from lpconvert.testing import assert_same_content

from helpers.paths import FIXTURES, LP_CORPORA, OLX_CORPORA
from helpers.packages import build


HAND = FIXTURES / "sections" / "hand-written"


def _write(package, path: Path) -> Path:  # type: ignore[no-untyped-def]
    result = lpconvert.write(package, str(path), "sections")
    assert result.written, [p.render() for p in result.problems]
    return path


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_current_versions_round_trip_and_input_is_untouched(tmp_path):
    package = build("full")
    before = package.model.model_dump()
    out = _write(package, tmp_path / "layout")
    assert package.model.model_dump() == before
    with lpconvert.read(str(out)) as back:
        assert back.format == "sections"
        assert back.package is not None, [p.render() for p in back.problems]
        held = get_format("sections").cannot_hold
        assert_same_content(package, back.package, held)


def test_says_what_it_drops(tmp_path):
    result = lpconvert.write(build("full"), str(tmp_path / "layout"), "sections")
    losses = {p.field: p.message for p in result.problems if p.code == "loss"}
    assert set(losses) == {"history", "published-behind-draft"}
    assert "unit-a" in losses["published-behind-draft"]
    strict = lpconvert.write(build("full"), str(tmp_path / "strict"), "sections", strict=True)
    assert not strict.written and not (tmp_path / "strict").exists()


def test_layout_nests_the_outline_and_puts_components_in_folders(tmp_path):
    out = _write(build("full"), tmp_path / "layout")
    files = _files(out)
    package_toml = tomllib.loads(files["package.toml"].decode())
    assert package_toml["layout"] == {"format": "sections", "version": 1}
    week = tomllib.loads(files["sections/week-1.toml"].decode())
    assert week["key"] == "week-1"
    assert [s.get("key") for s in week["subsection"]] == ["first-steps", "more"]
    unit_a = week["subsection"][0]["unit"][0]
    assert unit_a["key"] == "unit-a" and unit_a["title"] == "Unit A (edited)" and unit_a["version"] == 3
    assert unit_a["components"] == ["xblock.v1:html:intro", "xblock.v1:problem:q1", "xblock.v1:video:v\u00e9lo"]
    assert week["subsection"][1]["unit"] == [{"ref": "unit-b"}]  # defined once, referenced after
    assert "units/standalone-unit.toml" in files  # a unit no section holds
    assert files["components/html/intro/static/dot.png"].startswith(b"\x89PNG")
    assert b"<html" in files["components/html/intro/block.xml"]
    assert "components/video/velo.toml" in files
    assert "components/html/loose-note.toml" in files  # in no unit, still kept
    assert tomllib.loads(files["collections.toml"].decode())["collection"][0]["key"] == "starter"
    assert "files/policies/course/policy.json" in files


def test_editing_one_component_changes_one_file(tmp_path):
    first = _write(build("full"), tmp_path / "a")
    again = _write(build("full"), tmp_path / "b")
    assert _files(first) == _files(again)  # stable output
    block = first / "components" / "problem" / "q1" / "block.xml"
    block.write_text("<problem><stringresponse answer='yes'/></problem>", "utf-8")
    with lpconvert.read(str(first)) as edited:
        assert edited.package is not None
        _write(edited.package, tmp_path / "c")
    diff = {name for name, data in _files(tmp_path / "c").items() if _files(again).get(name) != data}
    assert diff == {"components/problem/q1/block.xml"}


def test_zip_with_to_sections_and_detection(tmp_path, cli):
    out = tmp_path / "layout.zip"
    proc = cli(str(HAND), str(out), "--to", "sections")
    assert proc.returncode == 0, proc.stderr
    with lpconvert.read(str(out)) as back:
        assert back.format == "sections" and back.package is not None
    with lpconvert.read(str(FIXTURES / "lp-archive" / "small-library")) as archive:
        assert archive.format == "lp-archive"


def test_no_default_suffix(tmp_path, cli):
    proc = cli(str(HAND), str(tmp_path / "outdir"))
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr


def test_listing_formats_loads_no_reader_writer_or_parser():
    """`lpconvert formats` stays instant: the layout's registration imports no TOML parser, and no
    format's reader or writer is imported just to be listed."""
    import subprocess
    import sys

    code = ("import sys, io, contextlib; from lpconvert.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()): main(['formats'])\n"
            "print(sorted(m for m in sys.modules if m in ('tomllib', 'sqlite3') or m.endswith(('.reader', '.writer'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_hand_written_layout_reads_with_defaults():
    with lpconvert.read(str(HAND)) as result:
        assert result.package is not None, [p.render() for p in result.problems]
        assert not result.problems
        unit = result.package.entity("welcome-unit")
        assert unit is not None and unit.draft_version == 1 and unit.published_version is None
        assert unit.current_version.children == [  # type: ignore[union-attr]
            "xblock.v1:html:welcome", "xblock.v1:problem:first-question"]
        html = result.package.entity("xblock.v1:html:welcome")
        assert set(html.current_version.media) == {"block.xml", "static/wave.svg"}  # type: ignore[union-attr]


@pytest.mark.parametrize("archive", LP_CORPORA, ids=lambda p: p.name)
def test_corpus_round_trips_current_versions(archive, tmp_path):
    held = get_format("sections").cannot_hold
    with lpconvert.read(str(archive)) as original:
        assert original.package is not None
        out = _write(original.package, tmp_path / "layout")
        with lpconvert.read(str(out)) as back:
            assert back.package is not None, [p.render() for p in back.problems][:5]
            assert_same_content(original.package, back.package, held)


# --------------------------------------------------------------------------- bad input


@pytest.fixture
def hand(tmp_path) -> Path:
    copy = tmp_path / "hand"
    shutil.copytree(HAND, copy)
    return copy


def _problems(root: Path):  # type: ignore[no-untyped-def]
    return lpconvert.validate(str(root)).problems


def test_toml_syntax_error_names_file_and_line(hand):
    (hand / "sections" / "week-1.toml").write_text('key = "week-1"\ntitle = "Week 1\n', "utf-8")
    errors = [p for p in _problems(hand) if p.is_error]
    assert [(p.code, p.file, p.line) for p in errors][:1] == [("toml-syntax", "sections/week-1.toml", 2)]


def test_bad_flag_names_field_and_line(hand):
    path = hand / "sections" / "week-1.toml"
    path.write_text(path.read_text("utf-8").replace('title = "Welcome"', 'title = "Welcome"\npublished = "yes"'),
                    "utf-8")
    errors = [p for p in _problems(hand) if p.is_error]
    assert [(p.code, p.file, p.field, p.line) for p in errors] == [
        ("invalid-value", "sections/week-1.toml", "subsection[0].unit[0].published", 11)]


def test_wrong_type_from_validation_names_field_and_line(hand):
    path = hand / "sections" / "week-1.toml"
    path.write_text(path.read_text("utf-8").replace('title = "Basics"', "title = 3"), "utf-8")
    errors = [p for p in _problems(hand) if p.is_error]
    assert [(p.code, p.file, p.field, p.line) for p in errors] == [
        ("invalid-value", "sections/week-1.toml", "subsection[0].title", 6)]


def test_unknown_component_in_a_unit(hand):
    path = hand / "sections" / "week-1.toml"
    path.write_text(path.read_text("utf-8").replace("first-question", "second-question"), "utf-8")
    errors = [p for p in _problems(hand) if p.is_error]
    assert [(p.code, p.file) for p in errors] == [("unresolved-child", "sections/week-1.toml")]
    assert "second-question" in errors[0].message


def test_typo_in_a_field_is_kept_and_reported(hand):
    path = hand / "components" / "html" / "welcome.toml"
    path.write_text(path.read_text("utf-8") + "titel = 'oops'\n", "utf-8")
    warnings = [p for p in _problems(hand) if p.code == "unknown-field"]
    assert [(p.file, p.field, p.line) for p in warnings] == [("components/html/welcome.toml", "titel", 3)]


def test_cli_reports_without_traceback(hand, cli):
    (hand / "collections.toml").write_text("[[collection]\n", "utf-8")
    proc = cli("validate", str(hand))
    assert proc.returncode != 0
    assert "toml-syntax" in proc.stdout + proc.stderr and "Traceback" not in proc.stderr


def test_committed_fixture_still_reads_as_the_archive_it_came_from():
    """fixtures/sections/small-library was written from fixtures/lp-archive/small-library."""
    held = get_format("sections").cannot_hold
    with lpconvert.read(str(FIXTURES / "sections" / "small-library")) as layout, \
            lpconvert.read(str(FIXTURES / "lp-archive" / "small-library")) as archive:
        assert layout.format == "sections" and layout.package is not None and archive.package is not None
        assert_same_content(archive.package, layout.package, held)


def test_text_with_newlines_and_control_characters_survives(tmp_path):
    """Found by hypothesis: a value ending in a newline once came out as invalid TOML."""
    from lpconvert.model import CompletePackageInput
    from lpconvert.package import Package

    data = build("library").model.model_dump()
    data["learning_package"]["description"] = "\n"
    data["entities"][0]["versions"][-1]["title"] = "tab\there\nquote\" back\\slash \x7f\x00 end\n"
    package = Package(CompletePackageInput.model_validate(data))
    with lpconvert.read(str(_write(package, tmp_path / "layout"))) as back:
        assert back.package is not None, [p.render() for p in back.problems]
        held = get_format("sections").cannot_hold
        assert_same_content(package, back.package, held)


# --------------------------------------------------------------------------- OLX fidelity

def _current_only(package: lpconvert.Package) -> lpconvert.Package:
    """The package as sections declares it comes back: each entity's current version only,
    published when that version was (its `history` and `published-behind-draft` losses)."""
    entities = []
    for entity in package.model.entities:
        version = entity.current_version
        if version is None:
            continue
        num = version.version_num
        entities.append(entity.model_copy(update={
            "versions": [version], "draft_version": num if entity.draft_version == num else None,
            "published_version": num if entity.published_version == num else None}))
    return lpconvert.Package(package.model.model_copy(update={"entities": entities}), package.resources)


@pytest.mark.parametrize("archive", OLX_CORPORA, ids=lambda p: p.name)
def test_olx_through_sections_comes_back_like_olx_through_json(archive: Path, tmp_path: Path) -> None:
    """OLX -> sections -> OLX writes the same files (canonical XML, bytes) as OLX -> json -> OLX,
    less only what sections declares it drops: JSON-valued settings keep their key order, and
    a block without a display_name gets none."""
    with lpconvert.read(str(archive)) as original:
        assert original.package is not None
        via_json = tmp_path / "json.tar.gz"
        assert lpconvert.write(_current_only(original.package), str(via_json), "olx").written
        assert lpconvert.write(original.package, str(tmp_path / "sections"), "sections").written
    via_sections = tmp_path / "sections.tar.gz"
    converted = lpconvert.convert(str(tmp_path / "sections"), str(via_sections))
    assert converted.ok, [p.render() for p in converted.problems if p.is_error]
    expected, found = _unpack(via_json, tmp_path / "a"), _unpack(via_sections, tmp_path / "b")
    assert set(expected) == set(found)
    assert [path for path in sorted(expected) if _canonical(expected[path]) != _canonical(found[path])] == []


def _unpack(archive: Path, into: Path) -> dict[str, Path]:
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return {str(p.relative_to(into)): p for p in into.rglob("*") if p.is_file()}


def _canonical(path: Path) -> bytes:
    if path.suffix == ".xml":
        return etree.canonicalize(from_file=str(path), strip_text=True).encode()
    return path.read_bytes()


def test_a_table_value_keeps_its_key_order_when_a_plain_key_follows_a_table() -> None:
    from lpconvert_sections.tomlout import dumps

    setting = {"topics": [{"name": "Social", "id": "social"}], "max_team_size": 10, "extra": {"a": 1}}
    doc = {"root": {"attributes": {"teams_configuration": setting, "after": "x"}}}
    back = tomllib.loads(dumps(doc, tables=True))
    assert back == doc
    assert list(back["root"]["attributes"]) == ["teams_configuration", "after"]
    assert list(back["root"]["attributes"]["teams_configuration"]) == ["topics", "max_team_size", "extra"]


def test_a_table_with_a_null_keeps_its_nan_and_infinity(tmp_path: Path) -> None:
    """TOML has no null, so such a table is written as JSON text; pydantic's JSON mode would make
    the NaN a second null there, which reads back as something the source never said."""
    from lpconvert.model import CompletePackageInput
    from lpconvert.package import Package

    html = {"version_num": 1, "title": "T", "media": {"block.xml": {"text": "<html/>"}}}
    tool = {"ratio": float("nan"), "ceiling": float("inf"), "unset": None}
    model = CompletePackageInput.model_validate({
        "learning_package": {"key": "lib:x:y", "title": "T", "tool": tool},
        "entities": [{"key": "xblock.v1:html:a", "draft_version": 1, "versions": [html], "weird": tool}]})
    out = _write(Package(model), tmp_path / "out")
    assert "learning_package_json" in tomllib.loads((out / "package.toml").read_text())
    with lpconvert.read(str(out), "sections") as back:
        assert back.package is not None
        assert repr(back.package.model.learning_package.model_extra["tool"]) == repr(tool)
        assert repr(back.package.model.entities[0].model_extra["weird"]) == repr(tool)
