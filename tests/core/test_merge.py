"""merge: an edited backup applied to the original gives what the edits made, as new versions."""

from __future__ import annotations

import io
import lzma
import os
import shutil
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.paths import corpus

import lpconvert
import lpconvert.api
from lpconvert.merge import merge
from lpconvert.model import Entity
from lpconvert.package import Package

BASE = "lp/upstream-library-backup.zip"
EDITED = "lp/upstream-library-backup-edited.zip"
UNIT = "unit1-b7eafb"
DND = "xblock.v1:drag-and-drop-v2:4d1b2fac-8b30-42fb-872d-6b10ab580b27"
HTML = "xblock.v1:html:e32d5479-9492-41f6-9222-550a7346bc37"
UNTOUCHED = "xblock.v1:html:c22b9f97-f1e9-4e8f-87f0-d5a3c26083e2"
ADDED = [f"xblock.v1:html:added{i}" for i in range(5)]


def _open(relative: str) -> Iterator[Package]:
    with lpconvert.read(str(corpus(relative))) as result:
        assert result.package is not None, [p.render() for p in result.problems]
        yield result.package


@pytest.fixture
def base() -> Iterator[Package]:
    yield from _open(BASE)


@pytest.fixture
def edited() -> Iterator[Package]:
    yield from _open(EDITED)


def _pointers(entity: Entity | None) -> tuple[int | None, int | None]:
    assert entity is not None
    return entity.draft_version, entity.published_version


def test_merge_reports_added_updated_and_unchanged(base: Package, edited: Package) -> None:
    result = merge(base, edited)
    assert result.package is not None, [p.render() for p in result.problems]
    report = result.report
    assert [c.key for c in report.entities_by("added")] == ADDED
    assert [c.key for c in report.entities_by("unchanged")] == [UNTOUCHED]
    # every other entity of the base was published (or changed) in the edited twin
    assert len(report.entities_by("updated")) == len(base.entities) - 1
    assert [c.key for c in report.collections_by("added")] == ["added-collection"]
    assert [c.key for c in report.collections_by("unchanged")] == ["collection-test"]


def test_changed_content_becomes_new_versions_above_the_existing_ones(base: Package, edited: Package) -> None:
    merged = merge(base, edited).package
    assert merged is not None
    unit = merged.entity(UNIT)
    assert _pointers(unit) == (3, 2)
    assert unit.current_version.children == ADDED
    dnd = merged.entity(DND)
    assert sorted(v.version_num for v in dnd.versions) == [2, 3, 4]  # the base's v2 is kept
    assert _pointers(dnd) == (4, 3)
    assert (dnd.version(3).title, dnd.version(4).title) == ("rewritten 0", "draft again 0")


def test_the_same_content_makes_no_version_only_moves_pointers(base: Package, edited: Package) -> None:
    merged = merge(base, edited).package
    assert merged is not None
    html = merged.entity(HTML)
    assert sorted(v.version_num for v in html.versions) == [4, 5]
    assert _pointers(html) == (5, 5)  # the edit published the draft
    assert merged.entity(UNTOUCHED) == base.entity(UNTOUCHED)


def test_the_base_identity_is_kept(base: Package, edited: Package) -> None:
    merged = merge(base, edited).package
    assert merged is not None
    assert merged.model.learning_package == base.model.learning_package
    assert merged.model.meta == base.model.meta


def test_merging_a_package_into_itself_changes_nothing(base: Package) -> None:
    result = merge(base, base)
    assert result.package is not None
    assert result.report.counts() == {"added": 0, "updated": 0, "unchanged": len(base.entities)}
    assert result.package.model.entities == base.model.entities


def test_merging_the_same_edits_twice_changes_nothing_the_second_time(base: Package, edited: Package) -> None:
    once = merge(base, edited).package
    assert once is not None
    twice = merge(once, edited)
    assert twice.package is not None
    assert twice.report.counts()["updated"] == 0 and twice.report.counts()["added"] == 0
    assert twice.package.model.entities == once.model.entities


def test_an_imported_version_always_becomes_the_newest(base: Package, edited: Package) -> None:
    """The old content applied to the edited library comes back as new versions, above v3 and v4."""
    merged = merge(edited, base).package
    assert merged is not None
    unit = merged.entity(UNIT)
    assert _pointers(unit) == (4, 2)  # never unpublishes: the base (here, edited) published v2 stays
    assert unit.current_version.children == ["xblock.v1:video:22601ebd-9da8-430b-9778-cfe059a98568"]
    dnd = merged.entity(DND)
    assert _pointers(dnd) == (5, 3)
    assert dnd.version(5).title == "Drag and Drop"
    # entities only in the (edited) base stay
    assert all(merged.entity(k) is not None for k in ADDED)


def test_collections_merge_members(base: Package, edited: Package) -> None:
    merged = merge(base, edited).package
    assert merged is not None
    cols = {c.key: c for c in merged.collections}
    assert sorted(cols) == ["added-collection", "collection-test"]
    assert cols["added-collection"].entities == ADDED
    assert cols["collection-test"] == next(c for c in base.collections if c.key == "collection-test")


