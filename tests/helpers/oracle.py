"""The upstream oracle (openedx-core's own restore, ../shared/tools/oracle) as the tests use it.

One ``OracleServer`` process per test session (per xdist worker) restores every archive the
tests ask about; summaries are cached by the archive's sha256 for the whole run, shared
between xdist workers through files, so an archive restored once (the same bytes written by
two tests, or a corpus file compared in several tests) is never restored again.
Why it matters: a cold ``oracle.py load`` pays Django's start-up and a full migration for
every archive, which was most of the suite's wall time.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any

from helpers.paths import ROOT

ORACLE_DIR = ROOT.parent / "shared" / "tools" / "oracle"
SERVER_SCRIPT = ROOT / "tests" / "conformance" / "oracle_server.py"

STARTUP_TIMEOUT = 300.0   # Django set-up and one migration, on a loaded machine
RESTORE_TIMEOUT = 900.0   # one restore of the largest corpus archive, on a loaded machine


def oracle_python() -> str | None:
    """The oracle venv's python when openedx-core is importable there, else None."""
    if os.environ.get("LPCONVERT_NO_ORACLE") or not ORACLE_DIR.exists():
        return None
    py = Path(os.environ.get("ORACLE_VENV", "/tmp/ocvenv")) / "bin" / "python"
    if py.exists() and subprocess.run([str(py), "-c", "import openedx_content"],
                                      capture_output=True).returncode == 0:
        return str(py)
    return None


def file_digest(path: Path | str) -> str:
    """sha256 of a file's bytes, streamed: the cache key (content, not name or mtime)."""
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def cold_load(python: str, archive: Path | str) -> dict[str, Any]:
    """``oracle.py load ARCHIVE`` in a new process with a new database: the reference answer."""
    proc = subprocess.run([python, str(ORACLE_DIR / "oracle.py"), "load", str(archive)],
                          capture_output=True, text=True, timeout=RESTORE_TIMEOUT, cwd=str(ORACLE_DIR))
    start = proc.stdout.find("{")
    if start < 0:
        raise AssertionError(f"oracle.py load printed no JSON: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout[start:])


class OracleServerError(AssertionError):
    """The oracle server died or stopped answering; the message carries its stderr tail."""


class OracleServer:
    """tests/conformance/oracle_server.py, started lazily, answering one archive per request."""

    def __init__(self, python: str, workdir: Path, *, startup_timeout: float = STARTUP_TIMEOUT,
                 restore_timeout: float = RESTORE_TIMEOUT) -> None:
        self.python = python
        self.workdir = workdir
        self.startup_timeout = startup_timeout
        self.restore_timeout = restore_timeout
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr_path = workdir / f"oracle-server-{os.getpid()}.stderr"
        self.restores = 0
        """Archives this server was asked to restore (the cache's effect is visible in it)."""

    def _stderr_tail(self) -> str:
        try:
            return self._stderr_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put(None)  # end of stream: the server has exited

    def _answer(self, timeout: float, waiting_for: str) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self._kill()  # a late answer must never be taken for the next request's
            raise OracleServerError(f"oracle server gave no answer within {timeout:.0f} s ({waiting_for}); "
                                    f"stderr:\n{self._stderr_tail()}") from None
        if line is None:
            code = self._proc.wait() if self._proc else None
            self._proc = None
            raise OracleServerError(f"oracle server exited (code {code}) while {waiting_for}; "
                                    f"stderr:\n{self._stderr_tail()}")
        return json.loads(line)

    def _start(self) -> subprocess.Popen[str]:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with open(self._stderr_path, "w") as err:
            proc = subprocess.Popen([self.python, str(SERVER_SCRIPT), str(ORACLE_DIR)], cwd=str(self.workdir),
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                    text=True, bufsize=1)
        self._proc = proc
        self._lines = queue.Queue()
        assert proc.stdout is not None
        threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True).start()
        ready = self._answer(self.startup_timeout, "starting Django and migrating")
        if not ready.get("ready"):
            raise OracleServerError(f"oracle server did not report ready: {ready}")
        return proc

    def restore(self, archive: Path | str) -> dict[str, Any]:
        """Restore ARCHIVE with upstream now (never cached): {"status": ..., "package"|"errors": ...}."""
        proc = self._proc if self._proc and self._proc.poll() is None else self._start()
        assert proc.stdin is not None
        self.restores += 1
        try:
            proc.stdin.write(json.dumps({"path": str(Path(archive).resolve())}) + "\n")
            proc.stdin.flush()
        except BrokenPipeError:
            raise OracleServerError(f"oracle server is gone; stderr:\n{self._stderr_tail()}") from None
        return self._answer(self.restore_timeout, f"restoring {archive}")

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def close(self) -> None:
        """End of session: closing stdin ends the server's loop; kill it if it does not exit."""
        if self._proc is None:
            return
        if self._proc.stdin:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._kill()
        self._proc = None


class Oracle:
    """What the tests ask upstream: ``summary(archive)``, cached by content digest for the run."""

    def __init__(self, server: OracleServer, cache_dir: Path) -> None:
        self.server = server
        self.cache_dir = cache_dir
        self._memory: dict[str, dict[str, Any]] = {}

    def restore(self, archive: Path | str) -> dict[str, Any]:
        """An uncached restore through the session's server (for tests of the oracle itself)."""
        return self.server.restore(archive)

    def summary(self, archive: Path | str) -> dict[str, Any]:
        """Upstream's summary of what it restored from ARCHIVE; the restore must succeed."""
        digest = file_digest(archive)
        if digest not in self._memory:
            self._memory[digest] = self._shared_summary(archive, digest)
        return self._memory[digest]

    def _shared_summary(self, archive: Path | str, digest: str) -> dict[str, Any]:
        """The cached file when some worker has it; else restore it here under a lock file,
        so two xdist workers never restore the same bytes at once."""
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        done = self.cache_dir / f"{digest}.json"
        lock = self.cache_dir / f"{digest}.lock"
        deadline = time.monotonic() + RESTORE_TIMEOUT
        while True:
            if done.exists():
                return json.loads(done.read_text())
            try:
                os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                break
            except FileExistsError:
                if time.monotonic() > deadline:
                    raise OracleServerError(f"another worker held {lock} for {RESTORE_TIMEOUT:.0f} s") from None
                time.sleep(0.2)
        try:
            if done.exists():
                return json.loads(done.read_text())
            result = self.server.restore(archive)
            assert result["status"] == "success", f"upstream could not restore {archive}: {result}"
            partial = done.with_suffix(f".{os.getpid()}.part")
            partial.write_text(json.dumps(result["package"]))
            partial.replace(done)
            return result["package"]
        finally:
            lock.unlink(missing_ok=True)
