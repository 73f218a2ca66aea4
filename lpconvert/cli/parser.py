"""The command line's grammar: every command, option and help text, built with argparse.

Building it imports nothing heavy (no pydantic, no plugins unless asked), because
`lpconvert --help` and shell completion build it on every call and must answer at once.
"""

from __future__ import annotations

import argparse
from collections.abc import Collection

from .errors import UsageError

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


class _Parser(argparse.ArgumentParser):
    """argparse, with a one-line usage error instead of its usage block and exit."""

    plugin_commands: frozenset[str] = frozenset()
    """The subcommands plugins added (`register_commands`), when they were asked."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """One line, naming where the help is, instead of argparse's usage block and exit."""
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        jobs = -1
    if jobs < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number, 0 for every core (got {text!r})")
    return jobs


def _add_jobs(p: argparse.ArgumentParser) -> None:
    p.add_argument("-j", "--jobs", type=_jobs, default=1, metavar="N",
                   help="parse a large package's files in N processes (0: one per core; default 1). "
                   "Pays only on idle cores; small packages always use one")


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
    _add_jobs(conv)
    _add_common(conv)

    val = sub.add_parser("validate", help="report every problem in IN",
                         description="Report every problem in IN, grouped by file. Exit 0 when valid, 1 when not.")
    val.add_argument("source", metavar="IN", help="the package to check (- for standard input)")
    val.add_argument("--json", action="store_true", help="print the problem report as JSON on stdout "
                     "(`lpconvert schema --report problems`)")
    _add_jobs(val)
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
    mrg.add_argument("base", metavar="BASE", help="the package to update (kept as is; OUT gets the result); "
                     "- reads standard input (with --from)")
    mrg.add_argument("incoming", metavar="INCOMING", help="the package whose content is applied; - reads "
                     "standard input (with --from)")
    mrg.add_argument("destination", metavar="OUT", help="where to write the merged package; - writes standard "
                     "output (with --to; the merge report then goes to stderr)")
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
    from ..batch.command import add_batch_parser

    add_batch_parser(sub)
    helper = sub.add_parser("help", help="show the help of lpconvert or of one command",
                            description="Show the help of lpconvert, or of COMMAND.")
    helper.add_argument("topic", nargs="?", metavar="COMMAND",
                        help="the command to explain (a plugin's too, such as html's preview)")
    from ..completion import add_completion_parser

    add_completion_parser(sub)
    for name, what in (("formats", "the formats"), ("plugins", "the plugins")):
        sub.choices[name].add_argument("--json", action="store_true", help=f"print {what} as JSON "
                                       f"(`lpconvert schema --report {name}`)")
    if with_plugins:
        from ..plugin_manager import get_registry

        before = set(sub.choices)
        get_registry().add_commands(sub, set(before))
        parser.plugin_commands = frozenset(set(sub.choices) - before)
    return parser


REPORT_NAMES = ("problems", "info", "formats", "plugins", "batch-record")
"""`lpconvert.reports.REPORTS`' keys, named here so that building the parser imports no pydantic."""


TOP_LEVEL_OPTIONS = ("-h", "--help", "--version")


def with_default_command(argv: list[str], commands: Collection[str] = COMMANDS) -> list[str]:
    """`lpconvert IN OUT ...` (and `lpconvert -t json IN OUT`) is `lpconvert convert ...`: the
    first word that is not an option (or is `-`) is one of `commands`, or else IN."""
    if not argv or argv[0] in TOP_LEVEL_OPTIONS:
        return argv
    first = next((a for a in argv if a == "-" or not a.startswith("-")), None)
    return argv if first is None or first in commands else ["convert", *argv]

