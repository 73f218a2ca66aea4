"""Progress is reported on every long phase, writing included (issue 15: 10,000 components to
OLX used to be 8 silent seconds)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.paths import FIXTURES, corpus

import lpconvert
from lpconvert.progress import Progress

SMALL = FIXTURES / "lp-archive" / "small-library"


class Recorder(Progress):
    """Every phase started, with its total and how many steps it advanced."""

    def __init__(self) -> None:
        self.phases: list[list[object]] = []

    def start(self, total: int | None, label: str) -> None:
        self.phases.append([label, total, 0])

    def advance(self, n: int = 1) -> None:
        self.phases[-1][2] += n  # type: ignore[operator]

    def steps(self, label: str) -> tuple[int | None, int]:
        found = [(total, done) for name, total, done in self.phases if name == label]
        assert found, f"no {label!r} phase in {[p[0] for p in self.phases]}"
        return found[0]  # type: ignore[return-value]


@pytest.mark.parametrize("fmt, suffix, label", [
    ("olx", ".tar.gz", "writing olx"),
    ("lp-archive", ".zip", "writing archive"),
    ("json", ".json", "writing json"),
    ("sqlite", ".sqlite", "writing sqlite"),
    ("sections", "", "writing sections"),
])
def test_every_built_in_writer_reports_its_progress(tmp_path: Path, fmt: str, suffix: str, label: str) -> None:
    recorder = Recorder()
    result = lpconvert.convert(str(SMALL), str(tmp_path / f"out{suffix}"), to=fmt, progress=recorder)
    assert result.ok, result.problems
    total, done = recorder.steps(label)
    entities = 6  # the small library: 3 containers, 3 components
    assert total == entities and done == entities
    phases = [name for name, _, _ in recorder.phases]
    check = f"checking what {fmt} cannot hold"
    assert check in phases and phases.index(check) < phases.index(label), "the loss check before writing"


def test_olx_reading_and_static_files_report_progress(tmp_path: Path) -> None:
    export = corpus("olx/openedx-demo-course.tar.gz")
    recorder = Recorder()
    result = lpconvert.convert(str(export), str(tmp_path / "again.tar.gz"), to="olx", progress=recorder)
    assert result.ok, [p for p in result.problems if p.is_error]
    total, done = recorder.steps("reading olx")
    assert total and 0 < done <= total, "one step per XML file parsed"
    files_total, files_done = recorder.steps("writing olx static files")
    assert files_total and files_done == files_total


def test_the_sections_reader_reports_progress(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    assert lpconvert.convert(str(SMALL), str(tree), to="sections").ok
    recorder = Recorder()
    with lpconvert.read(str(tree), progress=recorder) as result:
        assert result.package is not None
    total, done = recorder.steps("reading sections")
    toml_files = [p for p in tree.rglob("*.toml") if p.parent != tree]  # not package.toml, collections.toml
    assert total == done == len(toml_files) >= 3


def test_the_terminal_sees_reading_and_writing(tmp_path: Path) -> None:
    """The real command with stderr on a terminal: both phases are drawn, then erased.
    (-q hides the bar, so this run prints its loss warnings too.)"""
    exe = Path(sys.executable).parent / "lpconvert"
    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "LPCONVERT_NO_PROGRESS"}
    proc = subprocess.Popen([str(exe), str(corpus("lp/synth-1000.zip")), str(tmp_path / "course.tar.gz")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=secondary, env=env)
    os.close(secondary)
    seen = b""
    while True:
        ready, _, _ = select.select([primary], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=120) == 0, seen
    text = seen.decode(errors="replace")
    assert "reading archive [" in text and "writing olx [" in text
    assert text.index("checking what olx cannot hold...") < text.index("writing olx [")
    assert text.index("reading archive [") < text.index("validating...") < text.index("checking what olx")
    bar_done = text.rindex("writing olx [")
    assert text.index("\r\x1b[2K", bar_done) < text.index("wrote "), "the bar is erased before the summary"


@pytest.mark.parametrize("fmt, suffix", [("json", ".json"), ("sqlite", ".sqlite")])
def test_the_single_file_readers_name_their_phase(tmp_path: Path, fmt: str, suffix: str) -> None:
    """A JSON or SQLite document is read in a few large calls: the bar shows the phase by name."""
    document = tmp_path / f"lib{suffix}"
    assert lpconvert.convert(str(SMALL), str(document)).ok
    recorder = Recorder()
    with lpconvert.read(str(document), progress=recorder) as result:
        assert result.package is not None
    phases = [name for name, _, _ in recorder.phases]
    assert phases.index(f"reading {fmt}") < phases.index("validating")
