"""The per-package task a Dask worker runs: one package in, one plain record (a dict) out.

Where the conversion runs: in one of the worker's converter children
(`lpconvert.batch.converter`), forked once from the worker after it imported lpconvert and
every plugin (`_warm_up`), and reused from package to package; the task waits for the
record with the package's deadline and the worker's memory limit, and the child is killed
when it passes either.

The task never raises: whatever goes wrong inside becomes the package's record, so one bad
package never stops the batch. Where fork does not exist (Windows) the conversion runs in
the worker's thread and `--timeout` cannot stop it.
"""

from __future__ import annotations

import codecs
import gc
import os
import time
from collections import Counter
from typing import Any

from ..reports import BATCH_PROBLEMS_KEPT, ProblemOut
from .converter import ChildDied, Stopped, give_back, take
from .plan import Job

_imports_warm = False
_worker_warm = False


def run_job(job: Job) -> dict[str, Any]:
    """The Dask task: convert (or validate) `job` in a child with a deadline; never raises."""
    started = time.perf_counter()
    worker, memory_limit = _worker()
    try:
        _warm_up(job)
        # the deadline is the package's: a worker's first warm-up (imports, on a busy machine
        # seconds) is not counted against it
        started = time.perf_counter()
        if not hasattr(os, "fork"):
            record = convert_one(job)
        else:
            record = _in_converter(job, started, memory_limit)
    except Exception as exc:  # the boundary: nothing crosses it
        record = failed_record(job, f"internal error: {type(exc).__name__}: {exc}", time.perf_counter() - started)
    record["worker"] = worker
    return record


def _worker() -> tuple[str | None, int | None]:
    try:
        from distributed import get_worker

        worker = get_worker()
        return worker.address, worker.memory_manager.memory_limit
    except (ImportError, ValueError):
        return None, None


def _warm_up(job: Job) -> None:
    """Import, once per worker, everything a conversion would otherwise import in its
    converter child (`warm_imports`), and the fsspec filesystem of each protocol the jobs use.

    The converter children are forked from the worker: what the worker imported before the
    fork, every child has without importing it, and a child that is replaced (after a timeout
    or a crash) starts warm too."""
    global _worker_warm
    imported = not _worker_warm
    if not _worker_warm:
        warm_imports()
        _worker_warm = True
    for location in (job.input, job.output):
        imported |= _warm_protocol(location)
    if not imported:
        return
    # Move everything imported so far out of the collector's sight: a child's garbage
    # collection then does not touch (and copy) every page the worker's objects live on.
    gc.freeze()


def warm_imports() -> None:
    """Import every format's reader, writer and loss detectors, the modules the pipeline
    imports on first use and the text codecs archives need, once per process (measured: the consistency check's import alone was 9% of a small
    package's time when each package's process imported it again)."""
    global _imports_warm
    if _imports_warm:
        return
    from .. import api  # noqa: F401
    from ..plugin_manager import get_registry

    for spec in get_registry().formats.values():
        loads = ((spec.load_reader, spec.can_read), (spec.load_writer, spec.can_write),
                 (spec.load_loss_detectors, spec.can_write))
        for load, can in loads:
            if can:
                try:
                    load()
                except Exception:  # a broken plugin fails its own packages, with its own message
                    pass
    # imported on first use by api.read / api.write / api.convert
    from .. import compact, consistency, destination, fastcheck, losses, validation  # noqa: F401

    for codec in ("cp437", "utf-8-sig"):  # zip member names; BOM-tolerant text
        codecs.lookup(codec)
    _imports_warm = True


_warm_protocols: set[str] = set()


def _warm_protocol(location: str | None) -> bool:
    """Import the fsspec filesystems a URL needs (s3fs, ...), once per worker and protocol;
    True when this call imported something. A URL is what storage sends through fsspec
    (`storage.location.is_url`); each link of a chained URL (`simplecache::s3://...`) counts."""
    from ..storage.location import is_url

    if not location or not is_url(location):
        return False
    from fsspec.core import split_protocol

    imported = False
    links = location.split("::")
    for i, link in enumerate(links):
        # every link but the last may be a bare protocol name: `simplecache::s3://...`
        protocol = split_protocol(link)[0] or (link if i < len(links) - 1 else None)
        if protocol is None or protocol in _warm_protocols:
            continue
        _warm_protocols.add(protocol)
        imported = True
        try:
            import fsspec

            fsspec.get_filesystem_class(protocol)
        except Exception:  # an unknown protocol fails its package with the storage layer's message
            pass
    return imported


