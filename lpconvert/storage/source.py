"""The read side's face: `open_source` turns a location into a `Source` readers walk.

Why not hand readers a raw fsspec filesystem? Three reasons, all learned the hard way by
tools that did:

* Archives are hostile until proven otherwise. Member names, links, sizes and compression
  ratios are checked once, before any reader sees a byte (`zip_read`, `tar_spool`).
* Random access into a .tar.gz re-decompresses the stream from the start for every member,
  so a tar is spooled once instead (`tar_spool`).
* Packages are often zipped inside a wrapper folder; the root is found here, once, by one
  rule, instead of by each reader.

Which container a location is comes from its first bytes, not its name; each container's
codec lives in its own module behind `Backend`. Local paths are reached with `os`, URLs
through fsspec (`location`).
"""

from __future__ import annotations

import copy
import io
import os
import stat
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, Literal

from .backend import Backend
from .directory import FsspecTree, LocalTree
from .errors import READ_ERRORS, MissingFileError, SourceError, StorageError
from .limits import Limits
from .location import locate
from .names import (
    JUNK_NAMES,
    LEFTOVER_SUFFIXES,
    LITTER_NAMES,
    check_member_name,
    clean_member_name,
    has_junk,
    is_junk,
    is_litter,
    may_sit_beside_a_wrapper,
)
from .single_file import SingleFile
from .tar_spool import unpack_tar
from .zip_read import ZIP_METHODS, ZipArchive

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

__all__ = [  # the names importers use from here (some now live in `errors` and `names`)
    "JUNK_NAMES", "LEFTOVER_SUFFIXES", "LITTER_NAMES", "READ_ERRORS", "ZIP_METHODS", "MissingFileError",
    "Source", "SourceError", "StorageError", "check_member_name", "is_junk", "is_litter", "open_source",
    "source_from_bytes",
]


class Source:
    """The files of one package, rooted at the package, read-only.

    Paths are relative to the package root and use '/'. `files` maps every regular file
    to its size. A `Source` is also the `ResourceResolver` of the packages read from it:
    a media resource id is a path in the source.
    """

    def __init__(self, label: str, backend: Backend, limits: Limits) -> None:
        self.label = label
        self.limits = limits
        self._backend = backend
        listing = {clean_member_name(p): s for p, s in backend.listing().items() if not has_junk(p)}
        self.root, self.ambiguous = _find_root(listing)
        cut = len(self.root)
        self.files: dict[str, int] = dict(sorted((p[cut:], s) for p, s in listing.items() if p.startswith(self.root)))
        self._dirs: set[str] | None = None

    # -- what is there ------------------------------------------------------------------
    @classmethod
    def from_location(cls, location: str, limits: Limits | None = None) -> Source:
        """`open_source`, for a plugin, which sees this class and nothing else of storage
        (a reader's worker process opens its own copy of the source: `local_location`)."""
        return open_source(location, limits)

    @property
    def local_location(self) -> str | None:
        """The label when it names a local zip or folder another process can open again
        (a reader's worker processes, `--jobs`); None for anything else (a URL, a tar
        unpacked in memory, a single file)."""
        return self.label if isinstance(self._backend, ZipArchive | LocalTree) else None

    @property
    def is_single_file(self) -> bool:
        return isinstance(self._backend, SingleFile)

    @property
    def single_file_name(self) -> str | None:
        return self._backend.name if isinstance(self._backend, SingleFile) else None

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

    def folder_views(self) -> dict[str, Source]:
        """Each top-level folder ('A/') as if it were the package root, sharing this source's reader.

        For asking "is there a package in here?" when the root is ambiguous. Built in one pass
        over the files (an archive of 100,000 folders must not cost 100,000 passes); a view is
        never closed on its own, since closing it would close this source.
        """
        groups: dict[str, dict[str, int]] = {}
        for path, size in self.files.items():
            top, slash, rest = path.partition("/")
            if slash:
                groups.setdefault(top + "/", {})[rest] = size
        views = {}
        for folder, files in sorted(groups.items()):
            view = copy.copy(self)
            view.root, view.files, view.ambiguous, view._dirs = self.root + folder, files, False, None
            views[folder] = view
        return views

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
        return backend.local_path() if isinstance(backend, SingleFile) else None

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



def _find_root(paths: dict[str, int]) -> tuple[str, bool]:
    """The package root: '' or one wrapper folder ('MyLib/'), and whether it was ambiguous.

    One level only. Files such as README.txt beside a single folder do not count; two
    candidate folders (and no files) is ambiguous, and the root stays at the top.
    """
    top_files = [p for p in paths if "/" not in p and not may_sit_beside_a_wrapper(p)]
    top_dirs = {p.split("/", 1)[0] for p in paths if "/" in p}
    if not top_files and len(top_dirs) == 1:
        return next(iter(top_dirs)) + "/", False
    return "", (not top_files and len(top_dirs) > 1)


