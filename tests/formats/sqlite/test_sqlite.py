"""The sqlite format: a database a researcher can query, that reads back to the same package."""

from __future__ import annotations

import base64
import json
import hashlib
import random
import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

import lpconvert
from lpconvert.model import CompletePackageInput
from lpconvert.package import Package
from lpconvert.testing import assert_same_content
from lpconvert_sqlite.reader import SqliteResources

from helpers.paths import LP_CORPORA, ROOT, corpus
from helpers.packages import build, full_data


DOC = ROOT / "docs" / "formats" / "sqlite.md"


def _write(package: Package, path: Path, fmt: str | None = "sqlite") -> Path:
    result = lpconvert.write(package, str(path), fmt)
    assert result.written, [p.render() for p in result.problems]
    return path


def _queries() -> dict[str, str]:
    text = DOC.read_text("utf-8")
    return {m.group(1): m.group(0) for m in re.finditer(r"-- query: ([\w-]+)\n[^`]*", text)}


def test_full_package_round_trips_and_input_is_untouched(tmp_path):
    package = build("full")
    before = package.model.model_dump()
    out = _write(package, tmp_path / "p.sqlite")
    assert package.model.model_dump() == before
    with lpconvert.read(str(out)) as back:
        assert back.format == "sqlite"
        assert back.package is not None, [p.render() for p in back.problems]
        assert_same_content(package, back.package)


def test_output_is_deterministic(tmp_path):
    a = _write(build("full"), tmp_path / "a.sqlite").read_bytes()
    b = _write(build("full"), tmp_path / "b.sqlite").read_bytes()
    assert a == b


@pytest.mark.parametrize("name", ["out.sqlite", "out.db"])
def test_suffix_chooses_sqlite(tmp_path, name):
    result = lpconvert.write(build("library"), str(tmp_path / name))
    assert result.written and result.format == "sqlite"


def test_tables_hold_what_a_researcher_expects(tmp_path):
    out = _write(build("full"), tmp_path / "p.sqlite")
    with sqlite3.connect(out) as db:
        children = db.execute(
            "SELECT child_key FROM children c JOIN entities e ON e.id = c.entity_id "
            "WHERE e.key = 'unit-a' AND c.version_num = 3 ORDER BY position").fetchall()
        assert [c for (c,) in children] == ["xblock.v1:html:intro", "xblock.v1:problem:q1", "xblock.v1:video:v\u00e9lo"]
        members = db.execute("SELECT entity_key FROM collection_members m JOIN collections c "
                             "ON c.id = m.collection_id WHERE c.key = 'starter' ORDER BY position").fetchall()
        assert [m for (m,) in members] == ["xblock.v1:html:intro", "unit-a"]
        rows = db.execute("SELECT path, encoding, text, data, size, sha256 FROM media").fetchall()
        for path, encoding, text, data, size, digest in rows:
            content = text.encode("utf-8") if encoding == "text" else data
            assert len(content) == size and hashlib.sha256(content).hexdigest() == digest, path
        encodings = {path: encoding for path, encoding, *_ in rows}
        assert encodings["static/dot.png"] == "binary" and encodings["hello.txt"] == "binary"
        assert encodings["block.xml"] == "text" and encodings["policies/course/policy.json"] == "text"
        attrs = db.execute("SELECT json_extract(attributes, '$.format') FROM versions v JOIN entities e "
                           "ON e.id = v.entity_id WHERE e.key = 'first-steps'").fetchone()
        assert attrs == ("Homework",)
        extra = db.execute("SELECT json_extract(extra, '$.x_unit_note') FROM entities WHERE key = 'unit-a'").fetchone()
        assert extra == ("kept",)


def test_large_media_are_streamed_into_blobs_and_come_back(tmp_path):
    data = full_data()
    big = "x" * (3 << 20)
    data["entities"][6]["versions"][1]["media"]["static/notes/read me.txt"] = {"text": big}
    package = Package(CompletePackageInput.model_validate(data))
    out = _write(package, tmp_path / "big.sqlite")
    with lpconvert.read(str(out)) as back:
        assert back.package is not None
        version = back.package.entity("xblock.v1:html:intro").version(2)  # type: ignore[union-attr]
        assert back.package.read_media(version.media["static/notes/read me.txt"]) == big.encode()


