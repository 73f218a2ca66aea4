"""Bad inputs, run as a user runs them: `lpconvert validate IN` and `lpconvert IN OUT`.

Every case builds one broken input from the small valid library (a few edited strings, so
the case says exactly what is wrong), then asserts what a user sees: `validate` exits 1 and
its `--report` names the problem code, the file (and the field and line where the file has
them); the conversion exits 1 and leaves neither the destination nor a temporary sibling.

The cases cover upstream openedx-core's own list of bad archives (the end of
lp-archive-v1.md), the consistency checks upstream skips, and hostile containers.
"""

from __future__ import annotations

import io
import json
import os
import re
import tarfile
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
import contextlib
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers.archives import tar_bytes
from helpers.paths import ROOT

SMALL = ROOT / "fixtures" / "lp-archive" / "small-library"
VALIDATION_DOC = ROOT / "docs" / "validation.md"
HTML = "entities/xblock.v1/html/intro.toml"
HTML_V2 = "entities/xblock.v1/html/intro/component_versions/v2/block.xml"
QUIZ = "entities/xblock.v1/problem/quiz1.toml"
QUIZ_XML = "entities/xblock.v1/problem/quiz1/component_versions/v1/block.xml"
VIDEO_XML = "entities/xblock.v1/video/welcome/component_versions/v1/block.xml"
UNIT = "entities/first-steps.toml"
SUBSECTION = "entities/getting-started.toml"
SECTION = "entities/week-1.toml"
COLLECTION = "collections/starter-kit.toml"
PKG = "package.toml"

Files = dict[str, bytes]


def library() -> Files:
    return {p.relative_to(SMALL).as_posix(): p.read_bytes() for p in sorted(SMALL.rglob("*")) if p.is_file()}


def sub(path: str, old: str, new: str) -> Callable[[Files], None]:
    """Replace `old` (which must be there) by `new` in one file."""

    def edit(files: Files) -> None:
        text = files[path].decode("utf-8")
        assert old in text, f"{old!r} not in {path}"
        files[path] = text.replace(old, new, 1).encode("utf-8")

    return edit


def put(path: str, data: str | bytes) -> Callable[[Files], None]:
    def edit(files: Files) -> None:
        files[path] = data.encode("utf-8") if isinstance(data, str) else data

    return edit


def drop(path: str) -> Callable[[Files], None]:
    def edit(files: Files) -> None:
        del files[path]

    return edit


