"""The command line's exit codes and the exceptions that end a command with one line.

A user error is one `lpconvert:` line on stderr and an exit code, never a traceback:
commands raise these, and `lpconvert.cli.main` turns them into that line.
"""

from __future__ import annotations

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A mistake in the command line (exit 2), said in one line."""


class InputError(Exception):
    """The input cannot be read at all (exit 1), said in one line."""


class Refused(UsageError):
    """A refusal that is the whole story (`--force` would replace what lpconvert did not
    write): one line, without the usage hint."""
