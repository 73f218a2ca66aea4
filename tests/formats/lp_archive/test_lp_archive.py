"""The lp-archive format against real archives written by upstream openedx-core."""

from __future__ import annotations

import io
import json
import shutil
import tomllib
import zipfile
from pathlib import Path

import pytest
from helpers.cli import run_cli
from helpers.paths import FIXTURES, LP_CORPORA, corpus

import lpconvert
from lpconvert.model import CompletePackageInput
from lpconvert.package import Package

SMALL = FIXTURES / "lp-archive" / "small-library"


def _model(path: Path | str) -> CompletePackageInput:
    with lpconvert.read(str(path)) as result:
        assert result.package is not None, [p.render() for p in result.problems]
        assert not [p for p in result.problems if p.is_error]
        return result.package.model


def _media_digest(path: Path | str) -> dict[tuple[str, int, str], bytes]:
    with lpconvert.read(str(path)) as result:
        assert result.package is not None
        pkg = result.package
        return {(e.key, n, p): pkg.read_media(m) for e, n, p, m in pkg.iter_media()}


def _comparable(model: CompletePackageInput) -> dict:
    """The hub content with media reduced to paths (bytes are compared separately)."""
    data = model.model_dump(mode="json", exclude={"entities": {"__all__": {"versions": {"__all__": {"media"}}}}})
    data["entities"] = sorted(data["entities"], key=lambda e: e["key"])
    for e, ent in zip(data["entities"], sorted(model.entities, key=lambda e: e.key)):
        for v, ver in zip(e["versions"], ent.versions):
            v["media_paths"] = sorted(ver.media)
    data["collections"] = sorted(data["collections"], key=lambda c: c["key"])
    for c in data["collections"]:
        c["entities"] = sorted(c["entities"])
    return data


@pytest.mark.parametrize("archive", LP_CORPORA, ids=lambda p: p.name)
def test_every_upstream_archive_reads_without_problems(archive: Path) -> None:
    with lpconvert.read(str(archive)) as result:
        assert result.format == "lp-archive"
        assert result.package is not None
        assert [p.render() for p in result.problems] == []
        assert result.package.entities


