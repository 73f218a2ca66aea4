"""A tar (optionally gzip'd) as a sink, reproducible to the byte.

Every entry gets fixed permissions, no owner, and the package's timestamp; the gzip header
records neither a time nor a file name. PAX format, so long and non-ASCII names survive.
"""

from __future__ import annotations

import gzip
import io
import shutil
import tarfile
import tempfile
from datetime import datetime
from typing import IO

from .sink_types import TreeSink


class TarSink(TreeSink):
    """A tar, optionally gzip'd with a header that records neither time nor file name."""

    def __init__(self, target: str, timestamp: datetime, gz: bool) -> None:
        super().__init__(target, timestamp)
        self.raw = open(target, "wb")
        self.gz = gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, mtime=0, compresslevel=6) if gz else None
        self.tar = tarfile.open(fileobj=self.gz or self.raw, mode="w", format=tarfile.PAX_FORMAT)
        self.dirs: set[str] = set()

    def _info(self, name: str, mtime: datetime | None, is_dir: bool = False) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.mtime = int((mtime or self.timestamp).timestamp())
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        if is_dir:
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
        else:
            info.mode = 0o644
        return info

    def _add(self, info: tarfile.TarInfo, stream: IO[bytes] | None = None) -> None:
        """Append one entry. `tarfile` also keeps every entry it writes in `members`, which only
        reading uses: at 100,000 components that list was most of what writing a course added
        to peak memory, so it is emptied as it fills."""
        self.tar.addfile(info, stream)
        self.tar.members.clear()

    def _parents(self, path: str, mtime: datetime | None) -> None:
        cut = path.rfind("/")
        if cut < 0 or path[:cut] in self.dirs:
            return  # a folder is only ever added after all of its own parents
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.dirs:
                self.dirs.add(d)
                self._add(self._info(d, mtime, is_dir=True))

    def mkdir(self, path: str, mtime: datetime | None = None) -> None:
        path = self.check_path(path.rstrip("/"))
        self._parents(path + "/x", mtime)

    def write_bytes(self, path: str, data: bytes, mtime: datetime | None = None) -> None:
        self.write_stream(path, io.BytesIO(data), len(data), mtime)

    def write_stream(self, path: str, stream: IO[bytes], size: int | None = None,
                     mtime: datetime | None = None) -> None:
        self._parents(self.check_path(path), mtime)
        if size is None:
            # tar headers need the size first: spool to a temporary file.
            spool = tempfile.SpooledTemporaryFile(max_size=16 << 20)
            shutil.copyfileobj(stream, spool, 1 << 20)
            size = spool.tell()
            spool.seek(0)
            stream = spool  # type: ignore[assignment]
        info = self._info(path, mtime)
        info.size = size
        self._add(info, stream)
        self.bytes_written += size

    def close(self) -> None:
        if not self.raw.closed:
            self.tar.close()
            if self.gz is not None:
                self.gz.close()
            self.raw.close()

