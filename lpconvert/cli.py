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
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .problems import Problem

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
COMMANDS = ("convert", "validate", "info", "formats", "plugins", "schema", "merge", "batch", "help", "completion")

DESCRIPTION = """\
Convert Open edX learning content between formats through one validated model.

  lpconvert IN OUT                  convert (IN's format is detected; OUT's from --to or its suffix)
  lpconvert validate IN             report every problem in IN (exit 0 valid, 1 invalid)
  lpconvert info IN                 title, key, counts by kind, versions, media size
  lpconvert merge BASE NEW OUT      apply NEW to BASE as new versions (update instead of create)
  lpconvert formats                 the formats this installation can read and write
  lpconvert plugins                 the plugins providing them, with versions
  lpconvert schema                  the JSON Schema of the hub model (--report NAME: of a report)
  lpconvert batch IN... --to F --out DEST   many packages at once, on Dask (lpconvert[batch])
  lpconvert help [COMMAND]          this help, or one command's
  lpconvert completion bash|zsh|fish        a shell completion script

IN may be - (standard input, with --from) and OUT - (standard output, with --to).

OUT's suffix chooses the format unless --to is given: each format declares the suffixes it is
the default for (see `lpconvert formats`). A directory destination needs --to.
"""

EPILOG = """\
examples:
  lpconvert library.zip library.json
  lpconvert course.tar.gz library.zip
  lpconvert library.zip outdir --to olx
  lpconvert validate library.zip --strict --report problems.json
  cat library.zip | lpconvert - - -f lp-archive -t json > library.json

exit codes: 0 success, 1 invalid input or failed conversion, 2 usage error,
130/143/129 stopped by Ctrl-C/SIGTERM/SIGHUP. See docs/cli.md for every option.
"""


class UsageError(Exception):
    pass


class InputError(Exception):
    """The input cannot be read at all (exit 1), said in one line."""


class Refused(UsageError):
    """A refusal that is the whole story (`--force` would replace what lpconvert did not
    write): one line, without the usage hint."""


class _Parser(argparse.ArgumentParser):
    plugin_commands: frozenset[str] = frozenset()
    """The subcommands plugins added (`register_commands`), when they were asked."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """One line, naming where the help is, instead of argparse's usage block and exit."""
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--strict", action="store_true", help="treat warnings (unknown fields, losses) as errors")
    p.add_argument("--report", metavar="FILE.json", help="also write every problem as JSON to FILE.json "
                   "(- for standard output)")
    p.add_argument("-f", "--from", dest="from_format", metavar="FORMAT",
                   help="read IN as FORMAT instead of probing (needed when IN is -)")
    p.add_argument("--max-size", metavar="SIZE", help="refuse archives that expand beyond SIZE (default 8G)")
    p.add_argument("--max-ratio", metavar="N", type=float, help="refuse members compressed more than N:1 "
                   "(default 200)")
    _add_verbosity(p)


def _add_verbosity(p: argparse.ArgumentParser) -> None:
    talk = p.add_mutually_exclusive_group()
    talk.add_argument("-q", "--quiet", action="store_true", help="print errors only: no warnings, summary or "
                      "progress")
    talk.add_argument("-v", "--verbose", action="store_true", help="say more: timings, the plugin behind each "
                      "format")


