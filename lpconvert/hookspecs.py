"""The hooks a plugin implements (pluggy project "lpconvert").

A plugin is a module registered under the entry-point group ``lpconvert``::

    [project.entry-points.lpconvert]
    my-format = "my_package.lpconvert_plugin"

The module declares the plugin API version it was written for and implements the hooks it
needs (`lpconvert_formats`, `register_commands`)::

    from lpconvert.plugin import FormatSpec, hookimpl

    LPCONVERT_API = 1

    @hookimpl
    def lpconvert_formats():
        return [FormatSpec(name="my-format", ...)]

The built-in formats are plugins of exactly this kind, registered through the same entry
points, so the core never imports a format.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from .formats import FormatSpec

PROJECT = "lpconvert"
ENTRY_POINT_GROUP = "lpconvert"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class CommandError(Exception):
    """A user error in a plugin's command: printed as one ``lpconvert: ...`` line, exit 2."""


class LpconvertHooks:
    """Hook specifications."""

    @hookspec
    def lpconvert_formats(self) -> list[FormatSpec]:  # type: ignore[empty-body]
        """Return the formats this plugin provides (a list of `FormatSpec`)."""

    @hookspec
    def register_commands(self, subparsers: Any) -> None:
        """Add subcommands to the command line (as llm's hook of the same name does).

        `subparsers` is argparse's: ``p = subparsers.add_parser("preview", help=...)``, add
        arguments, then ``p.set_defaults(handler=run)`` where ``run(args) -> int`` is the exit
        code. Called only when the command line is built, so keep the registration light and
        import what the command needs inside `run`. A name the core or another plugin uses
        is refused. A user error is ``raise CommandError("one line")``: printed as
        ``lpconvert: one line``, exit 2."""
