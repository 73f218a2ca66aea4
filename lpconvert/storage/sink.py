"""Sinks: where writers put files, committed atomically and byte-for-byte reproducibly.

A writer never touches the destination. It fills a sink that lives at a temporary
sibling of the destination (same filesystem, so the final rename is atomic); only when the
writer has finished without error is the sibling renamed into place. On any failure the
sibling is removed: nothing half-written is ever left behind, and an existing destination
is only replaced when the caller said `force`.

Archives are reproducible: every entry gets the package's timestamp (never the clock),
fixed permissions and owner, and gzip headers carry no time or name. Writers emit entries
in a deterministic (sorted) order; a zip's central directory is additionally sorted.
"""

from __future__ import annotations

import gzip
import os
import posixpath
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import IO, Literal, cast

import fsspec

from .source import SourceError, check_member_name

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


class _ZipSink(TreeSink):
    """A zip written entry by entry; parents get explicit directory entries (as upstream writes).

    Speed: `zipfile` writes each entry by opening a write handle, writing a provisional
    local header, the data, then seeking back to rewrite the header with the CRC and sizes
    and seeking forward again. On a buffered file every seek is a flush, and the Python
    bookkeeping per entry is several times the cost of compressing a small file; a
    10,000-component library has 77,000 entries, most of them directories and files of a
    few hundred bytes. So entries whose bytes are in hand (and streams up to `_INLINE`
    bytes, which are read into memory) are written here in one go: compressed with the very
    compressor settings `zipfile` uses, the local header written once with its final
    values by `ZipInfo.FileHeader`, and the entry recorded in the `ZipFile` so that its
    central directory is written as usual. The archive is byte for byte the one
    `zipfile.writestr` / `ZipFile.open("w")` would produce. Larger streams, and any Python
    whose `zipfile` lacks the attributes relied on, take `zipfile`'s own path.
    """

    explicit_dirs = True
    _INLINE = 1 << 20
    """Streams up to this size are read whole: the size `shutil.copyfileobj` copies in one chunk,
    so that the compressor sees the same single write either way."""

    def __init__(self, target: str, timestamp: datetime, compresslevel: int = 6) -> None:
        super().__init__(target, timestamp)
        self.zf = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel)
        self.dirs: set[str] = set()
        self.compresslevel = compresslevel
        self._default_time = _zip_time(self.timestamp)
        self._direct = all(hasattr(self.zf, a) for a in ("start_dir", "_didModify", "_writing", "NameToInfo"))

    def _info(self, name: str, mtime: datetime | None, is_dir: bool = False) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, self._default_time if mtime is None else _zip_time(mtime))
        info.create_system = 3
        if is_dir:
            info.external_attr = (0o40755 << 16) | 0x10
            info.compress_type = zipfile.ZIP_STORED
        else:
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info._compresslevel = self.compresslevel  # type: ignore[attr-defined]
        return info

    def _add(self, info: zipfile.ZipInfo, data: bytes, zip64: bool = False) -> None:
        """Write one whole entry; what `writestr` does, without the provisional header and seeks."""
        zf = self.zf
        if not self._direct or zf._writing or zf.fp is None:  # type: ignore[attr-defined]
            if zip64:
                with zf.open(info, "w", force_zip64=True) as out:
                    out.write(data)
            else:
                zf.writestr(info, data)
            return
        if info.filename in zf.NameToInfo:
            raise ValueError(f"duplicate archive member {info.filename!r}")
        size = len(data)
        if info.compress_type == zipfile.ZIP_DEFLATED:
            compressor = zlib.compressobj(info._compresslevel, zlib.DEFLATED, -15)  # type: ignore[attr-defined]
            packed = compressor.compress(data) + compressor.flush()
        else:
            packed = data
        zip64 = zip64 or size * 1.05 > zipfile.ZIP64_LIMIT
        info.flag_bits = 0
        info.file_size = size
        info.compress_size = len(packed)
        info.CRC = zlib.crc32(data)
        fp = zf.fp
        info.header_offset = zf.start_dir  # type: ignore[attr-defined]
        zf._didModify = True  # type: ignore[attr-defined]
        fp.write(info.FileHeader(zip64))
        fp.write(packed)
        zf.start_dir = fp.tell()  # type: ignore[attr-defined]
        zf.filelist.append(info)
        zf.NameToInfo[info.filename] = info

    def _parents(self, path: str, mtime: datetime | None) -> None:
        cut = path.rfind("/")
        if cut < 0 or path[:cut + 1] in self.dirs:
            return  # a folder is only ever added after all of its own parents
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i]) + "/"
            if d not in self.dirs:
                self.dirs.add(d)
                self._add(self._info(d, mtime, is_dir=True), b"")

    def mkdir(self, path: str, mtime: datetime | None = None) -> None:
        path = self.check_path(path.rstrip("/"))
        self._parents(path + "/x", mtime)

    def write_bytes(self, path: str, data: bytes, mtime: datetime | None = None) -> None:
        self._parents(self.check_path(path), mtime)
        self._add(self._info(path, mtime), data)
        self.bytes_written += len(data)

    def write_stream(self, path: str, stream: IO[bytes], size: int | None = None,
                     mtime: datetime | None = None) -> None:
        self._parents(self.check_path(path), mtime)
        info = self._info(path, mtime)
        if size is not None and size <= self._INLINE:
            data = stream.read(self._INLINE + 1)
            if len(data) <= self._INLINE:
                # zipfile decides on zip64 from the declared size, before seeing the data
                self._add(info, data, zip64=size * 1.05 > zipfile.ZIP64_LIMIT)
                self.bytes_written += len(data)
                return
            stream = cast(IO[bytes], _Prefixed(data, stream))  # it lied about its size: stream the rest
        if size is not None:
            info.file_size = size
        with self.zf.open(info, "w", force_zip64=size is None or size > (1 << 31)) as out:
            shutil.copyfileobj(stream, out, 1 << 20)
        self.bytes_written += info.file_size

    def close(self) -> None:
        if self.zf.fp is not None:
            self.zf.filelist.sort(key=lambda i: i.filename)
            self.zf.close()


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


