"""Read-only sources: a directory, an archive or a single file, found through fsspec.

Why not hand readers a raw fsspec filesystem? Three reasons, all learned the hard way by
tools that did:

* Archives are hostile until proven otherwise. Member names, links, sizes and compression
  ratios are checked here, once, before any reader sees a byte.
* Random access into a .tar.gz through a filesystem layer re-decompresses the stream from
  the start for every member. A tar's files are therefore copied once, as the stream
  passes (after the same checks), into one anonymous temporary file and read from there.
* Packages are often zipped inside a wrapper folder; the root is found here, once, by one
  rule, instead of by each reader.

Locating and opening the bytes (local paths, memory://, github://, s3://...) goes through
fsspec; zip and tar containers are parsed with the standard library.
"""

from __future__ import annotations

import bz2
import copy
import gzip
import io
import lzma
import os
import posixpath
import tarfile
import tempfile
import zipfile
import zlib
from array import array
from collections.abc import Iterator
from typing import IO, Any

import fsspec

from ..problems import Problem, error
from .limits import Limits

LITTER_NAMES = frozenset({"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"})
"""What operating systems leave beside files: never content, and nothing anyone misses."""
JUNK_NAMES = LITTER_NAMES | {".git"}
"""Names a source leaves out of its listing: the litter, and a version-control folder."""
LEFTOVER_SUFFIXES = (".lpconvert-tmp", ".lpconvert-old")
"""The endings of lpconvert's own temporary siblings of a destination (see `sink`): a run
that was killed may leave one behind, and it is never part of a package."""

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


def is_litter(name: str) -> bool:
    """A file or folder name that is operating-system litter or an lpconvert leftover."""
    return name in LITTER_NAMES or name.startswith("._") or name.endswith(LEFTOVER_SUFFIXES)


def is_junk(name: str) -> bool:
    """A name a source leaves out of its listing: litter, or a `.git` folder."""
    return name in JUNK_NAMES or is_litter(name)


_JUNK_HINTS = ("__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini", ".git", "._", ".lpconvert-")


def _may_be_junk(path: str) -> bool:
    """A cheap pre-test so that 100K ordinary paths are not split into parts."""
    return any(hint in path for hint in _JUNK_HINTS)


def _is_beside_junk(name: str) -> bool:
    """Files that may sit beside a wrapper folder without making the root ambiguous."""
    return is_junk(name) or name.lower().startswith("readme")


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

    def __init__(self, fs: fsspec.AbstractFileSystem, base: str) -> None:
        self.fs = fs
        self.base = base.rstrip("/")
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


class _ZipIndex:
    """Where each file member of a zip is, in a few flat arrays instead of one `ZipInfo` each.

    `zipfile` keeps a `ZipInfo` (about 400 bytes with its name, date tuple and int objects)
    for every member, folders included, for as long as the archive is open. The 100,000
    component library has 770,000 members, more than half of them folders: that index
    alone was about 400 MB of a 1.16 GB peak. This keeps the member names (the strings
    `zipfile` already decoded) and seven numbers per file, about a fifth of that, and lets the
    `ZipInfo` objects go as soon as the archive has been checked.
    """

    def __init__(self) -> None:
        self.position: dict[str, int] = {}
        self.header_offset = array("Q")
        self.compress_size = array("Q")
        self.file_size = array("Q")
        self.crc = array("L")
        self.method = array("B")
        self.flag_bits = array("H")
        self.end_offset = array("q")
        self.stored_names: dict[str, str] = {}
        """Names as the archive spells them, for the few members whose name was cleaned ('./x')."""

    def add(self, name: str, info: zipfile.ZipInfo) -> None:
        self.position[name] = len(self.header_offset)
        self.header_offset.append(info.header_offset)
        self.compress_size.append(info.compress_size)
        self.file_size.append(info.file_size)
        self.crc.append(info.CRC)
        self.method.append(info.compress_type)
        self.flag_bits.append(info.flag_bits)
        end = getattr(info, "_end_offset", None)  # Python 3.12+: guards against overlapping members
        self.end_offset.append(-1 if end is None else end)
        if info.orig_filename != name:
            self.stored_names[name] = info.orig_filename

    def sizes(self) -> dict[str, int]:
        sizes = self.file_size
        return {name: sizes[i] for name, i in self.position.items()}

    def info(self, name: str) -> zipfile.ZipInfo:
        """A `ZipInfo` good enough for `ZipFile.open`, made again for this one read."""
        i = self.position[name]
        info = zipfile.ZipInfo(self.stored_names.get(name, name))
        info.header_offset = self.header_offset[i]
        info.compress_size = self.compress_size[i]
        info.file_size = self.file_size[i]
        info.CRC = self.crc[i]
        info.compress_type = self.method[i]
        info.flag_bits = self.flag_bits[i]
        if self.end_offset[i] >= 0 and hasattr(info, "_end_offset"):
            info._end_offset = self.end_offset[i]  # type: ignore[attr-defined]
        return info


class _Zip(_Backend):
    def __init__(self, fileobj: IO[bytes], label: str, limits: Limits, compressed_size: int) -> None:
        self.fileobj = fileobj
        try:
            self.zf = zipfile.ZipFile(fileobj)
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise SourceError("archive-corrupt", f"{label} is not a readable zip archive ({exc})", label) from exc
        if len(infos) > limits.max_members:
            raise SourceError("archive-too-large",
                              f"{label} has {len(infos)} members, more than the limit of {limits.max_members}", label)
        self.index = _ZipIndex()
        total = 0
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
            if name in self.index.position:
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
            self.index.add(name, info)
        if total > limits.ratio_floor and total > limits.max_ratio * max(compressed_size, 1):
            raise SourceError("archive-bomb", f"{label} expands {total / max(compressed_size, 1):.0f} times"
                              f" (limit {limits.max_ratio:g}); refusing the archive", label)
        del infos
        self._forget_zipinfos()

    def _forget_zipinfos(self) -> None:
        """Drop zipfile's own per-member index: every read goes through `self.index` instead."""
        for attr in ("filelist", "NameToInfo"):
            held = getattr(self.zf, attr, None)
            if hasattr(held, "clear"):
                held.clear()

    def listing(self) -> dict[str, int]:
        return self.index.sizes()

    def open(self, path: str) -> IO[bytes]:
        return self.zf.open(self.index.info(path))

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


