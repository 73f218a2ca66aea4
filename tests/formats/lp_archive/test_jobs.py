"""`--jobs N`: the lp-archive reader parses a large archive's TOML files in worker processes.

What a user must be able to count on: the package, every problem and every output are the
same for any N; a broken file is reported exactly as with one process; a worker that dies
ends the conversion with one clear error and nothing written.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest
from helpers.cli import run_cli
from helpers.paths import corpus

import lpconvert
from lpconvert.plugin import Problem, Source
from lpconvert_lp_archive import parallel, reader

LARGE = corpus("lp/synth-1000.zip")
"""1,373 TOML files: above `parallel.THRESHOLD`, so --jobs 2 really starts two workers."""


def test_the_large_archive_is_one_that_jobs_2_splits_between_two_processes() -> None:
    with zipfile.ZipFile(LARGE) as zf:
        tomls = sum(1 for name in zf.namelist() if name.endswith(".toml") and name != "package.toml")
    assert parallel.workers_for(2, tomls, str(LARGE)) == 2
    assert parallel.workers_for(2, 300, str(LARGE)) == 1  # a course-sized package stays in one process


@pytest.mark.parametrize("to", ["lp-archive", "olx"])
def test_jobs_1_and_jobs_2_write_the_same_bytes(tmp_path: Path, to: str) -> None:
    suffix = ".zip" if to == "lp-archive" else ".tar.gz"
    outputs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs-{jobs}{suffix}"
        done = run_cli("convert", str(LARGE), str(out), "--to", to, "--jobs", jobs, "-q")
        assert done.returncode == 0, done.stderr
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_jobs_2_reads_the_same_package_and_problems_as_one_process() -> None:
    with lpconvert.read(str(LARGE), jobs=1) as one, lpconvert.read(str(LARGE), jobs=2) as two:
        assert one.package is not None and two.package is not None
        assert two.package.model == one.package.model
        assert two.problems == one.problems


def _with_broken_toml(tmp_path: Path) -> tuple[Path, str]:
    """A copy of the large archive with one entity TOML file whose line 3 is not TOML."""
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(LARGE) as src, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as dst:
        names = [n for n in src.namelist() if n.startswith("entities/") and n.endswith(".toml")]
        victim = names[len(names) // 2]  # in a middle chunk, not the first one
        for info in src.infolist():
            data = src.read(info)
            if info.filename == victim:
                lines = data.decode().splitlines()
                lines.insert(2, "title = = 'two equals signs'")
                data = ("\n".join(lines) + "\n").encode()
            dst.writestr(info, data)
    return broken, victim


def test_a_broken_toml_file_is_reported_the_same_with_jobs_2(tmp_path: Path) -> None:
    broken, victim = _with_broken_toml(tmp_path)
    one = lpconvert.validate(str(broken), jobs=1)
    two = lpconvert.validate(str(broken), jobs=2)
    assert not two.valid
    syntax = [p for p in two.problems if p.code == "toml-syntax"]
    assert [(p.file, p.line) for p in syntax] == [(victim, 3)]
    assert two.problems == one.problems


def _dies_in_a_worker(source: Source, path: str, problems: list[Problem]) -> dict | None:
    """The reader's parser, except that a worker process (not the test's) is killed at once."""
    if str(os.getpid()) != os.environ["LPCONVERT_TEST_PARENT"]:
        os._exit(9)
    return _REAL_PARSE(source, path, problems)


_REAL_PARSE = reader._parse


def test_a_worker_that_dies_gives_one_clear_error_and_writes_nothing(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LPCONVERT_TEST_PARENT", str(os.getpid()))
    monkeypatch.setattr(reader, "_parse", _dies_in_a_worker)
    out = tmp_path / "out.tar.gz"
    result = lpconvert.convert(str(LARGE), str(out), to="olx", jobs=2)
    assert not result.ok
    assert [p.code for p in result.problems] == ["source-unreadable"]
    assert "worker process" in result.problems[0].message and str(LARGE) in result.problems[0].message
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir()]  # no temporary file left behind either


def test_jobs_on_a_folder_gives_the_same_package(tmp_path: Path) -> None:
    folder = tmp_path / "unpacked"
    shutil.unpack_archive(LARGE, folder)
    with lpconvert.read(str(folder), jobs=1) as one, lpconvert.read(str(folder), jobs=0) as every:
        assert one.package is not None and every.package is not None
        assert every.package.model == one.package.model
