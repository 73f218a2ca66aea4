"""The hooks a plugin implements (pluggy project "lpconvert").

A plugin is a module registered under the entry-point group ``lpconvert``::

    [project.entry-points.lpconvert]
    my-format = "my_package.lpconvert_plugin"

The module declares the plugin API version it was written for and implements one hook::

    from lpconvert.hookspecs import hookimpl
    from lpconvert.formats import FormatSpec

    LPCONVERT_API = 1

    @hookimpl
    def lpconvert_formats():
        return [FormatSpec(name="my-format", ...)]

The built-in formats are plugins of exactly this kind, registered through the same entry
points, so the core never imports a format.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from .formats import FormatSpec

PROJECT = "lpconvert"
ENTRY_POINT_GROUP = "lpconvert"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class LpconvertHooks:
    """Hook specifications."""

    @hookspec
    def lpconvert_formats(self) -> list[FormatSpec]:  # type: ignore[empty-body]
        """Return the formats this plugin provides (a list of `FormatSpec`)."""
