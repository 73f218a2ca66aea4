"""Sinks: where writers put files, committed atomically and byte-for-byte reproducibly.

A writer never touches the destination. It fills a sink that lives at a temporary
sibling of the destination (same filesystem, so the final rename is atomic); only when the
writer has finished without error is the sibling renamed into place. On any failure the
sibling is removed: nothing half-written is ever left behind, and an existing destination
is only replaced when the caller said `force`. A run killed outright (SIGKILL, a power cut)
cannot remove its sibling; the sibling's name carries the run's process id and host, so the
next run to the same destination recognises it as a dead run's leftover and removes it.

Archives are reproducible: every entry gets the package's timestamp (never the clock),
fixed permissions and owner, and gzip headers carry no time or name. Writers emit entries
in a deterministic (sorted) order; a zip's central directory is additionally sorted.
"""

from __future__ import annotations

import gzip
import heapq
import os
import posixpath
import re
import secrets
import shutil
import socket
import struct
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import IO, Literal, cast

import fsspec

from ..interrupts import check_stop, mark_written
from .source import LEFTOVER_SUFFIXES, SourceError, check_member_name

Container = Literal["dir", "zip", "tar.gz", "tar", "file"]

DEFAULT_TIMESTAMP = datetime(1980, 1, 1, tzinfo=timezone.utc)
"""Used when a package carries no timestamp at all: the earliest a zip can record."""


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
            raise SourceError("unsafe-media-path", f"refusing to write {path!r}: {why or 'not a relative path'}", path)
        return path


class _DirSink(TreeSink):
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


def _zip_time(ts: datetime) -> tuple[int, int, int, int, int, int]:
    ts = max(ts.astimezone(timezone.utc), DEFAULT_TIMESTAMP)
    return (ts.year, ts.month, ts.day, ts.hour, ts.minute, ts.second)


def _dos_time(ts: datetime) -> tuple[int, int]:
    """(time, date) as a zip header stores them: two-second resolution, years from 1980."""
    year, month, day, hour, minute, second = _zip_time(ts)
    return hour << 11 | minute << 5 | second // 2, (year - 1980) << 9 | month << 5 | day


def _zip_name(path: str) -> tuple[bytes, int]:
    """A member name's bytes and general-purpose flags: ASCII when it can be, else UTF-8 with
    the language-encoding flag (bit 11) set, so that every reader decodes it the same way."""
    if path.isascii():
        return path.encode("ascii"), 0
    return path.encode("utf-8"), _ZIP_UTF8


# Zip layout (PKWARE APPNOTE 4.3.7, 4.3.12, 4.3.14-16): little-endian records.
_LOCAL = struct.Struct("<4s2B4HL2L2H")
"""Local file header: signature, version needed (a byte and a reserved byte), flags, method,
time, date, CRC-32, compressed size, size, name length, extra length; then name and extra."""
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
"""Central directory header: signature, version made by + host system, version needed +
reserved, flags, method, time, date, CRC-32, compressed size, size, name, extra and comment
lengths, first disk, internal attributes, external attributes, local header offset."""
_END = struct.Struct("<4s4H2LH")
_END64 = struct.Struct("<4sQ2H2L4Q")
_END64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EXTRA_LOCAL = struct.Struct("<HHQQ")
_ZIP_UTF8 = 0x800
_STORED, _DEFLATED = 0, 8
_VERSION, _VERSION_ZIP64 = 20, 45
_UNIX = 3
_FILE_ATTR = 0o100644 << 16
_DIR_ATTR = (0o40755 << 16) | 0x10  # mode drwxr-xr-x, plus the MS-DOS directory bit
_ZIP64_LIMIT = (1 << 31) - 1
"""Past this a size or offset goes into a zip64 extra field. The format allows 4 GiB - 1;
this is the threshold Python's `zipfile` has always used, kept so the bytes stay the ones
lpconvert has always written (and that `zipfile` writes)."""
_ZIP_MAX_COUNT = 0xFFFF


