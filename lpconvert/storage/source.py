"""Read-only sources: a directory, an archive or a single file, found through fsspec.

Why not hand readers a raw fsspec filesystem? Three reasons, all learned the hard way by
tools that did:

* Archives are hostile until proven otherwise. Member names, links, sizes and compression
  ratios are checked here, once, before any reader sees a byte.
* Random access into a .tar.gz through a filesystem layer re-decompresses the stream from
  the start for every member. A tar is therefore unpacked once, member by member, into a
  private temporary directory (after the same checks) and read from there.
* Packages are often zipped inside a wrapper folder; the root is found here, once, by one
  rule, instead of by each reader.

Locating and opening the bytes (local paths, memory://, github://, s3://...) goes through
fsspec; zip and tar containers are parsed with the standard library.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import posixpath
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, Any

import fsspec

from ..problems import Problem, error
from .limits import Limits

JUNK_NAMES = frozenset({"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini", ".git"})

ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})
"""Compression methods the standard library can read; anything else is refused up front."""

READ_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, OSError, EOFError, zlib.error, lzma.LZMAError, NotImplementedError, RuntimeError,
    ValueError,
)
"""What decompressing a damaged member can raise: all of it means 'corrupt archive'."""


class SourceError(Exception):
    """A source that cannot be read at all; carries the problem to report."""

    def __init__(self, code: str, message: str, file: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.file = file

    def problem(self) -> Problem:
        return error(self.code, self.message, file=self.file)


class MissingFileError(SourceError, FileNotFoundError):
    """A reader asked for a file the source does not have.

    Still a FileNotFoundError for readers that test for one, and a SourceError, so a reader
    that forgot to check becomes a clean `missing-file` problem instead of a traceback.
    """

    def __init__(self, path: str) -> None:
        SourceError.__init__(self, "missing-file", f"{path} is missing", path)


def _is_junk(name: str) -> bool:
    return name in JUNK_NAMES or name.startswith("._")


_JUNK_HINTS = ("__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini", ".git", "._")


def _may_be_junk(path: str) -> bool:
    """A cheap pre-test so that 100K ordinary paths are not split into parts."""
    return any(hint in path for hint in _JUNK_HINTS)


def _is_beside_junk(name: str) -> bool:
    """Files that may sit beside a wrapper folder without making the root ambiguous."""
    return _is_junk(name) or name.lower().startswith("readme")


def check_member_name(name: str) -> str | None:
    """Why an archive member name is unsafe, or None. Names use '/' (zip and tar both)."""
    if "\x00" in name:
        return "contains a NUL character"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "is an absolute path"
    if ".." in name and ".." in name.replace("\\", "/").split("/"):  # the split only when it may matter
        return "contains '..'"
    return None


def _clean(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name


class _Backend:
    """How the bytes of one kind of source are reached. Paths are full paths in the backend."""

    def listing(self) -> dict[str, int]:
        raise NotImplementedError

    def open(self, path: str) -> IO[bytes]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _FsspecTree(_Backend):
    """A directory on any fsspec filesystem (local, memory://, github://, ...)."""

    def __init__(self, fs: fsspec.AbstractFileSystem, base: str, cleanup: str | None = None) -> None:
        self.fs = fs
        self.base = base.rstrip("/")
        self.cleanup = cleanup
        self._local = fs.protocol in ("file", "local") or "file" in getattr(fs, "protocol", ())

    def listing(self) -> dict[str, int]:
        if self._local:
            return self._local_listing()
        found = self.fs.find(self.base, withdirs=False, detail=True)
        out: dict[str, int] = {}
        prefix = self.base + "/"
        for full, info in found.items():
            rel = full[len(prefix):] if full.startswith(prefix) else full.lstrip("/")
            if info.get("type") == "link" or info.get("islink"):
                continue
            out[rel] = int(info.get("size") or 0)
        return out

    def _local_listing(self) -> dict[str, int]:
        # os.scandir is an order of magnitude faster than fsspec.find for 100K files.
        out: dict[str, int] = {}
        stack = [("", self.base)]
        while stack:
            rel_dir, full_dir = stack.pop()
            with os.scandir(full_dir) as it:
                for entry in it:
                    rel = f"{rel_dir}{entry.name}"
                    if entry.is_symlink():
                        continue  # never follow links out of the source
                    if entry.is_dir():
                        stack.append((rel + "/", entry.path))
                    elif entry.is_file():
                        out[rel] = entry.stat().st_size
        return out

    def open(self, path: str) -> IO[bytes]:
        full = f"{self.base}/{path}"
        if self._local:
            return open(full, "rb")
        return self.fs.open(full, "rb")  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.cleanup:
            shutil.rmtree(self.cleanup, ignore_errors=True)
            self.cleanup = None


class _Zip(_Backend):
    def __init__(self, fileobj: IO[bytes], label: str, limits: Limits, compressed_size: int) -> None:
        self.fileobj = fileobj
        try:
            self.zf = zipfile.ZipFile(fileobj)
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise SourceError("archive-corrupt", f"{label} is not a readable zip archive ({exc})", label) from exc
        self.infos: dict[str, zipfile.ZipInfo] = {}
        total = 0
        if len(infos) > limits.max_members:
            raise SourceError("archive-too-large",
                              f"{label} has {len(infos)} members, more than the limit of {limits.max_members}", label)
        for info in infos:
            name = info.filename
            why = check_member_name(name)
            if why:
                raise SourceError("archive-unsafe-path", f"archive member {name!r} {why}; refusing the archive", name)
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise SourceError("archive-unsupported", f"archive member {name!r} is encrypted; "
                                  "refusing the archive", name)
            if info.compress_type not in ZIP_METHODS:
                raise SourceError("archive-unsupported", f"archive member {name!r} uses compression method "
                                  f"{info.compress_type}, which lpconvert cannot read", name)
            name = _clean(name)
            if name in self.infos:
                raise SourceError("archive-duplicate-member",
                                  f"archive member {name!r} appears more than once; refusing the archive", name)
            mode = (info.external_attr >> 16) & 0o170000
            if mode == 0o120000:
                raise SourceError("archive-link", f"archive member {name!r} is a symbolic link; refusing the archive", name)
            total += info.file_size
            if total > limits.max_total_bytes:
                raise SourceError("archive-too-large",
                                  f"{label} expands to more than {limits.max_total_bytes} bytes", label)
            if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                raise SourceError("archive-bomb",
                                  f"archive member {name!r} expands {info.file_size / max(info.compress_size, 1):.0f}"
                                  f" times (limit {limits.max_ratio:g}); refusing the archive", name)
            self.infos[name] = info
        if total > limits.ratio_floor and total > limits.max_ratio * max(compressed_size, 1):
            raise SourceError("archive-bomb", f"{label} expands {total / max(compressed_size, 1):.0f} times"
                              f" (limit {limits.max_ratio:g}); refusing the archive", label)

    def listing(self) -> dict[str, int]:
        return {name: info.file_size for name, info in self.infos.items()}

    def open(self, path: str) -> IO[bytes]:
        return self.zf.open(self.infos[path])

    def close(self) -> None:
        self.zf.close()
        self.fileobj.close()


def _decompressed(fileobj: IO[bytes]) -> IO[bytes]:
    """The tar stream inside a gzip/bzip2/xz file.

    Decompressed here rather than by tarfile's "r|*" because tarfile's stream mode takes a
    truncated compressed file for a short archive and says nothing; these classes raise
    EOFError when the stream ends early and check the gzip CRC at the end.
    """
    head = fileobj.read(6)
    fileobj.seek(0)
    if head.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=fileobj, mode="rb")  # type: ignore[return-value]
    if head.startswith(b"BZh"):
        return bz2.BZ2File(fileobj)  # type: ignore[return-value]
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(fileobj)  # type: ignore[return-value]
    return fileobj


