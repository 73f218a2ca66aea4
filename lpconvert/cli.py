"""The `lpconvert` command line: a thin layer over lpconvert.api.

Exit codes: 0 success (valid); 1 the input is invalid or the conversion failed; 2 usage
error (unknown option or format, destination exists without --force, --force refused);
128 + N stopped by signal N (Ctrl-C, SIGTERM, SIGHUP), cleaned up. A user error is one
line on stderr, never a traceback. Nothing heavy is imported before it is needed, so
`--help` and `formats` answer quickly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .problems import Problem

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
COMMANDS = ("convert", "validate", "info", "formats", "plugins", "schema", "merge", "batch")

DESCRIPTION = """\
Convert Open edX learning content between formats through one validated model.

  lpconvert IN OUT                  convert (IN's format is detected; OUT's from --to or its suffix)
  lpconvert validate IN             report every problem in IN (exit 0 valid, 1 invalid)
  lpconvert info IN                 title, key, counts by kind, versions, media size
  lpconvert merge BASE NEW OUT      apply NEW to BASE as new versions (update instead of create)
  lpconvert formats                 the formats this installation can read and write
  lpconvert plugins                 the plugins providing them, with versions
  lpconvert schema                  the JSON Schema of the hub model
  lpconvert batch IN... --to F --out DEST   many packages at once, on Dask (lpconvert[batch])

OUT's suffix chooses the format unless --to is given: each format declares the suffixes it is
the default for (see `lpconvert formats`). A directory destination needs --to.
"""

EPILOG = """\
examples:
  lpconvert library.zip library.json
  lpconvert course.tar.gz library.zip
  lpconvert library.zip outdir --to olx
  lpconvert validate library.zip --strict --report problems.json

exit codes: 0 success, 1 invalid input or failed conversion, 2 usage error,
130/143/129 stopped by Ctrl-C/SIGTERM/SIGHUP. See docs/cli.md for every option.
"""


class UsageError(Exception):
    pass


class Refused(UsageError):
    """A refusal that is the whole story (`--force` would replace what lpconvert did not
    write): one line, without the usage hint."""


class _Parser(argparse.ArgumentParser):
    plugin_commands: frozenset[str] = frozenset()
    """The subcommands plugins added (`register_commands`), when they were asked."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--strict", action="store_true", help="treat warnings (unknown fields, losses) as errors")
    p.add_argument("--report", metavar="FILE.json", help="also write every problem as JSON to FILE.json")
    p.add_argument("--from", dest="from_format", metavar="FORMAT", help="read IN as FORMAT instead of probing")
    p.add_argument("--max-size", metavar="SIZE", help="refuse archives that expand beyond SIZE (default 8G)")
    p.add_argument("--max-ratio", metavar="N", type=float, help="refuse members compressed more than N:1 "
                   "(default 200)")
    p.add_argument("-q", "--quiet", action="store_true", help="print errors only, no warnings or summary")


