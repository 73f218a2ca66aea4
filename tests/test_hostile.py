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
from conftest import tar_bytes

import lpconvert
from lpconvert.storage.limits import Limits
from lpconvert.storage.source import SourceError, open_source, source_from_bytes
from lpconvert.xmlsafe import XmlError, parse_xml

SMALL = Path(__file__).resolve().parent.parent / "fixtures" / "lp-archive" / "small-library"
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
    limits = Limits.from_env()
    assert (limits.max_text_bytes, limits.max_xml_depth) == (2048, 50)


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
