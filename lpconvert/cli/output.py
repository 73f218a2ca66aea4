"""What the command line prints: problems, summaries, reports, `-v` details.

Problems and summaries go to stderr, so that a package or JSON written to standard output
(OUT or --report -) is never mixed with them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..problems import Problem


def print_problems(problems: Sequence[Problem], quiet: bool = False, stream: Any = None) -> None:
    """Problems grouped by file, errors first within a file, in reading order."""
    from ..problems import sort_key

    stream = stream or sys.stderr
    shown = [p for p in problems if p.is_error or not quiet]
    by_file: dict[str, list[Problem]] = {}
    for p in sorted(shown, key=sort_key):
        by_file.setdefault(p.file or "(package)", []).append(p)
    for file, items in by_file.items():
        stream.write(f"{file}\n")
        for p in items:
            where = f"line {p.line}" if p.line else ""
            if p.field:
                field = f"[{p.field}{p.media_suffix()}]"
                where = f"{where} {field}" if where else field
            prefix = f"  {where}: " if where else "  "
            stream.write(f"{prefix}{p.severity}: {p.message} ({p.code})\n")


def summary(problems: Sequence[Problem]) -> str:
    """`2 errors, 1 warning`: the tail of every command's last line."""
    errors = sum(1 for p in problems if p.is_error)
    warnings = len(problems) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def write_report(path: str | None, source: str | None, fmt: str | None, problems: Sequence[Problem]) -> None:
    """`--report FILE.json`; `--report -` prints it on standard output."""
    if not path:
        return
    from ..reports import ProblemReport

    text = ProblemReport.build(source, fmt, list(problems)).model_dump_json(indent=2) + "\n"
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def one_line_refusal(problems: Sequence[Problem]) -> Problem | None:
    """A `destination-exists` refusal: said as the one `lpconvert:` line of a usage error."""
    return next((p for p in problems if p.code == "destination-exists"), None)


def note(args: argparse.Namespace, text: Callable[[], str]) -> None:
    """A `-v` detail, on stderr so that it never mixes into a package or JSON on stdout.

    `text` is a function, called only under `-v`: the detail names each format's plugin and
    its distribution's version, which costs a metadata read that no other run should pay."""
    if getattr(args, "verbose", False):
        sys.stderr.write(f"{text()}\n")


def plugin_of(fmt: str | None) -> str:
    """`olx (plugin olx, lpconvert 0.4.0)`: which installed code a format came from, for `-v`."""
    from ..plugin_manager import get_registry

    registry = get_registry()
    spec = registry.formats.get(fmt or "")
    plugin = registry.plugins.get(spec.plugin) if spec else None
    if plugin is None:
        return fmt or "?"
    dist = f", {plugin.distribution} {plugin.version}" if plugin.distribution else ""
    return f"{fmt} (plugin {plugin.name}{dist})"


def human(n: int) -> str:
    """A size for people: `532 B`, `1.5 MiB`."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
