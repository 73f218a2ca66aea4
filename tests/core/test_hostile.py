"""Hostile input beyond the per-case table in test_bad_inputs: XML tricks, damage met while
writing, links in a directory, limits from the environment, and cleaning up after refusal."""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest
from helpers.archives import tar_bytes

import lpconvert
from lpconvert.storage.limits import Limits
from lpconvert.storage.source import SourceError, open_source, source_from_bytes
from lpconvert.xmlsafe import XmlError, parse_xml
from helpers.paths import ROOT

SMALL = ROOT / "fixtures" / "lp-archive" / "small-library"
LOGO = "entities/xblock.v1/html/intro/component_versions/v2/static/logo.png"


def library() -> dict[str, bytes]:
    return {p.relative_to(SMALL).as_posix(): p.read_bytes() for p in sorted(SMALL.rglob("*")) if p.is_file()}


# --------------------------------------------------------------------------- XML


@pytest.mark.parametrize("doc", [
    b'<?xml version="1.0"?>\n<!-- ' + b"x" * 10000 + b' -->\n<!DOCTYPE a [<!ENTITY e "boom">]>\n<a>&e;</a>',
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY e "boom">]><a>&e;</a>'.encode("utf-16"),
    b'<!DOCTYPE a SYSTEM "http://example.com/evil.dtd"><a/>',
    b'<!doctype a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>',
], ids=["after-a-long-comment", "utf-16", "external-dtd", "lowercase"])
def test_document_type_declarations_are_refused_wherever_they_hide(doc: bytes) -> None:
    with pytest.raises(XmlError) as caught:
        parse_xml(doc)
    assert caught.value.code == "xml-forbidden"


def test_an_html_doctype_inside_cdata_is_just_text() -> None:
    root = parse_xml(b"<html><![CDATA[<!DOCTYPE html><p>hello</p>]]></html>")
    assert root.text == "<!DOCTYPE html><p>hello</p>"


def test_an_undefined_entity_is_a_syntax_error_not_a_lookup() -> None:
    with pytest.raises(XmlError) as caught:
        parse_xml(b"<a>&nbsp;</a>")
    assert caught.value.code == "xml-syntax" and caught.value.line == 1


def test_a_configured_depth_is_enforced() -> None:
    parse_xml(b"<a>" * 20 + b"</a>" * 20)
    with pytest.raises(XmlError) as caught:
        parse_xml(b"<a>" * 20 + b"</a>" * 20, max_depth=10)
    assert caught.value.code == "xml-too-deep"


def test_a_bad_encoding_declaration_is_a_syntax_error() -> None:
    with pytest.raises(XmlError) as caught:
        parse_xml(b'<?xml version="1.0" encoding="no-such-codec"?><a/>')
    assert caught.value.code == "xml-syntax"


# --------------------------------------------------------------------------- damage met while writing


