"""Losses are known before the first byte: `--strict` names them all in one run, and
`--allow-loss` accepts the ones a user expects while staying strict about the rest.

Each OLX loss a run reports is checked against what actually comes back from the OLX it
wrote, so a warning is never about something that was in fact written.
"""

from __future__ import annotations

import base64
import json
import re
import types
from pathlib import Path
from typing import Any

import pytest

import lpconvert
from lpconvert.api import LpconvertError, get_format
from lpconvert.formats import FormatSpec, LossKind
from lpconvert.hookspecs import hookimpl
from lpconvert.model import CompletePackageInput
from lpconvert.package import Package, RawPackage
from lpconvert.testing import assert_roundtrip, check_plugin, sample_package, use_plugins

from helpers.cli import run_cli
from helpers.paths import corpus
from helpers.packages import build, full_data

FULL_OLX_KINDS = {"collections", "meta", "timestamps", "package-description", "can-stand-alone", "unknown-fields",
                  "other-versions", "titles", "component-files", "version-numbers", "unpublished-outside-units",
                  "package-key"}
"""What OLX cannot hold of helpers.packages' "full" package, read off the fixture by hand:
two collections; meta; created times; a description; first-steps cannot stand alone; x_
fields; week-1's version 1; q1's title "Q1" with no display_name in its block.xml; q1's
hello.txt outside static/; unit-a published 2, draft 3; "more" and the loose note never
published; the v2 key lib:Org:FULL."""

UPSTREAM_OLX_KINDS = {"collections", "meta", "timestamps", "titles", "version-numbers", "unpublished-outside-units",
                      "drafts-outside-units", "package-key"}
"""The issue's example: upstream's library backup written as a course (one collection, meta,
times, a survey titled apart from its display_name, never-published content, a loose html
with a draft ahead, a v2 key)."""


def _kinds(stderr: str, severity: str) -> set[str]:
    return set(re.findall(rf"\[([a-z-]+)\]: {severity}: .*\(loss\)", stderr))


def _full_json(tmp_path: Path) -> Path:
    path = tmp_path / "full.json"
    assert lpconvert.write(build("full"), str(path)).written
    return path


# --------------------------------------------------------------------------- one round

def test_strict_names_every_olx_loss_of_the_issue_example_in_one_run(tmp_path: Path) -> None:
    out = tmp_path / "course.tar.gz"
    proc = run_cli(str(corpus("lp/upstream-library-backup.zip")), str(out), "--strict")
    assert proc.returncode == 1, proc.stderr
    assert _kinds(proc.stderr, "error") == UPSTREAM_OLX_KINDS
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert proc.stderr.strip().splitlines()[-1].startswith("lpconvert: nothing written to")


def test_strict_names_every_loss_of_the_full_fixture_in_one_run(tmp_path: Path) -> None:
    source = _full_json(tmp_path)
    out = tmp_path / "course.tar.gz"
    proc = run_cli(str(source), str(out), "--strict")
    assert proc.returncode == 1
    assert _kinds(proc.stderr, "error") == FULL_OLX_KINDS
    assert "error: unknown field 'meta.x_meta_note'" in proc.stderr, "the source's own warnings, in the same run"
    assert not out.exists()


def test_every_reported_olx_loss_is_true(tmp_path: Path) -> None:
    """Write without --strict, read the OLX back, and find each reported loss in it."""
    original = build("full")
    out = tmp_path / "course.tar.gz"
    written = lpconvert.write(original, str(out))
    assert written.written
    assert {p.field for p in written.problems if p.code == "loss"} == FULL_OLX_KINDS
    with lpconvert.read(str(out)) as back:
        assert back.package is not None
        model = back.package.model
        ents = model.entity_map()
    assert model.collections == []
    assert model.learning_package.key == "course-v1:Org+FULL+1"
    assert model.meta is None or model.meta.created_by is None
    assert model.learning_package.description == "" and model.learning_package.created is None
    assert ents["first-steps"].can_stand_alone is True
    assert ents["xblock.v1:problem:q1"].current_version.title == ""  # was "Q1"
    assert set(ents["xblock.v1:problem:q1"].current_version.media) == {"block.xml"}  # hello.txt is gone
    assert (ents["unit-a"].published_version, ents["unit-a"].draft_version) == (1, 2)  # were 2 and 3
    assert ents["more"].published_version is not None
    # and what is not reported is kept: the intro's draft (in a unit) comes back as a draft
    intro = ents["xblock.v1:html:intro"]
    assert intro.draft_version != intro.published_version
    # the draft's title, "Intro ☃", is not its block's display_name: that is a loss too
    assert intro.current_version.title == "Intro"
    assert "xblock.v1:html:intro" in next(p.message for p in written.problems if p.field == "titles")


