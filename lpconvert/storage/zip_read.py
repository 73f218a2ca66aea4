"""A zip as a source: every member checked once, up front, then read in place.

Archives are uploaded by strangers, so the whole central directory is checked before any
reader sees a byte: unsafe names, links, encryption, unknown compression, duplicates, and
the declared sizes against `Limits` (a member that expands too many times is a zip bomb).
Members are then read straight out of the archive, through a compact index.
"""

from __future__ import annotations

import zipfile
from array import array
from typing import IO

from .backend import Backend
from .errors import SourceError
from .limits import Limits
from .names import check_member_name, clean_member_name

ZIP_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})
"""Compression methods the standard library can read; anything else is refused up front."""


class ZipIndex:
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


class ZipArchive(Backend):
    """A checked zip; members are read through `ZipIndex`, not through zipfile's own index."""

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
        self.index = ZipIndex()
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
            name = clean_member_name(name)
            if name in self.index.position:
                raise SourceError("archive-duplicate-member",
                                  f"archive member {name!r} appears more than once; refusing the archive", name)
            mode = (info.external_attr >> 16) & 0o170000
            if mode == 0o120000:
                raise SourceError("archive-link", f"archive member {name!r} is a symbolic link; refusing the archive",
                                  name)
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
            if held is not None and hasattr(held, "clear"):
                held.clear()

    def listing(self) -> dict[str, int]:
        return self.index.sizes()

    def open(self, path: str) -> IO[bytes]:
        return self.zf.open(self.index.info(path))

    def close(self) -> None:
        self.zf.close()
        self.fileobj.close()
