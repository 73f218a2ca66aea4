"""The clipboard: copy is complete, the blob survives the trip and refuses damage, paste remaps keys."""

from __future__ import annotations

import ast
import hashlib
import json
import zipfile
import zlib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from helpers.paths import corpus

import lpconvert
import lpconvert.clipboard
from lpconvert.clipboard import Clipboard, ClipboardError, ClipboardItem, copy, paste
from lpconvert.model import TextMedia
from lpconvert.package import Package
from lpconvert.validation import revalidate

LIB = "lp/upstream-library-backup.zip"
EDITED = "lp/upstream-library-backup-edited.zip"
SECTION, SUBSECTION, UNIT = "section1-8ca126", "subsection1-48afa3", "unit1-b7eafb"
VIDEO = "xblock.v1:video:22601ebd-9da8-430b-9778-cfe059a98568"
HTML = "xblock.v1:html:e32d5479-9492-41f6-9222-550a7346bc37"
HTML_DIR = "entities/xblock.v1/html/e32d5479-9492-41f6-9222-550a7346bc37/component_versions"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def _open(relative: str) -> Iterator[Package]:
    with lpconvert.read(str(corpus(relative))) as result:
        assert result.package is not None, [p.render() for p in result.problems]
        yield result.package


@pytest.fixture
def lib() -> Iterator[Package]:
    yield from _open(LIB)


@pytest.fixture
def edited() -> Iterator[Package]:
    yield from _open(EDITED)


def _zip_member(relative: str, member: str) -> bytes:
    with zipfile.ZipFile(corpus(relative)) as z:
        return z.read(member)


# --------------------------------------------------------------------------- copy


def test_copy_of_a_section_holds_its_whole_tree_and_nothing_else(lib: Package) -> None:
    clip = copy(lib, SECTION)
    assert clip.root == SECTION
    assert [i.key for i in clip.items] == [SECTION, SUBSECTION, UNIT, VIDEO]
    assert clip.item(UNIT).children == [VIDEO]
    assert clip.collections == []  # none of these is in a collection
    assert clip.source is not None and clip.source.key == "lib:WGU:LIB_C001"


def test_copy_of_a_component_carries_its_current_version_and_file_bytes(lib: Package) -> None:
    clip = copy(lib, HTML)
    (item,) = clip.items
    assert item.version_num == 5  # the draft, ahead of published v4
    media = {path: (m.text.encode() if isinstance(m, TextMedia) else m.decode()) for path, m in item.media.items()}
    assert media == {"block.xml": _zip_member(LIB, f"{HTML_DIR}/v5/block.xml"),
                     "static/me.png": _zip_member(LIB, f"{HTML_DIR}/v5/static/me.png")}


def test_copy_brings_only_the_collection_memberships_of_what_it_copies(lib: Package) -> None:
    clip = copy(lib, HTML)
    assert [(c.key, c.title, c.entities) for c in clip.collections] == [
        ("collection-test", "Collection test1", [HTML])]


def test_copy_of_an_unknown_key_names_the_nearest_one(lib: Package) -> None:
    with pytest.raises(ClipboardError, match=r"no entity 'unit1-b7eafc'.*did you mean 'unit1-b7eafb'"):
        copy(lib, "unit1-b7eafc")


# --------------------------------------------------------------------------- the blob


def test_blob_round_trips_and_says_what_it_is(lib: Package) -> None:
    clip = copy(lib, SECTION)
    blob = clip.to_bytes()
    header = json.loads(blob.split(b"\n", 1)[0])
    assert header["format"] == "lpconvert-clipboard" and header["format_version"] == 1
    assert Clipboard.from_bytes(blob) == clip


def test_blob_keeps_binary_files_exact(lib: Package) -> None:
    back = Clipboard.from_bytes(copy(lib, HTML).to_bytes())
    assert back.item(HTML).media["static/me.png"].decode() == _zip_member(LIB, f"{HTML_DIR}/v5/static/me.png")


def _with_payload(blob: bytes, payload: bytes) -> bytes:
    header = json.loads(blob.split(b"\n", 1)[0])
    header.update(sha256=hashlib.sha256(payload).hexdigest(), length=len(payload))
    return json.dumps(header).encode() + b"\n" + payload


@pytest.mark.parametrize("damage, message", [
    (lambda b: b[:-10], "damaged"),
    (lambda b: b.replace(b"Section1", b"Sectiom1"), "damaged"),
    (lambda b: b.split(b"\n")[0], "truncated"),
    (lambda b: b"PK\x03\x04 a zip file", "not an lpconvert clipboard"),
    (lambda b: b"", "not an lpconvert clipboard"),
    (lambda b: b.replace(b'"format_version":1', b'"format_version":7'), "newer than this lpconvert"),
])
def test_a_damaged_or_foreign_blob_is_refused_with_a_reason(lib: Package, damage, message: str) -> None:
    with pytest.raises(ClipboardError, match=message):
        Clipboard.from_bytes(damage(copy(lib, SECTION).to_bytes()))