class _TarSpool(_Backend):
    """The members of a tar, copied once, back to back, into one anonymous temporary file.

    A compressed tar has no index, so its members are copied out as the stream passes.
    Into one file, not a folder of files: an OLX course of 10,000 components has 36,000
    small members, and creating, closing and later deleting a file for each cost more than
    all the parsing. The file is unlinked from the start (`tempfile.TemporaryFile`), so
    nothing is left on disk however the process ends, and a member is read with one
    positioned read.
    """

    def __init__(self, spool: IO[bytes], members: dict[str, tuple[int, int]]) -> None:
        self.spool = spool
        self.members = members
        """name -> (offset in the spool, size)"""

    def listing(self) -> dict[str, int]:
        return {name: size for name, (_, size) in self.members.items()}

    def open(self, path: str) -> IO[bytes]:
        offset, size = self.members[path]
        return _SpoolSlice(self.spool, offset, size)  # type: ignore[return-value]

    def close(self) -> None:
        self.spool.close()


class _SpoolSlice(io.RawIOBase):
    """One member of a `_TarSpool`: a read-only window onto the spool file."""

    def __init__(self, spool: IO[bytes], offset: int, size: int) -> None:
        self._spool = spool
        self._start = offset
        self._end = offset + size
        self._pos = offset

    def readable(self) -> bool:
        return True

    def _pread(self, n: int) -> bytes:
        if hasattr(os, "pread"):
            return os.pread(self._spool.fileno(), n, self._pos)
        self._spool.seek(self._pos)  # no pread (Windows): readers are single-threaded
        return self._spool.read(n)

    def read(self, n: int | None = -1) -> bytes:
        left = self._end - self._pos
        n = left if n is None or n < 0 else min(n, left)
        if n <= 0:
            return b""
        data = self._pread(n)
        self._pos += len(data)
        return data

    def readall(self) -> bytes:
        return self.read(-1)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _check_tar_member(member: tarfile.TarInfo) -> bool:
    """Refuse unsafe members (raises); True for a regular file to copy, False for a folder."""
    name = member.name
    why = check_member_name(name)
    if why:
        raise SourceError("archive-unsafe-path", f"archive member {name!r} {why}; refusing the archive", name)
    if member.issym() or member.islnk():
        raise SourceError("archive-link", f"archive member {name!r} is a "
                          f"{'symbolic' if member.issym() else 'hard'} link to "
                          f"{member.linkname!r}; refusing the archive", name)
    if member.isdir():
        return False
    if not member.isfile():
        raise SourceError("archive-unsafe-path",
                          f"archive member {name!r} is a device or pipe; refusing the archive", name)
    return True


def _unpack_tar(fileobj: IO[bytes], label: str, limits: Limits, compressed_size: int) -> _TarSpool:
    """Copy a tar's (any compression) files into one temporary spool, checking as we go."""
    spool = tempfile.TemporaryFile(prefix="lpconvert-src-")
    total = 0
    members: dict[str, tuple[int, int]] = {}
    try:
        try:
            stream = _decompressed(fileobj)
            tar = tarfile.open(fileobj=stream, mode="r|")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise SourceError("archive-corrupt", f"{label} is not a readable tar archive ({exc})", label) from exc
        with tar:
            try:
                for member in tar:
                    if not _check_tar_member(member):
                        continue
                    total += member.size
                    if len(members) >= limits.max_members:
                        raise SourceError("archive-too-large",
                                          f"{label} has more than {limits.max_members} members", label)
                    if total > limits.max_total_bytes:
                        raise SourceError("archive-too-large",
                                          f"{label} expands to more than {limits.max_total_bytes} bytes", label)
                    if total > limits.ratio_floor and total > limits.max_ratio * max(compressed_size, 1):
                        raise SourceError("archive-bomb", f"{label} expands more than {limits.max_ratio:g} times"
                                          " its size; refusing the archive", label)
                    rel = _clean(member.name)
                    if not rel:
                        continue
                    if rel in members:
                        raise SourceError("archive-duplicate-member", f"archive member {rel!r} appears more "
                                          "than once; refusing the archive", rel)
                    data = tar.extractfile(member)
                    if data is None:
                        continue
                    offset = spool.tell()
                    with data:
                        _copy_exactly(data, spool, member.size, rel, label)
                    members[rel] = (offset, member.size)
                # reach the end of the compressed stream, so that truncation and CRC are checked
                if stream is not fileobj:
                    left = _TRAILER_CHECK
                    while left > 0 and (chunk := stream.read(min(left, 1 << 16))):
                        left -= len(chunk)
            except SourceError:
                raise
            except (tarfile.TarError, *READ_ERRORS) as exc:  # type: ignore[misc]
                raise SourceError("archive-corrupt", f"{label} is truncated or corrupt ({exc})", label) from exc
        spool.flush()
        return _TarSpool(spool, members)
    except BaseException:
        spool.close()
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
            if not (_may_be_junk(p) and any(is_junk(part) for part in p.split("/")))
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