def _zip64_central(size: int, packed_size: int, offset: int) -> tuple[bytes, int, int, int]:
    """The zip64 extra field of a central-directory record and the 32-bit values that then
    stand in the record: only the values past the limit move (sizes as a pair, size first)."""
    wide = []
    if size > _ZIP64_LIMIT or packed_size > _ZIP64_LIMIT:
        wide += [size, packed_size]
        size = packed_size = 0xFFFFFFFF
    if offset > _ZIP64_LIMIT:
        wide.append(offset)
        offset = 0xFFFFFFFF
    return struct.pack(f"<HH{len(wide)}Q", 1, 8 * len(wide), *wide), size, packed_size, offset


class _ZipSink(TreeSink):
    """A zip written entry by entry; parents get explicit directory entries (as upstream writes).

    The zip is written here from the format's layout rather than through `zipfile.ZipFile`,
    whose writer keeps a `ZipInfo` object per entry (about 390 bytes, plus its name-index
    slot) until the central directory is written at close: a 100,000-component library has
    770,000 entries, so that bookkeeping alone was some 300 MB. Here each entry leaves one
    bytes object: its name, a NUL, then its finished central-directory record. Names never
    contain NUL (`check_path` refuses it) and UTF-8 orders like the text it encodes, so
    sorting these byte strings sorts the directory by name, as before, with no key objects.
    Past `_RUN` entries the records move to a temporary file in sorted runs, merged at
    close, so the directory costs bounded memory however large the library.

    Each entry is written in one go: compressed (raw deflate, `compresslevel`), its local
    header written once with the final CRC and sizes. Streams up to `_INLINE` bytes are read
    whole; larger ones, or of unknown size, are compressed chunk by chunk behind a
    provisional local header that is rewritten in place afterwards. The bytes are exactly
    those `zipfile` writes with `writestr` / `open("w")` for the same entries (the tests
    compare the two), so archives did not change with this writer.
    """

    explicit_dirs = True
    _INLINE = 1 << 20
    """Streams up to this size are read whole: the size `shutil.copyfileobj` copies in one chunk,
    so that the compressor sees the same single write either way."""
    _CHUNK = 1 << 20
    """Larger streams are compressed in reads of this size, as they always were."""
    _RUN = 1 << 17
    """Records kept in memory at most (about 20 MB). A 10,000-component library (77,000
    entries) never reaches it; past it, records go to a temporary file in sorted runs that
    `close` merges, so a 100,000-component library's 770,000 records (130 MB) stay on disk."""

    def __init__(self, target: str, timestamp: datetime, compresslevel: int = 6) -> None:
        super().__init__(target, timestamp)
        self.fp: IO[bytes] = open(target, "wb", buffering=1 << 20)
        self.dirs: set[str] = set()
        self.compresslevel = compresslevel
        self._default_dos = _dos_time(self.timestamp)
        self._offset = 0
        """Where the next local header starts; counted rather than asked with `tell()`."""
        self._records: list[bytes] = []
        """Per entry: name + NUL + central-directory record (header then extra field)."""
        self._spill: IO[bytes] | None = None
        """Sorted runs of `_RUN` records each, once there are more: see `_spill_run`."""
        self._runs: list[tuple[int, int]] = []
        """(start, end) of each run in the spill file."""

    def _dos(self, mtime: datetime | None) -> tuple[int, int]:
        return self._default_dos if mtime is None else _dos_time(mtime)

    @staticmethod
    def _local_header(name: bytes, flags: int, method: int, dos: tuple[int, int], crc: int,
                      packed_size: int, size: int, zip64: bool) -> bytes:
        """A local file header. With `zip64` the sizes move to a zip64 extra field (as
        `zipfile` does whenever the entry might grow past its limit, known size or not)."""
        if zip64:
            extra = _ZIP64_EXTRA_LOCAL.pack(1, 16, size, packed_size)
            return _LOCAL.pack(b"PK\x03\x04", _VERSION_ZIP64, 0, flags, method, dos[0], dos[1], crc,
                               0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra)) + name + extra
        return _LOCAL.pack(b"PK\x03\x04", _VERSION, 0, flags, method, dos[0], dos[1], crc,
                           packed_size, size, len(name), 0) + name

    def _record(self, name: bytes, flags: int, method: int, dos: tuple[int, int], crc: int,
                packed_size: int, size: int, offset: int, attr: int, zip64: bool) -> None:
        """Keep the entry's central-directory record for `close`; version 4.5 if either of
        the entry's headers uses zip64 fields."""
        version = _VERSION_ZIP64 if zip64 else _VERSION
        extra = b""
        if size > _ZIP64_LIMIT or packed_size > _ZIP64_LIMIT or offset > _ZIP64_LIMIT:
            extra, size, packed_size, offset = _zip64_central(size, packed_size, offset)
            version = _VERSION_ZIP64
        records = self._records
        records.append(name + b"\0" + _CENTRAL.pack(
            b"PK\x01\x02", version, _UNIX, version, 0, flags, method, dos[0], dos[1], crc,
            packed_size, size, len(name), len(extra), 0, 0, 0, attr, offset) + extra)
        if len(records) >= self._RUN:
            self._spill_run()

    def _spill_run(self) -> None:
        """Move the records in memory to the spill file as one sorted run, each record
        preceded by its length (4 bytes, little-endian). The file is a temporary one beside
        the archive (same disk; never a memory-backed /tmp) and is gone when closed."""
        if self._spill is None:
            self._spill = tempfile.TemporaryFile(dir=os.path.dirname(os.path.abspath(self.target)))
        records = self._records
        records.sort()
        spill = self._spill
        start = spill.seek(0, os.SEEK_END)
        for record in records:
            spill.write(len(record).to_bytes(4, "little"))
            spill.write(record)
        self._runs.append((start, spill.tell()))
        self._records = []

    def _sorted_records(self) -> Iterator[bytes]:
        """Every record in name order: the records in memory, merged with the spilled runs."""
        self._records.sort()
        if self._spill is None:
            return iter(self._records)
        self._spill.flush()
        fd = self._spill.fileno()
        return heapq.merge(self._records, *(_read_run(fd, start, end) for start, end in self._runs))

    def _add(self, path: str, data: bytes, dos: tuple[int, int], zip64: bool = False) -> None:
        """Write one whole file entry: header with final values, then its deflated bytes."""
        name, flags = _zip_name(path)
        # One-shot raw deflate: the same stream as a compressor object fed the data and then
        # finished (no flush point in between), without the object and two method calls.
        packed = zlib.compress(data, self.compresslevel, -15)
        size = len(data)
        crc = zlib.crc32(data)
        zip64 = zip64 or size * 1.05 > _ZIP64_LIMIT  # zipfile's margin: deflate may grow the data
        header = self._local_header(name, flags, _DEFLATED, dos, crc, len(packed), size, zip64)
        offset = self._offset
        self.fp.write(header)
        self.fp.write(packed)
        self._offset = offset + len(header) + len(packed)
        self._record(name, flags, _DEFLATED, dos, crc, len(packed), size, offset, _FILE_ATTR, zip64)

    def _add_dir(self, path: str, dos: tuple[int, int]) -> None:
        """Write one directory entry: stored, empty, mode 755."""
        name, flags = _zip_name(path)
        header = _LOCAL.pack(b"PK\x03\x04", _VERSION, 0, flags, _STORED, dos[0], dos[1], 0, 0, 0, len(name), 0)
        offset = self._offset
        self.fp.write(header + name)
        self._offset = offset + len(header) + len(name)
        self._record(name, flags, _STORED, dos, 0, 0, 0, offset, _DIR_ATTR, False)

    def _add_streamed(self, path: str, stream: IO[bytes], size: int | None, dos: tuple[int, int]) -> int:
        """Write a large (or unsized) file entry chunk by chunk; returns its size.

        zip64 is decided before the data is seen, from the declared size (always when none was
        declared), and the provisional header has the final header's length, so rewriting it
        in place once the CRC and sizes are known moves nothing."""
        name, flags = _zip_name(path)
        zip64 = size is None or size > (1 << 31) or size * 1.05 > _ZIP64_LIMIT
        offset = self._offset
        fp = self.fp
        provisional = self._local_header(name, flags, _DEFLATED, dos, 0, 0, size or 0, zip64)
        fp.write(provisional)
        compressor = zlib.compressobj(self.compresslevel, zlib.DEFLATED, -15)
        crc = total = packed_size = 0
        while chunk := stream.read(self._CHUNK):
            total += len(chunk)
            crc = zlib.crc32(chunk, crc)
            packed = compressor.compress(chunk)
            packed_size += len(packed)
            fp.write(packed)
        packed = compressor.flush()
        packed_size += len(packed)
        fp.write(packed)
        if not zip64 and (total > _ZIP64_LIMIT or packed_size > _ZIP64_LIMIT):
            raise SourceError("file-too-large", f"{path} declared {size} bytes but has {total}, too many to "
                              "write without the zip64 fields its header was written without", path)
        end = offset + len(provisional) + packed_size
        fp.seek(offset)
        fp.write(self._local_header(name, flags, _DEFLATED, dos, crc, packed_size, total, zip64))
        fp.seek(end)
        self._offset = end
        self._record(name, flags, _DEFLATED, dos, crc, packed_size, total, offset, _FILE_ATTR, zip64)
        return total

    def _parents(self, path: str, dos: tuple[int, int]) -> None:
        """Directory entries for the folders above `path` not written yet, outermost first.

        A folder is only ever added after all of its own parents, so the walk up stops at the
        first folder already written: usually at once (the file's own folder), and a new
        folder costs one lookup per missing level rather than a rebuild of every prefix."""
        dirs = self.dirs
        cut = path.rfind("/")
        missing = []
        while cut >= 0:
            folder = path[:cut + 1]
            if folder in dirs:
                break
            missing.append(folder)
            cut = path.rfind("/", 0, cut)
        for folder in reversed(missing):
            dirs.add(folder)
            self._add_dir(folder, dos)

    def mkdir(self, path: str, mtime: datetime | None = None) -> None:
        path = self.check_path(path.rstrip("/"))
        self._parents(path + "/x", self._dos(mtime))

    def write_bytes(self, path: str, data: bytes, mtime: datetime | None = None) -> None:
        dos = self._dos(mtime)
        self._parents(self.check_path(path), dos)
        self._add(path, data, dos)
        self.bytes_written += len(data)

    def write_stream(self, path: str, stream: IO[bytes], size: int | None = None,
                     mtime: datetime | None = None) -> None:
        dos = self._dos(mtime)
        self._parents(self.check_path(path), dos)
        if size is not None and size <= self._INLINE:
            data = stream.read(self._INLINE + 1)
            if len(data) <= self._INLINE:
                self._add(path, data, dos, zip64=size * 1.05 > _ZIP64_LIMIT)
                self.bytes_written += len(data)
                return
            stream = cast(IO[bytes], _Prefixed(data, stream))  # it lied about its size: stream the rest
        self.bytes_written += self._add_streamed(path, stream, size, dos)

    def _write_directory(self) -> tuple[int, int, int]:
        """The sorted central directory; returns (entries, its offset, its size). Two entries
        of one name would make the archive ambiguous: refused (they sort next to each other)."""
        start = self._offset
        write = self.fp.write
        previous = None
        header = _CENTRAL.size
        size = count = 0
        for record in self._sorted_records():
            count += 1
            cut = record.index(0)
            name = record[:cut]
            if name == previous:
                raise ValueError(f"duplicate archive member {name.decode('utf-8')!r}")
            previous = name
            write(record[cut + 1:cut + 1 + header])
            write(name)
            if len(record) > cut + 1 + header:  # a zip64 extra field
                write(record[cut + 1 + header:])
            size += len(record) - 1
        self._offset = start + size
        return count, start, size

    def _write_end(self, count: int, start: int, size: int) -> None:
        """End of central directory record, preceded by the zip64 end record and its locator
        when the count, the offset or the size do not fit (same thresholds as `zipfile`)."""
        write = self.fp.write
        if count > _ZIP_MAX_COUNT or start > _ZIP64_LIMIT or size > _ZIP64_LIMIT:
            write(_END64.pack(b"PK\x06\x06", _END64.size - 12, _VERSION_ZIP64, _VERSION_ZIP64, 0, 0,
                              count, count, size, start))
            write(_END64_LOCATOR.pack(b"PK\x06\x07", 0, start + size, 1))
            count, size, start = min(count, 0xFFFF), min(size, 0xFFFFFFFF), min(start, 0xFFFFFFFF)
        write(_END.pack(b"PK\x05\x06", 0, 0, count, count, size, start, 0))

    def close(self) -> None:
        if not self.fp.closed:
            try:
                self._write_end(*self._write_directory())
            finally:
                self._release()

    def abort(self) -> None:
        """The file is about to be removed: no directory to write."""
        self._release()

    def _release(self) -> None:
        self._records = []
        if self._spill is not None:
            self._spill.close()
            self._spill = None
        self.fp.close()


