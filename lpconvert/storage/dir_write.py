"""A folder as a sink, written with as few system calls per file as the platform allows.

The folder is the temporary sibling `open_sink` made; it is renamed into place as a whole
once the writer has finished, so nothing here has to be atomic on its own.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import IO

from .sink_types import TreeSink


class DirSink(TreeSink):
    """A folder of files, with as few system calls per file as the platform allows.

    A 10,000-component sections tree is 25,000 files in 15,000 folders, and most of the time
    writing it goes to the kernel creating them; what Python adds on top is worth cutting.
    `open()` builds a buffered file object (an fstat, an isatty ioctl and an lseek per
    file), `os.makedirs` stats a folder's parent before making it, and `os.utime(path)`
    walks the path again. Here a file is `os.open` + `os.write` + stamp + close, a folder is
    one `os.mkdir` once its parent is known to exist, and the modification time is stamped
    on the open descriptor (`futimens`) after the last write, where the platform allows it.
    """

    _FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    """What `open(path, "wb")` asks of the OS: create or truncate, write only."""
    _STAMP_FD = os.utime in os.supports_fd
    _CHUNK = 1 << 20

    def __init__(self, target: str, timestamp: datetime) -> None:
        super().__init__(target, timestamp)
        os.makedirs(target, exist_ok=True)
        self._made: set[str] = {target}
        """Folders known to exist: a package of 10,000 components has tens of thousands of files
        in a few folders each, and asking the filesystem again for every file is a system call each."""
        self._default_ts = self.timestamp.timestamp()
        self._prefix = os.path.join(target, "") if os.sep == "/" and os.altsep is None else None

    def _local(self, path: str) -> str:
        """The file's full path; member names use '/', the OS may not. Where the OS does too, a
        name without empty segments is joined as it is, without splitting it into parts."""
        path = self.check_path(path)
        if self._prefix is not None and "//" not in path and not path.endswith("/"):
            return self._prefix + path
        return os.path.join(self.target, *path.split("/"))

    def _folder(self, folder: str) -> None:
        """Make `folder` (and any missing parents): one `mkdir` when the parent is already there."""
        if folder in self._made:
            return
        try:
            os.mkdir(folder)
        except FileNotFoundError:
            self._folder(os.path.dirname(folder))
            os.mkdir(folder)
        except FileExistsError:
            if not os.path.isdir(folder):
                raise  # a file is in the way, as os.makedirs would say
        self._made.add(folder)

    def _create(self, path: str) -> tuple[int, str]:
        """An open descriptor of a new (or emptied) file at `path`, and its full path."""
        full = self._local(path)
        self._folder(os.path.dirname(full))
        return os.open(full, self._FLAGS, 0o666), full

    def _finish(self, fd: int, full: str, mtime: datetime | None) -> None:
        """Stamp the file with its modification time and close it."""
        ts = self._default_ts if mtime is None else mtime.timestamp()
        try:
            if self._STAMP_FD:
                os.utime(fd, (ts, ts))
        finally:
            os.close(fd)
        if not self._STAMP_FD:
            os.utime(full, (ts, ts))

    @staticmethod
    def _write_all(fd: int, data: bytes) -> None:
        """`os.write` may write less than asked (a signal, a full pipe): write the rest."""
        done = os.write(fd, data)
        if done < len(data):
            view = memoryview(data)
            while done < len(data):
                done += os.write(fd, view[done:])

    def write_bytes(self, path: str, data: bytes, mtime: datetime | None = None) -> None:
        fd, full = self._create(path)
        try:
            if data:
                self._write_all(fd, data)
        except BaseException:
            os.close(fd)
            raise
        self._finish(fd, full, mtime)
        self.bytes_written += len(data)

    def write_stream(self, path: str, stream: IO[bytes], size: int | None = None,
                     mtime: datetime | None = None) -> None:
        fd, full = self._create(path)
        written = 0
        try:
            while chunk := stream.read(self._CHUNK):
                self._write_all(fd, chunk)
                written += len(chunk)
        except BaseException:
            os.close(fd)
            raise
        self._finish(fd, full, mtime)
        self.bytes_written += written

    def mkdir(self, path: str, mtime: datetime | None = None) -> None:
        self._folder(self._local(path.rstrip("/")))