_TRAILER_CHECK = 1 << 20
"""How much of what follows the tar's end marker is read to reach the compressed trailer."""


def _copy_exactly(data: IO[bytes], out: IO[bytes], size: int, name: str, label: str) -> None:
    copied = 0
    while True:
        chunk = data.read(1 << 20)
        if not chunk:
            break
        copied += len(chunk)
        out.write(chunk)
    if copied != size:
        raise SourceError("archive-corrupt", f"{label} is truncated: member {name!r} has {copied} of its "
                          f"{size} bytes", label)


def _unpack_tar(fileobj: IO[bytes], label: str, limits: Limits, compressed_size: int) -> _FsspecTree:
    """Unpack a tar (any compression) into a private temporary directory, checking as we go."""
    tmp = tempfile.mkdtemp(prefix="lpconvert-src-")
    total = 0
    count = 0
    seen: set[str] = set()
    try:
        try:
            stream = _decompressed(fileobj)
            tar = tarfile.open(fileobj=stream, mode="r|")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise SourceError("archive-corrupt", f"{label} is not a readable tar archive ({exc})", label) from exc
        with tar:
            try:
                for member in tar:
                    name = member.name
                    why = check_member_name(name)
                    if why:
                        raise SourceError("archive-unsafe-path",
                                          f"archive member {name!r} {why}; refusing the archive", name)
                    if member.issym() or member.islnk():
                        raise SourceError("archive-link", f"archive member {name!r} is a "
                                          f"{'symbolic' if member.issym() else 'hard'} link to "
                                          f"{member.linkname!r}; refusing the archive", name)
                    if member.isdir():
                        continue
                    if not member.isfile():
                        raise SourceError("archive-unsafe-path",
                                          f"archive member {name!r} is a device or pipe; refusing the archive", name)
                    count += 1
                    total += member.size
                    if count > limits.max_members:
                        raise SourceError("archive-too-large",
                                          f"{label} has more than {limits.max_members} members", label)
                    if total > limits.max_total_bytes:
                        raise SourceError("archive-too-large",
                                          f"{label} expands to more than {limits.max_total_bytes} bytes", label)
                    if total > limits.ratio_floor and total > limits.max_ratio * max(compressed_size, 1):
                        raise SourceError("archive-bomb", f"{label} expands more than {limits.max_ratio:g} times"
                                          " its size; refusing the archive", label)
                    rel = _clean(name)
                    if not rel:
                        continue
                    if rel in seen:
                        raise SourceError("archive-duplicate-member", f"archive member {rel!r} appears more "
                                          "than once; refusing the archive", rel)
                    seen.add(rel)
                    dest = os.path.join(tmp, *rel.split("/"))
                    os.makedirs(os.path.dirname(dest), exist_ok=True)
                    data = tar.extractfile(member)
                    if data is None:
                        continue
                    with data, open(dest, "wb") as out:
                        _copy_exactly(data, out, member.size, rel, label)
                # reach the end of the compressed stream, so that truncation and CRC are checked
                if stream is not fileobj:
                    left = _TRAILER_CHECK
                    while left > 0 and (chunk := stream.read(min(left, 1 << 16))):
                        left -= len(chunk)
            except SourceError:
                raise
            except (tarfile.TarError, *READ_ERRORS) as exc:  # type: ignore[misc]
                raise SourceError("archive-corrupt", f"{label} is truncated or corrupt ({exc})", label) from exc
        return _FsspecTree(fsspec.filesystem("file"), tmp, cleanup=tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class _SingleFile(_Backend):
    """A source that is one file (a .json document, a .sqlite database)."""

    def __init__(self, fs: fsspec.AbstractFileSystem, path: str, size: int) -> None:
        self.fs = fs
        self.path = path
        self.name = posixpath.basename(path.rstrip("/")) or "file"
        self.size = size

    def listing(self) -> dict[str, int]:
        return {self.name: self.size}

    def open(self, path: str) -> IO[bytes]:
        return self.fs.open(self.path, "rb")  # type: ignore[no-any-return]


class Source:
    """The files of one package, rooted at the package, read-only.

    Paths are relative to the package root and use '/'. `files` maps every regular file
    to its size. A `Source` is also the `ResourceResolver` of the packages read from it:
    a media resource id is a path in the source.
    """

    def __init__(self, label: str, backend: _Backend, limits: Limits) -> None:
        self.label = label
        self.limits = limits
        self._backend = backend
        listing = {
            _clean(p): s for p, s in backend.listing().items()
            if not (_may_be_junk(p) and any(_is_junk(part) for part in p.split("/")))
        }
        self.root, self.ambiguous = _find_root(listing)
        cut = len(self.root)
        self.files: dict[str, int] = dict(sorted((p[cut:], s) for p, s in listing.items() if p.startswith(self.root)))
        self._dirs: set[str] | None = None

    # -- what is there ------------------------------------------------------------------
    @property
    def is_single_file(self) -> bool:
        return isinstance(self._backend, _SingleFile)

    @property
    def single_file_name(self) -> str | None:
        return self._backend.name if isinstance(self._backend, _SingleFile) else None

    def exists(self, path: str) -> bool:
        return path in self.files

    def isdir(self, path: str) -> bool:
        if self._dirs is None:
            dirs: set[str] = set()
            for p in self.files:
                while "/" in p:
                    p = p.rsplit("/", 1)[0]
                    if p in dirs:
                        break
                    dirs.add(p)
            self._dirs = dirs
        return path.rstrip("/") in self._dirs

    def list(self, prefix: str = "") -> Iterator[str]:
        """Files under `prefix` (a folder path ending in '/', or '' for all), sorted."""
        for p in self.files:
            if p.startswith(prefix):
                yield p

    def size(self, path: str) -> int | None:
        return self.files.get(path)

    # -- reading -------------------------------------------------------------------------
    def open(self, path: str) -> IO[bytes]:
        """A stream of one file. Damage found while reading it raises `SourceError`, not zlib's errors."""
        if path not in self.files:
            raise MissingFileError(path)
        try:
            inner = self._backend.open(self.root + path)
        except READ_ERRORS as exc:
            raise SourceError("archive-corrupt", f"cannot read {path}: {exc}", path) from exc
        return io.BufferedReader(_Guarded(inner, path), 1 << 16)

    def read_bytes(self, path: str, limit: int | None = None) -> bytes:
        """The whole file. With `limit`, refuse (SourceError file-too-large) a larger file."""
        size = self.files.get(path)
        if size is None:
            raise MissingFileError(path)
        if limit is not None and size > limit:
            raise SourceError("file-too-large", f"{path} is {size} bytes, more than the limit of {limit}", path)
        try:
            with self._backend.open(self.root + path) as f:
                return f.read() if limit is None else f.read(limit + 1)
        except READ_ERRORS as exc:
            raise SourceError("archive-corrupt", f"cannot read {path}: {exc}", path) from exc

    def read_text(self, path: str) -> str:
        """A UTF-8 text file (BOM tolerated), bounded by `limits.max_text_bytes`."""
        data = self.read_bytes(path, self.limits.max_text_bytes)
        if len(data) > self.limits.max_text_bytes:
            raise SourceError("file-too-large", f"{path} is larger than the limit of "
                              f"{self.limits.max_text_bytes} bytes", path)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SourceError("not-utf8", f"{path} is not UTF-8 text (byte {exc.start})", path) from exc

    def local_path(self) -> str | None:
        """The local filesystem path of a single-file source, if it has one."""
        backend = self._backend
        if isinstance(backend, _SingleFile) and "file" in _protocols(backend.fs):
            return str(backend.path)
        return None

    # -- lifetime ------------------------------------------------------------------------
    def close(self) -> None:
        self._backend.close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Guarded(io.RawIOBase):
    """A member stream whose read errors (a CRC mismatch, a truncated deflate stream) become
    `SourceError`, so a writer streaming media from a damaged archive fails cleanly and its
    sink is discarded, instead of surfacing zlib's exceptions as a traceback."""

    def __init__(self, inner: IO[bytes], path: str) -> None:
        self._inner = inner
        self._path = path

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._inner.read(len(buffer))
        except READ_ERRORS as exc:
            raise SourceError("archive-corrupt", f"cannot read {self._path}: {exc}", self._path) from exc
        n = len(data)
        buffer[:n] = data
        return n

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def _protocols(fs: Any) -> tuple[str, ...]:
    proto = fs.protocol
    return (proto,) if isinstance(proto, str) else tuple(proto)


def _find_root(paths: dict[str, int]) -> tuple[str, bool]:
    """The package root: '' or one wrapper folder ('MyLib/'), and whether it was ambiguous.

    One level only. Files such as README.txt beside a single folder do not count; two
    candidate folders (and no files) is ambiguous, and the root stays at the top.
    """
    top_files = [p for p in paths if "/" not in p and not _is_beside_junk(p)]
    top_dirs = {p.split("/", 1)[0] for p in paths if "/" in p}
    if not top_files and len(top_dirs) == 1:
        return next(iter(top_dirs)) + "/", False
    return "", (not top_files and len(top_dirs) > 1)


_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")


def _looks_like_tar(head: bytes) -> bool:
    return len(head) >= 262 and head[257:262] == b"ustar"


def open_source(location: str, limits: Limits | None = None) -> Source:
    """Open a path or fsspec URL as a `Source`. Raises `SourceError` with a clear message."""
    limits = limits or Limits.from_env()
    try:
        fs, path = fsspec.core.url_to_fs(location)
    except (ImportError, ValueError) as exc:
        raise SourceError("source-unreadable", f"cannot open {location}: {exc}", location) from exc
    try:
        info = fs.info(path)
    except FileNotFoundError:
        raise SourceError("source-not-found", f"{location} does not exist", location) from None
    except Exception as exc:  # noqa: BLE001 - remote filesystems raise anything
        raise SourceError("source-unreadable", f"cannot open {location}: {exc}", location) from exc
    if info.get("type") == "directory":
        try:
            source = Source(location, _FsspecTree(fs, path), limits)
        except OSError as exc:
            raise SourceError("source-unreadable", f"cannot list {location}: {exc}", location) from exc
        if not source.files:
            source.close()
            raise SourceError("empty-source", f"{location} is an empty directory", location)
        return source
    size = int(info.get("size") or 0)
    if size == 0:
        raise SourceError("empty-source", f"{location} is an empty file", location)
    try:
        # A local archive is read through the built-in file object: zipfile seeks and reads
        # once per member, and fsspec's wrapper adds a layer to each of those calls.
        fileobj = open(path, "rb") if "file" in _protocols(fs) else fs.open(path, "rb")
    except Exception as exc:  # noqa: BLE001 - permissions, remote errors
        raise SourceError("source-unreadable", f"cannot open {location}: {exc}", location) from exc
    try:
        head = fileobj.read(512)
        fileobj.seek(0)
    except Exception as exc:  # noqa: BLE001
        fileobj.close()
        raise SourceError("source-unreadable", f"cannot read {location}: {exc}", location) from exc
    lower = location.lower()
    if head.startswith(_ZIP_MAGIC):
        try:
            backend = _Zip(fileobj, location, limits, size)
        except BaseException:
            fileobj.close()
            raise
        source = Source(location, backend, limits)
        if not source.files:
            source.close()
            raise SourceError("empty-source", f"{location} is an archive with no files", location)
        return source
    if head.startswith(_COMPRESSED_MAGIC) or _looks_like_tar(head):
        try:
            tree = _unpack_tar(fileobj, location, limits, size)
        finally:
            fileobj.close()
        source = Source(location, tree, limits)
        if not source.files:
            source.close()
            raise SourceError("empty-source", f"{location} is an archive with no files", location)
        return source
    fileobj.close()
    if lower.endswith(".zip"):
        raise SourceError("archive-corrupt", f"{location} is not a zip archive", location)
    if lower.endswith((".tar.gz", ".tgz", ".tar")):
        raise SourceError("archive-corrupt", f"{location} is not a tar archive", location)
    return Source(location, _SingleFile(fs, path, size), limits)


def source_from_bytes(name: str, data: bytes, limits: Limits | None = None) -> Source:
    """A source over bytes in memory (used by tests and by libraries that hold an upload)."""
    fs = fsspec.filesystem("memory")
    path = f"/lpconvert-bytes/{id(data)}/{name}"
    with fs.open(path, "wb") as f:
        f.write(data)
    return open_source(f"memory://{path}", limits)