def test_an_entity_of_another_kind_under_the_same_key_is_a_conflict(base: Package, edited: Package) -> None:
    model = edited.model.model_copy(update={"entities": [
        e.model_copy(update={"container_type": "section"}) if e.key == UNIT else e for e in edited.entities]})
    result = merge(base, Package(model, edited.resources, "incoming.zip"))
    assert result.package is None
    assert [(p.code, p.is_error) for p in result.problems] == [("duplicate-key", True)]
    assert "unit in the base but a section" in result.problems[0].message


def test_the_merged_package_writes_and_reads_back(base: Package, edited: Package, tmp_path) -> None:
    merged = merge(base, edited).package
    assert merged is not None
    out = tmp_path / "merged.zip"
    written = lpconvert.write(merged, str(out))
    assert written.ok, [p.render() for p in written.problems]
    # the lp-archive keeps the current draft and published versions only, and says so
    assert [p.code for p in written.problems] == ["loss"]
    with lpconvert.read(str(out)) as back:
        assert back.package is not None
        media = back.package.entity("xblock.v1:html:added0").current_version.media
        with lpconvert.read(str(corpus(EDITED))) as src:
            want = src.package.entity("xblock.v1:html:added0").current_version.media
            assert back.package.read_media(media["block.xml"]) == src.package.read_media(want["block.xml"])


# --------------------------------------------------------------------------- the command line


def test_cli_merge_prints_what_it_did_and_writes_out(cli, tmp_path) -> None:
    out = tmp_path / "merged.zip"
    proc = cli("merge", str(corpus(BASE)), str(corpus(EDITED)), str(out))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split()[1] for line in lines if line.startswith("added ") and "collection" not in line] == ADDED
    assert f"updated    {UNIT}: new version v3; draft v2 -> v3; published none -> v2" in lines
    assert "unchanged  1 entity" in lines
    assert "added      collection added-collection" in lines
    assert out.exists()
    assert "5 added, 9 updated, 1 unchanged" in proc.stderr


def test_cli_merge_refuses_an_existing_out_without_force(cli, tmp_path) -> None:
    out = tmp_path / "merged.zip"
    shutil.copy(corpus(BASE), out)  # an lp-archive, as a merge writes
    proc = cli("merge", str(corpus(BASE)), str(corpus(EDITED)), str(out))
    assert proc.returncode == 2
    assert "already exists" in proc.stderr and "Traceback" not in proc.stderr
    assert out.read_bytes() == corpus(BASE).read_bytes()
    assert cli("merge", str(corpus(BASE)), str(corpus(EDITED)), str(out), "--force").returncode == 0
    assert out.read_bytes() != corpus(BASE).read_bytes()


def test_cli_merge_dry_run_writes_nothing(cli, tmp_path) -> None:
    out = tmp_path / "merged.zip"
    proc = cli("merge", str(corpus(BASE)), str(corpus(EDITED)), str(out), "--dry-run", "--list-unchanged")
    assert proc.returncode == 0, proc.stderr
    assert f"unchanged  {UNTOUCHED}" in proc.stdout.splitlines()
    assert not out.exists()


@pytest.mark.parametrize("args, code, message", [
    (["missing.zip", "EDITED", "out.zip"], 1, "missing.zip does not exist"),
    (["BASE", "EDITED", "out.unknown"], 2, "cannot tell the output format"),
    (["BASE", "EDITED", "BASE"], 2, "OUT must be a new path"),
    (["BASE", "EDITED"], 2, "required: OUT"),
])
def test_cli_merge_bad_usage_is_one_clear_line(cli, tmp_path, args: list[str], code: int, message: str) -> None:
    paths = {"BASE": str(corpus(BASE)), "EDITED": str(corpus(EDITED))}
    argv = [paths.get(a, str(tmp_path / a)) for a in args]
    proc = cli("merge", *argv)
    assert proc.returncode == code
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


class _Damaged:
    """A source damaged after it was read: its files vanished, or their bytes no longer decompress.

    Not a storage `Source` (which says `SourceError`): a plugin's own resolver, whose errors
    arrive as the standard library raised them.
    """

    def __init__(self, error: Exception) -> None:
        self.error = error

    def open(self, resource: str):
        error = self.error

        class Stream(io.RawIOBase):
            def readable(self) -> bool:
                return True

            def readinto(self, buffer) -> int:
                raise error

        return io.BufferedReader(Stream())

    def size(self, resource: str) -> None:
        return None


