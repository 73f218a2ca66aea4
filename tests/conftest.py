"""Fixtures for every test folder: the corpora, the CLI as a user runs it, and the upstream
oracle (openedx-core), persistent for the session. Plain helpers live in tests/helpers/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.cli import run_cli
from helpers.oracle import Oracle, OracleServer, oracle_python
from helpers.paths import CORPORA


@pytest.fixture
def corpora_dir() -> Path:
    if CORPORA is None:
        pytest.skip("corpora not available (set LPCONVERT_CORPORA)")
    return CORPORA


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
