"""The commands that describe the installation: formats, plugins, schema, help.

They read the plugin registry (or nothing), never a package.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .errors import EXIT_OK, UsageError
from .parser import build_parser


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
    from ..plugin_manager import get_registry

    registry = get_registry()
    name = getattr(args, "name", None)
    if name is not None:
        from ..api import LpconvertError, get_format

        try:
            specs = [get_format(name)]
        except LpconvertError as exc:
            raise UsageError(str(exc)) from None
    else:
        specs = sorted(registry.formats.values(), key=lambda s: s.name)
    if args.json:
        from ..reports import FormatOut, FormatsReport

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
    from ..plugin_manager import get_registry

    registry = get_registry()
    build_parser()  # asks each plugin for its commands (register_commands), as a command line would
    if args.json:
        from ..reports import PluginOut, PluginsReport

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
        from ..reports import report_schema

        print(json.dumps(report_schema(args.report), indent=2, sort_keys=True))
        return EXIT_OK
    from ..model import json_schema

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