DAMAGE = [FileNotFoundError("gone.xml"), zlib.error("Error -3 while decompressing data"),
          lzma.LZMAError("Corrupt input data"), EOFError("Compressed file ended before the end-of-stream marker")]


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda e: type(e).__name__)
def test_a_source_that_cannot_be_read_is_a_problem_not_a_crash(base: Package, edited: Package,
                                                               damage: Exception) -> None:
    result = merge(base, Package(edited.model, _Damaged(damage), "incoming.zip"))
    assert result.package is None
    assert [p.code for p in result.problems] == ["source-unreadable"]
    assert str(damage) in result.problems[0].message


def test_cli_merge_strict_refuses_a_loss_unless_it_is_allowed(cli, tmp_path) -> None:
    """Merging into OLX drops the collections: --strict refuses, --allow-loss accepts what was expected."""
    out = tmp_path / "merged.tar.gz"
    refused = cli("merge", str(corpus(BASE)), str(corpus(EDITED)), str(out), "--strict")
    assert refused.returncode == 1 and not out.exists()
    assert "[collections]" in refused.stderr
    typo = cli("merge", str(corpus(BASE)), str(corpus(EDITED)), str(out), "--strict", "--allow-loss", "colections")
    assert typo.returncode == 2 and typo.stderr.startswith("lpconvert: unknown loss kind 'colections'")
    kinds = sorted({line.split("[", 1)[1].split("]", 1)[0] for line in refused.stderr.splitlines()
                    if "(loss)" in line and "[" in line})
    allowed = cli("merge", str(corpus(BASE)), str(corpus(EDITED)), str(out), "--strict", "--allow-loss", ",".join(kinds))
    assert allowed.returncode == 0, allowed.stderr
    assert out.exists()


# --------------------------------------------------------------------------- the library call


def test_api_merge_reads_merges_and_writes(tmp_path) -> None:
    out = tmp_path / "merged.zip"
    run = lpconvert.api.merge(str(corpus(BASE)), str(corpus(EDITED)), str(out))
    assert run.ok and run.write is not None and run.write.written
    assert run.merged is not None and run.merged.report.counts() == {"added": 5, "updated": 9, "unchanged": 1}
    with lpconvert.read(str(out)) as back:
        assert back.package is not None
        assert all(back.package.entity(key) is not None for key in ADDED)
        assert _pointers(back.package.entity(UNIT)) == (3, 2)


def test_api_merge_without_a_destination_is_a_dry_run() -> None:
    run = lpconvert.api.merge(str(corpus(BASE)), str(corpus(EDITED)))
    assert run.ok and run.write is None
    assert run.merged is not None and [c.key for c in run.merged.report.entities_by("added")] == ADDED


def test_api_merge_of_an_invalid_input_writes_nothing_and_names_it(tmp_path) -> None:
    missing, out = tmp_path / "missing.zip", tmp_path / "merged.zip"
    run = lpconvert.api.merge(str(missing), str(corpus(EDITED)), str(out))
    assert not run.ok and run.merged is None and run.write is None
    assert run.invalid_inputs == [str(missing)]
    assert any(str(missing) in p.message for p in run.problems)
    assert not out.exists()


def test_api_merge_refuses_a_usage_error_before_reading(tmp_path) -> None:
    missing = tmp_path / "missing.zip"  # never read: the unknown loss kind is refused first
    with pytest.raises(lpconvert.LpconvertError, match="unknown loss kind 'colections'"):
        lpconvert.api.merge(str(missing), str(corpus(EDITED)), str(tmp_path / "out.zip"), allow_loss=["colections"])


def test_merge_reads_standard_input_and_writes_standard_output(tmp_path: Path) -> None:
    """`-` for INCOMING (or BASE) reads standard input, `-` for OUT writes standard output: the
    same package bytes and the same report as with files, and the report never in the package."""
    exe = str(Path(sys.executable).with_name("lpconvert"))
    env = {**os.environ, "LPCONVERT_NO_PROGRESS": "1"}
    base, edited = str(corpus(BASE)), corpus(EDITED)

    def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([exe, "merge", *args], input=stdin, capture_output=True, env=env, timeout=300)

    files = run(base, str(edited), str(tmp_path / "files.zip"))
    assert files.returncode == 0, files.stderr
    report = [line for line in files.stdout.decode().splitlines() if line]
    assert any(line.startswith("added") for line in report)

    piped = run(base, "-", str(tmp_path / "piped.zip"), "--from", "lp-archive", stdin=edited.read_bytes())
    assert piped.returncode == 0, piped.stderr
    assert (tmp_path / "piped.zip").read_bytes() == (tmp_path / "files.zip").read_bytes()
    assert [line for line in piped.stdout.decode().splitlines() if line] == report

    out = run(base, str(edited), "-", "--to", "lp-archive")
    assert out.returncode == 0, out.stderr
    assert out.stdout == (tmp_path / "files.zip").read_bytes()
    assert all(line in out.stderr.decode() for line in report)

    both = run("-", "-", str(tmp_path / "x.zip"), "--from", "lp-archive")
    assert both.returncode == 2 and both.stderr.decode().startswith("lpconvert: only one of BASE and INCOMING")
    assert not (tmp_path / "x.zip").exists()
