"""The plugins that are distributions of their own (plugins/lpconvert-html, plugins/lpconvert-imscc),
imported from their source, as their authors test them before packaging.

One place puts their src/ folders on sys.path; a test registers a module with
`lpconvert.testing.use_plugins` (being importable registers nothing: entry points need an install,
which tests/formats/*/test_*_install.py do for real).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from helpers.paths import ROOT

SEPARATE = {"lpconvert-html": "lpconvert_html", "lpconvert-imscc": "lpconvert_imscc"}
"""Plugin folder under plugins/ -> its package (under src/)."""

for _folder in SEPARATE:
    _src = str(ROOT / "plugins" / _folder / "src")
    if _src not in sys.path:
        sys.path.insert(0, _src)


def plugin_module(folder: str) -> ModuleType:
    """The `plugin` module (its hook implementations) of the separately packaged plugin in `folder`."""
    return importlib.import_module(f"{SEPARATE[folder]}.plugin")


html_plugin = plugin_module("lpconvert-html")
imscc_plugin = plugin_module("lpconvert-imscc")
