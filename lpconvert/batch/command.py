"""`lpconvert batch`: its options and its handler. cli.py only registers them.

Exit codes as everywhere: 0 every package converted (or validated), 1 any package failed or
timed out, 2 a usage error (bad option, no input, an output that exists, Dask missing).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from collections import Counter
from typing import Any, TextIO

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_REPORT = "lpconvert-batch.jsonl"
DEFAULT_TIMEOUT = 1800.0
INSTALL_HINT = "batch mode needs Dask; install it with: pip install 'lpconvert[batch]'"
FAILURES_SHOWN = 10


def add_batch_parser(sub: Any) -> None:
    p = sub.add_parser(
        "batch", help="convert or validate many packages on Dask",
        description="Convert every package in INPUT... to FORMAT under DEST, one Dask task per package, on a "
        "LocalCluster (one worker process per core) or a running scheduler. Without --to, validate every input "
        "and write only the report. See docs/batch.md.")
    p.add_argument("inputs", nargs="*", metavar="INPUT", help="files, directories (each package inside), globs, "
                   "or fsspec URLs and globs (s3://bucket/exports/*.tar.gz)")
    p.add_argument("-t", "--to", metavar="FORMAT", help="output format; without it every input is only validated")
    p.add_argument("--out", metavar="DEST", help="directory or fsspec URL the outputs go to")
    p.add_argument("--validate-only", action="store_true", help="validate every input, write only the report")
    engine = p.add_mutually_exclusive_group()
    engine.add_argument("--workers", type=int, metavar="N", help="worker processes of the local cluster "
                        "(default: one per core)")
    engine.add_argument("--scheduler", metavar="ADDRESS", help="use a running Dask scheduler, e.g. "
                        "tcp://host:8786 (default: $DASK_SCHEDULER_ADDRESS, else a local cluster)")
    p.add_argument("--memory-limit", default="auto", metavar="SIZE", help="memory limit of each local worker, "
                   "e.g. 2GB (default: the machine's memory shared between the workers)")
    p.add_argument("--report", default=DEFAULT_REPORT, metavar="FILE.jsonl",
                   help=f"one JSON line per input (default: {DEFAULT_REPORT})")
    p.add_argument("--resume", action="store_true", help="skip inputs the report says an earlier run converted, "
                   "unchanged and with their output still there")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                   help=f"stop a package after SECONDS (default {DEFAULT_TIMEOUT:g})")
    p.add_argument("--force", action="store_true", help="replace outputs that already exist")
    p.add_argument("--strict", action="store_true", help="treat warnings (unknown fields, losses) as errors")
    p.add_argument("--allow-loss", action="append", default=[], metavar="KIND",
                   help="accept this kind of loss under --strict (repeatable or comma-separated)")
    p.add_argument("-f", "--from", dest="from_format", metavar="FORMAT", help="read every input as FORMAT")
    p.add_argument("-O", "--option", action="append", default=[], metavar="KEY=VALUE",
                   help="format-specific option for the writer (repeatable)")
    p.add_argument("-I", "--read-option", action="append", default=[], metavar="KEY=VALUE",
                   help="format-specific option for the reader (repeatable)")
    p.add_argument("--schema", action="store_true", help="print the JSON Schema of a report line and exit")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary table, only the failures")


def cmd_batch(args: argparse.Namespace) -> int:
    from ..cli import UsageError

    if args.schema:
        from ..reports import batch_record_schema

        print(json.dumps(batch_record_schema(), indent=2, sort_keys=True))
        return EXIT_OK
    # Dask's own log (worker restarts, heartbeats failing while a cluster stops) is for Dask's
    # users; the report and the summary say what happened to each package. Read at import.
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "critical")
    if not _installed("distributed"):
        raise UsageError(INSTALL_HINT)
    if not args.inputs:
        raise UsageError("batch needs at least one INPUT")
    to = None if args.validate_only else args.to
    if to is not None and not args.out:
        raise UsageError("--to needs --out DEST")
    if to is None and args.out and not args.validate_only:
        raise UsageError("--out needs --to FORMAT (without --to, batch only validates)")
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.timeout <= 0:
        raise UsageError("--timeout must be more than 0 seconds")
    if args.memory_limit != "auto":
        from dask.utils import parse_bytes

        try:
            parse_bytes(args.memory_limit)
        except ValueError:
            raise UsageError(f"--memory-limit {args.memory_limit!r} is not a size (e.g. 2GB, 512MiB)") from None
    if not os.path.isdir(os.path.dirname(os.path.abspath(args.report))):
        raise UsageError(f"--report {args.report}: its directory does not exist")
    allow_loss = [kind.strip() for item in args.allow_loss for kind in item.split(",") if kind.strip()]
    if not (args.scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS")):
        # local workers: they import on the other core while this process checks and plans
        from .forkserver import start

        start()
    return _run(args, to, allow_loss, *_checked_options(args, to))


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _checked_options(args: argparse.Namespace, to: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """-I and -O, refused up front when a key or value is one no format declares (-O against
    --to's format; -I against every readable format, since each input's is found later)."""
    from .. import api
    from ..cli import UsageError
    from ..options import OptionError, check_reader_keys, parse_pairs
    from ..plugin_manager import get_registry

    try:
        read_options, write_options = parse_pairs(args.read_option, "-I"), parse_pairs(args.option, "-O")
        check_reader_keys(get_registry().readable(), read_options)
        if to is not None:
            api.checked_options(api.get_format(to), write_options, "writer")
        elif write_options:
            raise OptionError("-O needs --to FORMAT (the writer the options are for)")
    except (OptionError, api.LpconvertError) as exc:
        raise UsageError(str(exc)) from None
    return read_options, write_options


def _run(args: argparse.Namespace, to: str | None, allow_loss: list[str], read_options: dict[str, str],
         write_options: dict[str, str]) -> int:
    from ..api import LpconvertError
    from ..cli import UsageError
    from .engine import convert_many
    from .plan import PlanError
    from .progress import QuietBatchProgress, for_terminal
    from .resume import read_report

    started = time.monotonic()
    counts: Counter[str] = Counter()
    failures: list[tuple[str, str]] = []
    progress = QuietBatchProgress()  # until planning says how many packages there are
    report: TextIO | None = None  # opened once planning has succeeded: a usage error leaves it as it was

    def planned(total: int) -> None:
        nonlocal progress
        progress = for_terminal(total)

    def running(slots: int) -> None:
        progress.start(slots)

    try:
        previous = read_report(args.report) if args.resume else None
        records = convert_many(args.inputs, to, args.out if to else None, workers=args.workers,
                               scheduler=args.scheduler,
                               memory_limit=args.memory_limit, from_format=args.from_format, strict=args.strict,
                               allow_loss=allow_loss, timeout=args.timeout, force=args.force, previous=previous,
                               read_options=read_options, write_options=write_options,
                               exclude=[args.report], on_plan=planned,
                               on_start=running)
        for record in records:
            if report is None:
                report = open(args.report, "a" if args.resume else "w", encoding="utf-8")
            report.write(record.model_dump_json() + "\n")
            report.flush()
            counts[record.status] += 1
            if record.status in ("failed", "timeout"):
                failures.append((record.input, record.error or record.status))
            progress.record(record.status)
    except (PlanError, LpconvertError) as exc:
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        sys.stderr.write(f"lpconvert: interrupted; {sum(counts.values())} finished packages are in "
                         f"{args.report}; run again with --resume to go on\n")
        return 130
    finally:
        progress.finish()
        if report is not None:
            report.close()
    _summary(args, counts, failures, time.monotonic() - started)
    return EXIT_FAILED if failures else EXIT_OK


def _summary(args: argparse.Namespace, counts: Counter[str], failures: list[tuple[str, str]],
             seconds: float) -> None:
    out = sys.stderr
    for path, error in failures[:FAILURES_SHOWN]:
        out.write(f"{path}: {error}\n")
    if len(failures) > FAILURES_SHOWN:
        out.write(f"... and {len(failures) - FAILURES_SHOWN} more failures (see {args.report})\n")
    if args.quiet:
        return
    total = sum(counts.values())
    out.write(f"{'status':<10} {'packages':>8}\n")
    for status in ("ok", "skipped", "failed", "timeout"):
        out.write(f"{status:<10} {counts.get(status, 0):>8}\n")
    out.write(f"{'total':<10} {total:>8}   in {seconds:.1f} s; report: {args.report}\n")
