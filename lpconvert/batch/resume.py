"""`--resume`: which packages a previous run of the same batch already finished.

A package is finished when its last record in the report is `ok` (or `skipped`, which a
resumed run writes for a package an earlier run finished), for the same output and output
format, with the input's fingerprint unchanged, and its output still exists. Outputs are
written atomically and a record is written only after its output, so a batch killed at any
moment leaves no record claiming an output that is not complete.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

import fsspec
from pydantic import ValidationError

from ..reports import BatchRecord
from .plan import Job, PlanError


def read_report(path: str) -> list[BatchRecord]:
    """The records of a report file; a missing file is an empty report (nothing finished).
    A last line cut short by a kill is ignored; any other bad line is an error."""
    try:
        with fsspec.open(path, "rt", encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return []
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(BatchRecord.model_validate(json.loads(line), strict=False))
        except (ValueError, ValidationError) as exc:
            if number == len(lines):
                break
            first = str(exc).splitlines()[0]
            raise PlanError(f"{path}: line {number} is not a batch record ({first})") from None
    return records


def finished(jobs: Iterable[Job], previous: Iterable[BatchRecord]) -> Iterator[tuple[Job, BatchRecord | None]]:
    """Each job with the earlier record that finished it, or None when it must run."""
    last: dict[str, BatchRecord] = {}
    for record in previous:
        last[record.input] = record
    pending = []
    for job in jobs:
        record = last.get(job.input)
        done = (record is not None and record.status in ("ok", "skipped") and record.output == job.output
                and record.format_out == job.to and record.fingerprint == job.fingerprint)
        pending.append((job, record if done else None))
    # one existence check per finished output, after the cheap comparisons
    for job, record in pending:
        if record is not None and job.output is not None and not _exists(job.output):
            record = None
        yield job, record


def _exists(url: str) -> bool:
    fs, path = fsspec.core.url_to_fs(url)
    return bool(fs.exists(path))


def skipped(record: BatchRecord) -> BatchRecord:
    """What a resumed run reports for a package an earlier run finished."""
    return record.model_copy(update={"status": "skipped", "seconds": 0.0, "worker": None, "peak_memory": None})