def test_an_incomplete_clipboard_is_refused_even_with_a_good_digest(lib: Package) -> None:
    blob = copy(lib, UNIT).to_bytes()
    data = json.loads(blob.split(b"\n", 1)[1])
    data["items"] = [i for i in data["items"] if i["key"] != VIDEO]
    with pytest.raises(ClipboardError, match=f"incomplete.*{VIDEO}"):
        Clipboard.from_bytes(_with_payload(blob, json.dumps(data).encode()))


def test_corrupt_base64_is_refused(lib: Package) -> None:
    blob = copy(lib, HTML).to_bytes()
    data = json.loads(blob.split(b"\n", 1)[1])
    data["items"][0]["media"]["static/me.png"] = {"base64": "abc"}
    with pytest.raises(ClipboardError, match="not valid base64"):
        Clipboard.from_bytes(_with_payload(blob, json.dumps(data).encode()))


# --------------------------------------------------------------------------- paste


def test_paste_into_the_same_package_renames_every_key_and_children_follow(lib: Package) -> None:
    result = paste(copy(lib, SECTION), into=lib, now=NOW)
    assert result.package is not None, [p.render() for p in result.problems]
    assert set(result.renamed) == {SECTION, SUBSECTION, UNIT, VIDEO}
    assert not set(result.renamed.values()) & set(lib.model.entity_map())
    pasted = result.package.model.entity_map()
    assert result.root == result.renamed[SECTION]
    assert pasted[result.renamed[UNIT]].current_version.children == [result.renamed[VIDEO]]
    assert pasted[result.renamed[SECTION]].current_version.children == [result.renamed[SUBSECTION]]
    # the originals are untouched, and the copies are unpublished drafts
    assert pasted[SECTION] == lib.entity(SECTION)
    assert (pasted[result.renamed[VIDEO]].draft_version, pasted[result.renamed[VIDEO]].published_version) == (1, None)
    assert len(result.package.entities) == len(lib.entities) + 4
    assert not [p for p in revalidate(result.package.model) if p.is_error]


def test_collections_follow_renamed_keys(lib: Package) -> None:
    result = paste(copy(lib, HTML), into=lib, now=NOW)
    assert result.package is not None
    (collection,) = result.package.collections
    assert collection.entities[-1] == result.renamed[HTML]
    assert HTML in collection.entities  # the original stays in it too


def test_pasting_twice_gives_distinct_keys(lib: Package) -> None:
    first = paste(copy(lib, UNIT), into=lib, now=NOW)
    assert first.package is not None
    second = paste(copy(lib, UNIT), into=first.package, now=NOW)
    assert second.package is not None
    assert second.renamed[UNIT] not in (UNIT, first.renamed[UNIT])
    assert len({e.key for e in second.package.entities}) == len(lib.entities) + 4


def test_paste_into_another_package_keeps_keys(lib: Package) -> None:
    with lpconvert.read(str(corpus("lp/synth-1000.zip"))) as synth:
        assert synth.package is not None
        result = paste(copy(lib, SECTION), into=synth.package, now=NOW)
        assert result.package is not None, [p.render() for p in result.problems]
        assert result.renamed == {}
        assert result.added == [SECTION, SUBSECTION, UNIT, VIDEO]
        got = result.package.model.entity_map()
        assert got[UNIT].current_version.children == [VIDEO]


def test_replace_gives_existing_entities_a_new_newest_version(lib: Package, edited: Package) -> None:
    result = paste(copy(edited, UNIT), into=lib, on_conflict="replace", now=NOW)
    assert result.package is not None, [p.render() for p in result.problems]
    unit = result.package.entity(UNIT)
    assert unit is not None
    assert sorted(v.version_num for v in unit.versions) == [2, 3]
    assert unit.draft_version == 3 and unit.published_version is None
    assert unit.current_version.children == [f"xblock.v1:html:added{i}" for i in range(5)]
    assert result.replaced == [UNIT] and result.renamed == {}
    assert sorted(result.added) == [f"xblock.v1:html:added{i}" for i in range(5)]


def test_replace_with_the_same_content_makes_no_version(lib: Package) -> None:
    result = paste(copy(lib, UNIT), into=lib, on_conflict="replace", now=NOW)
    assert result.package is not None
    assert result.replaced == [] and sorted(result.skipped) == sorted([UNIT, VIDEO])
    assert result.package.model.entities == lib.model.entities


def test_skip_keeps_existing_entities_and_adds_the_rest(lib: Package, edited: Package) -> None:
    result = paste(copy(edited, UNIT), into=lib, on_conflict="skip", now=NOW)
    assert result.package is not None
    assert result.package.entity(UNIT) == lib.entity(UNIT)
    assert result.skipped == [UNIT]
    assert len(result.added) == 5


