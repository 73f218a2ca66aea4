"""Shared test fixtures: where the corpora and fixtures are, running the CLI as a user does,
and the upstream oracle (openedx-core) when it is available."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def _corpora() -> Path | None:
    env = os.environ.get("LPCONVERT_CORPORA")
    for candidate in ([Path(env)] if env else []) + [ROOT.parent / "shared" / "corpora"]:
        if candidate.is_dir():
            return candidate
    return None


CORPORA = _corpora()
LP_CORPORA = sorted((CORPORA / "lp").glob("*.zip")) if CORPORA else []
OLX_CORPORA = sorted((CORPORA / "olx").glob("*.tar.gz")) if CORPORA else []


def corpus(relative: str) -> Path:
    """A corpus file, or skip the test when the corpora are not beside the checkout."""
    if CORPORA is None or not (CORPORA / relative).exists():
        pytest.skip(f"corpus {relative} not available (set LPCONVERT_CORPORA)")
    return CORPORA / relative


@pytest.fixture
def corpora_dir() -> Path:
    if CORPORA is None:
        pytest.skip("corpora not available (set LPCONVERT_CORPORA)")
    return CORPORA


def tar_bytes(members: list[tarfile.TarInfo | tuple[str, bytes]]) -> bytes:
    """A .tar.gz in memory from TarInfo entries (links, devices) or (name, bytes) files."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for m in members:
            if isinstance(m, tarfile.TarInfo):
                tf.addfile(m)
            else:
                info = tarfile.TarInfo(m[0])
                info.size = len(m[1])
                tf.addfile(info, io.BytesIO(m[1]))
    return buf.getvalue()


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run `lpconvert ARGS` in a subprocess, exactly as a user would."""
    exe = shutil.which("lpconvert", path=str(Path(sys.executable).parent)) or shutil.which("lpconvert")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "lpconvert.cli", *args]
    full_env = {**os.environ, "LPCONVERT_NO_PROGRESS": "1", **(env or {})}
    return subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cli():
    return run_cli


# --------------------------------------------------------------------------- the oracle

ORACLE_DIR = ROOT.parent / "shared" / "tools" / "oracle"


def _oracle_python() -> str | None:
    if os.environ.get("LPCONVERT_NO_ORACLE"):
        return None
    venv = Path(os.environ.get("ORACLE_VENV", "/tmp/ocvenv"))
    py = venv / "bin" / "python"
    if py.exists():
        ok = subprocess.run([str(py), "-c", "import openedx_content"], capture_output=True).returncode == 0
        if ok:
            return str(py)
    return None


class Oracle:
    """openedx-core's own restore code (../shared/tools/oracle), run in its own venv."""

    def __init__(self, python: str) -> None:
        self.python = python
        self._cache: dict[tuple[str, int, float], dict] = {}

    def load(self, archive: Path | str) -> dict:
        proc = subprocess.run([self.python, str(ORACLE_DIR / "oracle.py"), "load", str(archive)],
                              capture_output=True, text=True, timeout=900, cwd=str(ORACLE_DIR))
        out = proc.stdout
        start = out.find("{")
        if start < 0:
            raise AssertionError(f"oracle printed no JSON: {proc.stderr[-2000:]}")
        return json.loads(out[start:])

    def summary(self, archive: Path | str) -> dict:
        """Upstream's summary of what it restored; cached per file (restores take ~12 s)."""
        stat = os.stat(archive)
        key = (str(Path(archive).resolve()), stat.st_size, stat.st_mtime)
        if key not in self._cache:
            result = self.load(archive)
            assert result["status"] == "success", result
            self._cache[key] = result["package"]
        return self._cache[key]


@pytest.fixture(scope="session")
def oracle() -> Oracle:
    py = _oracle_python()
    if py is None or not ORACLE_DIR.exists():
        pytest.skip("upstream oracle not available (run ../shared/tools/oracle/setup.sh)")
    return Oracle(py)