def build_parser(with_plugins: bool = True) -> argparse.ArgumentParser:
    """The command line; `with_plugins` adds the plugins' subcommands (which loads them)."""
    parser = _Parser(prog="lpconvert", description=DESCRIPTION, epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    conv = sub.add_parser("convert", help="convert IN to OUT (the default command)",
                          description="Convert IN to OUT. Nothing is written when IN has errors; OUT appears "
                          "only when complete.")
    conv.add_argument("source", metavar="IN", help="a directory, .zip, .tar.gz, file, or fsspec URL")
    conv.add_argument("destination", metavar="OUT", help="where to write; its suffix picks the format "
                      "unless --to is given")
    conv.add_argument("--to", metavar="FORMAT", help="output format (see `lpconvert formats`)")
    conv.add_argument("--force", action="store_true", help="replace OUT if it exists and is a package of OUT's "
                      "format (never a folder holding IN, or the current directory)")
    conv.add_argument("--container", choices=("dir", "zip", "tar.gz", "tar"),
                      help="bundle a multi-file format this way instead of by OUT's suffix")
    conv.add_argument("-O", "--option", action="append", default=[], metavar="KEY=VALUE",
                      help="an option the writer declares (repeatable; `lpconvert formats FORMAT` lists them)")
    conv.add_argument("-I", "--read-option", action="append", default=[], metavar="KEY=VALUE",
                      help="an option the reader declares (repeatable; `lpconvert formats FORMAT` lists them)")
    conv.add_argument("--allow-loss", action="append", default=[], metavar="KIND[,KIND...]",
                      help="accept these loss kinds (see `lpconvert formats`): still reported, but --strict "
                      "does not refuse them (repeatable)")
    _add_common(conv)

    val = sub.add_parser("validate", help="report every problem in IN",
                         description="Report every problem in IN, grouped by file. Exit 0 when valid, 1 when not.")
    val.add_argument("source", metavar="IN")
    _add_common(val)

    info = sub.add_parser("info", help="summarise IN", description="Title, key, counts by kind, versions and "
                          "media size of IN.")
    info.add_argument("source", metavar="IN")
    info.add_argument("--json", action="store_true", help="print the summary as JSON")
    _add_common(info)

    fmts = sub.add_parser("formats", help="list the formats", description="List the formats, what they read and "
                          "write, their -I/-O options and what each cannot hold; with FORMAT, that format's "
                          "options in detail.")
    fmts.add_argument("name", nargs="?", metavar="FORMAT", help="show this format only, its options in detail")
    sub.add_parser("plugins", help="list the plugins", description="List the plugins with their distribution, "
                   "version, formats and status.")
    mrg = sub.add_parser("merge", help="apply INCOMING to BASE and write OUT",
                         description="Apply INCOMING to BASE and write the result to OUT. New entities are "
                         "added; an entity whose content changed gets it as a new version numbered above every "
                         "version it has; unchanged content makes no new version; entities only in BASE stay; "
                         "collections merge. Prints what was added, updated and unchanged.")
    mrg.add_argument("base", metavar="BASE", help="the package to update (kept as is; OUT gets the result)")
    mrg.add_argument("incoming", metavar="INCOMING", help="the package whose content is applied")
    mrg.add_argument("destination", metavar="OUT", help="where to write the merged package")
    mrg.add_argument("--to", metavar="FORMAT", help="output format (default: from OUT's suffix)")
    mrg.add_argument("--force", action="store_true",
                     help="replace OUT if it exists and is a package of OUT's format")
    mrg.add_argument("--dry-run", action="store_true", help="print what would change and write nothing")
    mrg.add_argument("--list-unchanged", action="store_true", help="list unchanged entities, not just count them")
    _add_common(mrg)
    sub.add_parser("schema", help="print the JSON Schema of the hub model",
                   description="Print the JSON Schema that json documents follow.")
    from .batch.command import add_batch_parser

    add_batch_parser(sub)
    if with_plugins:
        from .plugin_manager import get_registry

        before = set(sub.choices)
        get_registry().add_commands(sub, set(before))
        parser.plugin_commands = frozenset(set(sub.choices) - before)
    return parser


def _run_plugin_command(args: argparse.Namespace) -> int:
    """A plugin's subcommand: its `handler(args)`, its `CommandError` a one-line usage error."""
    from .hookspecs import CommandError

    try:
        return int(args.handler(args))
    except CommandError as exc:
        raise UsageError(str(exc)) from None


def _limits(args: argparse.Namespace) -> Any:
    from dataclasses import replace

    from .storage.limits import Limits, parse_size

    try:
        limits = Limits.from_env()
        if getattr(args, "max_size", None):
            limits = replace(limits, max_total_bytes=parse_size(args.max_size))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if getattr(args, "max_ratio", None):
        limits = replace(limits, max_ratio=args.max_ratio)
    return limits


def _progress() -> Any:
    from .progress import NullProgress, for_terminal

    return NullProgress() if os.environ.get("LPCONVERT_NO_PROGRESS") else for_terminal(sys.stderr)


def print_problems(problems: Sequence[Problem], quiet: bool = False, stream: Any = None) -> None:
    """Problems grouped by file, errors first within a file, in reading order."""
    from .problems import sort_key

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


def _summary(problems: Sequence[Problem]) -> str:
    errors = sum(1 for p in problems if p.is_error)
    warnings = len(problems) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def _write_report(path: str | None, source: str | None, fmt: str | None, problems: Sequence[Problem]) -> None:
    if not path:
        return
    from .reports import ProblemReport

    report = ProblemReport.build(source, fmt, list(problems))
    with open(path, "w", encoding="utf-8") as f:
        f.write(report.model_dump_json(indent=2) + "\n")


def _pairs(items: Sequence[str], flag: str) -> dict[str, str]:
    from .options import OptionError, parse_pairs

    try:
        return parse_pairs(items, flag)
    except OptionError as exc:
        raise UsageError(str(exc)) from None


def cmd_convert(args: argparse.Namespace) -> int:
    from . import api

    if os.path.abspath(args.source) == os.path.abspath(args.destination):
        raise UsageError("IN and OUT are the same path")
    progress = _progress()
    try:
        result = api.convert(args.source, args.destination, from_format=args.from_format, to=args.to,
                             force=args.force, strict=args.strict, limits=_limits(args), progress=progress,
                             read_options=_pairs(args.read_option, "-I"), write_options=_pairs(args.option, "-O"),
                             container=args.container, allow_loss=args.allow_loss)
    except api.DestinationNotReplaceable as exc:
        raise Refused(str(exc)) from None
    except api.LpconvertError as exc:
        raise UsageError(str(exc)) from None
    finally:
        progress.finish()
    problems = result.problems
    print_problems(problems, args.quiet)
    _write_report(args.report, args.source, result.read.format, problems)
    if result.ok:
        assert result.write is not None
        if not args.quiet:
            sys.stderr.write(f"wrote {args.destination} ({result.write.format}, from {result.read.format}); "
                             f"{_summary(problems)}\n")
        return EXIT_OK
    if any(p.code == "destination-exists" for p in problems):
        return EXIT_USAGE
    first = next((p for p in problems if p.is_error), None)
    reason = f": {first.message}" if first and len(problems) == 1 else f"; {_summary(problems)}"
    sys.stderr.write(f"lpconvert: nothing written to {args.destination}{reason}\n")
    return EXIT_INVALID


def cmd_validate(args: argparse.Namespace) -> int:
    from . import api

    progress = _progress()
    try:
        result = api.validate(args.source, args.from_format, strict=args.strict, limits=_limits(args),
                              progress=progress)
    except api.LpconvertError as exc:
        raise UsageError(str(exc)) from None
    finally:
        progress.finish()
    print_problems(result.problems, args.quiet)
    _write_report(args.report, args.source, result.format, result.problems)
    if not args.quiet or not result.valid:
        state = "valid" if result.valid else "INVALID"
        fmt = f" {result.format}" if result.format else ""
        sys.stderr.write(f"{args.source}: {state}{fmt}; {_summary(result.problems)}\n")
    return EXIT_OK if result.valid else EXIT_INVALID


def cmd_info(args: argparse.Namespace) -> int:
    from . import api
    from .reports import PackageInfo

    try:
        result = api.read(args.source, args.from_format, strict=args.strict, limits=_limits(args))
    except api.LpconvertError as exc:
        raise UsageError(str(exc)) from None
    with result:
        _write_report(args.report, args.source, result.format, result.problems)
        if result.package is None:
            print_problems(result.problems, args.quiet)
            sys.stderr.write(f"{args.source}: INVALID; {_summary(result.problems)}\n")
            return EXIT_INVALID
        info = PackageInfo.build(result.package, result.format or "?")
    if args.json:
        print(info.model_dump_json(indent=2))
        return EXIT_OK
    print(f"title:       {info.title}")
    print(f"key:         {info.key}")
    print(f"format:      {info.format}")
    print(f"entities:    {info.entities}")
    for kind, n in info.counts.items():
        print(f"  {kind:<30} {n}")
    print(f"versions:    {info.versions} ({info.draft_ahead} with a draft ahead of published, "
          f"{info.unpublished} never published)")
    print(f"collections: {info.collections}")
    print(f"media:       {info.media_files} files, {_human(info.media_bytes)} ({info.static_files} distinct static files)")
    if result.problems and not args.quiet:
        sys.stderr.write(f"{_summary(result.problems)} (run `lpconvert validate` for details)\n")
    return EXIT_OK


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _option_lines(flag: str, options: list[dict[str, Any]], detail: bool) -> list[str]:
    """One line per declared option (`lpconvert formats`), or its help, choices and default too
    (`lpconvert formats NAME`)."""
    out = []
    for o in options:
        value = "|".join(o["choices"]) or o["type"].upper()
        out.append(f"      {flag} {o['name']}={value}")
        if detail:
            out.append(f"          {o['help']}")
            if o["default"] is not None:
                out.append(f"          default: {o['default']}")
    return out


def _format_text(info: dict[str, Any], detail: bool) -> list[str]:
    modes = "/".join(m for m in ("read", "write") if info[m])
    suffixes = f" default for {', '.join(info['suffixes'])}" if info["suffixes"] else ""
    lines = [f"{info['name']:<12} {modes:<11}{suffixes}  [{info['plugin']}]", f"    {info['description']}"]
    for flag, role in (("-I", "reader"), ("-O", "writer")):
        if info[f"{role}_options"]:
            lines.append(f"    {role} options ({flag} KEY=VALUE):")
            lines += _option_lines(flag, info[f"{role}_options"], detail)
    if info["losses"]:
        lines.append("    cannot hold (loss kinds, for --allow-loss):")
        lines += [f"      {kind:<26} {what}" for kind, what in info["losses"].items()]
    else:
        lines.append("    lossless")
    if detail and info["problem_codes"]:
        lines.append("    problem codes of its own (docs/validation.md):")
        lines += [f"      {c['code']:<26} {c['severity']}: {c['meaning']}" for c in info["problem_codes"]]
    return lines


def cmd_formats(args: argparse.Namespace) -> int:
    from .plugin_manager import get_registry

    registry = get_registry()
    name = getattr(args, "name", None)
    if name is not None:
        from .api import LpconvertError, get_format

        try:
            specs = [get_format(name)]
        except LpconvertError as exc:
            raise UsageError(str(exc)) from None
    else:
        specs = sorted(registry.formats.values(), key=lambda s: s.name)
    if not specs:
        print("no formats are installed")
    for spec in specs:
        print("\n".join(_format_text(spec.describe(), detail=name is not None)))
    for failed in registry.failures():
        sys.stderr.write(f"lpconvert: plugin {failed.name} failed to load: {failed.error}\n")
    return EXIT_OK


def cmd_plugins(args: argparse.Namespace) -> int:
    from .plugin_manager import get_registry

    registry = get_registry()
    build_parser()  # asks each plugin for its commands (register_commands), as a command line would
    if not registry.plugins:
        print("no plugins are installed (lpconvert finds them through the 'lpconvert' entry-point group)")
    for info in sorted(registry.plugins.values(), key=lambda p: p.name):
        dist = f"{info.distribution} {info.version}" if info.distribution else "(registered directly)"
        formats = ", ".join(info.formats) or "-"
        line = f"{info.name:<14} {info.status:<9} {dist:<24} formats: {formats}"
        if info.commands:
            line += f"; commands: {', '.join(info.commands)}"
        if info.error:
            line += f"\n    {info.error}"
        print(line)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from .model import json_schema

    print(json.dumps(json_schema(), indent=2, sort_keys=True))
    return EXIT_OK


def cmd_merge(args: argparse.Namespace) -> int:
    from . import api
    from .merge import merge

    if os.path.abspath(args.destination) in {os.path.abspath(args.base), os.path.abspath(args.incoming)}:
        raise UsageError("OUT must be a new path, not BASE or INCOMING")
    try:
        spec = None if args.dry_run else api.choose_output_format(args.destination, args.to)
        if spec is not None:  # refused before reading, not after the merge report
            api.check_destination(args.destination, spec, force=args.force, inputs=[args.base, args.incoming])
        limits = _limits(args)
        with api.read(args.base, args.from_format, strict=args.strict, limits=limits) as base, \
                api.read(args.incoming, args.from_format, strict=args.strict, limits=limits) as incoming:
            problems = list(base.problems) + list(incoming.problems)
            invalid = [r.source for r in (base, incoming) if r.package is None]
            result = None if invalid else merge(base.package, incoming.package)  # type: ignore[arg-type]
            if result is not None:
                problems += result.problems
            if result is None or result.package is None:
                print_problems(problems, args.quiet)
                _write_report(args.report, args.incoming, incoming.format, problems)
                why = f"{' and '.join(map(str, invalid))} {'is' if len(invalid) == 1 else 'are'} invalid" \
                    if invalid else "the merged package would be invalid"
                sys.stderr.write(f"lpconvert: nothing written to {args.destination}: {why}; {_summary(problems)}\n")
                return EXIT_INVALID
            for line in result.report.lines(list_unchanged=args.list_unchanged):
                print(line)
            written = None
            if spec is not None:
                written = api.write(result.package, args.destination, spec.name, force=args.force,
                                    strict=args.strict, inputs=[args.base, args.incoming])
                problems += written.problems
    except api.DestinationNotReplaceable as exc:
        raise Refused(str(exc)) from None
    except api.LpconvertError as exc:
        raise UsageError(str(exc)) from None
    print_problems(problems, args.quiet)
    _write_report(args.report, args.incoming, incoming.format, problems)
    counts = ", ".join(f"{n} {action}" for action, n in result.report.counts().items())
    if written is None:
        if not args.quiet:
            sys.stderr.write(f"dry run: nothing written; {counts}; {_summary(problems)}\n")
        return EXIT_OK
    if written.ok:
        if not args.quiet:
            sys.stderr.write(f"wrote {args.destination} ({written.format}): {counts}; {_summary(problems)}\n")
        return EXIT_OK
    if any(p.code == "destination-exists" for p in written.problems):
        return EXIT_USAGE
    sys.stderr.write(f"lpconvert: nothing written to {args.destination}; {_summary(problems)}\n")
    return EXIT_INVALID


HANDLERS = {"convert": cmd_convert, "validate": cmd_validate, "info": cmd_info, "formats": cmd_formats,
            "plugins": cmd_plugins, "schema": cmd_schema, "merge": cmd_merge}


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch.command import cmd_batch as run_batch

    return run_batch(args)


HANDLERS["batch"] = cmd_batch


def main(argv: Sequence[str] | None = None) -> int:
    from .interrupts import Terminated, stop_cleanly, written

    argv = list(sys.argv[1:] if argv is None else argv)
    # A core command needs no plugin commands: leave the plugins unloaded, so it starts fast.
    parser = build_parser(with_plugins=not (argv and argv[0] in COMMANDS))
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS and \
            argv[0] not in parser.plugin_commands:  # type: ignore[attr-defined]
        argv.insert(0, "convert")  # `lpconvert IN OUT`
    try:
        args = parser.parse_args(argv)
        if args.version:
            from . import __version__

            print(f"lpconvert {__version__}")
            return EXIT_OK
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        with stop_cleanly():
            return HANDLERS.get(args.command, _run_plugin_command)(args)
    except UsageError as exc:
        sys.stderr.write(f"lpconvert: {exc}\n")
        if "usage" not in str(exc) and not isinstance(exc, Refused):
            sys.stderr.write("Try 'lpconvert --help'.\n")
        return EXIT_USAGE
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