def test_media_read_back_the_same_in_any_order(tmp_path, monkeypatch):
    """Media are fetched in windows of rows; every file, small or large, text or binary, edited by
    hand or not, reads back the same bytes whatever order a writer asks for them in."""
    data = full_data()
    media = data["entities"][6]["versions"][1]["media"]
    media["static/long.txt"] = {"text": "\u00e9t\u00e9 " * 20000}  # text larger than a window holds
    media["static/noise.bin"] = {"base64": base64.b64encode(bytes(range(256)) * 400).decode()}
    media.update({f"static/n{i}.txt": {"text": f"note {i}"} for i in range(40)})
    package = Package(CompletePackageInput.model_validate(data))
    out = _write(package, tmp_path / "p.sqlite")
    with sqlite3.connect(out) as db:  # values of other types than the writer's, as SQL allows
        db.execute("UPDATE media SET text = CAST(text AS BLOB) WHERE path = 'block.xml' AND entity_id = 1")
        db.execute("UPDATE media SET data = 'plain words' WHERE path = 'hello.txt'")
        expected = {str(i): (content or b"", size) for i, content, size in db.execute(
            "SELECT id, CAST(CASE encoding WHEN 'text' THEN text ELSE data END AS BLOB), size FROM media")}
    monkeypatch.setattr(SqliteResources, "WINDOW", 8)  # windows small enough for a fixture to cross many
    monkeypatch.setattr(SqliteResources, "FIRST_WINDOW", 3)
    monkeypatch.setattr(SqliteResources, "WINDOWS", 2)
    with lpconvert.read(str(out)) as back:
        assert back.package is not None, [p.render() for p in back.problems]
        resources = back.package.resources
        for order in (sorted(expected, key=int), sorted(expected, key=int, reverse=True),
                      random.Random(7).sample(sorted(expected), len(expected))):
            for resource in order:
                with resources.open(resource) as stream:
                    assert stream.read() == expected[resource][0], resource
                assert resources.size(resource) == expected[resource][1]
        with pytest.raises(FileNotFoundError):
            resources.open("999999")
        assert resources.size("999999") is None


def test_schema_in_the_docs_is_the_schema_written(tmp_path):
    from lpconvert_sqlite.schema import SCHEMA

    assert SCHEMA in DOC.read_text("utf-8")


def test_documented_queries_answer_on_the_fixture(tmp_path):
    package = build("full")
    out = _write(package, tmp_path / "p.sqlite")
    queries = _queries()
    assert {"components-by-type", "units-without-components", "most-edited", "media-size-by-type"} <= set(queries)
    with sqlite3.connect(out) as db:
        types = db.execute(queries["components-by-type"]).fetchall()
        assert dict(types) == {"html": 2, "problem": 1, "video": 1}
        assert db.execute(queries["units-without-components"]).fetchall() == [("unit-b", "")]
        top = db.execute(queries["most-edited"]).fetchall()
        assert top[:3] == [("unit-a", "unit", 2), ("week-1", "section", 2),
                           ("xblock.v1:html:intro", "xblock.v1:html", 2)]
        sizes = {ext: (n, total) for ext, n, total in db.execute(queries["media-size-by-type"])}
        assert sizes["png"][0] == 2 and sizes["xml"][0] == 5
        using = db.execute(queries["components-using-static"]).fetchall()
        assert using == [("xblock.v1:html:intro",)]


def test_documented_queries_agree_with_the_package_on_a_real_library(tmp_path):
    archive = corpus("lp/synth-1000.zip")
    with lpconvert.read(str(archive)) as original:
        assert original.package is not None
        model = original.package.model
        out = _write(original.package, tmp_path / "synth.sqlite")
        expected_types = Counter(e.key.split(":")[1] for e in model.entities if e.container_type is None)
        expected_bytes: Counter[str] = Counter()
        for _, _, path, media in original.package.iter_media():
            expected_bytes[path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""] += \
                original.package.media_size(media)
    queries = _queries()
    with sqlite3.connect(out) as db:
        assert dict(db.execute(queries["components-by-type"]).fetchall()) == dict(expected_types)
        got = {ext: total for ext, _, total in db.execute(queries["media-size-by-type"])}
        assert got == dict(expected_bytes)
        most = db.execute(queries["most-edited"]).fetchall()
        assert most[0][2] == max(len(e.versions) for e in model.entities)


@pytest.mark.parametrize("archive", LP_CORPORA, ids=lambda p: p.name)
def test_corpus_round_trips(archive, tmp_path):
    with lpconvert.read(str(archive)) as original:
        assert original.package is not None
        out = _write(original.package, tmp_path / "c.sqlite")
        with lpconvert.read(str(out)) as back:
            assert back.package is not None
            assert_same_content(original.package, back.package)


# --------------------------------------------------------------------------- bad input


def _errors(path: Path) -> list:  # type: ignore[type-arg]
    return [p for p in lpconvert.validate(str(path)).problems if p.is_error]


def test_not_a_database(tmp_path, cli):
    bad = tmp_path / "notes.sqlite"
    bad.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    errors = _errors(bad)
    assert [p.code for p in errors] == ["sqlite-error"]
    assert errors[0].file == "notes.sqlite"
    proc = cli("validate", str(bad))
    assert proc.returncode != 0 and "sqlite-error" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_someone_elses_database(tmp_path):
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    errors = _errors(other)
    assert [p.code for p in errors] == ["sqlite-error"]
    assert "not one lpconvert wrote" in errors[0].message


