"""The OLX plugin against the plugin contract and the shared damage helper (lpconvert.testing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.paths import FIXTURES

import lpconvert

testing = pytest.importorskip("lpconvert.testing")


def test_olx_plugin_keeps_the_plugin_contract() -> None:
    import lpconvert_olx.plugin

    testing.assert_plugin_contract(lpconvert_olx.plugin)


def test_damaged_olx_gives_problems_not_tracebacks(tmp_path: Path) -> None:
    with lpconvert.read(str(FIXTURES / "olx" / "tiny-course")) as result:
        assert result.package is not None
        damaged = testing.assert_survives_damage("olx", tmp_path, result.package)
    assert damaged > 20