def _read_run(fd: int, start: int, end: int) -> Iterator[bytes]:
    """The records of one spilled run, read back in blocks of 256 KiB with `os.pread`, so
    that the runs being merged can share one file without seeking it."""
    block = b""
    at = 0
    while True:
        if len(block) - at < 4 or len(block) - at < 4 + int.from_bytes(block[at:at + 4], "little"):
            if start >= end:
                return
            more = os.pread(fd, min(1 << 18, end - start), start)
            if not more:
                raise OSError(f"zip directory spill file ended {end - start} bytes early")
            start += len(more)
            block, at = block[at:] + more, 0
            continue
        length = int.from_bytes(block[at:at + 4], "little")
        yield block[at + 4:at + 4 + length]
        at += 4 + length


class _Prefixed:
    """A stream whose first bytes were already read."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head = head
        self.rest = rest

    def read(self, n: int = -1) -> bytes:
        if self.head:
            if n < 0:
                out, self.head = self.head + self.rest.read(), b""
                return out
            out, self.head = self.head[:n], self.head[n:]
            return out
        return self.rest.read(n)


class _TarSink(TreeSink):
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

    def _parents(self, path: str, mtime: datetime | None) -> None:
        cut = path.rfind("/")
        if cut < 0 or path[:cut] in self.dirs:
            return  # a folder is only ever added after all of its own parents
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.dirs:
                self.dirs.add(d)
                self.tar.addfile(self._info(d, mtime, is_dir=True))

    def mkdir(self, path: str, mtime: datetime | None = None) -> None:
        path = self.check_path(path.rstrip("/"))
        self._parents(path + "/x", mtime)

    def write_bytes(self, path: str, data: bytes, mtime: datetime | None = None) -> None:
        import io

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
        self.tar.addfile(info, stream)
        self.bytes_written += size

    def close(self) -> None:
        if not self.raw.closed:
            self.tar.close()
            if self.gz is not None:
                self.gz.close()
            self.raw.close()


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


def _make(kind: Container, tmp: str, timestamp: datetime) -> Sink:
    if kind == "dir":
        return _DirSink(tmp, timestamp)
    if kind == "zip":
        return _ZipSink(tmp, timestamp)
    if kind in ("tar.gz", "tar"):
        return _TarSink(tmp, timestamp, gz=kind == "tar.gz")
    return FileSink(tmp, timestamp)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.unlink(path)


_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"
_LEFTOVER = re.compile(r"\.lpc-(?P<pid>[0-9]+)@(?P<host>[A-Za-z0-9-]+)\.[a-z0-9_]+(?P<suffix>"
                       + "|".join(re.escape(s) for s in LEFTOVER_SUFFIXES) + ")$")
"""The tail of a temporary sibling's name: `.lpc-PID@HOST.RANDOM.lpconvert-tmp` (or `-old`).
The process id and host say whose it is, so a later run can tell a dead run's leftover from
one that a run still going (here or on another machine sharing the folder) is writing."""


def _sibling_prefix(dest: str) -> str:
    return f".{os.path.basename(dest.rstrip(os.sep))}.lpc-{os.getpid()}@{_HOST}."


_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"
"""What the random part of a sibling's name is made of (as `tempfile` makes them)."""


