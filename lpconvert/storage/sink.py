"""The write side's face: `open_sink` gives a writer somewhere to put files, committed atomically.

A writer never touches the destination. It fills a sink that lives at a temporary sibling
of the destination (`leftovers`); only when the writer has finished without error is the
sibling renamed into place. On any failure the sibling is removed: nothing half-written is
ever left behind, and an existing destination is only replaced when the caller said
`force`. A remote destination (an fsspec URL) is written to a local temporary and uploaded
once complete.

Archives are reproducible: every entry gets the package's timestamp (never the clock),
fixed permissions and owner, and gzip headers carry no time or name. Writers emit entries
in a deterministic (sorted) order; a zip's central directory is additionally sorted. Each
container's writer lives in its own module (`dir_write`, `zip_write`, `tar_write`).
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Literal

from ..interrupts import check_stop, mark_written
from .dir_write import DirSink
from .errors import DestinationExists, SinkError, StorageError
from .leftovers import TEMPORARY, clean_leftovers, commit_local, make_sibling, remove, sibling_name
from .location import locate
from .sink_types import DEFAULT_TIMESTAMP, FileSink, Sink, TreeSink
from .tar_write import TarSink
from .zip_write import ZipSink

__all__ = [  # the names importers use from here (some now live in the container modules)
    "DEFAULT_TIMESTAMP", "Container", "DestinationExists", "FileSink", "Sink", "SinkError", "StorageError",
    "TreeSink", "clean_leftovers", "container_for", "open_sink",
]

Container = Literal["dir", "zip", "tar.gz", "tar", "file"]


def container_for(destination: str) -> Container:
    """The container a destination's name asks for (a tree format's default)."""
    lower = destination.lower().rstrip("/")
    if lower.endswith(".zip"):
        return "zip"
    if lower.endswith((".tar.gz", ".tgz")):
        return "tar.gz"
    if lower.endswith(".tar"):
        return "tar"
    return "dir"


def _make(kind: Container, tmp: str, timestamp: datetime) -> Sink:
    if kind == "dir":
        return DirSink(tmp, timestamp)
    if kind == "zip":
        return ZipSink(tmp, timestamp)
    if kind in ("tar.gz", "tar"):
        return TarSink(tmp, timestamp, gz=kind == "tar.gz")
    return FileSink(tmp, timestamp)


@contextmanager
def open_sink(destination: str, kind: Container, *, force: bool = False,
              timestamp: datetime | None = None) -> Iterator[Sink]:
    """A sink for `destination`, committed atomically when the block exits without error."""
    timestamp = timestamp or DEFAULT_TIMESTAMP
    fs, path = locate(destination)
    local = fs is None
    if fs is None:
        dest = os.path.abspath(path)
        clean_leftovers(dest)
        if os.path.lexists(dest) and not force:
            raise DestinationExists(destination)
    else:
        dest = path
        if fs.exists(dest) and not force:
            raise DestinationExists(destination)
    tmp: str | None = None
    sink: Sink | None = None
    try:
        # Made inside the `try`, so that an interruption between making the temporary and
        # filling it (a signal arrives at any instant) still removes it.
        if local:
            while True:
                tmp = sibling_name(dest, TEMPORARY)
                try:
                    make_sibling(tmp, folder=kind == "dir")
                    break
                except FileExistsError:
                    continue  # as unlikely as tempfile's own collisions: try another name
        else:
            tmp = posixpath.join(tempfile.mkdtemp(prefix="lpconvert-out-"), "out")
        sink = _make(kind, tmp, timestamp)
        yield sink
        sink.close()
    except BaseException:
        try:
            if sink is not None:
                sink.abort()
        finally:
            if tmp is not None:
                remove(tmp)
                if not local:
                    shutil.rmtree(os.path.dirname(tmp), ignore_errors=True)
        raise
    assert tmp is not None
    if fs is None:
        try:
            check_stop()
            commit_local(tmp, dest)
        except BaseException:
            remove(tmp)
            raise
    else:
        try:
            check_stop()
            if fs.exists(dest):
                fs.rm(dest, recursive=True)
            fs.put(tmp, dest, recursive=os.path.isdir(tmp))
        finally:
            shutil.rmtree(os.path.dirname(tmp), ignore_errors=True)
    mark_written(destination)
