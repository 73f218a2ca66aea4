"""Reading a JSON document into raw hub data, without keeping media on the heap.

The document is memory-mapped and decoded by msgspec in two steps: first the top level
and the list of entities as `msgspec.Raw` (zero-copy views into the map), then each entity
on its own into plain dicts, which *are* the raw hub data. Media payloads (the bulk of a
document) are not kept: each `{"text": ...}` or `{"base64": ...}` becomes a reference to
its place (entity, version, path) and is decoded again from the map when a writer opens it,
so a 100,000-component document is never held twice (as text and as objects).

The reader reports only what stops it: bytes that are not JSON (with the line and column
msgspec points at), a document that is not an object, or one nested deeper than
`Limits.max_nesting` (`json-too-deep`: everything after the reader recurses over the
values, so depth is bounded here, with the path of the first value too deep). Everything
else is the core's schema and consistency checks, named with the JSON path and line by
`JsonLocator`.
"""

from __future__ import annotations

import base64
import binascii
import io
import mmap
import os
import re
import shutil
import tempfile
from typing import IO, Any

import msgspec

from lpconvert.plugin import Loc, Origin, Problem, RawPackage, ReadOptions, Source, SourceError, error, too_deep

from .locate import MAX_INDEXED, JsonLocator

_BYTE = re.compile(r"\(byte (\d+)\)")
_RELEASE_EVERY = 2000
"""Entities decoded between two releases of the map's pages (keeps resident memory flat)."""

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


def _inline(value: Any) -> tuple[str, str] | None:
    """("text"|"base64", payload) when `value` is a well-formed inline media object."""
    if isinstance(value, dict) and len(value) == 1:
        (kind, payload), = value.items()
        if kind in ("text", "base64") and isinstance(payload, str):
            return kind, payload
    return None


def _size(kind: str, payload: str) -> int | None:
    if kind == "text":
        return len(payload.encode("utf-8"))
    try:
        return len(base64.b64decode(payload, validate=False))
    except (binascii.Error, ValueError):
        return None