def test_olx_to_olx_reports_no_loss_and_a_matching_title_is_no_loss(tmp_path: Path) -> None:
    data = full_data()
    data["entities"] = [e for e in data["entities"] if e["key"] == "xblock.v1:html:intro"]
    data["entities"][0]["versions"][1]["title"] = "Intro"
    for name in ("collections", "meta", "root", "files", "x_package_note"):
        data.pop(name)
    package = Package(CompletePackageInput.model_validate(data))
    written = lpconvert.write(package, str(tmp_path / "a.tar.gz"), allow_loss=["timestamps", "package-description"])
    kinds = {p.field for p in written.problems if p.code == "loss"}
    assert "titles" not in kinds and "drafts-outside-units" in kinds


# --------------------------------------------------------------------------- --allow-loss

def test_allow_loss_accepts_some_kinds_and_stays_strict_about_the_rest(tmp_path: Path) -> None:
    source = str(corpus("lp/upstream-library-backup.zip"))
    out = tmp_path / "course.tar.gz"
    proc = run_cli(source, str(out), "--strict", "--allow-loss", "collections,meta", "--allow-loss", "timestamps")
    assert proc.returncode == 1
    assert _kinds(proc.stderr, "warning") == {"collections", "meta", "timestamps"}
    assert _kinds(proc.stderr, "error") == UPSTREAM_OLX_KINDS - {"collections", "meta", "timestamps"}
    assert not out.exists()

    everything = ",".join(sorted(UPSTREAM_OLX_KINDS))
    proc = run_cli(source, str(out), "--strict", "--allow-loss", everything)
    assert proc.returncode == 0, proc.stderr
    assert out.exists()
    assert _kinds(proc.stderr, "warning") == UPSTREAM_OLX_KINDS, "an allowed loss is still reported"
    assert f"0 errors, {len(UPSTREAM_OLX_KINDS)} warnings" in proc.stderr


def test_unknown_loss_kind_is_a_usage_error_with_a_suggestion(tmp_path: Path) -> None:
    out = tmp_path / "course.tar.gz"
    proc = run_cli(str(_full_json(tmp_path)), str(out), "--strict", "--allow-loss", "meta,colections")
    assert proc.returncode == 2
    first = proc.stderr.splitlines()[0]
    assert first.startswith("lpconvert: unknown loss kind 'colections' (did you mean 'collections'?)")
    assert "titles" in first and "version-numbers" in first, "the known kinds are listed"
    assert "Traceback" not in proc.stderr and not out.exists()


def test_formats_lists_each_kind_a_destination_can_lose() -> None:
    proc = run_cli("formats")
    assert proc.returncode == 0
    olx = proc.stdout.split("\nolx ", 1)[1].split("\nsections ", 1)[0]
    for kind in ("collections", "meta", "timestamps", "can-stand-alone", "titles", "version-numbers",
                 "drafts-outside-units", "library-containers", "component-files"):
        assert re.search(rf"^\s+{kind}\s+\S", olx, re.MULTILINE), kind


def test_library_api_allow_loss(tmp_path: Path) -> None:
    package = build("full")
    allowed = sorted(FULL_OLX_KINDS - {"titles"})
    refused = lpconvert.write(package, str(tmp_path / "a.tar.gz"), strict=True, allow_loss=allowed)
    assert not refused.written and not (tmp_path / "a.tar.gz").exists()
    assert [p.field for p in refused.problems if p.is_error] == ["titles"]
    assert {p.field for p in refused.problems if not p.is_error} == set(allowed)
    done = lpconvert.write(package, str(tmp_path / "b.tar.gz"), strict=True, allow_loss=[",".join(FULL_OLX_KINDS)])
    assert done.written and not any(p.is_error for p in done.problems)
    with pytest.raises(LpconvertError, match="did you mean 'titles'"):
        lpconvert.write(package, str(tmp_path / "c.tar.gz"), allow_loss=["tittles"])
    assert not (tmp_path / "c.tar.gz").exists()