def build_parser(with_plugins: bool = True) -> argparse.ArgumentParser:
    """The command line; `with_plugins` adds the plugins' subcommands (which loads them)."""
    parser = _Parser(prog="lpconvert", description=DESCRIPTION, epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    conv = sub.add_parser("convert", help="convert IN to OUT (the default command)",
                          description="Convert IN to OUT. Nothing is written when IN has errors; OUT appears "
                          "only when complete.")
    conv.add_argument("source", metavar="IN", help="a directory, .zip, .tar.gz, file, fsspec URL, or - "
                      "(standard input)")
    conv.add_argument("destination", metavar="OUT", help="where to write (- for standard output); its suffix "
                      "picks the format unless --to is given")
    conv.add_argument("-t", "--to", metavar="FORMAT", help="output format (see `lpconvert formats`)")
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
    val.add_argument("source", metavar="IN", help="the package to check (- for standard input)")
    val.add_argument("--json", action="store_true", help="print the problem report as JSON on stdout "
                     "(`lpconvert schema --report problems`)")
    _add_common(val)

    info = sub.add_parser("info", help="summarise IN", description="Title, key, counts by kind, versions and "
                          "media size of IN.")
    info.add_argument("source", metavar="IN", help="the package to summarise (- for standard input)")
    info.add_argument("--json", action="store_true", help="print the summary as JSON "
                      "(`lpconvert schema --report info`)")
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
    mrg.add_argument("-t", "--to", metavar="FORMAT", help="output format (default: from OUT's suffix)")
    mrg.add_argument("--force", action="store_true",
                     help="replace OUT if it exists and is a package of OUT's format")
    mrg.add_argument("--dry-run", action="store_true", help="print what would change and write nothing")
    mrg.add_argument("--list-unchanged", action="store_true", help="list unchanged entities, not just count them")
    mrg.add_argument("--allow-loss", action="append", default=[], metavar="KIND[,KIND...]",
                     help="accept these loss kinds (see `lpconvert formats`): still reported, but --strict "
                     "does not refuse them (repeatable)")
    _add_common(mrg)
    schema = sub.add_parser("schema", help="print the JSON Schema of the hub model or of a report",
                            description="Print the JSON Schema that json documents follow, or with --report "
                            "NAME the one of a JSON document lpconvert prints or writes.")
    schema.add_argument("--report", metavar="NAME", choices=REPORT_NAMES,
                        help=f"the schema of a report: {', '.join(REPORT_NAMES)}")
    from .batch.command import add_batch_parser

    add_batch_parser(sub)
    helper = sub.add_parser("help", help="show the help of lpconvert or of one command",
                            description="Show the help of lpconvert, or of COMMAND.")
    helper.add_argument("topic", nargs="?", metavar="COMMAND",
                        help="the command to explain (a plugin's too, such as html's preview)")
    from .completion import add_completion_parser

    add_completion_parser(sub)
    for name, what in (("formats", "the formats"), ("plugins", "the plugins")):
        sub.choices[name].add_argument("--json", action="store_true", help=f"print {what} as JSON "
                                       f"(`lpconvert schema --report {name}`)")
    if with_plugins:
        from .plugin_manager import get_registry

        before = set(sub.choices)
        get_registry().add_commands(sub, set(before))
        parser.plugin_commands = frozenset(set(sub.choices) - before)
    return parser


REPORT_NAMES = ("problems", "info", "formats", "plugins", "batch-record")
"""`lpconvert.reports.REPORTS`' keys, named here so that building the parser imports no pydantic."""


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


def _progress(args: argparse.Namespace | None = None) -> Any:
    from .progress import NullProgress, for_terminal

    if os.environ.get("LPCONVERT_NO_PROGRESS") or getattr(args, "quiet", False):
        return NullProgress()
    return for_terminal(sys.stderr)


def _clock() -> float:
    import time

    return time.monotonic()


def _note(args: argparse.Namespace, text: str) -> None:
    """A `-v` detail, on stderr so that it never mixes into a package or JSON on stdout."""
    if getattr(args, "verbose", False):
        sys.stderr.write(f"{text}\n")


def _plugin_of(fmt: str | None) -> str:
    """`olx (plugin olx, lpconvert 0.4.0)`: which installed code a format came from, for `-v`."""
    from .plugin_manager import get_registry

    registry = get_registry()
    spec = registry.formats.get(fmt or "")
    plugin = registry.plugins.get(spec.plugin) if spec else None
    if plugin is None:
        return fmt or "?"
    dist = f", {plugin.distribution} {plugin.version}" if plugin.distribution else ""
    return f"{fmt} (plugin {plugin.name}{dist})"


@contextmanager
def _input(args: argparse.Namespace, limits: Any) -> Iterator[str]:
    """IN as a path: itself, or standard input spooled to a temporary file when IN is `-`."""
    from . import api
    from .stdio import STREAM, StreamError, StreamTooLarge, stdin_as_file

    if args.source != STREAM:
        yield args.source
        return
    if not args.from_format:
        raise UsageError("reading standard input (IN is -) needs --from FORMAT")
    try:
        spec = api.get_format(args.from_format, reading=True)
        with stdin_as_file(spec, limits.max_total_bytes) as path:
            yield path
    except api.LpconvertError as exc:
        raise UsageError(str(exc)) from None
    except StreamError as exc:
        raise UsageError(str(exc)) from None
    except StreamTooLarge as exc:
        raise InputError(str(exc)) from None


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
    """`--report FILE.json`; `--report -` prints it on standard output."""
    if not path:
        return
    from .reports import ProblemReport

    text = ProblemReport.build(source, fmt, list(problems)).model_dump_json(indent=2) + "\n"
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def _pairs(items: Sequence[str], flag: str) -> dict[str, str]:
    from .options import OptionError, parse_pairs

    try:
        return parse_pairs(items, flag)
    except OptionError as exc:
        raise UsageError(str(exc)) from None


def _one_line_refusal(problems: Sequence[Problem]) -> Problem | None:
    """A `destination-exists` refusal: said as the one `lpconvert:` line of a usage error."""
    return next((p for p in problems if p.code == "destination-exists"), None)


def cmd_convert(args: argparse.Namespace) -> int:
    from . import api
    from .stdio import STREAM

    to_stdout = args.destination == STREAM
    if args.source != STREAM and os.path.abspath(args.source) == os.path.abspath(args.destination):
        raise UsageError("IN and OUT are the same path")
    if to_stdout and args.report == STREAM:
        raise UsageError("--report - and OUT - would both write to standard output; give --report FILE.json")
    limits = _limits(args)
    started = _clock()
    with _input(args, limits) as source, _output(args) as (destination, container):
        result = _with_progress(args, lambda progress: api.convert(
            source, destination, from_format=args.from_format, to=args.to, force=args.force, strict=args.strict,
            limits=limits, progress=progress, read_options=_pairs(args.read_option, "-I"),
            write_options=_pairs(args.option, "-O"), container=container, allow_loss=args.allow_loss))
        if to_stdout and result.ok:
            from .stdio import send

            send(destination)
    problems = result.problems
    refusal = _one_line_refusal(problems)
    if refusal is not None:
        raise Refused(refusal.message)
    print_problems(problems, args.quiet)
    _write_report(args.report, args.source, result.read.format, problems)
    if result.ok:
        assert result.write is not None
        _note(args, f"read {args.source} as {_plugin_of(result.read.format)}; wrote {_plugin_of(result.write.format)}"
              f" in {_clock() - started:.2f} s")
        if not args.quiet:
            where = "standard output" if to_stdout else args.destination
            sys.stderr.write(f"wrote {where} ({result.write.format}, from {result.read.format}); "
                             f"{_summary(problems)}\n")
        return EXIT_OK
    first = next((p for p in problems if p.is_error), None)
    reason = f": {first.message}" if first and len(problems) == 1 else f"; {_summary(problems)}"
    sys.stderr.write(f"lpconvert: nothing written to {args.destination}{reason}\n")
    return EXIT_INVALID


@contextmanager
def _output(args: argparse.Namespace) -> Iterator[tuple[str, str | None]]:
    """OUT as a path and the container to bundle it in: itself, or a temporary file whose
    finished bytes go to standard output when OUT is `-` (see lpconvert.stdio)."""
    from . import api
    from .stdio import STREAM, StreamError, stdout_spool, stdout_suffix

    if args.destination != STREAM:
        yield args.destination, args.container
        return
    if not args.to:
        raise UsageError("writing standard output (OUT is -) needs --to FORMAT")
    try:
        suffix = stdout_suffix(api.choose_output_format(STREAM, args.to), args.container)
    except api.LpconvertError as exc:
        raise UsageError(str(exc)) from None
    except StreamError as exc:
        raise UsageError(str(exc)) from None
    with stdout_spool(suffix) as path:
        yield path, None


def _with_progress(args: argparse.Namespace, run: Callable[[Any], Any]) -> Any:
    """`run(progress)` with the terminal's progress bar, erased afterwards; the library's
    usage errors become the command line's one-line ones."""
    from . import api

    progress = _progress(args)
    try:
        return run(progress)
    except api.DestinationNotReplaceable as exc:
        raise Refused(str(exc)) from None
    except api.LpconvertError as exc:
        raise UsageError(str(exc)) from None
    finally:
        progress.finish()


def _one_json_on_stdout(args: argparse.Namespace) -> None:
    if args.json and args.report == "-":
        raise UsageError("--json and --report - would both print on standard output; give --report FILE.json")


def cmd_validate(args: argparse.Namespace) -> int:
    from . import api

    _one_json_on_stdout(args)
    limits = _limits(args)
    started = _clock()
    with _input(args, limits) as source:
        result = _with_progress(args, lambda progress: api.validate(
            source, args.from_format, strict=args.strict, limits=limits, progress=progress))
    _note(args, f"read {args.source} as {_plugin_of(result.format)} in {_clock() - started:.2f} s")
    if args.json:
        _write_report("-", args.source, result.format, result.problems)
        return EXIT_OK if result.valid else EXIT_INVALID
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

    _one_json_on_stdout(args)
    limits = _limits(args)
    with _input(args, limits) as source:
        result = _with_progress(args, lambda progress: api.read(
            source, args.from_format, strict=args.strict, limits=limits, progress=progress))
        with result:
            _write_report(args.report, args.source, result.format, result.problems)
            if result.package is None:
                print_problems(result.problems, args.quiet)
                sys.stderr.write(f"{args.source}: INVALID; {_summary(result.problems)}\n")
                return EXIT_INVALID
            info = PackageInfo.build(result.package, result.format or "?")
            _note(args, f"read {args.source} as {_plugin_of(result.format)}")
            if args.source == "-":
                info = info.model_copy(update={"source": "-"})
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
    if args.json:
        from .reports import FormatOut, FormatsReport

        print(FormatsReport(formats=[FormatOut.of(spec) for spec in specs]).model_dump_json(indent=2))
        _say_failures(registry)
        return EXIT_OK
    if not specs:
        print("no formats are installed")
    for spec in specs:
        print("\n".join(_format_text(spec.describe(), detail=name is not None)))
    _say_failures(registry)
    return EXIT_OK


def _say_failures(registry: Any) -> None:
    for failed in registry.failures():
        sys.stderr.write(f"lpconvert: plugin {failed.name} failed to load: {failed.error}\n")


def cmd_plugins(args: argparse.Namespace) -> int:
    from .plugin_manager import get_registry

    registry = get_registry()
    build_parser()  # asks each plugin for its commands (register_commands), as a command line would
    if args.json:
        from .reports import PluginOut, PluginsReport

        plugins = [PluginOut(name=p.name, module=p.module, status=p.status,  # type: ignore[arg-type]
                             distribution=p.distribution,
                             version=p.version, formats=list(p.formats), error=p.error)
                   for p in sorted(registry.plugins.values(), key=lambda p: p.name)]
        print(PluginsReport(plugins=plugins).model_dump_json(indent=2))
        return EXIT_OK
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
    if args.report:
        from .reports import report_schema

        print(json.dumps(report_schema(args.report), indent=2, sort_keys=True))
        return EXIT_OK
    from .model import json_schema

    print(json.dumps(json_schema(), indent=2, sort_keys=True))
    return EXIT_OK


def cmd_help(args: argparse.Namespace) -> int:
    """`lpconvert help [COMMAND]`: the same text as `lpconvert [COMMAND] --help`."""
    parser = build_parser()
    if args.topic is None:
        parser.print_help()
        return EXIT_OK
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    topics = [c for c in sub.choices if c != "help"]
    if args.topic not in topics:
        raise UsageError(f"no command {args.topic!r} (choose from {', '.join(topics)})")
    sub.choices[args.topic].print_help()
    return EXIT_OK


def cmd_merge(args: argparse.Namespace) -> int:
    from . import api
    from .merge import merge

    if os.path.abspath(args.destination) in {os.path.abspath(args.base), os.path.abspath(args.incoming)}:
        raise UsageError("OUT must be a new path, not BASE or INCOMING")
    started = _clock()
    try:
        spec = None if args.dry_run else api.choose_output_format(args.destination, args.to)
        api.check_allow_loss(args.allow_loss)
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
                                    strict=args.strict, allow_loss=args.allow_loss,
                                    inputs=[args.base, args.incoming])
                problems += written.problems
                refusal = _one_line_refusal(written.problems)
                if refusal is not None:
                    raise Refused(refusal.message)
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
        _note(args, f"read {args.base} as {_plugin_of(base.format)} and {args.incoming} as "
              f"{_plugin_of(incoming.format)}; wrote {_plugin_of(written.format)} in {_clock() - started:.2f} s")
        if not args.quiet:
            sys.stderr.write(f"wrote {args.destination} ({written.format}): {counts}; {_summary(problems)}\n")
        return EXIT_OK
    sys.stderr.write(f"lpconvert: nothing written to {args.destination}; {_summary(problems)}\n")
    return EXIT_INVALID