def _stored_zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_a_damaged_media_file_fails_the_conversion_cleanly(tmp_path: Path) -> None:
    """Validation reads block.xml, not every image; a bad CRC found while copying the image
    must still leave nothing behind and say which file is damaged."""
    files = library()
    data = bytearray(_stored_zip(files))
    logo = files[LOGO]
    at = bytes(data).find(logo)
    assert at > 0
    data[at + len(logo) // 2] ^= 0xFF
    source = tmp_path / "damaged.zip"
    source.write_bytes(bytes(data))
    out = tmp_path / "out"
    out.mkdir()
    result = lpconvert.convert(str(source), str(out / "copy.zip"))
    assert not result.ok
    assert [(p.code, p.file) for p in result.problems if p.is_error] == [("archive-corrupt", LOGO)]
    assert list(out.iterdir()) == []


def test_a_stream_of_a_damaged_member_raises_source_error() -> None:
    files = library()
    data = bytearray(_stored_zip(files))
    at = bytes(data).find(files[LOGO])
    data[at] ^= 0xFF
    source = source_from_bytes("damaged.zip", bytes(data))
    with source, pytest.raises(SourceError) as caught, source.open(LOGO) as stream:
        stream.read()
    assert caught.value.code == "archive-corrupt"


# --------------------------------------------------------------------------- directories


def test_symlinks_in_a_directory_are_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy me")
    folder = tmp_path / "lib"
    for name, data in library().items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    static = folder / "entities/xblock.v1/html/intro/component_versions/v2/static"
    os.symlink(secret, static / "secret.txt")
    with open_source(str(folder)) as source:
        assert not any(p.endswith("secret.txt") for p in source.files)
    out = tmp_path / "copy.zip"
    assert lpconvert.convert(str(folder), str(out)).ok
    with zipfile.ZipFile(out) as zf:
        assert not any(n.endswith("secret.txt") for n in zf.namelist())


def test_a_path_that_does_not_exist() -> None:
    result = lpconvert.validate("/nonexistent/library.zip")
    assert not result.valid
    assert [p.code for p in result.problems] == ["source-not-found"]


# --------------------------------------------------------------------------- limits


def test_too_many_members_is_refused() -> None:
    limits = Limits(max_members=5)
    with pytest.raises(SourceError) as caught:
        source_from_bytes("lib.zip", _stored_zip(library()), limits)
    assert caught.value.code == "archive-too-large"
    with pytest.raises(SourceError) as caught:
        source_from_bytes("lib.tar.gz", tar_bytes(list(library().items())), limits)
    assert caught.value.code == "archive-too-large"


def test_a_fifo_in_a_tar_is_refused() -> None:
    fifo = tarfile.TarInfo("lib/pipe")
    fifo.type = tarfile.FIFOTYPE
    with pytest.raises(SourceError) as caught:
        source_from_bytes("lib.tar.gz", tar_bytes([("lib/package.toml", b"[meta]\n"), fifo]))
    assert caught.value.code == "archive-unsafe-path"


def test_a_refused_tar_leaves_no_temporary_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    link = tarfile.TarInfo("lib/zz-link")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    with pytest.raises(SourceError):
        source_from_bytes("lib.tar.gz", tar_bytes([*(("lib/" + k, v) for k, v in library().items()), link]))
    assert list(private.iterdir()) == []


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LPCONVERT_MAX_TEXT_SIZE", "2K")
    monkeypatch.setenv("LPCONVERT_MAX_XML_DEPTH", "50")
    monkeypatch.setenv("LPCONVERT_MAX_NESTING", "12")
    monkeypatch.setenv("LPCONVERT_MAX_SQLITE_WORK", "1000")
    limits = Limits.from_env()
    assert (limits.max_text_bytes, limits.max_xml_depth, limits.max_nesting, limits.max_sqlite_work) == \
        (2048, 50, 12, 1000)


def test_a_block_xml_beyond_the_text_limit_is_refused_unread() -> None:
    files = library()
    video = "entities/xblock.v1/video/welcome/component_versions/v1/block.xml"
    files[video] = b'<video display_name="v">' + b" " * 5000 + b"</video>"
    source = source_from_bytes("lib.zip", _stored_zip(files), Limits(max_text_bytes=4096))
    with lpconvert.read(source) as result:
        assert [(p.code, p.file) for p in result.problems if p.is_error] == [("file-too-large", video)]


def test_a_limit_that_does_not_parse_is_a_usage_error(cli) -> None:
    result = cli("validate", str(SMALL), env={"LPCONVERT_MAX_SIZE": "banana"})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "banana" in result.stderr


# --------------------------------------------------------------------------- single-file formats
# The per-format cases with their problem codes are in test_bad_inputs (HOSTILE_FORMATS); here,
# what a user reads on the terminal, and the defences that no well-formed case can reach.

FIXTURES = SMALL.parent.parent
GUARD = 120
"""Seconds a subprocess may take: a guard against a hang, not a measure of speed."""


def test_a_json_document_200000_arrays_deep_is_one_clear_error(tmp_path: Path, cli) -> None:
    doc = tmp_path / "deep.json"
    doc.write_text('{"learning_package": {"key": "k", "title": "t"}, "entities": ['
                   + "[" * 200_000 + "]" * 200_000 + "]}")
    validated = cli("validate", str(doc), timeout=GUARD)
    assert validated.returncode == 1
    assert validated.stderr.splitlines() == [
        "deep.json",
        "  error: deep.json nests arrays or objects too deep to parse (more than 100 levels are refused) "
        "(json-too-deep)",
        f"{doc}: INVALID json; 1 error, 0 warnings",
    ]
    converted = cli(str(doc), str(tmp_path / "out.sqlite"), timeout=GUARD)
    assert converted.returncode == 1 and "Traceback" not in converted.stderr
    assert not (tmp_path / "out.sqlite").exists()


def test_the_nesting_limit_comes_from_the_environment(tmp_path: Path, cli) -> None:
    """The fixture's deepest value is 7 levels down (a media file's text): a limit of 6 refuses it."""
    fixture = str(FIXTURES / "json" / "small-library.json")
    assert cli("validate", fixture, env={"LPCONVERT_MAX_NESTING": "7"}, timeout=GUARD).returncode == 0
    refused = cli("validate", fixture, env={"LPCONVERT_MAX_NESTING": "6"}, timeout=GUARD)
    assert refused.returncode == 1 and "(json-too-deep)" in refused.stderr


def test_an_endless_query_is_stopped_by_the_work_budget(tmp_path: Path) -> None:
    """The reader refuses a view before querying it; should any query still never end (a case no
    check foresaw), the progress handler stops it and the problem names the table."""
    import sqlite3

    from lpconvert_sqlite.guard import QueryGuard, open_read_only

    path = tmp_path / "endless.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE VIEW versions AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
                   "SELECT i FROM n")
    db.close()
    conn = open_read_only(str(path))
    try:
        guard = QueryGuard(conn, 1_000_000)
        with pytest.raises(sqlite3.OperationalError):
            guard.query("versions", "SELECT count(*) FROM versions").fetchall()
        problem = guard.problem("endless.sqlite")
        assert (problem.code, problem.file, problem.field) == ("sqlite-too-much-work", "endless.sqlite", "versions")
        # the next query has a budget of its own
        assert guard.query("sqlite_master", "SELECT count(*) FROM sqlite_master").fetchone() == (1,)
    finally:
        conn.close()