# --------------------------------------------------------------------------- OLX's own kinds

def test_v1_library_layout_says_containers_go_before_writing(tmp_path: Path) -> None:
    out = tmp_path / "lib.tar.gz"
    proc = run_cli(str(_full_json(tmp_path)), str(out), "--strict", "-O", "olx_layout=library")
    assert proc.returncode == 1
    assert "library-containers" in _kinds(proc.stderr, "error")
    assert not out.exists()


def _two_components(first: bytes, second: bytes) -> Package:
    def component(code: str, data: bytes) -> dict:
        return {"key": f"xblock.v1:html:{code}", "draft_version": 1, "published_version": 1,
                "versions": [{"version_num": 1, "title": code, "media": {
                    "block.xml": {"text": f'<html display_name="{code}"><![CDATA[<img src="/static/a.png"/>]]></html>'},
                    "static/a.png": {"base64": base64.b64encode(data).decode()}}}]}
    return Package(CompletePackageInput.model_validate({
        "learning_package": {"key": "course-v1:O+L+1", "title": "L"},
        "entities": [{"key": "u", "container_type": "unit", "draft_version": 1, "published_version": 1,
                      "versions": [{"version_num": 1, "title": "U", "children": ["xblock.v1:html:a",
                                                                                 "xblock.v1:html:b"]}]},
                     component("a", first), component("b", second)]}))


def test_one_static_path_with_two_different_files_is_a_loss_and_the_same_file_is_not(tmp_path: Path) -> None:
    same = lpconvert.write(_two_components(b"1234", b"1234"), str(tmp_path / "same.tar.gz"), strict=True)
    assert same.written, [p.render() for p in same.problems]
    differ = lpconvert.write(_two_components(b"1234", b"5678"), str(tmp_path / "differ.tar.gz"), strict=True)
    assert not differ.written and not (tmp_path / "differ.tar.gz").exists()
    [clash] = [p for p in differ.problems if p.field == "static-conflicts"]
    assert "static/a.png of xblock.v1:html:b" in clash.message


def test_two_names_studio_keeps_in_one_display_name_file_are_a_conflict(tmp_path: Path) -> None:
    """assets.json sends both asset keys to the file `static/Logo.png`: the writer can keep one."""
    data = _two_components(b"1234", b"5678").model.model_dump()
    b_version = data["entities"][2]["versions"][0]
    b_version["media"]["static/b.png"] = b_version["media"].pop("static/a.png")
    policy = {"a.png": {"displayname": "Logo.png"}, "b.png": {"displayname": "Logo.png"}}
    data["files"] = {"policies/assets.json": {"text": json.dumps(policy)}}
    package = Package(CompletePackageInput.model_validate(data))
    written = lpconvert.write(package, str(tmp_path / "c.tar.gz"), strict=True)
    assert not written.written and not (tmp_path / "c.tar.gz").exists()
    [clash] = [p for p in written.problems if p.field == "static-conflicts"]
    assert "static/Logo.png of xblock.v1:html:b" in clash.message


def test_a_draft_olx_writes_as_its_published_version_is_named(tmp_path: Path) -> None:
    package = _two_components(b"1234", b"1234")
    data = package.model.model_dump()
    component = data["entities"][1]
    draft = {**component["versions"][0], "version_num": 2}  # the same block.xml and file
    component.update(versions=[component["versions"][0], draft], draft_version=2)
    written = lpconvert.write(Package(CompletePackageInput.model_validate(data)), str(tmp_path / "a.tar.gz"))
    [numbers] = [p.message for p in written.problems if p.field == "version-numbers"]
    assert "the draft of 1 entit(ies) (xblock.v1:html:a)" in numbers
    with lpconvert.read(str(tmp_path / "a.tar.gz")) as back:
        assert back.package is not None
        a = back.package.model.entity_map()["xblock.v1:html:a"]
        assert (a.published_version, a.draft_version) == (1, 1)


