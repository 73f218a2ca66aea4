"""A zip as a sink, written from the format's layout, reproducible to the byte.

Every entry gets the package's timestamp, fixed permissions and a name encoded one way; the
central directory is sorted by name. Written here rather than through `zipfile.ZipFile` to
keep memory bounded at 100,000 components (see `ZipSink`); the bytes are exactly those
`zipfile` writes for the same entries.
"""

from __future__ import annotations

import heapq
import os
import struct
import tempfile
import zlib
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import IO, cast

from .errors import SinkError
from .sink_types import DEFAULT_TIMESTAMP, TreeSink


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


class ZipSink(TreeSink):
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
            raise SinkError("file-too-large", f"{path} declared {size} bytes but has {total}, too many to "
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