def _sibling_name(dest: str, suffix: str) -> str:
    """A fresh name for a temporary sibling of `dest` (not yet made)."""
    random = "".join(secrets.choice(_NAME_CHARS) for _ in range(8))
    return os.path.join(os.path.dirname(dest) or ".", f"{_sibling_prefix(dest)}{random}{suffix}")


def _make_sibling(tmp: str, kind: Container) -> None:
    """Create the temporary sibling `tmp`, private to this user until it is committed.

    Its name is chosen (and kept by the caller) before it exists, rather than by
    `tempfile.mkdtemp`, which returns the name only after making it: a signal arriving in
    between would leave a sibling the cleanup does not know about."""
    os.makedirs(os.path.dirname(tmp), exist_ok=True)
    if kind == "dir":
        os.mkdir(tmp, 0o700)
    else:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600))


def _is_running(pid: int) -> bool:
    """Whether process `pid` exists. Where that cannot be asked safely (Windows, whose
    `os.kill` terminates), every process counts as running, so nothing is cleaned."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, under another user
    return True


def clean_leftovers(dest: str) -> list[str]:
    """Remove the temporary siblings of `dest` that a run killed outright (SIGKILL, a power
    cut) left behind; returns their paths.

    Only this machine's leftovers whose process is gone are touched. A `.lpconvert-old`
    sibling is the previous destination, moved aside in the instant a forced replacement
    swaps the new one in: if the run died before the swap finished, so that `dest` is
    missing, it is put back rather than deleted.
    """
    parent = os.path.dirname(dest) or "."
    start = f".{os.path.basename(dest.rstrip(os.sep))}"
    cleaned = []
    try:
        names = [n for n in os.listdir(parent) if n.startswith(start) and n.endswith(LEFTOVER_SUFFIXES)]
    except OSError:
        return []
    for name in names:
        found = _LEFTOVER.fullmatch(name[len(start):])
        if not found or found["host"] != _HOST or _is_running(int(found["pid"])):
            continue
        path = os.path.join(parent, name)
        try:
            if found["suffix"] == LEFTOVER_SUFFIXES[1] and not os.path.lexists(dest):
                os.rename(path, dest)
            else:
                _remove(path)
        except OSError:
            continue  # another run cleaned it first, or it is not ours to remove
        cleaned.append(path)
    return cleaned


def _commit_local(tmp: str, dest: str) -> None:
    if os.path.isdir(dest) and not os.path.islink(dest):
        old = _sibling_name(dest, LEFTOVER_SUFFIXES[1])
        os.rename(dest, old)
        try:
            os.rename(tmp, dest)
        except BaseException:
            os.rename(old, dest)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, dest)
    if not os.path.isdir(dest):
        os.chmod(dest, 0o644)
    else:
        os.chmod(dest, 0o755)


class DestinationExists(SourceError):
    def __init__(self, destination: str) -> None:
        super().__init__("destination-exists", f"{destination} already exists (use --force to replace it)",
                         destination)


@contextmanager
def open_sink(destination: str, kind: Container, *, force: bool = False,
              timestamp: datetime | None = None) -> Iterator[Sink]:
    """A sink for `destination`, committed atomically when the block exits without error."""
    timestamp = timestamp or DEFAULT_TIMESTAMP
    fs, path = fsspec.core.url_to_fs(destination)
    local = "file" in ((fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol))
    if local:
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
                tmp = _sibling_name(dest, LEFTOVER_SUFFIXES[0])
                try:
                    _make_sibling(tmp, kind)
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
                _remove(tmp)
                if not local:
                    shutil.rmtree(os.path.dirname(tmp), ignore_errors=True)
        raise
    assert tmp is not None
    if local:
        try:
            check_stop()
            _commit_local(tmp, dest)
        except BaseException:
            _remove(tmp)
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