def _in_converter(job: Job, started: float, memory_limit: int | None) -> dict[str, Any]:
    """Convert `job` in one of the worker's converter children, within its deadline."""
    try:
        try:
            return _converted(job, started + job.timeout, memory_limit)
        except ChildDied as death:
            if not death.before_job:
                raise
            # the child had died while idle and the package never started: a new child, once
            return _converted(job, started + job.timeout, memory_limit)
    except Stopped as stop:
        _remove_leftovers(job)
        return failed_record(job, stop.why, time.perf_counter() - started, status=stop.status)
    except ChildDied as death:
        _remove_leftovers(job)
        return failed_record(job, f"the conversion process died ({death.reason})", time.perf_counter() - started)


def _converted(job: Job, deadline: float, memory_limit: int | None) -> dict[str, Any]:
    converter = take()
    record = converter.convert(job, deadline, memory_limit)
    give_back(converter)
    return record


def _remove_leftovers(job: Job) -> None:
    """A package stopped mid-write leaves the temporary sibling its atomic write was filling."""
    if job.output is not None:
        _remove_stale_temporaries(job.output)


def convert_one(job: Job) -> dict[str, Any]:
    """Convert or validate one package in this process, as `lpconvert` would; never raises."""
    from .. import api

    started = time.perf_counter()
    try:
        if job.output is None:
            validated = api.validate(job.input, job.from_format, strict=job.strict)
            ok, problems, fmt_in, written = validated.valid, validated.problems, validated.format, 0
        else:
            _remove_stale_temporaries(job.output)
            result = api.convert(job.input, job.output, from_format=job.from_format, to=job.to, force=True,
                                 strict=job.strict, read_options=dict(job.read_options),
                                 write_options=dict(job.write_options), allow_loss=job.allow_loss)
            ok, problems, fmt_in = result.ok, result.problems, result.read.format
            written = _stored_size(job.output) if result.ok else 0
    except Exception as exc:
        return failed_record(job, f"{type(exc).__name__}: {exc}" if not _is_usage(exc) else str(exc),
                             time.perf_counter() - started)
    first_error = next((p for p in problems if p.is_error), None)
    error = None if ok else (f"{first_error.message} ({first_error.code})" if first_error else "nothing was written")
    return _record(job, "ok" if ok else "failed", error, problems, time.perf_counter() - started,
                   fmt_in, written)


def _stored_size(url: str) -> int:
    """The output's size as stored (a zip's compressed size, a directory's files together)."""
    import fsspec

    fs, path = fsspec.core.url_to_fs(url)
    return int(fs.du(path, total=True))


def _is_usage(exc: Exception) -> bool:
    from ..api import LpconvertError

    return isinstance(exc, LpconvertError)


def _remove_stale_temporaries(output: str) -> None:
    """A package stopped mid-write (timeout, memory, a killed worker) leaves the temporary
    sibling its atomic write was filling: cleared at once, by the same rule every local write
    uses (`clean_leftovers`: only a dead process's siblings), so a batch leaves none behind."""
    if "://" in output:
        return
    from ..storage.leftovers import clean_leftovers

    clean_leftovers(output)


def _record(job: Job, status: str, error: str | None, problems: list[Any], seconds: float,
            format_in: str | None, bytes_out: int) -> dict[str, Any]:
    from ..problems import sort_key

    errors = Counter(p.code for p in problems if p.is_error)
    warnings_ = Counter(p.code for p in problems if not p.is_error)
    first = sorted(problems, key=lambda p: (not p.is_error, sort_key(p)))[:BATCH_PROBLEMS_KEPT]
    return {
        "input": job.input, "output": job.output, "format_in": format_in, "format_out": job.to,
        "status": status, "error": error, "errors": dict(sorted(errors.items())),
        "warnings": dict(sorted(warnings_.items())),
        "problems": [ProblemOut.of(p).model_dump() for p in first],
        "seconds": round(seconds, 4), "bytes_in": job.bytes_in, "bytes_out": bytes_out,
        "fingerprint": job.fingerprint, "worker": None, "peak_memory": None,
    }


def failed_record(job: Job, error: str, seconds: float, status: str = "failed") -> dict[str, Any]:
    """The record of a package that produced no result of its own (timeout, crash, dead worker)."""
    return _record(job, status, error, [], seconds, None, 0)

