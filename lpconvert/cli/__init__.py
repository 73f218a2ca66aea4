"""The `lpconvert` command line: a thin layer over lpconvert.api.

Exit codes: 0 success (valid); 1 the input is invalid or the conversion failed; 2 usage
error (unknown option or format, destination exists without --force, --force refused);
128 + N stopped by signal N (Ctrl-C, SIGTERM, SIGHUP), cleaned up. A user error is one
line on stderr, never a traceback. Nothing heavy is imported before it is needed, so
`--help` and `formats` answer quickly.

Modules: `parser` (the grammar), `errors` (exit codes, the one-line exceptions), `runtime`
(limits, progress, stdin/stdout, the library's errors as usage errors), `output` (what is
printed), `commands` (the commands that read packages), `about` (formats, plugins, schema,
help). This module dispatches: `main` is the `lpconvert` console script.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from .errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, InputError, Refused, UsageError
from .parser import COMMANDS, REPORT_NAMES, build_parser, with_default_command

HANDLERS: dict[str, str] = {
    "convert": "commands", "validate": "commands", "info": "commands", "merge": "commands",
    "batch": "commands", "completion": "commands",
    "formats": "about", "plugins": "about", "schema": "about", "help": "about",
}
"""The module of `lpconvert.cli` whose `cmd_COMMAND` runs each core command: imported only
when that command runs, so that `--help` loads no command's code."""


def _handler(command: str) -> Callable[[argparse.Namespace], int]:
    """The function that runs `command`: a core command's `cmd_COMMAND`, else the plugin's handler."""
    module = HANDLERS.get(command)
    if module is None:
        return _run_plugin_command
    import importlib

    handler: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(f".{module}", __name__),
                                                           f"cmd_{command}")
    return handler


def _run_plugin_command(args: argparse.Namespace) -> int:
    """A plugin's subcommand: its `handler(args)`, its `CommandError` a one-line usage error."""
    from ..hookspecs import CommandError

    try:
        return int(args.handler(args))
    except CommandError as exc:
        raise UsageError(str(exc)) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line `argv` (default: this process's) and return the exit code."""
    from ..interrupts import Terminated, stop_cleanly, written

    argv = list(sys.argv[1:] if argv is None else argv)
    # pydantic scans every installed distribution for its own plugins before the first model is
    # built; the command line uses none, so skip the scan (the library API leaves it alone).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    completing = "_ARGCOMPLETE" in os.environ
    first = next((a for a in argv if a == "-" or not a.startswith("-")), None)
    # A core command needs no plugin commands: leave the plugins unloaded, so it starts fast.
    parser = build_parser(with_plugins=completing or first not in COMMANDS)
    if completing:
        from ..completion import complete

        complete(parser)  # answers the shell and exits
        return EXIT_OK  # (only without argcomplete: nothing to answer)
    argv = with_default_command(argv, (*COMMANDS, *parser.plugin_commands))  # type: ignore[attr-defined]
    try:
        args = parser.parse_args(argv)
        if args.version:
            from .. import __version__

            print(f"lpconvert {__version__}")
            return EXIT_OK
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        with stop_cleanly():
            return _handler(args.command)(args)
    except UsageError as exc:
        sys.stderr.write(f"lpconvert: {exc}\n")
        return EXIT_USAGE
    except InputError as exc:
        sys.stderr.write(f"lpconvert: {exc}\n")
        return EXIT_INVALID
    except KeyboardInterrupt as stop:
        done = written()
        tail = f" after writing {', '.join(done)}" if done else "; nothing was written"
        if isinstance(stop, Terminated):
            _say(f"lpconvert: stopped by {stop.name}{tail}\n")
            return stop.exit_code
        _say(f"lpconvert: interrupted{tail}\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _say(line: str) -> None:
    """Write to stderr, which a hangup may already have taken away."""
    try:
        sys.stderr.write(line)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


__all__ = ["COMMANDS", "EXIT_INVALID", "EXIT_OK", "EXIT_USAGE", "HANDLERS", "REPORT_NAMES", "InputError", "Refused",
           "UsageError", "build_parser", "main", "with_default_command"]