# --------------------------------------------------------------------------- a format's own kinds

def _toy(name: str, *, drop: tuple[str, ...] = (), cannot_hold: frozenset[str] = frozenset(),
         losses: tuple = ()) -> types.ModuleType:
    """A plugin module for format `name`: the package as one JSON file, without the top-level
    parts in `drop` and without any `created`/`updated` time when "times" is in it."""
    module = types.ModuleType(f"toy_losses_{name}")

    def write(package: Package, sink: Any, options: Any) -> list[Any]:
        data = package.model.model_dump(mode="json", exclude_none=True)
        for part in drop:
            data.pop(part, None)
        if "times" in drop:
            for holder in [data["learning_package"], *data["entities"], *(v for e in data["entities"]
                                                                          for v in e["versions"])]:
                holder.pop("created", None)
                holder.pop("updated", None)
        sink.write_bytes("toy.json", json.dumps(data).encode("utf-8"))
        return []

    def read(source: Any, options: Any) -> RawPackage:
        return RawPackage(json.loads(source.read_text("toy.json")))

    @hookimpl
    def lpconvert_formats() -> list[FormatSpec]:
        return [FormatSpec(name=name, description="toy format", probe=lambda s: s.exists("toy.json"),
                           reader=read, writer=write, cannot_hold=cannot_hold, losses=losses)]

    module.LPCONVERT_API = 1  # type: ignore[attr-defined]
    module.lpconvert_formats = lpconvert_formats  # type: ignore[attr-defined]
    return module


def test_the_round_trip_helper_passes_over_the_new_core_kinds_when_declared(tmp_path: Path) -> None:
    drop = ("meta", "times")
    with use_plugins(_toy("forgetful", drop=drop)), sample_package() as package, \
            pytest.raises(AssertionError, match=r"(?s)learning_package.created: expected.*meta: missing"):
        assert_roundtrip(package, "forgetful", tmp_path / "a")
    honest = _toy("honest", drop=drop, cannot_hold=frozenset({"meta", "timestamps"}))
    with use_plugins(honest), sample_package() as package:
        assert_roundtrip(package, "honest", tmp_path / "b")
        kinds = {p.field for p in lpconvert.write(package, str(tmp_path / "c"), "honest").problems}
        assert kinds == {"meta", "timestamps"}


def _says_welcome(package: Package, options: Any) -> str | None:
    keys = [e.key for e in package.model.entities if e.key.endswith(":welcome")]
    return f"toy drops the welcome of {len(keys)} component(s)" if keys else None


def test_a_format_s_own_kind_is_detected_before_writing_and_can_be_allowed(tmp_path: Path) -> None:
    toy = _toy("welcoming", losses=(LossKind("no-welcome", "the welcome component", _says_welcome),))
    with use_plugins(toy), sample_package() as package:
        refused = lpconvert.write(package, str(tmp_path / "a"), "welcoming", strict=True)
        assert not refused.written and not (tmp_path / "a").exists()
        assert [(p.field, p.message) for p in refused.problems] == [
            ("no-welcome", "toy drops the welcome of 1 component(s)")]
        allowed = lpconvert.write(package, str(tmp_path / "b"), "welcoming", strict=True, allow_loss=["no-welcome"])
        assert allowed.written and [p.field for p in allowed.problems] == ["no-welcome"]
        assert "no-welcome" in get_format("welcoming").loss_kinds
    with pytest.raises(LpconvertError, match="unknown loss kind 'no-welcome'"):
        lpconvert.write(build("full"), str(tmp_path / "c.json"), allow_loss=["no-welcome"])


def test_the_contract_checks_a_format_s_own_kinds() -> None:
    module = _toy("clashing", losses=(LossKind("collections", "taken", _says_welcome),
                                      LossKind("fine-kind", "ok", "no_such_module_xyz:detect")))
    found = "\n".join(check_plugin(module))
    assert "own loss kind 'collections'" in found and "no_such_module_xyz" in found
    assert check_plugin(_toy("tidy", losses=(LossKind("fine-kind", "ok", _says_welcome),))) == []
