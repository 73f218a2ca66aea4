"""The commands that read packages: convert, validate, info, merge; and batch and completion,
which live in their own modules and are only called from here.

Each parses nothing itself (argparse did) and decides nothing the library decides: it calls
`lpconvert.api`, then prints what happened.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from .errors import EXIT_INVALID, EXIT_OK, Refused, UsageError
from .output import human, note, one_line_refusal, plugin_of, print_problems, summary, write_report
from .runtime import (
    api_errors_as_usage,
    clock,
    input_path,
    limits_from,
    one_json_on_stdout,
    output_path,
    package_alone_on_stdout,
    pairs,
    stdin_or_path,
    with_progress,
)


def cmd_convert(args: argparse.Namespace) -> int:
    from .. import api
    from ..stdio import STREAM

    to_stdout = args.destination == STREAM
    if args.source != STREAM and os.path.abspath(args.source) == os.path.abspath(args.destination):
        raise UsageError("IN and OUT are the same path")
    package_alone_on_stdout(args)
    limits = limits_from(args)
    started = clock()
    with input_path(args, limits) as source, output_path(args) as (destination, container):
        result = with_progress(args, lambda progress: api.convert(
            source, destination, from_format=args.from_format, to=args.to, force=args.force, strict=args.strict,
            limits=limits, progress=progress, read_options=pairs(args.read_option, "-I"),
            write_options=pairs(args.option, "-O"), container=container, allow_loss=args.allow_loss,
            jobs=args.jobs))
        if to_stdout and result.ok:
            from ..stdio import send

            send(destination)
    problems = result.problems
    refusal = one_line_refusal(problems)
    if refusal is not None:
        raise Refused(refusal.message)
    print_problems(problems, args.quiet)
    write_report(args.report, args.source, result.read.format, problems)
    if result.ok:
        assert result.write is not None
        note(args, lambda: f"read {args.source} as {plugin_of(result.read.format)}; wrote {plugin_of(result.write.format)}"
             f" in {clock() - started:.2f} s")
        if not args.quiet:
            where = "standard output" if to_stdout else args.destination
            sys.stderr.write(f"wrote {where} ({result.write.format}, from {result.read.format}); "
                             f"{summary(problems)}\n")
        return EXIT_OK
    first = next((p for p in problems if p.is_error), None)
    reason = f": {first.message}" if first and len(problems) == 1 else f"; {summary(problems)}"
    sys.stderr.write(f"lpconvert: nothing written to {args.destination}{reason}\n")
    return EXIT_INVALID


def cmd_validate(args: argparse.Namespace) -> int:
    from .. import api

    one_json_on_stdout(args)
    limits = limits_from(args)
    started = clock()
    with input_path(args, limits) as source:
        result = with_progress(args, lambda progress: api.validate(
            source, args.from_format, strict=args.strict, limits=limits, progress=progress, jobs=args.jobs))
    note(args, lambda: f"read {args.source} as {plugin_of(result.format)} in {clock() - started:.2f} s")
    if args.json:
        write_report("-", args.source, result.format, result.problems)
        return EXIT_OK if result.valid else EXIT_INVALID
    print_problems(result.problems, args.quiet)
    write_report(args.report, args.source, result.format, result.problems)
    if not args.quiet or not result.valid:
        state = "valid" if result.valid else "INVALID"
        fmt = f" {result.format}" if result.format else ""
        sys.stderr.write(f"{args.source}: {state}{fmt}; {summary(result.problems)}\n")
    return EXIT_OK if result.valid else EXIT_INVALID


def cmd_info(args: argparse.Namespace) -> int:
    from .. import api
    from ..reports import PackageInfo

    one_json_on_stdout(args)
    limits = limits_from(args)
    with input_path(args, limits) as source:
        result = with_progress(args, lambda progress: api.read(
            source, args.from_format, strict=args.strict, limits=limits, progress=progress))
        with result:
            write_report(args.report, args.source, result.format, result.problems)
            if result.package is None:
                print_problems(result.problems, args.quiet)
                sys.stderr.write(f"{args.source}: INVALID; {summary(result.problems)}\n")
                return EXIT_INVALID
            info = PackageInfo.build(result.package, result.format or "?")
            note(args, lambda: f"read {args.source} as {plugin_of(result.format)}")
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
    print(f"media:       {info.media_files} files, {human(info.media_bytes)} ({info.static_files} distinct static files)")
    if result.problems and not args.quiet:
        sys.stderr.write(f"{summary(result.problems)} (run `lpconvert validate` for details)\n")
    return EXIT_OK


def cmd_merge(args: argparse.Namespace) -> int:
    from ..stdio import STREAM

    if args.base == STREAM and args.incoming == STREAM:
        raise UsageError("only one of BASE and INCOMING can be - (standard input)")
    package_alone_on_stdout(args)
    if args.destination != STREAM and \
            os.path.abspath(args.destination) in {os.path.abspath(args.base), os.path.abspath(args.incoming)}:
        raise UsageError("OUT must be a new path, not BASE or INCOMING")
    limits = limits_from(args)
    with stdin_or_path(args.base, args.from_format, limits, "BASE") as base, \
            stdin_or_path(args.incoming, args.from_format, limits, "INCOMING") as incoming, \
            output_path(args) as (destination, _):
        return _merge(args, base, incoming, destination, limits)


def _merge(args: argparse.Namespace, base: str, incoming: str, destination: str, limits: Any) -> int:
    """`cmd_merge` once `-` has become a path on each side."""
    from .. import api
    from ..stdio import STREAM, send

    to_stdout = args.destination == STREAM
    where = "standard output" if to_stdout else args.destination
    started = clock()
    with api_errors_as_usage():
        run = api.merge(base, incoming, None if args.dry_run else destination, to=args.to,
                        from_format=args.from_format, force=args.force, strict=args.strict, limits=limits,
                        allow_loss=args.allow_loss)
    problems, merged, written = run.problems, run.merged, run.write
    if merged is None or merged.package is None:
        print_problems(problems, args.quiet)
        write_report(args.report, args.incoming, run.incoming.format, problems)
        invalid = run.invalid_inputs
        why = f"{' and '.join(invalid)} {'is' if len(invalid) == 1 else 'are'} invalid" \
            if invalid else "the merged package would be invalid"
        sys.stderr.write(f"lpconvert: nothing written to {where}: {why}; {summary(problems)}\n")
        return EXIT_INVALID
    for line in merged.report.lines(list_unchanged=args.list_unchanged):
        print(line, file=sys.stderr if to_stdout else sys.stdout)  # stdout may be the package
    refusal = one_line_refusal(written.problems) if written is not None else None
    if refusal is not None:
        raise Refused(refusal.message)
    print_problems(problems, args.quiet)
    write_report(args.report, args.incoming, run.incoming.format, problems)
    counts = ", ".join(f"{n} {action}" for action, n in merged.report.counts().items())
    if written is None:
        if not args.quiet:
            sys.stderr.write(f"dry run: nothing written; {counts}; {summary(problems)}\n")
        return EXIT_OK
    if written.ok:
        if to_stdout:
            send(destination)
        note(args, lambda: f"read {args.base} as {plugin_of(run.base.format)} and {args.incoming} as "
             f"{plugin_of(run.incoming.format)}; wrote {plugin_of(written.format)} in {clock() - started:.2f} s")
        if not args.quiet:
            sys.stderr.write(f"wrote {where} ({written.format}): {counts}; {summary(problems)}\n")
        return EXIT_OK
    sys.stderr.write(f"lpconvert: nothing written to {where}; {summary(problems)}\n")
    return EXIT_INVALID


def cmd_batch(args: argparse.Namespace) -> int:
    from ..batch.command import cmd_batch as run_batch

    return run_batch(args)


def cmd_completion(args: argparse.Namespace) -> int:
    from ..completion import CompletionUnavailable
    from ..completion import cmd_completion as print_script

    try:
        return print_script(args)
    except CompletionUnavailable as exc:
        raise UsageError(str(exc)) from None
