"""What a writer is handed: a `TreeSink` (a directory, a zip or a tar) or a `FileSink` (one file).

The classes every container's sink derives from, apart from `open_sink` (which chooses one
and commits it): each container lives in its own module (`dir_write`, `zip_write`,
`tar_write`) and imports only this. Every entry of an archive gets the package's timestamp
(never the clock), so that writing the same package twice gives the same bytes.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import IO

from ..interrupts import check_stop
from .errors import SinkError
from .names import check_member_name

DEFAULT_TIMESTAMP = datetime(1980, 1, 1, tzinfo=timezone.utc)
"""Used when a package carries no timestamp at all: the earliest a zip can record."""


class Sink:
    """Base of all sinks. `timestamp` stamps every entry unless one is given."""

    def __init__(self, target: str, timestamp: datetime) -> None:
        self.target = target
        self.timestamp = max(timestamp, DEFAULT_TIMESTAMP)
        self.bytes_written = 0

    def close(self) -> None:
        pass

    def abort(self) -> None:
        self.close()


class TreeSink(Sink):
    """A tree of files: a directory, a zip or a tar. Paths are relative and use '/'."""

    explicit_dirs: bool = False

    def write_bytes(self, path: str, data: bytes, mtime: datetime | None = None) -> None:
        raise NotImplementedError

    def write_stream(self, path: str, stream: IO[bytes], size: int | None = None,
                     mtime: datetime | None = None) -> None:
        raise NotImplementedError

    def mkdir(self, path: str, mtime: datetime | None = None) -> None:
        """An explicit (possibly empty) directory."""

    @staticmethod
    def check_path(path: str) -> str:
        """`path`, if it is safe to write; asked once per entry, so it is also where a stop
        asked for by a signal whose exception was lost is noticed (`interrupts.check_stop`)."""
        check_stop()
        why = check_member_name(path)
        if why or not path or path.startswith("./"):
            raise SinkError("unsafe-media-path", f"refusing to write {path!r}: {why or 'not a relative path'}", path)
        return path


class FileSink(Sink):
    """One output file (a JSON document, a SQLite database). `path` is the temporary file."""

    def __init__(self, target: str, timestamp: datetime) -> None:
        super().__init__(target, timestamp)
        self.path = target

    def open(self) -> IO[bytes]:
        return open(self.path, "wb")

    def close(self) -> None:
        if os.path.exists(self.path):
            self.bytes_written = os.path.getsize(self.path)
            ts = self.timestamp.timestamp()
            os.utime(self.path, (ts, ts))