HANDLERS = {"convert": cmd_convert, "validate": cmd_validate, "info": cmd_info, "formats": cmd_formats,
            "plugins": cmd_plugins, "schema": cmd_schema, "merge": cmd_merge, "help": cmd_help}


def cmd_batch(args: argparse.Namespace) -> int:
    from .batch.command import cmd_batch as run_batch

    return run_batch(args)


def cmd_completion(args: argparse.Namespace) -> int:
    from .completion import CompletionUnavailable
    from .completion import cmd_completion as print_script

    try:
        return print_script(args)
    except CompletionUnavailable as exc:
        raise UsageError(str(exc)) from None


HANDLERS["batch"] = cmd_batch
HANDLERS["completion"] = cmd_completion


TOP_LEVEL_OPTIONS = ("-h", "--help", "--version")


def with_default_command(argv: list[str], commands: Collection[str] = COMMANDS) -> list[str]:
    """`lpconvert IN OUT ...` (and `lpconvert -t json IN OUT`) is `lpconvert convert ...`: the
    first word that is not an option (or is `-`) is one of `commands`, or else IN."""
    if not argv or argv[0] in TOP_LEVEL_OPTIONS:
        return argv
    first = next((a for a in argv if a == "-" or not a.startswith("-")), None)
    return argv if first is None or first in commands else ["convert", *argv]


def main(argv: Sequence[str] | None = None) -> int:
    from .interrupts import Terminated, stop_cleanly, written

    argv = list(sys.argv[1:] if argv is None else argv)
    # pydantic scans every installed distribution for its own plugins before the first model is
    # built; the command line uses none, so skip the scan (the library API leaves it alone).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    completing = "_ARGCOMPLETE" in os.environ
    first = next((a for a in argv if a == "-" or not a.startswith("-")), None)
    # A core command needs no plugin commands: leave the plugins unloaded, so it starts fast.
    parser = build_parser(with_plugins=completing or first not in COMMANDS)
    if completing:
        from .completion import complete

        complete(parser)  # answers the shell and exits
        return EXIT_OK  # (only without argcomplete: nothing to answer)
    argv = with_default_command(argv, (*COMMANDS, *parser.plugin_commands))  # type: ignore[attr-defined]
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