_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00")


def _looks_like_tar(head: bytes) -> bool:
    return len(head) >= 262 and head[257:262] == b"ustar"


def archive_kind(head: bytes) -> Literal["zip", "tar"] | None:
    """What a file's first bytes (512 are enough) say it is: a zip, a tar (plain, gzip, bzip2
    or xz), or neither. `open_source` and `-` on the command line decide by this one rule."""
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head.startswith(_COMPRESSED_MAGIC) or _looks_like_tar(head):
        return "tar"
    return None


def _kind_and_size(fs: AbstractFileSystem | None, path: str) -> tuple[bool, int]:
    """(is a directory, size) of what is at `path`, links followed."""
    if fs is None:
        st = os.stat(path)
        return stat.S_ISDIR(st.st_mode), st.st_size
    info = fs.info(path)
    return info.get("type") == "directory", int(info.get("size") or 0)


def _non_empty(source: Source, what: str) -> Source:
    if not source.files:
        source.close()
        raise SourceError("empty-source", f"{source.label} is {what}", source.label)
    return source


def open_source(location: str, limits: Limits | None = None) -> Source:
    """Open a path or fsspec URL as a `Source`. Raises `SourceError` with a clear message."""
    limits = limits or Limits.from_env()
    try:
        fs, path = locate(location)
    except (ImportError, ValueError) as exc:
        raise SourceError("source-unreadable", f"cannot open {location}: {exc}", location) from exc
    try:
        is_dir, size = _kind_and_size(fs, path)
    except FileNotFoundError:
        raise SourceError("source-not-found", f"{location} does not exist", location) from None
    except Exception as exc:  # noqa: BLE001 - remote filesystems raise anything
        raise SourceError("source-unreadable", f"cannot open {location}: {exc}", location) from exc
    if is_dir:
        try:
            source = Source(location, LocalTree(path) if fs is None else FsspecTree(fs, path), limits)
        except OSError as exc:
            raise SourceError("source-unreadable", f"cannot list {location}: {exc}", location) from exc
        return _non_empty(source, "an empty directory")
    if size == 0:
        raise SourceError("empty-source", f"{location} is an empty file", location)
    return _open_file(location, fs, path, size, limits)


def _open_file(location: str, fs: AbstractFileSystem | None, path: str, size: int, limits: Limits) -> Source:
    """A file as a zip, a tar (any compression) or a single file, told apart by its first bytes."""
    try:
        # A local archive is read through the built-in file object: zipfile seeks and reads
        # once per member, and fsspec's wrapper adds a layer to each of those calls.
        fileobj = open(path, "rb") if fs is None else fs.open(path, "rb")
    except Exception as exc:  # noqa: BLE001 - permissions, remote errors
        raise SourceError("source-unreadable", f"cannot open {location}: {exc}", location) from exc
    try:
        head = fileobj.read(512)
        fileobj.seek(0)
    except Exception as exc:  # noqa: BLE001
        fileobj.close()
        raise SourceError("source-unreadable", f"cannot read {location}: {exc}", location) from exc
    kind = archive_kind(head)
    if kind == "zip":
        try:
            backend: Backend = ZipArchive(fileobj, location, limits, size)
        except BaseException:
            fileobj.close()
            raise
        return _non_empty(Source(location, backend, limits), "an archive with no files")
    if kind == "tar":
        try:
            backend = unpack_tar(fileobj, location, limits, size)
        finally:
            fileobj.close()
        return _non_empty(Source(location, backend, limits), "an archive with no files")
    fileobj.close()
    lower = location.lower()
    if lower.endswith(".zip"):
        raise SourceError("archive-corrupt", f"{location} is not a zip archive", location)
    if lower.endswith((".tar.gz", ".tgz", ".tar")):
        raise SourceError("archive-corrupt", f"{location} is not a tar archive", location)
    return Source(location, SingleFile(fs, path, size), limits)


def source_from_bytes(name: str, data: bytes, limits: Limits | None = None) -> Source:
    """A source over bytes in memory (used by tests and by libraries that hold an upload)."""
    import fsspec

    fs = fsspec.filesystem("memory")
    path = f"/lpconvert-bytes/{id(data)}/{name}"
    with fs.open(path, "wb") as f:
        f.write(data)
    return open_source(f"memory://{path}", limits)