def test_a_database_is_opened_for_reading_only(tmp_path: Path) -> None:
    """Reading never changes the user's file, whatever the connection is asked to do."""
    import sqlite3

    from lpconvert_sqlite.guard import open_read_only

    path = tmp_path / "lib.sqlite"
    path.write_bytes((FIXTURES / "sqlite" / "small-library.sqlite").read_bytes())
    before = path.read_bytes()
    conn = open_read_only(str(path))
    try:
        with pytest.raises(sqlite3.Error):
            conn.execute("DELETE FROM entities")
    finally:
        conn.close()
    with lpconvert.read(str(path)) as result:
        assert result.package is not None
    assert path.read_bytes() == before


def test_a_virtual_table_in_place_of_a_table_is_refused(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "lib.sqlite"
    path.write_bytes((FIXTURES / "sqlite" / "small-library.sqlite").read_bytes())
    with sqlite3.connect(path) as db:
        try:
            db.executescript("ALTER TABLE children RENAME TO children_kept; "
                             "CREATE VIRTUAL TABLE children USING fts5(entity_id, version_num, position, child_key)")
        except sqlite3.OperationalError:
            pytest.skip("this SQLite has no fts5 to build a virtual table with")
    db.close()
    with lpconvert.read(str(path)) as result:
        assert [(p.code, p.field) for p in result.problems] == [("sqlite-not-a-table", "children")]


def _deep_olx_attribute(files: dict[str, bytes], depth: int = 200_000) -> None:
    chapter = files["chapter/week1.xml"].decode()
    files["chapter/week1.xml"] = chapter.replace("<chapter ", f'<chapter deep="{"[" * depth}{"]" * depth}" ',
                                                 1).encode()


def _deep_olx_policy(files: dict[str, bytes]) -> None:
    """The course title then comes from the policy, which the reader parses."""
    files["course/2026.xml"] = files["course/2026.xml"].replace(b' display_name="Tiny Course"', b"")
    files["policies/2026/policy.json"] = ('{"course/2026": {"x": ' + "[" * 200_000 + "]" * 200_000 + "}}").encode()


@pytest.mark.parametrize("depth", [150, 200_000], ids=["beyond-the-limit", "beyond-python"])
def test_json_too_deep_in_an_olx_attribute_is_kept_as_its_text(depth: int, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """An OLX attribute is text: one too deep to hold as JSON stays that text, so no format refuses it later."""
    folder = FIXTURES / "olx" / "tiny-course"
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    _deep_olx_attribute(files, depth)
    course = tmp_path / "course.tar.gz"
    course.write_bytes(tar_bytes([(f"course/{k}", v) for k, v in files.items()]))
    as_json = tmp_path / "course.json"
    result = cli(str(course), str(as_json), timeout=GUARD)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    back = cli("validate", str(as_json), timeout=GUARD)
    assert back.returncode == 0, back.stderr
    deep = "[" * depth + "]" * depth
    with lpconvert.read(str(as_json)) as read_back:
        assert read_back.package is not None
        chapters = [e for e in read_back.package.model.entities if e.container_type == "section"]
        assert any(v.attributes.get("deep") == deep for e in chapters for v in e.versions)


def test_json_200000_deep_in_an_olx_policy_is_one_true_warning(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    folder = FIXTURES / "olx" / "tiny-course"
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
    _deep_olx_policy(files)
    course = tmp_path / "course.tar.gz"
    course.write_bytes(tar_bytes([(f"course/{k}", v) for k, v in files.items()]))
    result = cli("validate", str(course), timeout=GUARD)
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    [line] = [x for x in result.stderr.splitlines() if "(json-too-deep)" in x]
    assert "nests deeper than 100 levels" in line
