"""A zip as a source: every member checked once, up front, then read in place.

Archives are uploaded by strangers, so the whole central directory is checked before any
reader sees a byte: unsafe names, links, encryption, unknown compression, duplicates, and
the declared sizes against `Limits` (a member that expands too many times is a zip bomb).
Members are then read straight out of the archive, through a compact index.
"""

from __future__ import annotations

import zipfile
from array import array
from bisect import bisect_right
from collections.abc import Callable
from typing import IO

from .backend import Backend
from .errors import SourceError
from .limits import Limits
from .names import check_member_name, clean_member_name

ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})
"""Compression methods the standard library can read; anything else is refused up front."""


_GUARDS_OVERLAP = hasattr(zipfile.ZipInfo(), "_end_offset")
"""Whether this Python's `ZipFile.open` checks a member against where the next one starts (3.12+)."""


class ZipIndex:
    """Where each file member of a zip is, in a few flat arrays instead of one `ZipInfo` each.

    `zipfile` keeps a `ZipInfo` (about 400 bytes with its name, date tuple and int objects)
    for every member, folders included, for as long as the archive is open. The 100,000
    component library has 770,000 members, more than half of them folders: that index
    alone was about 400 MB of a 1.16 GB peak. This keeps the member names (the strings
    `zipfile` already decoded) and seven numbers per file, about a fifth of that; the
    `ZipInfo` objects are never all alive at once (`_IndexedZipFile`).
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
        self.all_offsets = array("Q")
        """Names as the archive spells them, for the few members whose name was cleaned ('./x')."""

    def add(self, name: str, info: zipfile.ZipInfo) -> None:
        self.position[name] = len(self.header_offset)
        self.header_offset.append(info.header_offset)
        self.compress_size.append(info.compress_size)
        self.file_size.append(info.file_size)
        self.crc.append(info.CRC)
        self.method.append(info.compress_type)
        self.flag_bits.append(info.flag_bits)
        self.end_offset.append(-1)  # set by `close_ends` once every member's offset is known
        if info.orig_filename != name:
            self.stored_names[name] = info.orig_filename

    def note_offset(self, header_offset: int) -> None:
        """Remember where a member (file or folder) starts, for `close_ends`."""
        if _GUARDS_OVERLAP:
            self.all_offsets.append(header_offset)

    def close_ends(self, central_directory: int) -> None:
        """Give each file the offset where the next member (or the central directory) starts.

        Python 3.12+ refuses to read a member past that point ("Overlapped entries", the
        overlapping-members zip bomb); zipfile works it out from its own member list, which
        this archive never keeps, so the index does it the same way.
        """
        if not _GUARDS_OVERLAP:
            return
        starts = sorted(self.all_offsets)
        self.all_offsets = array("Q")
        for i, offset in enumerate(self.header_offset):
            after = bisect_right(starts, offset)
            self.end_offset[i] = starts[after] if after < len(starts) else central_directory

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


class _EachMember(list):  # type: ignore[type-arg]
    """Stands in for `ZipFile.filelist` while the central directory is read: hands each
    member's `ZipInfo` to `visit` and keeps none of them."""

    def __init__(self, visit: Callable[[zipfile.ZipInfo], None]) -> None:
        super().__init__()
        self.visit = visit

    def append(self, info: zipfile.ZipInfo) -> None:
        self.visit(info)


class _NoNames(dict):  # type: ignore[type-arg]
    """Stands in for `ZipFile.NameToInfo` while the central directory is read: keeps nothing."""

    def __setitem__(self, name: str, info: zipfile.ZipInfo) -> None:
        pass


class _IndexedZipFile(zipfile.ZipFile):
    """A `ZipFile` that never holds its members' `ZipInfo`s: each is checked and indexed as
    the central directory is read, then dropped.

    Why: `zipfile` builds one `ZipInfo` (about 600 bytes with its name, date tuple and ints)
    for every member, folders included, before anyone can look at them. The 100,000
    component library has 770,000 members: that list peaked at 536 MB while the archive was
    opened, and the memory it freed was held by the process (not given back to the system)
    for the rest of the conversion, so it set the conversion's peak whatever came after.
    """

    def __init__(self, fileobj: IO[bytes], visit: Callable[[zipfile.ZipInfo], None]) -> None:
        self._visit = visit
        super().__init__(fileobj)

    def _RealGetContents(self) -> None:  # noqa: N802 (zipfile's name)
        self.filelist = _EachMember(self._visit)
        self.NameToInfo = _NoNames()
        try:
            super()._RealGetContents()  # type: ignore[misc]
        finally:
            self.filelist = []
            self.NameToInfo = {}


class ZipArchive(Backend):
    """A checked zip; members are read through `ZipIndex`, not through zipfile's own index."""

    def __init__(self, fileobj: IO[bytes], label: str, limits: Limits, compressed_size: int) -> None:
        self.fileobj = fileobj
        self.label = label
        self.limits = limits
        self.index = ZipIndex()
        self.members = 0
        self.total = 0
        try:
            self.zf: zipfile.ZipFile = _IndexedZipFile(fileobj, self._admit)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise SourceError("archive-corrupt", f"{label} is not a readable zip archive ({exc})", label) from exc
        total = self.total
        if total > limits.ratio_floor and total > limits.max_ratio * max(compressed_size, 1):
            raise SourceError("archive-bomb", f"{label} expands {total / max(compressed_size, 1):.0f} times"
                              f" (limit {limits.max_ratio:g}); refusing the archive", label)
        self.index.close_ends(self.zf.start_dir)

    def _admit(self, info: zipfile.ZipInfo) -> None:
        """Check one member of the central directory and index it (files only)."""
        limits, label = self.limits, self.label
        self.members += 1
        if self.members > limits.max_members:
            raise SourceError("archive-too-large",
                              f"{label} has more than {limits.max_members} members (the limit)", label)
        name = info.filename
        why = check_member_name(name)
        if why:
            raise SourceError("archive-unsafe-path", f"archive member {name!r} {why}; refusing the archive", name)
        self.index.note_offset(info.header_offset)
        if info.is_dir():
            return
        if info.flag_bits & 0x1:
            raise SourceError("archive-unsupported", f"archive member {name!r} is encrypted; "
                              "refusing the archive", name)
        if info.compress_type not in ZIP_METHODS:
            raise SourceError("archive-unsupported", f"archive member {name!r} uses compression method "
                              f"{info.compress_type}, which lpconvert cannot read", name)
        name = clean_member_name(name)
        if name in self.index.position:
            raise SourceError("archive-duplicate-member",
                              f"archive member {name!r} appears more than once; refusing the archive", name)
        mode = (info.external_attr >> 16) & 0o170000
        if mode == 0o120000:
            raise SourceError("archive-link", f"archive member {name!r} is a symbolic link; refusing the archive",
                              name)
        self.total += info.file_size
        if self.total > limits.max_total_bytes:
            raise SourceError("archive-too-large",
                              f"{label} expands to more than {limits.max_total_bytes} bytes", label)
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise SourceError("archive-bomb",
                              f"archive member {name!r} expands {info.file_size / max(info.compress_size, 1):.0f}"
                              f" times (limit {limits.max_ratio:g}); refusing the archive", name)
        self.index.add(name, info)

    def listing(self) -> dict[str, int]:
        return self.index.sizes()

    def open(self, path: str) -> IO[bytes]:
        return self.zf.open(self.index.info(path))

    def close(self) -> None:
        self.zf.close()
        self.fileobj.close()
