"""`--force` replaces only what lpconvert would have written there, never a user's files.

Each case of issue 13 is run as a user runs it (the CLI in a subprocess, from the folder the
user would be in), and the user's files are compared byte for byte afterwards. The library
API's `force` follows the same rules and raises `DestinationNotReplaceable`.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from helpers.cli import run_cli
from helpers.paths import FIXTURES, corpus

import lpconvert
from lpconvert.api import DestinationNotReplaceable

SMALL = FIXTURES / "lp-archive" / "small-library"
SECTIONS = FIXTURES / "sections" / "small-library"


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under `folder`, hidden ones included."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


@pytest.fixture
def lib_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """small.zip: a real lp-archive, written once by lpconvert for the tests to read."""
    out = tmp_path_factory.mktemp("input") / "small.zip"
    assert run_cli(str(SMALL), str(out)).returncode == 0
    return out


def _refused(proc, destination: str) -> None:  # type: ignore[no-untyped-def]
    """Exit 2, one line starting `lpconvert:` that names the destination, no traceback."""
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"lpconvert: refusing to replace {destination}: ")


def test_a_destination_holding_the_input_is_refused(tmp_path: Path, lib_zip: Path) -> None:
    # lpconvert t7/small.zip t7 --to json --force
    t7 = tmp_path / "t7"
    (t7 / "notes").mkdir(parents=True)
    shutil.copy(lib_zip, t7 / "small.zip")
    (t7 / "notes" / "todo.txt").write_text("my notes\n")
    before = _snapshot(t7)
    proc = run_cli("t7/small.zip", "t7", "--to", "json", "--force", cwd=tmp_path)
    _refused(proc, "t7")
    assert "contains the input t7/small.zip" in proc.stderr
    assert _snapshot(t7) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t7"]


def test_the_current_directory_is_refused(tmp_path: Path, lib_zip: Path) -> None:
    # lpconvert ../lib.zip . --to sections --force
    shutil.copy(lib_zip, tmp_path / "lib.zip")
    here = tmp_path / "work"
    here.mkdir()
    (here / "essay.md").write_text("draft\n")
    before = _snapshot(here)
    proc = run_cli("../lib.zip", ".", "--to", "sections", "--force", cwd=here)
    _refused(proc, ".")
    assert "it is the current directory" in proc.stderr
    assert _snapshot(here) == before


def test_a_parent_of_the_current_directory_is_refused(tmp_path: Path, lib_zip: Path) -> None:
    deep = tmp_path / "project" / "src"
    deep.mkdir(parents=True)
    before = _snapshot(tmp_path / "project")
    proc = run_cli(str(lib_zip), "..", "--to", "sections", "--force", cwd=deep)
    _refused(proc, "..")
    assert "contains the current directory" in proc.stderr
    assert _snapshot(tmp_path / "project") == before


def test_an_empty_current_directory_is_still_refused(tmp_path: Path, lib_zip: Path) -> None:
    """Empty or not: replacing it would pull the directory out from under the user's shell."""
    here = tmp_path / "empty"
    here.mkdir()
    proc = run_cli(str(lib_zip), ".", "--to", "sections", "--force", cwd=here)
    _refused(proc, ".")
    assert list(here.iterdir()) == []


def test_a_folder_of_user_files_is_refused(tmp_path: Path, lib_zip: Path) -> None:
    # lpconvert lib.zip somedir --to sections --force, with the user's files in somedir
    somedir = tmp_path / "somedir"
    (somedir / "photos").mkdir(parents=True)
    (somedir / "photos" / "cat.jpg").write_bytes(bytes(range(256)) * 10)
    (somedir / "README").write_text("mine\n")
    before = _snapshot(somedir)
    proc = run_cli(str(lib_zip), "somedir", "--to", "sections", "--force", cwd=tmp_path)
    _refused(proc, "somedir")
    assert "not a package in the sections format" in proc.stderr
    assert _snapshot(somedir) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["somedir"]