def zip_bytes(files: Files) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def link(name: str, target: str, hard: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return info


def lib_tar(*extra: tarfile.TarInfo | tuple[str, bytes]) -> bytes:
    return tar_bytes([*((f"lib/{k}", v) for k, v in library().items()), *extra])


def _zip_with(mutate: Callable[[zipfile.ZipFile], None]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in library().items():
            zf.writestr(name, data)
        mutate(zf)
    return buf.getvalue()


def _symlink_member(zf: zipfile.ZipFile) -> None:
    info = zipfile.ZipInfo("entities/evil.toml")
    info.external_attr = (0o120777 << 16)
    zf.writestr(info, "/etc/passwd")


def _duplicate_member(zf: zipfile.ZipFile) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zf.writestr(PKG, "[meta]\nformat_version = 1\n")


def _patched(data: bytes, name: bytes, *, flag: int | None = None, method: int | None = None) -> bytes:
    """Set the flag bits or compression method of one member in both of its headers."""
    out = bytearray(data)
    for sig, flag_at, method_at, name_at in ((b"PK\x03\x04", 6, 8, 30), (b"PK\x01\x02", 8, 10, 46)):
        start = 0
        while (at := out.find(sig, start)) >= 0:
            start = at + 4
            if out[at + name_at: at + name_at + len(name)] == name:
                if flag is not None:
                    out[at + flag_at: at + flag_at + 2] = flag.to_bytes(2, "little")
                if method is not None:
                    out[at + method_at: at + method_at + 2] = method.to_bytes(2, "little")
    return bytes(out)


@dataclass
class Run:
    returncode: int
    stderr: str


def run_in_process(*args: str, env: dict[str, str] | None = None) -> Run:
    """`lpconvert ARGS` through the same entry point, without a new interpreter per case.

    Upstream's list runs as a subprocess (the `cli` fixture), exactly as a user runs it;
    the other cases go through `lpconvert.cli.main` in this process to keep the suite
    quick. Environment variables are set for the call and restored after it.
    """
    from lpconvert.cli import main

    saved = dict(os.environ)
    os.environ.update({"LPCONVERT_NO_PROGRESS": "1", **(env or {})})
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(list(args))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return Run(code, err.getvalue())


@dataclass
class Case:
    """One bad input. `make` returns the input's bytes (None: the path does not exist)."""

    id: str
    code: str
    file: str | None
    edits: list[Callable[[Files], None]] = dataclasses.field(default_factory=list)
    make: Callable[[], bytes | None] | None = None
    field: str | None = None
    line: int | None = None
    name: str = "library.zip"
    args: tuple[str, ...] = ()
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    mentions: str | None = None
    """Text the problem's message must contain (the other file, for duplicates)."""
    subprocess: bool = False
    """Run as a separate `lpconvert` process (upstream's list) rather than in this process."""
    timeout: float = 600
    """Seconds a subprocess may take: a guard against a hang, not a measure of speed."""

    def build(self, where: Path) -> Path:
        path = where / self.name
        if self.make is not None:
            data = self.make()
            if data is not None:
                path.write_bytes(data)
            return path
        files = library()
        for edit in self.edits:
            edit(files)
        path.write_bytes(zip_bytes(files))
        return path


UPSTREAM_LIST = [
    Case("nonexistent-path", "source-not-found", "library.zip", make=lambda: None),
    Case("not-a-zip", "archive-corrupt", "library.zip", make=lambda: b"this is plain text, not a zip\n"),
    Case("missing-package-toml", "missing-package-toml", PKG, [drop(PKG)],
         mentions="a learning-package archive missing its package.toml"),
    Case("missing-package-toml-from-lp-archive", "missing-package-toml", PKG, [drop(PKG)],
         args=("--from", "lp-archive")),
    Case("unrecognised-zip", "unknown-format", "library.zip", make=lambda: zip_bytes({"notes/todo.txt": b"milk\n"})),
    Case("broken-toml", "toml-syntax", PKG, [sub(PKG, 'title = "Small Library"', 'title = "Small Library')],
         line=9),
    Case("scalar-outside-table", "toml-structure", PKG, [lambda f: f.update({PKG: b"stray = 1\n" + f[PKG]})],
         field="stray"),
    Case("missing-meta", "missing-field", PKG, [sub(PKG, "[meta]\n", "[metadata]\n")], field="meta"),
    Case("missing-learning-package", "missing-field", PKG,
         [sub(PKG, "[learning_package]", "[learning_pkg]")], field="learning_package"),
    Case("format-version-2", "invalid-value", PKG, [sub(PKG, "format_version = 1", "format_version = 2")],
         field="meta.format_version", line=2),
    Case("format-version-string", "invalid-value", PKG, [sub(PKG, "format_version = 1", 'format_version = "1"')],
         field="meta.format_version", line=2),
    Case("format-version-bool", "invalid-value", PKG, [sub(PKG, "format_version = 1", "format_version = true")],
         field="meta.format_version", line=2),
    Case("missing-package-key", "missing-field", PKG, [sub(PKG, 'key = "lib:Example:SMALL"\n', "")],
         field="learning_package.key", line=8),
    Case("naive-datetime", "naive-datetime", PKG,
         [sub(PKG, "created_at = 2026-03-01T10:00:00Z", "created_at = 2026-03-01T10:00:00")],
         field="meta.created_at", line=5),
    Case("invalid-email", "invalid-value", PKG, [sub(PKG, "author@example.com", "author at example")],
         field="meta.created_by_email", line=4),
    Case("blank-title", "invalid-value", PKG, [sub(PKG, 'title = "Small Library"', 'title = "   "')],
         field="learning_package.title", line=9),
    # [entity.draft] below the typo still makes an [entity] table, one without a key
    Case("entity-table-typo", "missing-field", SECTION, [sub(SECTION, "[entity]", "[entitty]")],
         field="entity.key"),
    Case("entity-table-typo-alone", "missing-field", SECTION,
         [put(SECTION, '[entitty]\nkey = "week-1"\n')], field="entity", mentions="entitty"),
    Case("entity-without-key", "missing-field", SECTION, [sub(SECTION, 'key = "week-1"\n', "")],
         field="entity.key", line=1),
    Case("version-without-title", "missing-field", QUIZ, [sub(QUIZ, 'title = "Quick check"\n', "")],
         field="version[0].title"),
    Case("version-num-zero", "invalid-value", QUIZ,
         [sub(QUIZ, "[[version]]\ntitle = \"Quick check\"\nversion_num = 1",
              "[[version]]\ntitle = \"Quick check\"\nversion_num = 0")],
         field="version[0].version_num", line=16),
    Case("same-key-in-two-files", "duplicate-key", SECTION,
         [lambda f: f.update({"entities/week-1-copy.toml": f[SECTION]})],
         field="entity.key", line=3, mentions="entities/week-1-copy.toml"),
    Case("unknown-container-type", "unknown-container-type", SECTION,
         [sub(SECTION, "[entity.container.section]", "[entity.container.chapter]")],
         field="entity.container", line=12),
    Case("malformed-component-key", "bad-component-key", QUIZ,
         [sub(QUIZ, 'key = "xblock.v1:problem:quiz1"', 'key = "quiz1"'),
          sub(UNIT, '"xblock.v1:problem:quiz1"', '"quiz1"')],
         field="entity.key", line=3),
    Case("duplicate-version-num", "duplicate-version", UNIT,
         [sub(UNIT, 'title = "First steps"\nversion_num = 1', 'title = "First steps"\nversion_num = 2')],
         field="version[1].version_num", line=25),
    Case("pointer-to-missing-version", "missing-version", HTML,
         [sub(HTML, "[entity.draft]\nversion_num = 2", "[entity.draft]\nversion_num = 3")],
         field="entity.draft.version_num", line=7),
    Case("unresolved-child", "unresolved-child", SUBSECTION,
         [sub(SUBSECTION, 'children = ["first-steps"]', 'children = ["no-such-unit"]')],
         field="version[0].container.children[0]", line=21),
    Case("collection-without-table", "missing-field", COLLECTION, [sub(COLLECTION, "[collection]", "[colection]")],
         field="collection"),
    Case("collection-key-space", "invalid-value", COLLECTION,
         [sub(COLLECTION, 'key = "starter-kit"', 'key = "starter kit"')], field="collection.key", line=3),
    Case("collection-key-slash", "invalid-value", COLLECTION,
         [sub(COLLECTION, 'key = "starter-kit"', 'key = "starter/kit"')], field="collection.key", line=3),
    Case("collection-key-newline", "invalid-value", COLLECTION,
         [sub(COLLECTION, 'key = "starter-kit"', 'key = "starter-kit\\n"')], field="collection.key", line=3),
    Case("duplicate-collection-keys", "duplicate-collection-key", "collections/starter-kit.toml",
         [lambda f: f.update({"collections/another.toml": f[COLLECTION]})], field="collection.key", line=3,
         mentions="collections/another.toml"),
]

CONSISTENCY = [
    Case("component-under-section", "wrong-level", SECTION,
         [sub(SECTION, 'children = ["getting-started"]', 'children = ["xblock.v1:video:welcome"]')],
         field="version[0].container.children[0]", line=21, mentions="a section holds subsections"),
    Case("cycle", "cycle", None,
         [sub(UNIT, 'children = ["xblock.v1:html:intro"]', 'children = ["week-1"]')], mentions="week-1"),
    Case("unresolved-collection-member", "unresolved-member", COLLECTION,
         [sub(COLLECTION, '"xblock.v1:video:welcome"', '"xblock.v1:video:gone"')],
         field="collection.entities[1]", line=6),
    Case("missing-block-xml", "missing-block-xml", QUIZ, [drop(QUIZ_XML)]),
    Case("block-xml-not-well-formed", "bad-block-xml", QUIZ_XML,
         [put(QUIZ_XML, '<problem display_name="Quick check">\n<p>unclosed\n</problem>')], line=3),
    Case("block-xml-wrong-root", "block-type-mismatch", VIDEO_XML, [put(VIDEO_XML, '<html display_name="x"/>')],
         line=1),
    Case("block-xml-not-utf8", "bad-block-xml", VIDEO_XML, [put(VIDEO_XML, b'<video display_name="caf\xe9"/>')]),
    Case("block-xml-doctype", "xml-forbidden", VIDEO_XML,
         [put(VIDEO_XML, '<?xml version="1.0"?>\n<!DOCTYPE video [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                         '<video display_name="&x;"/>')], line=2),
    Case("block-xml-billion-laughs", "xml-forbidden", VIDEO_XML,
         [put(VIDEO_XML, '<!DOCTYPE video [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
                         '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><video display_name="&c;"/>')]),
    Case("block-xml-too-deep", "xml-too-deep", VIDEO_XML,
         [put(VIDEO_XML, "<video>" + "<div>" * 2000 + "</div>" * 2000 + "</video>")]),
    Case("empty-package", "empty-package", PKG,
         [lambda f: [f.pop(k) for k in list(f) if k != PKG]]),
    Case("children-on-component", "children-on-component", QUIZ,
         [sub(QUIZ, 'title = "Quick check"\nversion_num = 1\n',
              'title = "Quick check"\nversion_num = 1\n\n[version.container]\nchildren = ["first-steps"]\n')],
         field="version[0].container.children"),
    Case("container-version-without-children", "missing-field", UNIT,
         [sub(UNIT, '[version.container]\nchildren = ["xblock.v1:html:intro"]\n', "")],
         field="version[1].container"),
    Case("toml-not-utf8", "not-utf8", UNIT, [put(UNIT, b'[entity]\nkey = "first-steps\xff"\n')]),
    Case("toml-huge", "file-too-large", UNIT, [put(UNIT, "# padding\n" * 500)],
         env={"LPCONVERT_MAX_TEXT_SIZE": "1K"}),
    Case("toml-nested-too-deep", "toml-too-deep", UNIT,
         [put(UNIT, "[entity]\nx = " + "[" * 5000 + "]" * 5000 + "\n")]),
    Case("draft-pointer-typo-strict", "unknown-field", HTML,
         [sub(HTML, "[entity.draft]\nversion_num = 2", "[entity.draft]\nversion_num = 2\nversion_nun = 2")],
         field="entity.draft.version_nun", args=("--strict",)),
    Case("unknown-field-strict", "unknown-field", SECTION,
         [sub(SECTION, "can_stand_alone = true", "can_stand_alone = true\ncan_stand_alon = false")],
         field="entity.can_stand_alon", line=3, args=("--strict",), mentions="can_stand_alone"),
    Case("orphan-strict", "orphan", QUIZ,
         [sub(QUIZ, "can_stand_alone = true", "can_stand_alone = false"),
          sub(UNIT, 'children = ["xblock.v1:html:intro", "xblock.v1:problem:quiz1"]',
              'children = ["xblock.v1:html:intro"]')], args=("--strict",)),
    Case("missing-static-strict", "missing-static", VIDEO_XML,
         [put(VIDEO_XML, '<video display_name="v" thumbnail="/static/thumb.jpg"/>')], line=1, args=("--strict",)),
    Case("unreferenced-media-strict", "unreferenced-media", VIDEO_XML,
         [put("entities/xblock.v1/video/welcome/component_versions/v1/static/unused.srt", "1\n")],
         args=("--strict",)),
]

HOSTILE = [
    Case("empty-file", "empty-source", "library.zip", make=lambda: b""),
    Case("empty-zip", "empty-source", "library.zip", make=lambda: zip_bytes({})),
    Case("truncated-zip", "archive-corrupt", "library.zip", make=lambda: zip_bytes(library())[:-200]),
    Case("zip-slip", "archive-unsafe-path", "../evil.txt",
         [put("../evil.txt", "gotcha")]),
    Case("zip-absolute-member", "archive-unsafe-path", "/tmp/evil.txt", [put("/tmp/evil.txt", "gotcha")]),
    Case("zip-windows-absolute-member", "archive-unsafe-path", "C:/evil.txt", [put("C:/evil.txt", "gotcha")]),
    Case("zip-symlink", "archive-link", "entities/evil.toml", make=lambda: _zip_with(_symlink_member)),
    Case("zip-duplicate-member", "archive-duplicate-member", PKG, make=lambda: _zip_with(_duplicate_member)),
    Case("zip-bomb-ratio", "archive-bomb", "entities/bomb.bin", [put("entities/bomb.bin", bytes(4 << 20))]),
    Case("zip-over-max-size", "archive-too-large", "library.zip", args=("--max-size", "2K")),
    Case("zip-encrypted-member", "archive-unsupported", VIDEO_XML,
         make=lambda: _patched(zip_bytes(library()), VIDEO_XML.encode(), flag=0x1)),
    Case("zip-unknown-compression", "archive-unsupported", VIDEO_XML,
         make=lambda: _patched(zip_bytes(library()), VIDEO_XML.encode(), method=99)),
    Case("tar-symlink", "archive-link", "lib/static", name="course.tar.gz",
         make=lambda: lib_tar(link("lib/static", "/etc"))),
    Case("tar-hardlink", "archive-link", "lib/passwd", name="course.tar.gz",
         make=lambda: lib_tar(link("lib/passwd", "/etc/passwd", hard=True))),
    Case("tar-dotdot", "archive-unsafe-path", "lib/../../evil", name="course.tar.gz",
         make=lambda: lib_tar(("lib/../../evil", b"x"))),
    Case("tar-absolute", "archive-unsafe-path", "/evil", name="course.tar.gz",
         make=lambda: lib_tar(("/evil", b"x"))),
    Case("tar-duplicate-member", "archive-duplicate-member", "lib/package.toml", name="course.tar.gz",
         make=lambda: lib_tar(("lib/package.toml", b"[meta]\n"))),
    Case("tar-truncated", "archive-corrupt", "course.tar.gz", name="course.tar.gz",
         make=lambda: lib_tar()[:300]),
    Case("tar-bomb", "archive-bomb", "course.tar.gz", name="course.tar.gz",
         make=lambda: lib_tar(("lib/zeros.bin", bytes(8 << 20)))),
    Case("not-a-tar", "archive-corrupt", "course.tar.gz", name="course.tar.gz", make=lambda: b"\x1f\x8bnot gzip"),
]

for _case in UPSTREAM_LIST:
    _case.subprocess = True
FIXTURES = SMALL.parent.parent


def fixture_tree(relative: str) -> Files:
    folder = FIXTURES / relative
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def olx_course(*edits: Callable[[Files], None]) -> Callable[[], bytes]:
    """The tiny OLX course as Studio exports it: a .tar.gz with one course/ folder."""

    def make() -> bytes:
        files = fixture_tree("olx/tiny-course")
        for edit in edits:
            edit(files)
        return tar_bytes([(f"course/{k}", v) for k, v in files.items()])

    return make


def sections_zip(*edits: Callable[[Files], None]) -> Callable[[], bytes]:
    def make() -> bytes:
        files = fixture_tree("sections/hand-written")
        for edit in edits:
            edit(files)
        return zip_bytes(files)

    return make


def small_library_as_json(mutate: Callable[[dict], None]) -> Callable[[], bytes]:
    """The small library through the json writer, then damaged as a hand edit would."""

    def make() -> bytes:
        import tempfile

        import lpconvert

        with tempfile.TemporaryDirectory() as tmp:
            result = lpconvert.convert(str(SMALL), f"{tmp}/lib.json")
            assert result.ok, [p.render() for p in result.problems]
            doc = json.loads(Path(f"{tmp}/lib.json").read_text())
        mutate(doc)
        return json.dumps(doc, indent=2).encode()

    return make


def _entity(doc: dict, key: str) -> dict:
    return next(e for e in doc["entities"] if e["key"] == key)


def _evil_media(doc: dict) -> None:
    _entity(doc, "xblock.v1:html:intro")["versions"][0]["media"]["../../evil.txt"] = {"text": "x"}


def _json_component_under_section(doc: dict) -> None:
    _entity(doc, "week-1")["versions"][0]["children"] = ["xblock.v1:video:welcome"]


OTHER_FORMATS = [
    Case("olx-xml-not-well-formed", "xml-syntax", "chapter/week1.xml", name="course.tar.gz", line=3,
         make=olx_course(put("chapter/week1.xml",
                             '<chapter display_name="Week 1">\n  <sequential url_name="lesson1">\n</chapter>\n'))),
    Case("olx-xxe", "xml-forbidden", "problem/q1.xml", name="course.tar.gz", line=2,
         make=olx_course(put("problem/q1.xml", '<?xml version="1.0"?>\n<!DOCTYPE problem [<!ENTITY x SYSTEM '
                                               '"file:///etc/passwd">]>\n<problem>&x;</problem>\n'))),
    Case("olx-xml-too-deep", "xml-too-deep", "problem/q1.xml", name="course.tar.gz",
         make=olx_course(put("problem/q1.xml", "<problem>" + "<div>" * 400 + "</div>" * 400 + "</problem>"))),
    Case("olx-html-not-utf8", "not-utf8", "html/welcome.html", name="course.tar.gz",
         make=olx_course(put("html/welcome.html", b"<p>caf\xe9</p>"))),
    Case("olx-missing-course-xml", "missing-file", "course.xml", name="course.tar.gz", args=("--from", "olx"),
         make=olx_course(drop("course.xml"))),
    Case("json-truncated", "json-syntax", "library.json", name="library.json",
         make=lambda: small_library_as_json(lambda d: None)()[:500]),
    Case("json-unsafe-media-path", "unsafe-media-path", "library.json", name="library.json",
         field='entities[3].versions[0].media["../../evil.txt"]', make=small_library_as_json(_evil_media)),
    Case("json-component-under-section", "wrong-level", "library.json", name="library.json",
         make=small_library_as_json(_json_component_under_section)),
    Case("sqlite-not-a-database", "sqlite-error", "library.sqlite", name="library.sqlite",
         make=lambda: b"SQLite format 3\x00" + bytes(100)),
    Case("sections-broken-toml", "toml-syntax", "sections/week-1.toml", line=2,
         make=sections_zip(sub("sections/week-1.toml", 'title = "Week 1"', 'title = "Week 1'))),
    Case("sections-unresolved-component", "unresolved-child", "sections/week-1.toml", line=11,
         make=sections_zip(sub("sections/week-1.toml", '"xblock.v1:problem:first-question"]',
                               '"xblock.v1:problem:gone"]'))),
]


def nested(depth: int, innermost: str = "") -> str:
    """`depth` JSON/TOML arrays, one inside the other."""
    return "[" * depth + innermost + "]" * depth


def _deep_attributes(doc: dict) -> None:
    _entity(doc, "week-1")["versions"][0]["attributes"] = {"deep": json.loads(nested(150))}


def small_library_sqlite(*statements: str) -> Callable[[], bytes]:
    """The committed small-library database, altered with SQL as a hand (or an attacker) would."""

    def make() -> bytes:
        import shutil
        import sqlite3
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "library.sqlite"
            shutil.copyfile(FIXTURES / "sqlite" / "small-library.sqlite", path)
            db = sqlite3.connect(path)
            try:
                db.executescript(";\n".join(statements))
                db.commit()
            finally:
                db.close()
            return path.read_bytes()

    return make


def append(path: str, text: str) -> Callable[[Files], None]:
    def edit(files: Files) -> None:
        files[path] = files[path] + text.encode()

    return edit


WEEK_1_TOML = "sections/week-1.toml"
_WEEK_1_LINES = (FIXTURES / "sections" / "hand-written" / WEEK_1_TOML).read_bytes().count(b"\n")
ENDLESS_VIEW = ("ALTER TABLE versions RENAME TO versions_kept",
                "CREATE VIEW versions AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
                "SELECT v.* FROM versions_kept v, n")

# Hostile input in the single-file formats and the sections layout: depth, size and endless
# work, each refused with a named problem. Run as a real process with a timeout, so a hang
# fails the test instead of stalling the suite (the timeout is a guard, not a measure).
HOSTILE_FORMATS = [
    Case("json-nested-200000-arrays", "json-too-deep", "library.json", name="library.json",
         make=lambda: ('{"learning_package": {"key": "k", "title": "t"}, "entities": ['
                       + nested(200_000) + "]}").encode()),
    Case("json-attributes-150-deep", "json-too-deep", "library.json", name="library.json",
         field="entities[2].versions[0].attributes.deep" + "[0]" * 94,  # the 101st level from the top
         make=small_library_as_json(_deep_attributes)),
    Case("sqlite-table-replaced-by-endless-view", "sqlite-not-a-table", "library.sqlite", name="library.sqlite",
         field="versions", make=small_library_sqlite(*ENDLESS_VIEW)),
    Case("sqlite-trigger-on-a-table", "sqlite-not-a-table", "library.sqlite", name="library.sqlite",
         field="entities", make=small_library_sqlite(
             "CREATE TRIGGER spy AFTER UPDATE ON entities BEGIN SELECT 1; END")),
    Case("sqlite-json-column-200000-deep", "json-too-deep", "library.sqlite", name="library.sqlite",
         field="versions[entity=week-1, version_num=1].attributes", make=small_library_sqlite(
             f"UPDATE versions SET attributes = '{{\"a\": {nested(200_000)}}}' "
             "WHERE entity_id = (SELECT id FROM entities WHERE key = 'week-1')")),
    Case("sections-toml-header-of-200000-parts", "toml-too-deep", WEEK_1_TOML, line=_WEEK_1_LINES + 2,
         make=sections_zip(append(WEEK_1_TOML, "\n[" + ".".join(["a"] * 200_000) + "]\nx = 1\n"))),
    Case("sections-toml-arrays-200000-deep", "toml-too-deep", "package.toml",
         make=sections_zip(append("package.toml", "\n[deep]\nx = " + nested(200_000) + "\n"))),
    Case("sections-json-field-150-deep", "json-too-deep", "package.toml", field="extra_json",
         make=sections_zip(lambda f: f.update({"package.toml": f"extra_json = '{nested(150)}'\n".encode()
                                               + f["package.toml"]}))),
    Case("lp-archive-toml-header-of-200000-parts", "toml-too-deep", SECTION,
         line=(SMALL / SECTION).read_bytes().count(b"\n") + 2,
         edits=[append(SECTION, "\n[" + ".".join(["a"] * 200_000) + "]\nx = 1\n")]),
    Case("lp-archive-toml-arrays-150-deep", "toml-too-deep", SECTION,
         field="deep.x" + "[0]" * 98,  # [deep] is the 2nd level, x the 3rd: the 101st is 98 arrays into x
         edits=[append(SECTION, "\n[deep]\nx = " + nested(150) + "\n")]),
    Case("olx-attribute-over-10-mb", "xml-syntax", "chapter/week1.xml", name="course.tar.gz", line=1,
         make=olx_course(lambda f: sub("chapter/week1.xml", "<chapter ",
                                       f'<chapter notes="{os.urandom(5_500_000).hex()}" ')(f))),
]
for _case in HOSTILE_FORMATS:
    _case.subprocess = True
    _case.timeout = 120

CASES = UPSTREAM_LIST + CONSISTENCY + HOSTILE + OTHER_FORMATS + HOSTILE_FORMATS


def test_every_code_a_case_expects_is_documented_for_the_user() -> None:
    """A user who reads `(code)` at the end of any of these errors finds it in docs/validation.md."""
    documented = set(re.findall(r"^#### `([a-z0-9-]+)`\s*$", VALIDATION_DOC.read_text(), re.MULTILINE))
    assert {c.id: c.code for c in CASES if c.code not in documented} == {}


def _matches(problem: dict, case: Case, where: Path) -> bool:
    if problem["code"] != case.code or problem["severity"] != "error":
        return False
    file = problem["file"]
    if case.file is not None:
        full = str(where / case.name)
        if file not in (case.file, full) and not (case.file == case.name and file == full):
            return False
    if case.field is not None and problem["field"] != case.field:
        return False
    if case.line is not None and problem["line"] != case.line:
        return False
    return case.mentions is None or case.mentions in problem["message"]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_reported_and_nothing_is_written(case: Case, tmp_path: Path, cli) -> None:
    src_dir = tmp_path / "in"
    src_dir.mkdir()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    source = case.build(src_dir)
    report = tmp_path / "report.json"
    destination = out_dir / "converted.zip"
    if case.subprocess:
        with ThreadPoolExecutor(2) as pool:
            validating = pool.submit(cli, "validate", str(source), "--report", str(report), *case.args,
                                     env=case.env, timeout=case.timeout)
            converting = pool.submit(cli, str(source), str(destination), *case.args, env=case.env,
                                     timeout=case.timeout)
            validated, converted = validating.result(), converting.result()
    else:
        validated = run_in_process("validate", str(source), "--report", str(report), *case.args, env=case.env)
        converted = run_in_process(str(source), str(destination), *case.args, env=case.env)

    assert validated.returncode == 1, validated.stderr
    assert "Traceback" not in validated.stderr
    problems = json.loads(report.read_text())["problems"]
    assert any(_matches(p, case, src_dir) for p in problems), \
        f"no {case.code} error naming {case.file} [{case.field}] line {case.line}; got:\n" + \
        "\n".join(f"  {p['code']} {p['file']} [{p['field']}] {p['line']}: {p['message']}" for p in problems)
    # the person reading the terminal sees the code too
    assert f"({case.code})" in validated.stderr

    assert converted.returncode == 1, converted.stderr
    assert "Traceback" not in converted.stderr
    assert "nothing written" in converted.stderr
    assert list(out_dir.iterdir()) == [], "the conversion left files behind"
    assert sorted(p.name for p in src_dir.iterdir()) == ([source.name] if source.exists() else [])


def test_a_problem_in_every_file_is_reported_in_one_run(tmp_path: Path, cli) -> None:
    """One run shows every error, grouped by file, with a one-line summary."""
    files = library()
    for edit in (sub(PKG, "format_version = 1", "format_version = 2"),
                 sub(SECTION, 'children = ["getting-started"]', 'children = ["nowhere"]'),
                 sub(QUIZ, "version_num = 1\n", "version_num = 0\n"),
                 sub(COLLECTION, 'key = "starter-kit"', 'key = "starter kit"')):
        edit(files)
    source = tmp_path / "many.zip"
    source.write_bytes(zip_bytes(files))
    result = cli("validate", str(source))
    assert result.returncode == 1
    err = result.stderr
    for file in (PKG, SECTION, QUIZ, COLLECTION):
        assert f"\n{file}\n" in f"\n{err}"
    assert err.strip().splitlines()[-1].endswith(": INVALID lp-archive; 4 errors, 0 warnings")


def test_valid_fixture_is_valid_through_the_cli(tmp_path: Path, cli) -> None:
    """The baseline every case edits is itself valid: each failure above is the edit's doing."""
    source = tmp_path / "library.zip"
    source.write_bytes(zip_bytes(library()))
    result = cli("validate", str(source), "--strict")
    assert result.returncode == 0, result.stderr