def test_an_existing_key_of_another_kind_is_renamed_whatever_on_conflict_says(lib: Package) -> None:
    clip = Clipboard(root=UNIT, items=[ClipboardItem(key=UNIT, container_type="section", title="S", children=[])])
    for mode in ("skip", "replace"):
        result = paste(clip, into=lib, on_conflict=mode, now=NOW)
        assert result.package is not None
        assert result.renamed == {UNIT: f"{UNIT}-copy"}
        assert result.package.entity(f"{UNIT}-copy").container_type == "section"


@pytest.mark.parametrize("bad", ["overwrite", "", "RENAME"])
def test_an_unknown_on_conflict_is_refused(lib: Package, bad: str) -> None:
    with pytest.raises(ClipboardError, match="on_conflict must be one of rename, replace, skip"):
        paste(copy(lib, UNIT), into=lib, on_conflict=bad)


def test_a_pasted_package_is_written_and_read_back_equal(lib: Package, tmp_path) -> None:
    result = paste(copy(lib, HTML), into=lib, now=NOW)
    assert result.package is not None
    out = tmp_path / "pasted.zip"
    written = lpconvert.write(result.package, str(out))
    assert written.ok, [p.render() for p in written.problems]
    with lpconvert.read(str(out)) as back:
        assert back.package is not None
        copy_key = result.renamed[HTML]
        entity = back.package.entity(copy_key)
        assert entity is not None
        media = entity.current_version.media
        assert back.package.read_media(media["static/me.png"]) == _zip_member(LIB, f"{HTML_DIR}/v5/static/me.png")
        assert back.package.read_media(media["block.xml"]) == _zip_member(LIB, f"{HTML_DIR}/v5/block.xml")


@pytest.mark.parametrize("damage", [FileNotFoundError("gone"), zlib.error("Error -3 while decompressing data")],
                         ids=lambda e: type(e).__name__)
def test_copy_from_a_source_that_cannot_be_read_says_which_file(lib: Package, damage: Exception) -> None:
    """A source damaged after it was read (a plugin's resolver, whose errors are the standard library's)."""

    class Damaged:
        def open(self, resource: str):
            raise damage

        def size(self, resource: str) -> None:
            return None

    with pytest.raises(ClipboardError, match=f"cannot copy block.xml of {HTML}: {damage}"):
        copy(Package(lib.model, Damaged()), HTML)


def test_a_course_file_the_block_refers_to_travels_with_it(lib: Package) -> None:
    """In an OLX course the files are the course's, not the block's: the copy must carry them."""
    course_like = _course_like(lib)
    item = copy(course_like, HTML).item(HTML)
    assert item.media["static/me.png"].decode() == _zip_member(LIB, f"{HTML_DIR}/v5/static/me.png")
    assert sorted(copy(course_like, UNIT).item(VIDEO).media) == ["block.xml"]  # only what a block uses


def _course_like(lib: Package, block: TextMedia | None = None) -> Package:
    """`lib` as an OLX course holds it: HTML's image a course file, not the block's own (and
    HTML's block.xml replaced by `block` when given)."""
    png = lib.entity(HTML).current_version.media["static/me.png"]
    def only_block(v: Any) -> Any:
        return v.model_copy(update={"media": {"block.xml": block or v.media["block.xml"]}})

    entities = [e.model_copy(update={"versions": [only_block(v) for v in e.versions]}) if e.key == HTML else e
                for e in lib.entities]
    return Package(lib.model.model_copy(update={"entities": entities, "files": {"static/me.png": png}}), lib.resources)


def test_a_course_file_linked_by_its_asset_key_in_escaped_html_travels_with_the_block(lib: Package) -> None:
    """Studio content links course files by asset key too, often inside escaped markup."""
    link = "/asset-v1:Org+Course+Run+type@asset+block@me.png"
    block = TextMedia(text=f'<html display_name="x">&lt;img src=&quot;{link}&quot;/&gt;</html>')
    item = copy(_course_like(lib, block), HTML).item(HTML)
    assert item.media["static/me.png"].decode() == _zip_member(LIB, f"{HTML_DIR}/v5/static/me.png")


# --------------------------------------------------------------------------- where things live


def _imports(path: Path, package: str) -> set[str]:
    """Every module `path` imports, anywhere in it (top level, functions, TYPE_CHECKING), as absolute names."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_the_clipboard_takes_versions_from_their_module_and_staged_builds_on_model_only() -> None:
    """No clipboard module imports merge (versions live in lpconvert.versions), and the
    clipboard model does not import its StagedContent form, which imports it: no circle."""
    folder = Path(lpconvert.clipboard.__file__).parent
    imports = {path.stem: _imports(path, "lpconvert.clipboard") for path in folder.glob("*.py")}
    assert {"copying", "pasting", "model", "staged"} <= set(imports)
    assert [stem for stem, names in imports.items() if "lpconvert.merge" in names] == []
    assert "lpconvert.versions" in imports["pasting"] and "lpconvert.versions" in imports["copying"]
    assert "lpconvert.clipboard.model" in imports["staged"]
    assert not any(name.startswith("lpconvert.clipboard.staged") for name in imports["model"])
