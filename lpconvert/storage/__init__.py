"""Storage: sources that readers walk, sinks that writers fill.

`open_source` turns a path or fsspec URL (directory, .zip, .tar.gz/.tgz/.tar,
memory://, github://...) into a read-only `Source` rooted at the package (looking through
one wrapper folder). `open_sink` gives a writer somewhere to put files (directory, .zip,
.tar.gz, or one file) and moves the result into place only when it is complete.
"""

from .limits import Limits, parse_size
from .sink import FileSink, Sink, TreeSink, container_for, open_sink
from .source import Source, SourceError, open_source

__all__ = [
    "FileSink",
    "Limits",
    "Sink",
    "Source",
    "SourceError",
    "TreeSink",
    "container_for",
    "open_sink",
    "open_source",
    "parse_size",
]
