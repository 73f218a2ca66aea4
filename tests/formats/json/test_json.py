"""The json format: one document, the hub model as JSON, media inline with explicit encoding."""

from __future__ import annotations

import base64
import json

import pytest

import lpconvert
from lpconvert.model import CompletePackageInput
from lpconvert.storage.source import source_from_bytes
from lpconvert.testing import assert_same_content

from helpers.paths import FIXTURES, LP_CORPORA
from helpers.packages import LATIN1, PNG, build


def _write(package, path):  # type: ignore[no-untyped-def]
    result = lpconvert.write(package, str(path), "json")
    assert result.written, [p.render() for p in result.problems]
    return path


def test_full_package_round_trips_and_input_is_untouched(tmp_path):
    package = build("full")
    before = package.model.model_dump()
    out = _write(package, tmp_path / "p.json")
    assert package.model.model_dump() == before
    with lpconvert.read(str(out)) as back:
        assert back.format == "json"
        assert back.package is not None
        assert_same_content(package, back.package)


def test_media_encoding_is_explicit_text_or_base64(tmp_path):
    doc = json.loads(_write(build("full"), tmp_path / "p.json").read_text("utf-8"))
    by_key = {e["key"]: e for e in doc["entities"]}
    html = by_key["xblock.v1:html:intro"]["versions"][1]["media"]
    assert html["static/dot.png"] == {"base64": base64.b64encode(PNG).decode()}
    assert html["static/notes/read me.txt"] == {"text": "line 1\r\nline 2\n\u00e9\u4e2d\n"}
    assert html["block.xml"]["text"].startswith("<html")
    problem = by_key["xblock.v1:problem:q1"]["versions"][0]["media"]
    assert base64.b64decode(problem["hello.txt"]["base64"]) == LATIN1
    assert doc["files"]["static/logo.png"] == {"base64": base64.b64encode(PNG).decode()}


def test_document_is_the_hub_model(tmp_path):
    """What `lpconvert schema` describes: the model validates the file as it is."""
    text = _write(build("full"), tmp_path / "p.json").read_bytes()
    model = CompletePackageInput.model_validate_json(text)
    assert model.learning_package.key == "lib:Org:FULL"
    assert model.model_extra == {"x_package_note": {"why": "unknown top-level field"}}
    assert b'"resource"' not in text


def test_output_is_deterministic(tmp_path):
    a = _write(build("full"), tmp_path / "a.json").read_bytes()
    b = _write(build("full"), tmp_path / "b.json").read_bytes()
    assert a == b


def test_json_suffix_chooses_json(tmp_path, cli):
    src = tmp_path / "in.json"
    _write(build("library"), src)
    proc = cli(str(src), str(tmp_path / "copy.json"))
    assert proc.returncode == 0, proc.stderr
    assert "(json, from json)" in proc.stdout + proc.stderr


@pytest.mark.parametrize("archive", LP_CORPORA, ids=lambda p: p.name)
def test_corpus_round_trips(archive, tmp_path):
    with lpconvert.read(str(archive)) as original:
        assert original.package is not None
        out = _write(original.package, tmp_path / "c.json")
        with lpconvert.read(str(out)) as back:
            assert back.package is not None
            assert_same_content(original.package, back.package)


# --------------------------------------------------------------------------- bad input


def _problems(name: str, text: str):  # type: ignore[no-untyped-def]
    source = source_from_bytes(name, text.encode("utf-8"))
    return lpconvert.validate(source, "json").problems


def test_syntax_error_names_file_and_line():
    problems = _problems("broken.json", '{\n  "learning_package": {"key": "k",\n  "title": "t",}\n}\n')
    assert [p.code for p in problems] == ["json-syntax"]
    assert problems[0].file == "broken.json"
    assert problems[0].line == 3


def test_wrong_type_names_field_and_line():
    text = ('{\n "learning_package": {"key": "k", "title": "t"},\n "entities": [\n  {"key": "u1",\n'
            '   "container_type": "unit",\n   "draft_version": "two",\n'
            '   "versions": [{"version_num": 1, "title": "U", "children": []}]}\n ]\n}\n')
    problems = [p for p in _problems("pkg.json", text) if p.is_error]
    assert [(p.code, p.file, p.field, p.line) for p in problems] == [
        ("invalid-value", "pkg.json", "entities[0].draft_version", 6)]


def test_document_that_is_not_an_object():
    problems = _problems("list.json", "[1, 2]")
    assert [p.code for p in problems] == ["invalid-value"]
    assert "JSON object" in problems[0].message


