"""A source that is one file (a .json document, a .sqlite database), not a tree of them.

It still answers as a tree of one, named after the file, so readers and format probes ask
the same questions of every source; `Source.single_file_name` and `Source.local_path` tell
a reader that wants the file itself (SQLite opens a path, not a stream) what it is.
"""

from __future__ import annotations

import posixpath
from typing import IO, TYPE_CHECKING

from .backend import Backend

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem


class SingleFile(Backend):
    """One file, on the local disk (`fs` None) or on an fsspec filesystem."""

    def __init__(self, fs: AbstractFileSystem | None, path: str, size: int) -> None:
        self.fs = fs
        self.path = path
        self.name = posixpath.basename(path.rstrip("/")) or "file"
        self.size = size

    def listing(self) -> dict[str, int]:
        return {self.name: self.size}

    def open(self, path: str) -> IO[bytes]:
        if self.fs is None:
            return open(self.path, "rb")
        return self.fs.open(self.path, "rb")  # type: ignore[no-any-return]

    def local_path(self) -> str | None:
        """The file's path on the local disk, if it is there."""
        return self.path if self.fs is None else None
