"""A tar (plain, gzip, bzip2 or xz) as a source: copied once, as the stream passes, into a spool.

Random access into a .tar.gz through a filesystem layer re-decompresses the stream from the
start for every member. A tar's files are therefore copied once, after the same checks a
zip's members get (unsafe names, links, devices, duplicates, `Limits`), into one anonymous
temporary file and read from there. A truncated or corrupt stream is refused as a whole,
never read as a shorter archive.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import tarfile
import tempfile
from typing import IO, Any

from .backend import Backend
from .errors import READ_ERRORS, SourceError
from .limits import Limits
from .names import check_member_name, clean_member_name


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


class TarSpool(Backend):
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
    """One member of a `TarSpool`: a read-only window onto the spool file."""

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


def unpack_tar(fileobj: IO[bytes], label: str, limits: Limits, compressed_size: int) -> TarSpool:
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
                    rel = clean_member_name(member.name)
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
        return TarSpool(spool, members)
    except BaseException:
        spool.close()
        raise

