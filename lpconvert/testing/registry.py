"""Making a plugin visible to lpconvert for the length of a test, without installing it.

Entry points only exist once a distribution is installed; while a plugin is being written
its author wants `lpconvert.convert(..., to="my-format")` to find it anyway. `use_plugins`
swaps in a registry holding the installed plugins plus the given modules, registered
through the same checks as entry points (API version, FormatSpec type, name clashes), and
puts the previous registry back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from .. import plugin_manager
from ..plugin_manager import PluginRegistry


@contextmanager
def use_plugins(*modules: ModuleType | Any, entry_points: bool = True) -> Iterator[PluginRegistry]:
    """Register `modules` (plugin modules, as an entry point would name them) for the block.

    With ``entry_points=False`` only the given modules are loaded: a test that must not
    depend on what else happens to be installed. A module that fails the load-time checks
    raises AssertionError with the reason `lpconvert plugins` would show.
    """
    registry = PluginRegistry()
    if entry_points:
        registry.load_entry_points()
    for module in modules:
        info = registry.register(module, name=getattr(module, "__name__", None))
        if info.error:
            raise AssertionError(f"plugin {info.name} did not load: {info.error}")
    previous = plugin_manager._registry
    plugin_manager.reset_registry(registry)
    try:
        yield registry
    finally:
        plugin_manager.reset_registry(previous)
