"""Helpers for testing a format plugin with lpconvert's own checks.

A plugin author's whole test suite can be a few lines::

    from lpconvert.testing import assert_plugin_contract, assert_roundtrip, sample_package, use_plugins
    import my_format.plugin

    def test_contract():
        assert_plugin_contract(my_format.plugin)

    def test_round_trip(tmp_path):
        with use_plugins(my_format.plugin), sample_package() as package:
            assert_roundtrip(package, "my-format", tmp_path)

The same helpers are pytest fixtures (``lpconvert_sample``, ``lpconvert_roundtrip``,
``lpconvert_use_plugins``) through the pytest plugin that lpconvert installs
(`lpconvert.testing.pytest_plugin`). See docs/plugins.md.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "RoundTrip": "round_trip",
    "assert_plugin_contract": "contract",
    "assert_survives_damage": "damage",
    "assert_roundtrip": "round_trip",
    "assert_same_content": "compare",
    "check_plugin": "contract",
    "comparable": "compare",
    "differences": "compare",
    "roundtrip": "round_trip",
    "sample_model": "sample",
    "sample_package": "sample",
    "use_plugins": "registry",
}
"""Imported on first use: pytest imports this package (for the pytest plugin) in every run
of any project that has lpconvert installed, and most of those runs never use it."""

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'lpconvert.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
