"""A run stopped by SIGTERM or SIGHUP cleans up as after Ctrl-C; one killed outright leaves
nothing that stops or confuses the next run.

Real subprocesses on a real input big enough to be caught mid-write: an OLX course of 2,000
components (made by benchmarks/generate.py, then converted to .tar.gz once), written as a
sections folder of some 6,000 files. The test waits until the temporary sibling of the
destination exists, so the signal always lands while output is half-written; how long
anything takes is never asserted.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.cli import run_cli
from helpers.paths import ROOT

import lpconvert

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

COMPONENTS = 2000


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """big.tar.gz: a generated OLX course, so that reading it unpacks a tar into a spool."""
    folder = tmp_path_factory.mktemp("big")
    archive = folder / "big.zip"
    made = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), str(COMPONENTS), str(archive)],
                          capture_output=True, text=True, check=False)
    assert made.returncode == 0, made.stderr
    course = folder / "big.tar.gz"
    assert run_cli(str(archive), str(course), "-q").returncode == 0
    return course


def _lpconvert(*args: str, tmpdir: Path) -> subprocess.Popen[str]:
    """`lpconvert ARGS` started as a user starts it (as `run_cli` does), left running."""
    exe = shutil.which("lpconvert", path=str(Path(sys.executable).parent)) or shutil.which("lpconvert")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "lpconvert.cli", *args]
    env = {**os.environ, "LPCONVERT_NO_PROGRESS": "1", "TMPDIR": str(tmpdir)}
    return subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)


def _wait_for(proc: subprocess.Popen[str], seen: Callable[[], bool]) -> None:
    """Poll until `seen()`; the run must not have ended first (the input is big enough)."""
    while not seen():
        assert proc.poll() is None, f"lpconvert ended before the test could signal it: {proc.stderr.read()}"
        time.sleep(0.005)


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "lpconvert-" in p.name)


def _spool_is_open(pid: int, tmpdir: Path) -> bool:
    """The .tar.gz's unpack spool: a deleted file under TMPDIR that the process holds open."""
    try:
        targets = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    except OSError:
        return False
    return any(t.startswith(str(tmpdir)) and t.endswith("(deleted)") for t in targets)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_while_writing_removes_the_temporary_sibling(course: Path, tmp_path: Path, signum: int) -> None:
    out, tmpdir = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    tmpdir.mkdir()
    proc = _lpconvert(str(course), str(out / "lib"), "--to", "sections", tmpdir=tmpdir)
    _wait_for(proc, lambda: bool(_siblings(out)))
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signum, err
    name = signal.Signals(signum).name
    assert err.splitlines() == [f"lpconvert: stopped by {name}; nothing was written"]
    assert list(out.iterdir()) == []
    assert list(tmpdir.iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see the spool")
def test_a_signal_while_unpacking_leaves_no_spool(course: Path, tmp_path: Path) -> None:
    out, tmpdir = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    tmpdir.mkdir()
    proc = _lpconvert(str(course), str(out / "lib"), "--to", "sections", tmpdir=tmpdir)
    _wait_for(proc, lambda: _spool_is_open(proc.pid, tmpdir))
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143
    assert err.splitlines() == ["lpconvert: stopped by SIGTERM; nothing was written"]
    assert list(out.iterdir()) == [] and list(tmpdir.iterdir()) == []


def test_a_killed_run_leaves_nothing_that_stops_or_confuses_the_next(course: Path, tmp_path: Path) -> None:
    out, tmpdir = tmp_path / "out", tmp_path / "tmp"
    out.mkdir()
    tmpdir.mkdir()
    dest = out / "lib"
    proc = _lpconvert(str(course), str(dest), "--to", "sections", tmpdir=tmpdir)
    _wait_for(proc, lambda: any(f.is_file() for s in _siblings(out) for f in (out / s).rglob("*")))
    proc.kill()  # with part of the package written into the sibling
    proc.wait()
    [leftover] = _siblings(out)
    assert leftover.startswith(f".lib.lpc-{proc.pid}@") and not dest.exists()

    # The half-written sibling is not output: reading the folder it sits in does not see it.
    looked = run_cli("validate", str(out))
    assert looked.returncode == 1 and f"{out} is an empty directory" in looked.stderr

    # The next run to the same destination is not stopped by it, and removes it.
    again = run_cli(str(course), str(dest), "--to", "sections", "-q", env={"TMPDIR": str(tmpdir)})
    assert again.returncode == 0, again.stderr
    assert _siblings(out) == []
    assert lpconvert.validate(str(dest)).valid
    assert list(tmpdir.iterdir()) == []


def test_a_live_runs_sibling_is_left_alone(tmp_path: Path) -> None:
    """Two runs may write beside each other: only a dead process's leftovers are removed."""
    from lpconvert.storage.leftovers import HOST as _HOST, clean_leftovers

    mine = tmp_path / f".lib.lpc-{os.getpid()}@{_HOST}.abc123.lpconvert-tmp"
    mine.mkdir()
    other_host = tmp_path / ".lib.lpc-1@elsewhere.abc123.lpconvert-tmp"
    other_host.mkdir()
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=False)
    dead = tmp_path / f".lib.lpc-{int(done.stdout)}@{_HOST}.xyz789.lpconvert-tmp"
    dead.write_bytes(b"half a database")
    assert clean_leftovers(str(tmp_path / "lib")) == [str(dead)]
    assert mine.is_dir() and other_host.is_dir() and not dead.exists()


def test_a_replacement_killed_mid_swap_puts_the_old_destination_back(tmp_path: Path) -> None:
    """A forced replacement moves the old destination aside for an instant: if the run dies
    in that instant, the next run restores it rather than deleting it."""
    from lpconvert.storage.leftovers import HOST as _HOST, clean_leftovers

    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=False)
    old = tmp_path / f".lib.lpc-{int(done.stdout)}@{_HOST}.q1w2e3.lpconvert-old"
    old.mkdir()
    (old / "package.toml").write_text("kept\n")
    clean_leftovers(str(tmp_path / "lib"))
    assert (tmp_path / "lib" / "package.toml").read_text() == "kept\n"
    assert not old.exists()


def test_a_stop_whose_exception_is_lost_in_a_finaliser_still_stops_the_write(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Python drops an exception raised inside `__del__`; the stop must not be dropped with it."""
    from lpconvert.interrupts import Terminated, stop_cleanly
    from lpconvert.storage import open_sink

    class SignalledWhileFinalised:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(10_000):  # the handler runs in here, and its exception is lost
                pass

    dest = tmp_path / "out"
    reached = []
    with pytest.raises(Terminated), stop_cleanly(), open_sink(str(dest), "dir") as sink:
        sink.write_bytes("a.txt", b"written before the signal")
        SignalledWhileFinalised()  # made and finalised at once
        reached.append("past the finaliser")
        sink.write_bytes("b.txt", b"never written")
    assert reached == ["past the finaliser"]  # the exception really was lost in __del__
    assert list(tmp_path.iterdir()) == []
    assert "Exception ignored" not in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    with open_sink(str(dest), "dir") as sink:  # the stop was this run's, not the next one's
        sink.write_bytes("a.txt", b"a later write")
    assert (dest / "a.txt").read_bytes() == b"a later write"
