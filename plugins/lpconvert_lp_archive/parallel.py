"""Parsing an archive's TOML files in worker processes (`--jobs N`).

Why processes: `tomllib` and `zipfile` are pure Python and hold the GIL, so threads cannot
share the parsing; TOML parsing and reading the members are about half of `validate
lp-archive` (docs/performance.md). Each worker opens the archive once (the pool's
initializer): reopening it per chunk cost ten times the parse itself. Chunks of
`CHUNK` member names keep pickling small against the work, and results come back in
input order (`Executor.map`), so the package, every problem and every output are the same
for any N.

A pool pays its start-up whatever the package's size, so small packages (fewer than
`THRESHOLD` TOML files: a course export of a few hundred) are parsed in the process
whatever N says.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from lpconvert.plugin import Limits, Problem, Source, SourceError

CHUNK = 256
"""TOML files per task handed to a worker."""

THRESHOLD = 1000
"""Fewer TOML files than this are parsed in the process whatever `jobs` says."""

Parse = Callable[[Source, str, list[Problem]], "dict[str, Any] | None"]
Parsed = tuple[str, "dict[str, Any] | None", list[Problem]]

_worker: tuple[Source, Parse] | None = None


def workers_for(jobs: int, files: int, location: str | None) -> int:
    """How many processes parse `files` TOML files: 1 (in this process) for a small package,
    `jobs == 1`, or a source a worker cannot open again by its name."""
    if jobs == 1 or files < THRESHOLD or location is None:
        return 1
    wanted = (os.cpu_count() or 1) if jobs <= 0 else jobs
    return max(1, min(wanted, -(-files // CHUNK)))


def _open_in_worker(location: str, limits: Limits, parse: Parse) -> None:
    """Each worker opens the archive itself: a file handle shared across `fork` would have
    two processes seeking the same file under each other."""
    global _worker
    _worker = (Source.from_location(location, limits), parse)


def _parse_chunk(paths: list[str]) -> list[Parsed]:
    assert _worker is not None, "the pool's initializer opens the archive"
    source, parse = _worker
    out = []
    for path in paths:
        problems: list[Problem] = []
        out.append((path, parse(source, path, problems), problems))
    return out


def parse_all(source: Source, paths: list[str], parse: Parse, jobs: int) -> Iterator[Parsed]:
    """(path, parsed document or None, its problems) for each of `paths`, in their order.

    `parse(source, path, problems)` is the reader's own parser; in a worker it runs on the
    worker's copy of the source. A worker that dies (killed, out of memory) ends the read
    with one `SourceError` naming the archive: nothing is written from a half-read package.
    """
    workers = workers_for(jobs, len(paths), source.local_location)
    if workers == 1:
        for path in paths:
            problems: list[Problem] = []
            yield path, parse(source, path, problems), problems
        return
    chunks = [paths[i:i + CHUNK] for i in range(0, len(paths), CHUNK)]
    try:
        with ProcessPoolExecutor(workers, initializer=_open_in_worker,
                                 initargs=(source.local_location, source.limits, parse)) as pool:
            for parsed in pool.map(_parse_chunk, chunks):
                yield from parsed
    except BrokenProcessPool as exc:
        raise SourceError("source-unreadable", f"{source.label}: a worker process parsing its TOML files "
                          f"stopped unexpectedly ({exc}); nothing was written. Try again with --jobs 1",
                          source.label) from exc