def test_cli_reports_bad_json_without_traceback(tmp_path, cli):
    bad = tmp_path / "bad.json"
    bad.write_text('{"learning_package": ', "utf-8")
    proc = cli("validate", str(bad))
    assert proc.returncode != 0
    assert "json-syntax" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_committed_fixture_still_reads_as_the_archive_it_came_from():
    """fixtures/json/small-library.json was written from fixtures/lp-archive/small-library;
    a change that stops older documents from reading the same shows up here."""
    with lpconvert.read(str(FIXTURES / "json" / "small-library.json")) as doc, \
            lpconvert.read(str(FIXTURES / "lp-archive" / "small-library")) as archive:
        assert doc.format == "json" and doc.package is not None and archive.package is not None
        assert_same_content(archive.package, doc.package)


BROKEN_BLOCK = "<html>\n<p>\n</html>\n"
"""A block.xml whose tags cross on its third line (libxml2 reports the mismatch there)."""


def test_a_broken_block_xml_points_at_its_json_path_line_and_line_inside(tmp_path, cli):
    """`validate` names the document, the media member as a JSON path, the line of that member
    in the .json file, and the line inside block.xml apart (not mangled into a file name)."""
    doc = json.loads((FIXTURES / "json" / "small-library.json").read_text("utf-8"))
    assert doc["entities"][3]["key"] == "xblock.v1:html:intro"
    doc["entities"][3]["versions"][0]["media"]["block.xml"] = {"text": BROKEN_BLOCK}
    text = json.dumps(doc, indent=2)
    lines = text.splitlines()
    text_line = next(n for n, line in enumerate(lines, 1) if json.dumps(BROKEN_BLOCK) in line)
    assert lines[text_line - 2].strip() == '"block.xml": {'
    member_line = text_line - 1  # the member's value starts on the line of its key
    broken = tmp_path / "broken.json"
    broken.write_text(text, "utf-8")
    report = tmp_path / "report.json"

    result = cli("validate", str(broken), "--report", str(report))

    assert result.returncode == 1 and "Traceback" not in result.stderr
    field = 'entities[3].versions[0].media["block.xml"]'
    out = result.stderr.splitlines()
    assert out[0] == "broken.json"
    assert out[1].startswith(f"  line {member_line} [{field}:3]: error: xblock.v1:html:intro v2: block.xml "
                             "not well-formed XML")
    assert out[1].endswith("(bad-block-xml)")
    (problem,) = json.loads(report.read_text())["problems"]
    assert {k: problem[k] for k in ("code", "file", "field", "line", "media_line")} == {
        "code": "bad-block-xml", "file": "broken.json", "field": field, "line": member_line, "media_line": 3}


def test_a_schema_problem_names_the_json_path_with_quoted_keys(tmp_path):
    """A media path is a key with dots and slashes: the path quotes it, so it reads unambiguously."""
    doc = json.loads((FIXTURES / "json" / "small-library.json").read_text("utf-8"))
    doc["entities"][3]["versions"][1]["media"]["static/a b.png"] = {"text": 7}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(doc, indent=2), "utf-8")
    with lpconvert.read(str(path)) as result:
        fields = {p.field for p in result.problems if p.code == "invalid-value"}
    assert 'entities[3].versions[1].media["static/a b.png"].text' in fields


def test_nan_and_infinity_are_a_loss_said_before_writing(tmp_path):
    """JSON has no NaN: the document says null, and the user is told first (--strict refuses)."""
    from lpconvert.package import Package

    html = {"version_num": 1, "title": "T", "media": {"block.xml": {"text": "<html/>"}}}
    package = Package(CompletePackageInput.model_validate({
        "learning_package": {"key": "lib:x:y", "title": "T", "tool": {"ratio": float("nan")}},
        "entities": [{"key": "xblock.v1:html:a", "draft_version": 1,
                      "versions": [{**html, "attributes": {"weight": float("-inf"), "max": 2.5}}]}]}))
    refused = lpconvert.write(package, str(tmp_path / "strict.json"), strict=True)
    assert not refused.written and not (tmp_path / "strict.json").exists()
    out = tmp_path / "out.json"
    written = lpconvert.write(package, str(out), strict=True, allow_loss=["non-finite-numbers"])
    losses = [p for p in written.problems if p.code == "loss"]
    assert [p.field for p in losses] == ["non-finite-numbers"]
    assert "2 such number(s)" in losses[0].message and "lib:x:y, xblock.v1:html:a" in losses[0].message
    doc = json.loads(out.read_text())  # standard JSON: no NaN token in it
    assert doc["learning_package"]["tool"] == {"ratio": None}
    assert doc["entities"][0]["versions"][0]["attributes"] == {"weight": None, "max": 2.5}