@pytest.mark.parametrize("archive", LP_CORPORA, ids=lambda p: p.name)
def test_round_trip_archive_hub_archive_hub_is_equal(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.zip"
    first = _model(archive)
    result = lpconvert.convert(str(archive), str(out))
    assert result.ok, [p.render() for p in result.problems]
    second = _model(out)
    assert _comparable(first) == _comparable(second)
    assert _media_digest(archive) == _media_digest(out)


def test_upstream_counts_are_read_from_the_file_not_guessed(tmp_path: Path) -> None:
    """The small upstream fixture: 3 containers, 7 components (two of them html), a collection."""
    model = _model(corpus("lp/upstream-library-backup.zip"))
    containers = [e for e in model.entities if e.container_type]
    components = [e for e in model.entities if not e.container_type]
    assert sorted(e.container_type for e in containers) == ["section", "subsection", "unit"]
    assert len(components) == 7
    assert sorted(e.kind.split(':')[1] for e in components) == [
        "drag-and-drop-v2", "html", "html", "openassessment", "problem", "survey", "video"]
    html = next(e for e in model.entities if e.key == "xblock.v1:html:e32d5479-9492-41f6-9222-550a7346bc37")
    assert (html.draft_version, html.published_version) == (5, 4)
    assert sorted(v.version_num for v in html.versions) == [4, 5]
    assert "static/me.png" in html.version(5).media
    assert [c.key for c in model.collections] == ["collection-test"]


def test_key_inside_file_wins_over_file_name(tmp_path: Path) -> None:
    """Rename a component's TOML and its folder: the entity keeps the key written inside."""
    src = tmp_path / "lib"
    shutil.copytree(SMALL, src)
    base = src / "entities" / "xblock.v1" / "html"
    (base / "intro.toml").rename(base / "renamed_abc123.toml")
    (base / "intro").rename(base / "renamed_abc123")
    model = _model(src)
    entity = next(e for e in model.entities if e.key == "xblock.v1:html:intro")
    assert "static/logo.png" in entity.version(2).media


def test_writing_twice_gives_byte_identical_archives(tmp_path: Path) -> None:
    src = corpus("lp/upstream-library-backup.zip")
    a, b = tmp_path / "a.zip", tmp_path / "b.zip"
    assert lpconvert.convert(str(src), str(a)).ok
    assert lpconvert.convert(str(src), str(b)).ok
    assert a.read_bytes() == b.read_bytes()
    # and converting our own output again changes nothing either
    c = tmp_path / "c.zip"
    assert lpconvert.convert(str(a), str(c)).ok
    assert a.read_bytes() == c.read_bytes()


def test_written_layout_matches_upstream_naming_and_tables(tmp_path: Path) -> None:
    out = tmp_path / "out.zip"
    assert lpconvert.convert(str(corpus("lp/upstream-library-backup.zip")), str(out)).ok
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        # explicit directory entries, including the empty static/ of every written version
        assert "entities/" in names and "collections/" in names
        assert "entities/xblock.v1/survey/6681da3f-b056-4c6e-a8f9-040967907471/component_versions/v1/static/" in names
        for name in names:
            parent = name.rstrip("/").rpartition("/")[0]
            assert not parent or parent + "/" in names, f"{name} has no directory entry for {parent}"
        assert names == sorted(names)
        unit = zf.read("entities/unit1-b7eafb.toml").decode()
        assert "[entity.published]\n# unpublished: no published_version_num" in unit
        assert "[entity.container.unit]" in unit
        html = tomllib.loads(zf.read("entities/xblock.v1/html/e32d5479-9492-41f6-9222-550a7346bc37.toml").decode())
        # draft first, then published
        assert [v["version_num"] for v in html["version"]] == [5, 4]
        coll = tomllib.loads(zf.read("collections/collection-test.toml").decode())
        assert coll["collection"]["description"] == ""
        assert coll["collection"]["entities"] == sorted(coll["collection"]["entities"])


def test_slug_collisions_get_upstream_hash_suffix(tmp_path: Path) -> None:
    """Known values from upstream: `my_example` collides -> `my_example_880989`."""
    lp = {"key": "lib:x:y", "title": "T"}
    block = {"block.xml": {"text": "<html/>"}}
    entities = [
        {"key": "xblock.v1:html:my_example", "draft_version": 1, "versions": [{"version_num": 1, "title": "a",
                                                                                "media": block}]},
        {"key": "my_example", "container_type": "unit", "draft_version": 1,
         "versions": [{"version_num": 1, "title": "u", "children": ["xblock.v1:html:my_example"]}]},
    ]
    model = CompletePackageInput.model_validate({"learning_package": lp, "entities": entities})
    out = tmp_path / "o.zip"
    result = lpconvert.write(Package(model), str(out))
    assert result.ok, result.problems
    with zipfile.ZipFile(out) as zf:
        names = set(zf.namelist())
    # entities are visited in key order: "my_example" (the unit) first, then the component
    assert "entities/my_example.toml" in names
    assert "entities/xblock.v1/html/my_example_880989.toml" in names


def test_versions_beyond_draft_and_published_are_dropped_with_a_warning(tmp_path: Path) -> None:
    block = {"block.xml": {"text": "<html/>"}}
    model = CompletePackageInput.model_validate({
        "learning_package": {"key": "lib:x:y", "title": "T"},
        "entities": [{"key": "xblock.v1:html:a", "draft_version": 3, "published_version": 2, "versions": [
            {"version_num": n, "title": f"v{n}", "media": block} for n in (1, 2, 3)]}],
    })
    out = tmp_path / "o.zip"
    result = lpconvert.write(Package(model), str(out))
    assert result.ok
    losses = [p for p in result.problems if p.code == "loss"]
    assert len(losses) == 1 and "xblock.v1:html:a v1" in losses[0].message
    back = _model(out)
    assert sorted(v.version_num for v in back.entities[0].versions) == [2, 3]
    # --strict refuses instead, and writes nothing
    strict_out = tmp_path / "strict.zip"
    refused = lpconvert.write(Package(model), str(strict_out), strict=True)
    assert not refused.ok and refused.problems[0].is_error
    assert not strict_out.exists()


def test_version_times_are_named_as_lost_and_entity_times_kept(tmp_path: Path) -> None:
    """Upstream's archive dates the entity, not each version: a JSON or SQLite package's
    version times cannot survive, and the user is told before anything is written."""
    block = {"block.xml": {"text": "<html/>"}}
    model = CompletePackageInput.model_validate({
        "learning_package": {"key": "lib:x:y", "title": "T"},
        "entities": [{"key": "xblock.v1:html:a", "created": "2024-05-01T10:00:00Z", "draft_version": 1,
                      "published_version": 1, "versions": [
                          {"version_num": 1, "title": "v1", "created": "2024-05-02T10:00:00Z", "media": block}]}],
    })
    out = tmp_path / "o.zip"
    result = lpconvert.write(Package(model), str(out))
    assert result.ok
    losses = [p for p in result.problems if p.code == "loss"]
    assert [p.field for p in losses] == ["version-times"]
    assert "created time of 1 version(s)" in losses[0].message and "xblock.v1:html:a" in losses[0].message
    back = _model(out).entities[0]
    assert back.created is not None and back.created.isoformat().startswith("2024-05-01T10:00:00")
    assert back.versions[0].created is None
    refused = lpconvert.write(Package(model), str(tmp_path / "strict.zip"), strict=True)
    assert not refused.ok and not (tmp_path / "strict.zip").exists()


@pytest.mark.parametrize("layout", ["wrapped-zip", "directory", "wrapped-with-junk"])
def test_wrapper_folders_and_directories_read_the_same(layout: str, tmp_path: Path) -> None:
    src = corpus("lp/upstream-library-backup.zip")
    expected = _comparable(_model(src))
    with zipfile.ZipFile(src) as zf:
        members = [(i.filename, zf.read(i)) for i in zf.infolist() if not i.is_dir()]
    if layout == "directory":
        target = tmp_path / "unzipped"
        for name, data in members:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(data)
    else:
        target = tmp_path / "wrapped.zip"
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            for name, data in members:
                zf.writestr(f"MyLibrary/{name}", data)
            if layout == "wrapped-with-junk":
                zf.writestr("__MACOSX/MyLibrary/._package.toml", b"junk")
                zf.writestr(".DS_Store", b"junk")
                zf.writestr("README.txt", b"how to restore")
        target.write_bytes(buf.getvalue())
    assert _comparable(_model(target)) == expected


@pytest.mark.parametrize(("members", "code", "named"), [
    (["A/package.toml", "B/package.toml"], "ambiguous-root", "its folders A/, B/ each hold a package"),
    (["MyLib/package.toml", "notes/todo.txt"], "ambiguous-root", "its folder MyLib/ holds a package"),
    # a library whose package.toml is missing has only folders at the top too: not ambiguous
    (["entities/a.toml", "collections/c.toml"], "missing-package-toml",
     "a learning-package archive missing its package.toml"),
], ids=["two-packages", "package-beside-a-folder", "no-package"])
def test_several_top_level_folders_name_the_ones_holding_a_package(
        members: list[str], code: str, named: str, tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in members:
            zf.writestr(name, b"")
    target = tmp_path / "two.zip"
    target.write_bytes(buf.getvalue())
    result = lpconvert.read(str(target))
    assert result.package is None
    codes = [p.code for p in result.problems]
    assert codes[0] == code and codes.count(code) == 1  # (the empty entity files have problems of their own)
    assert "unknown-format" not in codes and "ambiguous-root" not in codes[1:]
    assert named in result.problems[0].message and "two.zip" in result.problems[0].message


def test_pre_406_component_tables_are_tolerated(tmp_path: Path) -> None:
    """Old archives carry an empty [entity.container] and uuid fields on components."""
    src = tmp_path / "lib"
    shutil.copytree(SMALL, src)
    path = src / "entities" / "xblock.v1" / "video" / "welcome.toml"
    text = path.read_text().replace('key = "xblock.v1:video:welcome"',
                                    'key = "xblock.v1:video:welcome"\nuuid = "0b1c2d3e-0000-4000-8000-000000000001"')
    text = text.replace("# ### Versions", "[entity.container]\n\n# ### Versions")
    text = text.replace('title = "Welcome video"', 'title = "Welcome video"\nuuid = "0b1c2d3e-0000-4000-8000-0000000002"')
    path.write_text(text)
    with lpconvert.read(str(src)) as result:
        assert result.package is not None, [p.render() for p in result.problems]
        assert result.problems == []
        video = result.package.entity("xblock.v1:video:welcome")
        assert video is not None and video.container_type is None


def test_unknown_fields_are_kept_and_written_back(tmp_path: Path) -> None:
    src = tmp_path / "lib"
    shutil.copytree(SMALL, src)
    pkg = src / "package.toml"
    pkg.write_text(pkg.read_text().replace('description = "A small', 'license = "CC-BY"\ndescription = "A small')
                   + '\n[custom_tool]\nlast_sync = "2026-01-01"\n')
    with lpconvert.read(str(src)) as result:
        assert result.package is not None
        warnings = {p.field for p in result.problems if p.code == "unknown-field"}
        assert "learning_package.license" in warnings and "custom_tool" in warnings
        out = tmp_path / "out.zip"
        assert lpconvert.write(result.package, str(out)).ok
    again = _model(out)
    assert again.learning_package.model_extra == {"license": "CC-BY"}
    assert again.model_extra == {"custom_tool": {"last_sync": "2026-01-01"}}


@pytest.mark.oracle
@pytest.mark.parametrize("archive", LP_CORPORA, ids=lambda p: p.name)
def test_upstream_restores_what_we_write_with_the_same_content(archive: Path, tmp_path: Path, oracle) -> None:
    out = tmp_path / "out.zip"
    assert lpconvert.convert(str(archive), str(out)).ok
    assert oracle.summary(out) == oracle.summary(archive)


@pytest.mark.oracle
def test_upstream_restores_the_bundled_fixture(tmp_path: Path, oracle) -> None:
    out = tmp_path / "small.zip"
    assert lpconvert.convert(str(SMALL), str(out)).ok
    summary = oracle.summary(out)
    intro = summary["entities"]["xblock.v1:html:intro"]
    assert (intro["draft"], intro["published"]) == (2, 1)
    assert set(intro["versions"]["2"]["media"]) == {"block.xml", "static/logo.png"}
    assert summary["entities"]["first-steps"]["versions"]["2"]["children"] == [
        "xblock.v1:html:intro", "xblock.v1:problem:quiz1"]
    assert summary["collections"]["starter-kit"]["entities"] == ["xblock.v1:html:intro", "xblock.v1:video:welcome"]


def test_nulls_inside_unknown_fields_are_omitted_with_a_warning(tmp_path: Path) -> None:
    """TOML has no null: a nested null cannot be written, so it is dropped and reported."""
    block = {"block.xml": {"text": "<html/>"}}
    model = CompletePackageInput.model_validate({
        "learning_package": {"key": "lib:x:y", "title": "T", "tool": {"a": None, "b": [1, None, 2], "c": "x"}},
        "entities": [{"key": "xblock.v1:html:a", "draft_version": 1, "weird": {"n": None},
                      "versions": [{"version_num": 1, "title": "v", "media": block}]}],
        "custom": {"ratio": float("inf"), "nothing": None},
    })
    out = tmp_path / "o.zip"
    result = lpconvert.write(Package(model), str(out))
    assert result.ok, result.problems
    loss = [p for p in result.problems if p.code == "loss" and "null" in p.message]
    assert len(loss) == 1 and "4 null" in loss[0].message
    assert "lib:x:y" in loss[0].message and "xblock.v1:html:a" in loss[0].message
    back = _model(out)
    assert back.learning_package.model_extra == {"tool": {"b": [1, 2], "c": "x"}}
    assert back.entities[0].model_extra == {"weird": {}}
    assert back.model_extra == {"custom": {"ratio": float("inf")}}


def test_what_toml_cannot_hold_is_named_before_the_first_byte(tmp_path: Path) -> None:
    """Nulls inside unknown fields and bare top-level values are declared losses: `--strict`
    refuses before anything is written, and one run names both; the archive written without
    --strict omits exactly them."""
    source = tmp_path / "in.json"
    source.write_text(json.dumps({
        "learning_package": {"key": "lib:x:y", "title": "T", "tool": {"a": None}},
        "entities": [{"key": "xblock.v1:html:a", "draft_version": 1,
                      "versions": [{"version_num": 1, "title": "v", "media": {"block.xml": {"text": "<html/>"}}}]}],
        "note": "a bare value"}))
    out = tmp_path / "o.zip"
    proc = run_cli(str(source), str(out), "--strict")
    assert proc.returncode == 1, proc.stderr
    assert "[top-level-values]" in proc.stderr and "note" in proc.stderr
    assert "[unknown-field-nulls]" in proc.stderr and "lib:x:y" in proc.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [source]
    proc = run_cli(str(source), str(out), "--allow-loss", "top-level-values,unknown-field-nulls")
    assert proc.returncode == 0, proc.stderr
    assert _model(out).learning_package.model_extra == {"tool": {}}
