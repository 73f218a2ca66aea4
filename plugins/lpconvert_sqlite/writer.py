"""Writing a package into a fresh SQLite database, in one transaction, streaming media.

Rows are inserted with `executemany` in batches (never the whole package at once), media
up to `INLINE_LIMIT` go in with their row, and larger files are streamed into a
preallocated blob, so memory stays flat whatever the package size. The database file is
the sink's temporary file, moved into place only when complete, so the journal is off.

Text goes into `media.text` when the bytes are UTF-8 (so `LIKE` and `instr` work on OLX),
anything else into `media.data`; the `encoding` column says which.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import sqlite3
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from lpconvert.plugin import FileSink, MediaFile, Package, Problem, Sink, TextMedia, WriteOptions

from .plugin import APPLICATION_ID
from .schema import FORMAT_VERSION, SCHEMA

INLINE_LIMIT = 1 << 20
"""Media larger than this are streamed into their blob in chunks and stored as binary."""

BATCH = 2000
"""Entities per executemany batch."""

_ENTITY_COLUMNS = {"key", "container_type", "can_stand_alone", "created", "draft_version", "published_version",
                   "versions"}
_VERSION_COLUMNS = {"version_num", "title", "created", "children", "media", "attributes"}
_COLLECTION_COLUMNS = {"key", "title", "description", "created", "entities"}
_LP_COLUMNS = {"key", "title", "description", "created", "updated"}
_PACKAGE_COLUMNS = {"meta", "learning_package", "entities", "collections", "root", "files"}


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_data(model: BaseModel, **dump: Any) -> Any:
    """`model.model_dump(mode="json", **dump)` with NaN and infinity kept: pydantic's JSON mode
    makes them null, while `_json` writes them as NaN / Infinity and the reader's json.loads
    takes them back (these columns are lpconvert's own, never read by a strict JSON parser)."""
    return to_jsonable_python(model.model_dump(mode="python", **dump), inf_nan_mode="constants")


_NO_COLUMN: dict[type, set[str]] = {}


def _extra(model: BaseModel, columns: set[str]) -> str | None:
    """Every field without a column (unknown fields, fields newer than this writer) as JSON."""
    cls = type(model)
    if cls not in _NO_COLUMN:
        _NO_COLUMN[cls] = set(cls.model_fields) - columns
    if not model.model_extra and not _NO_COLUMN[cls]:
        return None  # the common case, without a pydantic dump per row
    rest = _json_data(model, exclude=columns)
    return _json(rest) if rest else None


def _iso(value: datetime | None) -> str | None:
    """ISO 8601 as pydantic writes it in JSON (UTC as 'Z'), without a model dump per row."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _dump(model: BaseModel | None) -> str | None:
    if model is None:
        return None
    data = _json_data(model)
    for name in type(model).model_fields:
        if data.get(name, 0) is None:
            del data[name]
    return _json(data)


class _Media:
    """Inserts media rows: small ones batched, large ones streamed into blobs."""

    def __init__(self, conn: sqlite3.Connection, package: Package) -> None:
        self.conn = conn
        self.package = package
        self.next_id = 1
        self.rows: list[tuple[Any, ...]] = []

    def add(self, entity_id: int | None, version_num: int | None, path: str, media: MediaFile) -> None:
        media_id = self.next_id
        self.next_id += 1
        ext = posixpath.splitext(path)[1][1:].lower()
        text: str | None
        if isinstance(media, TextMedia):
            text = media.text
            data = text.encode("utf-8")
        else:
            size = self.package.media_size(media)
            if size > INLINE_LIMIT:
                self._stream(media_id, entity_id, version_num, path, ext, media, size)
                return
            data = self.package.read_media(media)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        digest = hashlib.sha256(data).hexdigest()
        if text is not None:
            self.rows.append((media_id, entity_id, version_num, path, ext, "text", text, None, len(data), digest))
        else:
            self.rows.append((media_id, entity_id, version_num, path, ext, "binary", None, data, len(data), digest))
        if len(self.rows) >= BATCH:
            self.flush()

    def _stream(self, media_id: int, entity_id: int | None, version_num: int | None, path: str, ext: str,
                media: MediaFile, size: int) -> None:
        self.conn.execute("INSERT INTO media VALUES (?, ?, ?, ?, ?, 'binary', NULL, zeroblob(?), ?, '')",
                          (media_id, entity_id, version_num, path, ext, size, size))
        digest = hashlib.sha256()
        written = 0
        with self.package.open_media(media) as stream, self.conn.blobopen("media", "data", media_id) as blob:
            while written < size:
                chunk = stream.read(min(1 << 20, size - written))
                if not chunk:
                    break
                blob.write(chunk)
                digest.update(chunk)
                written += len(chunk)
        if written != size:
            raise OSError(f"media {path!r} gave {written} bytes, expected {size}")
        self.conn.execute("UPDATE media SET sha256 = ? WHERE id = ?", (digest.hexdigest(), media_id))

    def flush(self) -> None:
        if self.rows:
            self.conn.executemany("INSERT INTO media VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self.rows)
            self.rows = []


def _flush(conn: sqlite3.Connection, table: str, width: int, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * width)})", rows)
        rows.clear()


def _write_entities(conn: sqlite3.Connection, package: Package, media: _Media, options: WriteOptions) -> None:
    entities: list[tuple[Any, ...]] = []
    versions: list[tuple[Any, ...]] = []
    children: list[tuple[Any, ...]] = []
    progress = options.progress
    for entity_id, e in enumerate(package.model.entities, start=1):
        block_type = None if e.container_type else (e.key.split(":")[1] if e.key.count(":") >= 2 else None)
        entities.append((entity_id, e.key, e.kind, e.container_type, block_type, int(e.can_stand_alone),
                         _iso(e.created), e.draft_version, e.published_version, _extra(e, _ENTITY_COLUMNS)))
        for position, v in enumerate(e.versions):
            versions.append((entity_id, v.version_num, position, v.title, _iso(v.created),
                             int(v.children is not None), _json(v.attributes),
                             _extra(v, _VERSION_COLUMNS)))
            children.extend((entity_id, v.version_num, i, key) for i, key in enumerate(v.children or ()))
            for path, m in v.media.items():
                media.add(entity_id, v.version_num, path, m)
        progress.advance()
        if len(entities) >= BATCH:
            _flush(conn, "entities", 10, entities)
            _flush(conn, "versions", 8, versions)
            _flush(conn, "children", 4, children)
    _flush(conn, "entities", 10, entities)
    _flush(conn, "versions", 8, versions)
    _flush(conn, "children", 4, children)


def _write_collections(conn: sqlite3.Connection, package: Package) -> None:
    rows: list[tuple[Any, ...]] = []
    members: list[tuple[Any, ...]] = []
    for cid, c in enumerate(package.model.collections, start=1):
        rows.append((cid, c.key, c.title, c.description, _iso(c.created), _extra(c, _COLLECTION_COLUMNS)))
        members.extend((cid, i, key) for i, key in enumerate(c.entities))
    _flush(conn, "collections", 6, rows)
    _flush(conn, "collection_members", 3, members)


def _package_row(package: Package) -> tuple[Any, ...]:
    model = package.model
    lp = model.learning_package
    extra: dict[str, Any] = {}
    rest = _json_data(model, exclude=_PACKAGE_COLUMNS)
    if rest:
        extra["package"] = rest
    lp_rest = _json_data(lp, exclude=_LP_COLUMNS)
    if lp_rest:
        extra["learning_package"] = lp_rest
    return (1, lp.key, lp.title, lp.description, _iso(lp.created), _iso(lp.updated),
            _dump(model.meta), _dump(model.root), _json(extra) if extra else None)


def create_schema(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
    conn.executescript(SCHEMA)


def write_sqlite(package: Package, sink: Sink, options: WriteOptions) -> list[Problem]:
    assert isinstance(sink, FileSink), "the sqlite format writes one file"
    with open(sink.path, "wb"):
        pass  # start from an empty file whatever was there
    conn = sqlite3.connect(sink.path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        create_schema(conn)  # executescript commits by itself: the schema comes first
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO lpconvert VALUES (?, ?)",
                         [("format", "lpconvert-sqlite"), ("format_version", str(FORMAT_VERSION))])
        conn.execute("INSERT INTO package VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", _package_row(package))
        progress = options.progress
        progress.start(len(package.model.entities), "writing sqlite")
        media = _Media(conn, package)
        _write_entities(conn, package, media, options)
        _write_collections(conn, package)
        for path, m in package.model.files.items():
            media.add(None, None, path, m)
        media.flush()
        conn.execute("COMMIT")
        progress.finish()
    finally:
        conn.close()
    return []
