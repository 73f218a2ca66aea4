"""Reading a JSON document into raw hub data.

The document is decoded by msgspec straight from a memory map of the file (no second copy
of a large document on the heap) into plain dicts, which *are* the raw hub data: schema and
consistency checks belong to the core, which reports them with the JSON path and line.
The reader itself only reports what stops it: bytes that are not JSON (with the line and
column msgspec points at) or a document that is not an object.
"""

from __future__ import annotations

import mmap
import os
import re
import shutil
import tempfile
from typing import Any

import msgspec

from lpconvert.formats import ReadOptions
from lpconvert.package import Origin, RawPackage
from lpconvert.problems import error
from lpconvert.storage import Source, SourceError

from .locate import MAX_INDEXED, JsonLocator

_BYTE = re.compile(r"\(byte (\d+)\)")

IGNORED_KEYS = ("$schema",)
"""Keys an editor may add for schema completion; they are not package content."""


def _document_name(source: Source) -> str | None:
    if source.is_single_file:
        return source.single_file_name
    names = [p for p in source.files if p.lower().endswith(".json") and "/" not in p]
    return names[0] if len(names) == 1 else None


def _line_col(buf: Any, offset: int) -> tuple[int, int]:
    head = bytes(buf[:offset])
    line = head.count(b"\n") + 1
    return line, offset - (head.rfind(b"\n") + 1) + 1


def read_json(source: Source, options: ReadOptions) -> RawPackage:
    name = _document_name(source)
    raw = RawPackage(data={})
    if name is None:
        raw.problems.append(error("missing-file", "expected one .json document", source.label))
        return raw
    local = source.local_path()
    tmp: str | None = None
    try:
        if local is None:
            fd, tmp = tempfile.mkstemp(prefix="lpconvert-json-", suffix=".json")
            with os.fdopen(fd, "wb") as out, source.open(name) as src:
                shutil.copyfileobj(src, out, 1 << 20)
            local = tmp
        with open(local, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            buf: Any = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        try:
            try:
                doc = msgspec.json.decode(buf)
            except msgspec.DecodeError as exc:
                m = _BYTE.search(str(exc))
                line, col = _line_col(buf, int(m.group(1))) if m else (None, None)
                where = f" (line {line}, column {col})" if line else ""
                message = _BYTE.sub("", str(exc)).strip().rstrip(".")
                raw.problems.append(error("json-syntax", f"{name} is not valid JSON{where}: {message}",
                                          name, line=line))
                return raw
            except UnicodeDecodeError as exc:
                raw.problems.append(error("not-utf8", f"{name} is not UTF-8 text (byte {exc.start})", name))
                return raw
        finally:
            if isinstance(buf, mmap.mmap):
                buf.close()
    except SourceError as exc:
        raw.problems.append(exc.problem())
        return raw
    except OSError as exc:
        raw.problems.append(error("source-unreadable", f"cannot read {name}: {exc}", name))
        return raw
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)

    if not isinstance(doc, dict):
        raw.problems.append(error("invalid-value", f"{name} must hold a JSON object (the package), "
                                  f"not a {type(doc).__name__}", name, line=1))
        return raw
    for key in IGNORED_KEYS:
        doc.pop(key, None)
    raw.data = doc

    def text() -> str | None:
        if source.size(name) is not None and (source.size(name) or 0) > MAX_INDEXED:
            return None
        return source.read_bytes(name).decode("utf-8", "replace")

    raw.origins[()] = Origin(name, JsonLocator(text))
    return raw
