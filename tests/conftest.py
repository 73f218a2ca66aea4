"""Shared test fixtures: where the corpora and fixtures are, running the CLI as a user does,
and the upstream oracle (openedx-core) when it is available."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.oracle import Oracle, OracleServer, oracle_python

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


def _run_wide_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This run's temp root, shared by every xdist worker (each worker's basetemp is inside it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oracle]:
    """openedx-core's restore, one persistent process for the session; skips when not built."""
    python = oracle_python()
    if python is None:
        pytest.skip("upstream oracle not available (run ../shared/tools/oracle/setup.sh)")
    shared = _run_wide_temp(tmp_path_factory)
    server = OracleServer(python, shared / "oracle-server")
    try:
        yield Oracle(server, shared / "oracle-summaries")
    finally:
        server.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that restores with upstream carries the `oracle` mark, so `-m "not oracle"` means it."""
    unmarked = [item.nodeid for item in items
                if "oracle" in getattr(item, "fixturenames", ()) and item.get_closest_marker("oracle") is None]
    if unmarked:
        raise pytest.UsageError("tests using the `oracle` fixture must be marked @pytest.mark.oracle: "
                                + ", ".join(unmarked))