def test_a_package_of_another_format_is_refused(tmp_path: Path, lib_zip: Path) -> None:
    """An lp-archive folder is lpconvert's output, but not what `--to sections` writes there."""
    dest = tmp_path / "lib"
    shutil.copytree(SMALL, dest)
    before = _snapshot(dest)
    proc = run_cli(str(lib_zip), str(dest), "--to", "sections", "--force")
    _refused(proc, str(dest))
    assert _snapshot(dest) == before


def test_a_package_in_a_wrapper_folder_beside_other_files_is_refused(tmp_path: Path, lib_zip: Path) -> None:
    """A source looks through one wrapper folder (beside a README); the destination must be
    the package itself, or the README beside it would go too."""
    dest = tmp_path / "box"
    shutil.copytree(SECTIONS, dest / "inner")
    (dest / "README.txt").write_text("keep\n")
    before = _snapshot(dest)
    proc = run_cli(str(lib_zip), str(dest), "--to", "sections", "--force")
    _refused(proc, str(dest))
    assert "it holds README.txt, which a package in the sections format does not" in proc.stderr
    assert _snapshot(dest) == before


@pytest.mark.parametrize("name", ["course", "course.tar.gz"])
def test_olx_output_in_its_wrapper_folder_is_replaced(tmp_path: Path, lib_zip: Path, name: str) -> None:
    """The OLX writer puts a course inside `course/`, as Studio does: still its own output."""
    dest = tmp_path / name
    assert run_cli(str(SECTIONS), str(dest), "--to", "olx", "-q").returncode == 0
    proc = run_cli(str(lib_zip), str(dest), "--to", "olx", "--force", "-q")
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert lpconvert.validate(str(dest)).valid