def _temp_sibling(dest: str, kind: Container) -> str:
    parent = os.path.dirname(dest) or "."
    os.makedirs(parent, exist_ok=True)
    base = os.path.basename(dest.rstrip("/"))
    if kind == "dir":
        return tempfile.mkdtemp(prefix=f".{base}.", suffix=".lpconvert-tmp", dir=parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".lpconvert-tmp", dir=parent)
    os.close(fd)
    return tmp


def _commit_local(tmp: str, dest: str) -> None:
    if os.path.isdir(dest) and not os.path.islink(dest):
        old = tempfile.mkdtemp(prefix=f".{os.path.basename(dest)}.", suffix=".lpconvert-old",
                               dir=os.path.dirname(dest) or ".")
        os.rmdir(old)
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
        if os.path.lexists(dest) and not force:
            raise DestinationExists(destination)
        tmp = _temp_sibling(dest, kind)
    else:
        dest = path
        if fs.exists(dest) and not force:
            raise DestinationExists(destination)
        staging = tempfile.mkdtemp(prefix="lpconvert-out-")
        tmp = posixpath.join(staging, "out")
    sink = _make(kind, tmp, timestamp)
    try:
        yield sink
        sink.close()
    except BaseException:
        try:
            sink.abort()
        finally:
            _remove(tmp)
            if not local:
                shutil.rmtree(os.path.dirname(tmp), ignore_errors=True)
        raise
    if local:
        try:
            _commit_local(tmp, dest)
        except BaseException:
            _remove(tmp)
            raise
    else:
        try:
            if fs.exists(dest):
                fs.rm(dest, recursive=True)
            fs.put(tmp, dest, recursive=os.path.isdir(tmp))
        finally:
            shutil.rmtree(os.path.dirname(tmp), ignore_errors=True)
