"""-O/-I are checked against the options each format declares, on the CLI and in the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.cli import run_cli
from helpers.paths import FIXTURES

import lpconvert

SMALL = FIXTURES / "lp-archive" / "small-library"


def test_a_misspelt_writer_option_is_a_usage_error_with_a_suggestion(tmp_path: Path) -> None:
    out = tmp_path / "course.tar.gz"
    proc = run_cli(str(SMALL), str(out), "-O", "olx_layot=library")
    assert proc.returncode == 2
    first = proc.stderr.splitlines()[0]
    assert first.startswith("lpconvert: unknown writer option 'olx_layot'")
    assert "did you mean 'olx_layout'?" in first
    assert not out.exists()


def test_a_value_outside_the_declared_choices_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "course.tar.gz"
    proc = run_cli(str(SMALL), str(out), "-O", "olx-layout=libary")
    assert proc.returncode == 2
    assert "must be one of course, library, not 'libary' (did you mean 'library'?)" in proc.stderr
    assert not out.exists()


def test_a_declared_option_with_dashes_is_accepted(tmp_path: Path) -> None:
    out = tmp_path / "lib.tar.gz"
    proc = run_cli(str(SMALL), str(out), "-O", "olx-layout=library")
    assert proc.returncode == 0, proc.stderr
    import tarfile

    with tarfile.open(out) as tar:
        assert any(name.endswith("library.xml") for name in tar.getnames())


def test_a_format_without_options_refuses_any(tmp_path: Path) -> None:
    proc = run_cli(str(SMALL), str(tmp_path / "out.json"), "-O", "indent=2")
    assert proc.returncode == 2
    assert "format json takes no writer options" in proc.stderr
    proc = run_cli(str(SMALL), str(tmp_path / "out.json"), "-I", "strictness=high")
    assert proc.returncode == 2
    assert "unknown reader option 'strictness'" in proc.stderr
    assert not (tmp_path / "out.json").exists()


def test_the_api_raises_its_usage_error(tmp_path: Path) -> None:
    with pytest.raises(lpconvert.LpconvertError, match="did you mean 'olx_layout'"):
        lpconvert.convert(str(SMALL), str(tmp_path / "c.tar.gz"), write_options={"olx_layot": "library"})
    with pytest.raises(lpconvert.LpconvertError, match="takes no reader options"):
        lpconvert.read(str(SMALL), options={"anything": "1"})
    assert not (tmp_path / "c.tar.gz").exists()


def test_formats_lists_options_and_formats_name_explains_them() -> None:
    listing = run_cli("formats")
    assert listing.returncode == 0
    assert "-O olx_layout=course|library" in listing.stdout
    one = run_cli("formats", "olx")
    assert one.returncode == 0
    assert one.stdout.startswith("olx ")
    assert "v1 content library" in one.stdout  # the option's help
    assert "lp-archive" not in one.stdout.split("\n", 1)[0]
    unknown = run_cli("formats", "olxx")
    assert unknown.returncode == 2 and unknown.stderr.startswith("lpconvert: ")


def test_batch_checks_its_options_before_starting_any_worker(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    proc = run_cli("batch", str(SMALL), "--to", "olx", "--out", str(tmp_path / "out"), "-O", "olx_layot=library",
                   "--report", str(tmp_path / "report.jsonl"))
    assert proc.returncode == 2
    assert "did you mean 'olx_layout'?" in proc.stderr.splitlines()[0]
    proc = run_cli("batch", str(SMALL), "--to", "olx", "--out", str(tmp_path / "out"), "-I", "olx_layout=library",
                   "--report", str(tmp_path / "report.jsonl"))
    assert proc.returncode == 2
    assert "unknown reader option 'olx_layout'" in proc.stderr.splitlines()[0]
    assert not (tmp_path / "out").exists()