def test_missing_table_is_named(tmp_path):
    out = _write(build("library"), tmp_path / "p.sqlite")
    with sqlite3.connect(out) as db:
        db.execute("DROP TABLE children")
    errors = _errors(out)
    assert [(p.code, p.field) for p in errors] == [("sqlite-error", "children")]


def test_bad_row_value_names_row_and_column(tmp_path):
    out = _write(build("library"), tmp_path / "p.sqlite")
    with sqlite3.connect(out) as db:
        db.execute("UPDATE entities SET draft_version = 'two' WHERE key = 'unit-b'")
        db.execute("UPDATE versions SET attributes = '{not json' "
                   "WHERE entity_id = (SELECT id FROM entities WHERE key = 'week-1') AND version_num = 2")
    errors = _errors(out)
    found = {(p.code, p.file, p.field) for p in errors}
    assert ("invalid-value", "p.sqlite", "entities[key=unit-b].draft_version") in found
    assert ("json-syntax", "p.sqlite", "versions[entity=week-1, version_num=2].attributes") in found


def test_committed_fixture_still_reads_as_the_archive_it_came_from():
    """fixtures/sqlite/small-library.sqlite was written from fixtures/lp-archive/small-library."""
    fixtures = ROOT / "fixtures"
    with lpconvert.read(str(fixtures / "sqlite" / "small-library.sqlite")) as db, \
            lpconvert.read(str(fixtures / "lp-archive" / "small-library")) as archive:
        assert db.format == "sqlite" and db.package is not None and archive.package is not None
        assert_same_content(archive.package, db.package)


def test_reads_from_a_remote_filesystem(tmp_path):
    """SQLite needs a real file: a database behind fsspec (memory://, s3://) is copied first."""
    from lpconvert.storage.source import source_from_bytes

    data = _write(build("library"), tmp_path / "p.sqlite").read_bytes()
    with lpconvert.read(source_from_bytes("remote.sqlite", data)) as back:
        assert back.format == "sqlite" and back.package is not None
        assert_same_content(build("library"), back.package)


def test_problems_point_at_table_row_and_column_and_the_line_inside_block_xml(tmp_path, cli):
    """`validate` names rows by their keys, as docs/formats/sqlite.md promises, never by a media
    row id; a block.xml problem keeps the line inside the block.xml as a field of its own."""
    db_path = tmp_path / "broken.sqlite"
    db_path.write_bytes((ROOT / "fixtures" / "sqlite" / "small-library.sqlite").read_bytes())
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE media SET text = '<html>\n<p>\n</html>\n' WHERE path = 'block.xml' AND version_num = 2 "
                   "AND entity_id = (SELECT id FROM entities WHERE key = 'xblock.v1:html:intro')")
        db.execute("UPDATE versions SET created = 'yesterday' WHERE version_num = 1 "
                   "AND entity_id = (SELECT id FROM entities WHERE key = 'getting-started')")
    db.close()
    report = tmp_path / "report.json"

    result = cli("validate", str(db_path), "--report", str(report))

    assert result.returncode == 1 and "Traceback" not in result.stderr
    found = {(p["code"], p["file"], p["field"], p["line"], p["media_line"])
             for p in json.loads(report.read_text())["problems"]}
    block = "media[entity=xblock.v1:html:intro, version_num=2, path=block.xml].text"
    title = "versions[entity=getting-started, version_num=1].created"
    assert found == {("bad-block-xml", "broken.sqlite", block, None, 3),
                     ("invalid-value", "broken.sqlite", title, None, None)}
    out = result.stderr.splitlines()
    assert out[0] == "broken.sqlite"
    assert f"  [{block}:3]: error: xblock.v1:html:intro v2: block.xml not well-formed XML" in "\n".join(out)
    assert any(line.startswith(f"  [{title}]: error: ") for line in out)


def test_nan_and_infinity_in_unknown_fields_survive(tmp_path: Path) -> None:
    """The database's JSON columns are lpconvert's own: NaN and infinity are kept there, not
    turned into null as pydantic's JSON mode would."""
    block = {"block.xml": {"text": "<html/>"}}
    odd = {"ratio": float("nan"), "cap": [float("inf"), float("-inf")]}
    model = CompletePackageInput.model_validate({
        "learning_package": {"key": "lib:x:y", "title": "T", "tool": odd}, "custom": odd,
        "entities": [{"key": "xblock.v1:html:a", "draft_version": 1, "weird": odd,
                      "versions": [{"version_num": 1, "title": "v", "media": block}]}]})
    out = tmp_path / "o.sqlite"
    written = lpconvert.write(Package(model), str(out))
    assert written.ok and written.problems == []
    with lpconvert.read(str(out)) as back:
        assert back.package is not None
        got = back.package.model
        assert [repr(x) for x in (got.learning_package.model_extra["tool"], got.model_extra["custom"],
                                  got.entities[0].model_extra["weird"])] == [repr(odd)] * 3
