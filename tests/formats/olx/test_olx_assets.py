"""Studio's course files: asset keys, display names, and the warnings about them.

Studio exports an uploaded file under its display name (``static/Brain green.png``) while
content links its asset key (``/static/Brain_green.png``); ``policies/assets.json`` maps one
to the other. Expected answers here come from the exports themselves, read with tarfile and
json, and from a resolution written in this file: never from the reader under test.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest
from helpers.olx_trees import compare_trees, tree_files, unpack
from helpers.paths import FIXTURES, OLX_CORPORA, corpus

import lpconvert
from lpconvert.api import format_names

TINY = FIXTURES / "olx" / "tiny-course"

TRUE_MISSING = {
    # problem/python_evaluated_input.xml shows an image the export does not hold: there is no
    # static/images/ folder and assets.json has no entry for it (nor for images_placeholder-image.png)
    "olx-example-course.tar.gz": {"/static/images/placeholder-image.png"},
}
"""Every link in the corpora that names a file in neither static/ nor assets.json, by course."""

_LINK = re.compile(r"""(?<=["'(])(?:/static/|/asset-v1:[^"'\s]*?\+type@asset\+block@|/c4x/[^/"']+/[^/"']+/asset/)"""
                   r"""([^"'\s<>()?#]+)""")
"""This test's own idea of a link, independent of lpconvert's: quoted or in url(...), as the corpora write them."""


class Export:
    """An export read with tarfile: its files' bytes and assets.json, and which file a link means."""

    def __init__(self, archive: Path) -> None:
        self.files: dict[str, bytes] = {}
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                parts = [p for p in member.name.split("/") if p not in (".", "")]
                if member.isfile() and not any(p.startswith("._") for p in parts):
                    self.files["/".join(parts[1:])] = tar.extractfile(member).read()  # below course/ or library/
        assets = self.files.get("policies/assets.json")
        self.assets: dict[str, dict] = json.loads(assets) if assets else {}

    def file_for(self, name: str) -> str | None:
        """Studio's resolution: the assets.json entry's display name, else the file of that name."""
        entry = self.assets.get(name)
        if entry and f"static/{entry['displayname']}" in self.files:
            return f"static/{entry['displayname']}"
        return f"static/{name}" if f"static/{name}" in self.files else None


def _links(text: str) -> set[str]:
    text = html.unescape(html.unescape(text))
    return {m.group(0) for m in _LINK.finditer(text)}


def _name(link: str) -> str:
    return re.split(r"/static/|\+block@|/asset/", link, maxsplit=1)[1]


def _missing_links(problems: list) -> set[str]:
    found = set()
    for p in problems:
        if p.code == "missing-static":
            found.add(re.search(r"refers to (\S+), which", p.message).group(1))
    return found


# --------------------------------------------------------------------------- missing-static is true


@pytest.mark.parametrize("archive", OLX_CORPORA, ids=lambda p: p.name)
def test_missing_static_names_only_files_the_export_does_not_hold(archive: Path) -> None:
    export = Export(archive)
    with lpconvert.read(str(archive)) as result:
        assert result.package is not None
        missing = _missing_links(result.problems)
    assert missing == TRUE_MISSING.get(archive.name, set())
    for link in missing:  # and each is truly absent: no file, no assets.json entry
        name = _name(link)
        assert f"static/{name}" not in export.files
        assert name not in export.assets and name.replace("/", "_") not in export.assets


def test_the_cli_validates_the_demo_course_without_false_warnings(cli) -> None:
    archive = corpus("olx/openedx-demo-course.tar.gz")
    run = cli("validate", str(archive))
    assert run.returncode == 0, run.stderr
    assert "missing-static" not in run.stdout + run.stderr
    assert "0 errors, 0 warnings" in run.stdout + run.stderr


# --------------------------------------------------------------------------- every image reaches lp-archive


def _component_folders(zf: zipfile.ZipFile) -> dict[str, str]:
    """block.xml text by component version folder, in a written lp-archive."""
    return {name[: -len("block.xml")]: zf.read(name).decode() for name in zf.namelist()
            if name.startswith("entities/xblock.v1/") and name.endswith("/block.xml")}


@pytest.mark.parametrize("archive", OLX_CORPORA, ids=lambda p: p.name)
def test_every_file_a_component_links_reaches_the_lp_archive_with_its_bytes(archive: Path, tmp_path: Path) -> None:
    export = Export(archive)
    out = tmp_path / "lib.zip"
    assert lpconvert.convert(str(archive), str(out)).ok
    checked: set[str] = set()
    with zipfile.ZipFile(out) as zf:
        members = set(zf.namelist())
        for folder, block in _component_folders(zf).items():
            for link in _links(block):
                name = _name(link)
                source = export.file_for(name)
                if source is None:
                    continue
                media = f"{folder}static/{name}"
                assert media in members, f"{link} shown by {folder} is not in the archive"
                assert hashlib.sha256(zf.read(media)).digest() == hashlib.sha256(export.files[source]).digest(), media
                checked.add(name)
    linked = {_name(link) for path, data in export.files.items()
              if path.endswith((".xml", ".html")) and path.split("/", 1)[0] in BLOCK_FOLDERS
              for link in _links(data.decode("utf-8", "replace"))}
    held = {n for n in linked if export.file_for(n)}  # images, stylesheets, scripts, pdfs ...
    assert held <= checked, sorted(held - checked)


BLOCK_FOLDERS = {"html", "problem", "video", "vertical", "drafts"}
"""Where an export keeps blocks (vertical files hold inline blocks such as drag-and-drop)."""


def test_the_demo_courses_drag_and_drop_images_travel_with_the_block(cli, tmp_path: Path) -> None:
    archive = corpus("olx/openedx-demo-course.tar.gz")
    export = Export(archive)
    out = tmp_path / "lib.zip"
    run = cli(str(archive), str(out))
    assert run.returncode == 0, run.stderr
    folder = "entities/xblock.v1/drag-and-drop-v2/1feb18be7d7c481bb075d943ffb04893/component_versions/v1/static/"
    with zipfile.ZipFile(out) as zf:
        for key, display in (("Brain_green.png", "Brain green.png"), ("Brain_red.png", "Brain red.png"),
                             ("Brain_yellow.png", "Brain yellow.png")):
            assert zf.read(folder + key) == export.files[f"static/{display}"]
    # the loss names package-level files only: no file a component now carries
    assert "Brain" not in run.stdout + run.stderr
    with lpconvert.read(str(archive)) as result:
        files = set(result.package.model.files)
        carried = {m.resource for _, _, p, m in result.package.iter_media() if p.startswith("static/")}
    assert not files & carried
    assert f"lp-archive cannot hold {len(files)} package-level file(s)" in run.stdout + run.stderr


# --------------------------------------------------------------------------- back to OLX


@pytest.mark.parametrize("suffix", [".json", ".sqlite"])
@pytest.mark.parametrize("archive", OLX_CORPORA, ids=lambda p: p.name)
def test_olx_through_another_format_comes_back_identical(archive: Path, suffix: str, tmp_path: Path) -> None:
    if suffix.lstrip(".") not in format_names():
        pytest.skip(f"the {suffix} format is not installed")
    middle, out = tmp_path / f"course{suffix}", tmp_path / "out.tar.gz"
    assert lpconvert.convert(str(archive), str(middle)).ok
    back = lpconvert.convert(str(middle), str(out))
    assert back.ok, [p.render() for p in back.problems]
    assert compare_trees(unpack(archive, tmp_path / "a"), unpack(out, tmp_path / "b")) == []


def _course_with_assets(tmp_path: Path) -> Path:
    """The tiny course with Studio's asset naming: display names with spaces, a sub-folder,
    asset-v1 and c4x links, escaped HTML, a stylesheet pulling in an image, a video's transcripts."""
    src = tmp_path / "course"
    shutil.copytree(TINY, src)
    static = src / "static"
    (static / "figures").mkdir()
    (static / "figures" / "My Diagram.png").write_bytes(b"\x89PNG diagram")
    (static / "Brain green.png").write_bytes(b"\x89PNG brain")
    (static / "style.css").write_text("p { background: url(./paper.png) }\n")
    (static / "paper.png").write_bytes(b"\x89PNG paper")
    (static / "subs_abc.srt.sjson").write_text('{"start": [0], "end": [1], "text": ["hi"]}')
    (static / "v-en.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nhi\n")
    (static / "map.png").write_bytes(b"\x89PNG map")
    entry = {"contentType": "image/png", "locked": True, "thumbnail_location": None}
    (src / "policies" / "assets.json").write_text(json.dumps({
        "My_Diagram.png": dict(entry, displayname="My Diagram.png", import_path="figures/My Diagram.png"),
        "Brain_green.png": dict(entry, displayname="Brain green.png", import_path=None),
    }, indent=4))
    (src / "html" / "welcome.html").write_text(
        '<link rel="stylesheet" href="/static/style.css"/>'
        '<p>Welcome! <img src="/static/logo.png" alt="logo"/>'
        '<img src="/asset-v1:TinyX+T101+2026+type@asset+block@My_Diagram.png"/>'
        '<img src="/c4x/TinyX/T101/asset/map.png"/></p>')
    (src / "problem" / "q1.xml").write_text(
        '<problem display_name="Question 1" markdown="&lt;img src=&quot;/static/Brain_green.png&quot;/&gt;">\n'
        '  <p>Which is a prime?</p>\n</problem>\n')
    (src / "video").mkdir()
    (src / "video" / "v1.xml").write_text(
        '<video display_name="Intro" sub="abc" transcripts="{&quot;en&quot;: &quot;v-en.srt&quot;}">\n'
        '  <transcript language="en" src="v-en.srt"/>\n</video>\n')
    (src / "vertical" / "unit1.xml").write_text(
        '<vertical display_name="Unit 1">\n  <html url_name="welcome"/>\n  <problem url_name="q1"/>\n'
        '  <video url_name="v1"/>\n</vertical>\n')
    return src


def test_asset_keys_resolve_to_display_names_and_travel_with_their_blocks(tmp_path: Path) -> None:
    src = _course_with_assets(tmp_path)
    with lpconvert.read(str(src)) as result:
        assert result.package is not None
        assert [p.render() for p in result.problems if p.code in ("missing-static", "unreferenced-media")] == []
        ents = result.package.model.entity_map()

        def media(key: str) -> dict[str, bytes]:
            version = ents[key].current_version
            return {p: result.package.read_media(m) for p, m in version.media.items() if p.startswith("static/")}

        assert media("xblock.v1:html:welcome") == {
            "static/logo.png": (src / "static" / "logo.png").read_bytes(),
            "static/My_Diagram.png": b"\x89PNG diagram",
            "static/map.png": b"\x89PNG map",
            "static/style.css": (src / "static" / "style.css").read_bytes(),
            "static/paper.png": b"\x89PNG paper",  # pulled in by the stylesheet
        }
        assert media("xblock.v1:problem:q1") == {"static/Brain_green.png": b"\x89PNG brain"}
        assert set(media("xblock.v1:video:v1")) == {"static/v-en.srt", "static/subs_abc.srt.sjson"}
        files = result.package.model.files
        assert "policies/assets.json" in files  # the asset metadata (locked, content type) is kept
        assert {p for p in files if p.startswith("static/")} == {"static/syllabus.txt"}


@pytest.mark.parametrize("middle", [None, ".json", ".sqlite"])
def test_studio_asset_names_come_back_where_studio_keeps_them(middle: str | None, tmp_path: Path) -> None:
    src = _course_with_assets(tmp_path)
    current = str(src)
    if middle is not None:
        if middle.lstrip(".") not in format_names():
            pytest.skip(f"the {middle} format is not installed")
        current = str(tmp_path / f"course{middle}")
        assert lpconvert.convert(str(src), current).ok
    out = tmp_path / "out.tar.gz"
    assert lpconvert.convert(current, str(out)).ok
    back = unpack(out, tmp_path / "back")
    assert "static/figures/My Diagram.png" in back and "static/Brain green.png" in back
    assert compare_trees(tree_files(src), back) == []


def test_a_file_found_by_the_key_studio_computes_comes_back_under_its_own_name(tmp_path: Path) -> None:
    """No assets.json entry: Studio gives static/'Old Map.png' the key Old_Map.png, and so does lpconvert."""
    src = tmp_path / "course"
    shutil.copytree(TINY, src)
    (src / "static" / "Old Map.png").write_bytes(b"\x89PNG old")
    (src / "html" / "welcome.html").write_text('<p><img src="/static/Old_Map.png"/></p>')
    with lpconvert.read(str(src)) as result:
        welcome = result.package.model.entity_map()["xblock.v1:html:welcome"].current_version
        assert result.package.read_media(welcome.media["static/Old_Map.png"]) == b"\x89PNG old"
        assert not [p for p in result.problems if p.code == "missing-static"]
    out = tmp_path / "out.tar.gz"
    assert lpconvert.convert(str(src), str(out)).ok
    assert compare_trees(tree_files(src), unpack(out, tmp_path / "back")) == []


def test_a_link_to_a_file_the_export_does_not_hold_is_still_a_warning(tmp_path: Path) -> None:
    """Also when assets.json still lists it: the entry is metadata, the bytes are gone."""
    src = _course_with_assets(tmp_path)
    (src / "static" / "figures" / "My Diagram.png").unlink()
    (src / "static" / "map.png").unlink()
    with lpconvert.read(str(src)) as result:
        assert result.package is not None
        assert _missing_links(result.problems) == {"/c4x/TinyX/T101/asset/map.png",
                                                   "/asset-v1:TinyX+T101+2026+type@asset+block@My_Diagram.png"}
        assert {p.file for p in result.problems if p.code == "missing-static"} == {"html/welcome.xml"}


def test_json_nested_deeper_than_python_recurses_is_reported_not_a_crash(tmp_path: Path) -> None:
    """assets.json, a video's transcripts and a container setting, each 100,000 arrays deep."""
    src = tmp_path / "course"
    shutil.copytree(TINY, src)
    deep = "[" * 100_000 + "]" * 100_000
    (src / "policies" / "assets.json").write_text(deep)
    lesson = src / "sequential" / "lesson1.xml"
    lesson.write_text(lesson.read_text().replace("<sequential ", f'<sequential deep="{deep}" ', 1))
    unit = src / "vertical" / "unit1.xml"
    unit.write_text(unit.read_text().replace('<problem url_name="q1"/>',
                                             f'<problem url_name="q1"/><video url_name="v" transcripts="{deep}"/>'))
    with lpconvert.read(str(src)) as result:
        assert result.package is not None
        [warned] = [p for p in result.problems if p.code == "json-too-deep"]
        assert warned.file == "policies/assets.json"
        assert not [p for p in result.problems if p.code == "json-syntax"]
        lesson_attrs = result.package.model.entity_map()["lesson1"].current_version.attributes
        assert lesson_attrs["deep"] == deep  # kept as the text it is
    out = tmp_path / "out.tar.gz"
    assert lpconvert.convert(str(src), str(out)).ok
    assert compare_trees(tree_files(src), unpack(out, tmp_path / "back")) == []


def test_a_file_kept_under_its_key_although_assets_json_names_another_comes_back_there(tmp_path: Path) -> None:
    """assets.json says 'Brain green.png', but the export holds static/Brain_green.png: that file
    is what the link means, and it is written back where it was, not under the display name."""
    src = _course_with_assets(tmp_path)
    (src / "static" / "Brain green.png").rename(src / "static" / "Brain_green.png")
    with lpconvert.read(str(src)) as result:
        q1 = result.package.model.entity_map()["xblock.v1:problem:q1"].current_version
        assert result.package.read_media(q1.media["static/Brain_green.png"]) == b"\x89PNG brain"
    out = tmp_path / "out.tar.gz"
    assert lpconvert.convert(str(src), str(out)).ok
    assert compare_trees(tree_files(src), unpack(out, tmp_path / "back")) == []
