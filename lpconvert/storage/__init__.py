"""Storage: sources that readers walk, sinks that writers fill.

`open_source` turns a path or fsspec URL (directory, .zip, .tar.gz/.tgz/.tar,
memory://, github://...) into a read-only `Source` rooted at the package (looking through
one wrapper folder). `open_sink` gives a writer somewhere to put files (directory, .zip,
.tar.gz, or one file) and moves the result into place only when it is complete. Each
container has its own module on each side (`zip_read` / `zip_write`, `tar_spool` /
`tar_write`, `directory` / `dir_write`, `single_file`); failures are `StorageError`s, a
`SourceError` when reading, a `SinkError` when writing. A plain local path never imports
fsspec (`location`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import DestinationExists, MissingFileError, SinkError, SourceError, StorageError
from .limits import Limits, parse_size
from .source import Source, open_source

if TYPE_CHECKING:
    from .sink import FileSink, Sink, TreeSink, container_for, open_sink

_SINK_NAMES = ("FileSink", "Sink", "TreeSink", "container_for", "open_sink")


def __getattr__(name: str) -> Any:
    """The writing side, imported when first asked for: `validate` writes nothing and should not
    pay for the zip and tar writers' imports (issue 16)."""
    if name in _SINK_NAMES:
        from . import sink

        return getattr(sink, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "DestinationExists",
    "FileSink",
    "Limits",
    "MissingFileError",
    "Sink",
    "SinkError",
    "Source",
    "SourceError",
    "StorageError",
    "TreeSink",
    "container_for",
    "open_sink",
    "open_source",
    "parse_size",
]
