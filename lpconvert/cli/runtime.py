"""What every command needs around its API call: limits, progress, standard input and
output as paths, -I/-O pairs, and the library's usage errors said as the command line's.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .errors import InputError, Refused, UsageError


def limits_from(args: argparse.Namespace) -> Any:
    """The archive limits: the environment's (`LPCONVERT_MAX_*`), then --max-size and --max-ratio."""
    from dataclasses import replace

    from ..storage.limits import Limits, parse_size

    try:
        limits = Limits.from_env()
        if getattr(args, "max_size", None):
            limits = replace(limits, max_total_bytes=parse_size(args.max_size))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if getattr(args, "max_ratio", None):
        limits = replace(limits, max_ratio=args.max_ratio)
    return limits


def progress_for(args: argparse.Namespace | None = None) -> Any:
    """The terminal's progress bar, or none with -q or LPCONVERT_NO_PROGRESS."""
    from ..progress import NullProgress, for_terminal

    if os.environ.get("LPCONVERT_NO_PROGRESS") or getattr(args, "quiet", False):
        return NullProgress()
    return for_terminal(sys.stderr)


def clock() -> float:
    """Seconds for the `-v` timings (time is imported only when a command runs)."""
    import time

    return time.monotonic()


@contextmanager
def input_path(args: argparse.Namespace, limits: Any) -> Iterator[str]:
    """IN as a path: itself, or standard input spooled to a temporary file when IN is `-`."""
    with stdin_or_path(args.source, args.from_format, limits, "IN") as path:
        yield path


@contextmanager
def stdin_or_path(location: str, from_format: str | None, limits: Any, name: str) -> Iterator[str]:
    """An input argument (`name`: IN, BASE, INCOMING) as a path: itself, or standard input
    spooled to a temporary file when it is `-`."""
    from .. import api
    from ..stdio import STREAM, StreamError, StreamTooLarge, stdin_as_file

    if location != STREAM:
        yield location
        return
    if not from_format:
        raise UsageError(f"reading standard input ({name} is -) needs --from FORMAT")
    try:
        spec = api.get_format(from_format, reading=True)
        with stdin_as_file(spec, limits.max_total_bytes) as path:
            yield path
    except (api.LpconvertError, StreamError) as exc:
        raise UsageError(str(exc)) from None
    except StreamTooLarge as exc:
        raise InputError(str(exc)) from None


@contextmanager
def output_path(args: argparse.Namespace) -> Iterator[tuple[str, str | None]]:
    """OUT as a path and the container to bundle it in: itself, or a temporary file whose
    finished bytes go to standard output when OUT is `-` (see lpconvert.stdio)."""
    from .. import api
    from ..stdio import STREAM, StreamError, stdout_spool, stdout_suffix

    container = getattr(args, "container", None)  # merge has no --container
    if args.destination != STREAM:
        yield args.destination, container
        return
    if not args.to:
        raise UsageError("writing standard output (OUT is -) needs --to FORMAT")
    try:
        suffix = stdout_suffix(api.choose_output_format(STREAM, args.to), container)
    except (api.LpconvertError, StreamError) as exc:
        raise UsageError(str(exc)) from None
    with stdout_spool(suffix) as path:
        yield path, None


@contextmanager
def api_errors_as_usage() -> Iterator[None]:
    """The library's usage errors as the command line's one-line ones: a destination `--force`
    may not replace is a `Refused`, any other `LpconvertError` a `UsageError`."""
    from .. import api

    try:
        yield
    except api.DestinationNotReplaceable as exc:
        raise Refused(str(exc)) from None
    except api.LpconvertError as exc:
        raise UsageError(str(exc)) from None


def with_progress(args: argparse.Namespace, run: Callable[[Any], Any]) -> Any:
    """`run(progress)` with the terminal's progress bar, erased afterwards; the library's
    usage errors become the command line's one-line ones."""
    progress = progress_for(args)
    try:
        with api_errors_as_usage():
            return run(progress)
    finally:
        progress.finish()


def package_alone_on_stdout(args: argparse.Namespace) -> None:
    """OUT - and --report - cannot both have standard output."""
    if args.destination == "-" and args.report == "-":
        raise UsageError("--report - and OUT - would both write to standard output; give --report FILE.json")


def one_json_on_stdout(args: argparse.Namespace) -> None:
    """--json and --report - cannot both have standard output."""
    if args.json and args.report == "-":
        raise UsageError("--json and --report - would both print on standard output; give --report FILE.json")


def pairs(items: Sequence[str], flag: str) -> dict[str, str]:
    """-I/-O KEY=VALUE items as a dict; a malformed one is a usage error."""
    from ..options import OptionError, parse_pairs

    try:
        return parse_pairs(items, flag)
    except OptionError as exc:
        raise UsageError(str(exc)) from None