def _release(buf: Any) -> None:
    if isinstance(buf, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        try:
            buf.madvise(mmap.MADV_DONTNEED)
        except OSError:
            pass


class JsonMedia:
    """`ResourceResolver` over the mapped document: re-decodes one entity (or the files) on demand."""

    def __init__(self, buf: Any, entities: list[msgspec.Raw], files: msgspec.Raw | None,
                 close: Any) -> None:
        self.buf = buf
        self.entities = entities
        self.files = files
        self._close = close
        self._cached: tuple[str, Any] | None = None
        self._decoded = 0

    def _payload(self, resource: str) -> tuple[str, str]:
        where, _, path = resource.partition("|")
        if self._cached is None or self._cached[0] != where:
            self._decoded += 1
            if self._decoded % _RELEASE_EVERY == 0:
                _release(self.buf)
            if where == "files":
                doc: Any = msgspec.json.decode(self.files) if self.files is not None else {}
            else:
                doc = msgspec.json.decode(self.entities[int(where.split(":")[0])])
            self._cached = (where, doc)
        doc = self._cached[1]
        if where == "files":
            value = doc[path]
        else:
            value = doc["versions"][int(where.split(":")[1])]["media"][path]
        found = _inline(value)
        if found is None:
            raise FileNotFoundError(resource)
        return found

    def open(self, resource: str) -> IO[bytes]:
        kind, payload = self._payload(resource)
        if kind == "text":
            return io.BytesIO(payload.encode("utf-8"))
        return io.BytesIO(base64.b64decode(payload))

    def size(self, resource: str) -> int | None:
        return _size(*self._payload(resource))

    def close(self) -> None:
        self._cached = None
        self.entities = []
        self.files = None
        self._close()


def _reference_media(entity: Any, index: int) -> None:
    """Replace each well-formed inline media object of an entity by a reference to it."""
    if not isinstance(entity, dict) or not isinstance(entity.get("versions"), list):
        return
    for j, version in enumerate(entity["versions"]):
        media = version.get("media") if isinstance(version, dict) else None
        if not isinstance(media, dict):
            continue
        for path, value in media.items():
            found = _inline(value)
            if found is not None and "|" not in f"{index}:{j}":
                media[path] = {"resource": f"{index}:{j}|{path}", "size": _size(*found)}


def _too_deep_to_parse(name: str, limit: int) -> Problem:
    return error("json-too-deep", f"{name} nests arrays or objects too deep to parse "
                 f"(more than {limit} levels are refused)", name)


def _too_deep_problem(name: str, locator: JsonLocator, loc: Loc, limit: int) -> Problem:
    field, line = locator.locate(name, loc)
    return error("json-too-deep", f"{name}: a value nests arrays or objects more than {limit} levels deep, "
                 "counting from the top of the document (the field names the first one too deep)",
                 name, field, line)


def read_json(source: Source, options: ReadOptions) -> RawPackage:
    name = _document_name(source)
    raw = RawPackage(data={})
    if name is None:
        raw.problems.append(error("missing-file", "expected one .json document", source.label))
        return raw
    options.progress.start(None, "reading json")  # one decode call: a phase with a name, not a count
    local = source.local_path()
    tmp: str | None = None
    handle = None
    buf: Any = b""

    def close() -> None:
        if isinstance(buf, mmap.mmap) and not buf.closed:
            try:
                buf.close()
            except BufferError:
                pass  # zero-copy views are still alive; the map goes with the last of them
        if handle is not None:
            handle.close()
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)

    try:
        if local is None:
            fd, tmp = tempfile.mkstemp(prefix="lpconvert-json-", suffix=".json")
            with os.fdopen(fd, "wb") as out, source.open(name) as src:
                shutil.copyfileobj(src, out, 1 << 20)
            local = tmp
        handle = open(local, "rb")  # noqa: SIM115 - kept open for the map, closed by the closer
        if os.fstat(handle.fileno()).st_size:
            buf = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        top = msgspec.json.decode(buf, type=dict[str, msgspec.Raw])
    except msgspec.ValidationError:
        close()
        raw.problems.append(error("invalid-value", f"{name} must hold a JSON object (the package)", name, line=1))
        return raw
    except msgspec.DecodeError as exc:
        m = _BYTE.search(str(exc))
        line, col = _line_col(buf, int(m.group(1))) if m else (None, None)
        close()
        where = f" (line {line}, column {col})" if line else ""
        message = _BYTE.sub("", str(exc)).strip().rstrip(".")
        raw.problems.append(error("json-syntax", f"{name} is not valid JSON{where}: {message}", name, line=line))
        return raw
    except UnicodeDecodeError as exc:  # msgspec raises this, not DecodeError, for some bad bytes
        close()
        raw.problems.append(error("not-utf8", f"{name} is not UTF-8 text (byte {exc.start})", name))
        return raw
    except RecursionError:
        close()
        raw.problems.append(_too_deep_to_parse(name, source.limits.max_nesting))
        return raw
    except SourceError as exc:
        close()
        raw.problems.append(exc.problem())
        return raw
    except OSError as exc:
        close()
        raw.problems.append(error("source-unreadable", f"cannot read {name}: {exc}", name))
        return raw

    def text() -> str | None:
        size = source.size(name)
        if size is not None and size > MAX_INDEXED:
            return None
        return source.read_bytes(name).decode("utf-8", "replace")

    max_nesting = source.limits.max_nesting
    locator = JsonLocator(text, max_nesting)
    raw.origins[()] = Origin(name, locator, holds_media=True)
    data: dict[str, Any] = {}
    entity_raws: list[msgspec.Raw] = []
    files_raw: msgspec.Raw | None = None
    try:
        for key, value in top.items():
            if key in IGNORED_KEYS:
                continue
            if key == "entities":
                try:
                    entity_raws = msgspec.json.decode(value, type=list[msgspec.Raw])
                except msgspec.ValidationError:
                    data[key] = msgspec.json.decode(value)  # not a list: the schema check says so
                    continue
                entities = []
                for i, item in enumerate(entity_raws):
                    entity = msgspec.json.decode(item)
                    deep = too_deep(entity, max_nesting - 2)  # the document and its list are two levels
                    if deep is not None:
                        close()
                        raw.problems.append(_too_deep_problem(name, locator, ("entities", i) + deep, max_nesting))
                        return raw
                    _reference_media(entity, i)
                    entities.append(entity)
                    if (i + 1) % _RELEASE_EVERY == 0:
                        _release(buf)
                data[key] = entities
            elif key == "files":
                files = msgspec.json.decode(value)
                if isinstance(files, dict):
                    files_raw = value
                    for path, media in files.items():
                        found = _inline(media)
                        if found is not None:
                            files[path] = {"resource": f"files|{path}", "size": _size(*found)}
                data[key] = files
            else:
                data[key] = msgspec.json.decode(value)
            deep = None if key == "entities" else too_deep(data.get(key), max_nesting - 1)
            if deep is not None:
                close()
                raw.problems.append(_too_deep_problem(name, locator, (key,) + deep, max_nesting))
                return raw
    except RecursionError:
        close()
        raw.problems.append(_too_deep_to_parse(name, max_nesting))
        return raw
    except msgspec.DecodeError as exc:  # e.g. a string that is not UTF-8
        close()
        raw.problems.append(error("json-syntax", f"{name} is not valid JSON: {exc}", name))
        return raw
    except UnicodeDecodeError as exc:
        close()
        raw.problems.append(error("not-utf8", f"{name} is not UTF-8 text (byte {exc.start})", name))
        return raw
    _release(buf)
    del top
    raw.data = data
    media = JsonMedia(buf, entity_raws, files_raw, close)
    raw.resources = media
    raw.closer = media.close
    return raw