def test_a_package_with_a_git_folder_is_refused(tmp_path: Path, lib_zip: Path) -> None:
    """The sections layout is made for git; the history in .git is not lpconvert's to delete."""
    dest = tmp_path / "course"
    shutil.copytree(SECTIONS, dest)
    (dest / ".git").mkdir()
    (dest / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    before = _snapshot(dest)
    proc = run_cli(str(lib_zip), str(dest), "--to", "sections", "--force")
    _refused(proc, str(dest))
    assert "it holds .git/" in proc.stderr
    assert _snapshot(dest) == before


def test_a_sections_package_is_replaced(tmp_path: Path, lib_zip: Path) -> None:
    dest = tmp_path / "lib"
    shutil.copytree(SECTIONS, dest)
    (dest / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # litter that a Finder window leaves
    (dest / "sections" / "week-1.toml").write_text('[section]\ntitle = "stale"\n')
    proc = run_cli(str(lib_zip), str(dest), "--to", "sections", "--force")
    assert proc.returncode == 0, proc.stderr
    assert "stale" not in (dest / "sections" / "week-1.toml").read_text()
    assert not (dest / ".DS_Store").exists()
    assert lpconvert.validate(str(dest)).valid
    assert [p.name for p in tmp_path.iterdir()] == ["lib"]


@pytest.mark.parametrize("notes", ["NOTES.md", "sections/todo.txt", "components/html/gone/sketch.png"])
def test_a_sections_package_with_an_authors_own_files_is_refused(tmp_path: Path, lib_zip: Path,
                                                                  notes: str) -> None:
    """The sections layout is edited by hand: notes an author keeps beside the TOML files (or
    a picture left in the folder of a component since deleted) are not lpconvert's to replace."""
    dest = tmp_path / "lib"
    shutil.copytree(SECTIONS, dest)
    (dest / notes).parent.mkdir(parents=True, exist_ok=True)
    (dest / notes).write_text("mine\n")
    before = _snapshot(dest)
    proc = run_cli(str(lib_zip), str(dest), "--to", "sections", "--force")
    _refused(proc, str(dest))
    assert f"it holds {notes}, which a package in the sections format does not" in proc.stderr
    assert _snapshot(dest) == before
    assert [p.name for p in tmp_path.iterdir()] == ["lib"]


def test_a_file_of_the_format_is_replaced(tmp_path: Path, lib_zip: Path) -> None:
    dest = tmp_path / "lib.json"
    assert run_cli(str(SECTIONS), str(dest)).returncode == 0
    old = dest.read_bytes()
    proc = run_cli(str(lib_zip), str(dest), "--force")
    assert proc.returncode == 0, proc.stderr
    assert dest.read_bytes() != old
    assert lpconvert.validate(str(dest)).valid


def test_a_file_that_is_not_of_the_format_is_refused(tmp_path: Path, lib_zip: Path) -> None:
    dest = tmp_path / "holiday.zip"
    with zipfile.ZipFile(dest, "w") as zf:
        zf.writestr("beach.jpg", b"\xff\xd8\xff\xe0 not a library")
    before = dest.read_bytes()
    proc = run_cli(str(SECTIONS), str(dest), "--force")
    _refused(proc, str(dest))
    assert "not a package in the lp-archive format" in proc.stderr
    assert dest.read_bytes() == before


def test_an_empty_directory_is_fine(tmp_path: Path, lib_zip: Path) -> None:
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")  # as empty as a folder opened in Finder gets
    proc = run_cli(str(lib_zip), str(dest), "--to", "sections", "--force")
    assert proc.returncode == 0, proc.stderr
    assert (dest / "package.toml").is_file()


def test_a_link_to_the_folder_holding_the_input_is_refused(tmp_path: Path, lib_zip: Path) -> None:
    """Both sides are resolved: a symbolic link to t7 is t7."""
    t7 = tmp_path / "t7"
    t7.mkdir()
    shutil.copy(lib_zip, t7 / "small.zip")
    (tmp_path / "link").symlink_to(t7, target_is_directory=True)
    before = _snapshot(t7)
    proc = run_cli(str(t7 / "small.zip"), "link", "--to", "json", "--force", cwd=tmp_path)
    _refused(proc, "link")
    assert _snapshot(t7) == before and (tmp_path / "link").is_symlink()


def test_without_force_a_package_is_still_refused_as_existing(tmp_path: Path, lib_zip: Path) -> None:
    dest = tmp_path / "lib"
    shutil.copytree(SECTIONS, dest)
    before = _snapshot(dest)
    proc = run_cli(str(lib_zip), str(dest), "--to", "sections")
    assert proc.returncode == 2 and "already exists" in proc.stderr
    assert _snapshot(dest) == before


# --------------------------------------------------------------------------- merge


BASE = "lp/upstream-library-backup.zip"
EDITED = "lp/upstream-library-backup-edited.zip"


def test_merge_refuses_a_folder_holding_an_input(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(corpus(BASE), inputs / "base.zip")
    shutil.copy(corpus(EDITED), inputs / "edited.zip")
    before = _snapshot(inputs)
    proc = run_cli("merge", "inputs/base.zip", "inputs/edited.zip", "inputs", "--to", "lp-archive", "--force",
                   cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines()[-1] == ("lpconvert: refusing to replace inputs: it contains the input "
                                            "inputs/base.zip; nothing was written")
    assert _snapshot(inputs) == before


def test_merge_refuses_a_folder_of_user_files_and_replaces_its_own_output(tmp_path: Path) -> None:
    out = tmp_path / "merged"
    out.mkdir()
    (out / "plan.txt").write_text("mine\n")
    args = ("merge", str(corpus(BASE)), str(corpus(EDITED)), str(out), "--to", "lp-archive", "--force")
    proc = run_cli(*args)
    assert proc.returncode == 2 and "not a package in the lp-archive format" in proc.stderr.splitlines()[-1]
    assert _snapshot(out) == {"plan.txt": b"mine\n"}
    (out / "plan.txt").unlink()
    assert run_cli(*args).returncode == 0  # an empty folder
    assert run_cli(*args).returncode == 0  # its own output, replaced
    assert (out / "package.toml").is_file()


# --------------------------------------------------------------------------- the library API


def test_the_api_raises_a_specific_error_and_touches_nothing(tmp_path: Path, lib_zip: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    somedir = tmp_path / "somedir"
    somedir.mkdir()
    (somedir / "thesis.tex").write_text("\\documentclass{article}\n")
    before = _snapshot(somedir)
    with pytest.raises(DestinationNotReplaceable) as raised:
        lpconvert.convert(str(lib_zip), str(somedir), to="sections", force=True)
    assert raised.value.destination == str(somedir)
    assert "not a package in the sections format" in raised.value.reason
    assert isinstance(raised.value, lpconvert.LpconvertError)
    assert _snapshot(somedir) == before

    monkeypatch.chdir(somedir)
    with lpconvert.read(str(lib_zip)) as result:
        assert result.package is not None
        with pytest.raises(DestinationNotReplaceable, match="it is the current directory"):
            lpconvert.write(result.package, ".", "sections", force=True)
        # the package's own source is protected without being named
        with pytest.raises(DestinationNotReplaceable, match="contains the input"):
            lpconvert.write(result.package, str(lib_zip.parent), "sections", force=True)
        # and any other input the caller names
        with pytest.raises(DestinationNotReplaceable, match="contains the input"):
            lpconvert.write(result.package, str(tmp_path), "sections", force=True, inputs=[str(somedir / "x")])
    assert _snapshot(somedir) == before


def test_the_api_replaces_its_own_output(tmp_path: Path, lib_zip: Path) -> None:
    dest = tmp_path / "out.sqlite"
    assert lpconvert.convert(str(lib_zip), str(dest)).ok
    first = dest.read_bytes()
    assert lpconvert.convert(str(SECTIONS), str(dest), force=True).ok
    assert dest.read_bytes() != first


def test_a_remote_destination_follows_the_same_content_rule() -> None:
    """An fsspec destination (memory:// here) cannot hold the current directory, but a folder
    of other files there is refused all the same, and lpconvert's own output replaced."""
    import fsspec

    fs = fsspec.filesystem("memory")
    with fs.open("/force-test/mine/notes.txt", "wb") as f:
        f.write(b"mine")
    try:
        with pytest.raises(DestinationNotReplaceable, match="not a package in the sections format"):
            lpconvert.convert(str(SECTIONS), "memory://force-test/mine", to="sections", force=True)
        assert fs.cat("/force-test/mine/notes.txt") == b"mine" and len(fs.ls("/force-test/mine")) == 1
        assert lpconvert.convert(str(SECTIONS), "memory://force-test/course", to="olx").ok
        assert lpconvert.convert(str(SMALL), "memory://force-test/course", to="olx", force=True).ok
    finally:
        fs.rm("/force-test", recursive=True)


def test_a_write_only_format_replaces_only_an_empty_destination(tmp_path: Path) -> None:
    """html has no probe: lpconvert cannot tell its old site from a folder of the user's pages."""
    from helpers.plugins import html_plugin

    from lpconvert.testing import use_plugins

    site = tmp_path / "site"
    with use_plugins(html_plugin):
        assert lpconvert.convert(str(SMALL), str(site), to="html").ok
        before = _snapshot(site)
        with pytest.raises(DestinationNotReplaceable, match="the html format has no probe"):
            lpconvert.convert(str(SMALL), str(site), to="html", force=True)
        assert _snapshot(site) == before
        empty = tmp_path / "empty"
        empty.mkdir()
        assert lpconvert.convert(str(SMALL), str(empty), to="html", force=True).ok


def test_a_link_to_a_file_of_the_format_is_replaced_and_its_target_kept(tmp_path: Path, lib_zip: Path) -> None:
    """The link is what stands at the destination; the file it points to is someone's, left alone."""
    kept = tmp_path / "kept.json"
    assert run_cli(str(SECTIONS), str(kept)).returncode == 0
    before = kept.read_bytes()
    (tmp_path / "out.json").symlink_to(kept)
    (tmp_path / "dangling.json").symlink_to(tmp_path / "nowhere.json")
    assert run_cli(str(lib_zip), str(tmp_path / "out.json"), "--force").returncode == 0
    assert run_cli(str(lib_zip), str(tmp_path / "dangling.json"), "--force").returncode == 0
    for name in ("out.json", "dangling.json"):
        assert not (tmp_path / name).is_symlink() and lpconvert.validate(str(tmp_path / name)).valid
    assert kept.read_bytes() == before
