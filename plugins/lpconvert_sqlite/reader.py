"""Reading an lpconvert SQLite database into raw hub data.

The database is opened read-only (a remote source is first copied to a temporary file,
since SQLite needs a real file). Tables and columns are checked first, so a database that
is not ours, or that a researcher has altered, is reported table by table (`sqlite-error`)
instead of failing on the first query. Rows become plain dicts; the core validates them
and names the row and column of each problem through `SqliteLocator`.

Media are not read here: each becomes a reference to its row, opened on demand (as an
incremental blob read for binary data), so reading stays flat in memory.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import tempfile
import urllib.parse
from typing import IO, Any

from lpconvert.formats import ReadOptions
from lpconvert.package import Loc, Origin, RawPackage
from lpconvert.problems import Problem, error, warning
from lpconvert.storage import Source

from .schema import FORMAT_VERSION, REQUIRED


class _Window:
    """Consecutive media rows from `first` to `last` (ids); an id between them not in `rows` has no row."""

    __slots__ = ("first", "last", "rows")

    def __init__(self, first: int, rows: list[tuple[Any, ...]]) -> None:
        self.first = first
        self.last = rows[-1][0] if rows else first
        self.rows = {row[0]: row[1:] for row in rows}


class SqliteResources:
    """`ResourceResolver` over the media table: a resource id is a media row id.

    The consistency check and the writers ask for media one at a time, mostly in package
    order, which is the order of the media ids; one query per file was most of the time
    spent reading a database (26,800 queries for 10,000 components). So rows are fetched a
    window at a time: up to `WINDOW` rows from the id asked for, each with its content when
    that is small (`SMALL` characters of text or bytes of data at most). A few windows are
    kept, because a writer may walk several runs of ids at once (the OLX writer goes
    through the course tree, one block type's files after another's), so memory stays a
    few MB at worst whatever the package size. A large file, a value of an unexpected type,
    or an id no window holds is read on its own, binary data as an incremental blob read.
    """

    WINDOW = 128
    FIRST_WINDOW = 16
    """A new run of ids starts with a small window: the reader may not be going in order at all."""
    WINDOWS = 8
    SMALL = 1 << 14

    _WINDOW_SQL = (
        "SELECT id, encoding, size, typeof(text), typeof(data), "
        "CASE WHEN typeof(text) = 'text' AND length(text) <= :small THEN text END, "
        "CASE WHEN typeof(data) = 'blob' AND length(data) <= :small THEN data END "
        "FROM media WHERE id >= :first ORDER BY id LIMIT :window")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._windows: list[_Window] = []
        """Oldest first."""

    def _cached(self, media_id: int) -> tuple[Any, ...] | None:
        """The row of `media_id` from a window, fetching one that starts there when none holds it."""
        for window in self._windows:
            if window.first <= media_id <= window.last:
                return window.rows.get(media_id)
        onward = next((w for w in self._windows if w.last < media_id <= w.last + self.WINDOW), None)
        if onward is not None:
            self._windows.remove(onward)  # that run goes on: its next window replaces it
        elif len(self._windows) >= self.WINDOWS:
            del self._windows[0]
        rows = self.conn.execute(self._WINDOW_SQL, {
            "small": self.SMALL, "first": media_id,
            "window": self.WINDOW if onward is not None else self.FIRST_WINDOW}).fetchall()
        window = _Window(media_id, rows)
        self._windows.append(window)
        return window.rows.get(media_id)

    def open(self, resource: str) -> IO[bytes]:
        media_id = int(resource)
        row = self._cached(media_id)
        if row is not None:
            encoding, _, text_type, data_type, text, data = row
            if encoding == "text" and (text is not None or text_type == "null"):
                return io.BytesIO(text.encode("utf-8") if text is not None else b"")
            if encoding != "text" and (data is not None or data_type == "null"):
                return io.BytesIO(data if data is not None else b"")
        return self._open_alone(resource)

    def _open_alone(self, resource: str) -> IO[bytes]:
        """One row's content with a query of its own: large files, and anything unusual."""
        media_id = int(resource)
        row = self.conn.execute("SELECT encoding, text, data IS NULL FROM media WHERE id = ?",
                                (media_id,)).fetchone()
        if row is None:
            raise FileNotFoundError(resource)
        encoding, text, no_data = row
        if encoding == "text":
            return io.BytesIO(text.encode("utf-8") if isinstance(text, str) else bytes(text or b""))
        if no_data:
            return io.BytesIO(b"")
        return self.conn.blobopen("media", "data", media_id, readonly=True)  # type: ignore[return-value]

    def size(self, resource: str) -> int | None:
        row = self._cached(int(resource))
        size = row[1] if row is not None else None  # not in the window that holds or starts at it: no row
        return int(size) if isinstance(size, int) else None


class SqliteLocator:
    """Names a problem's row and column: ``versions[entity=unit-a, version_num=2].title``."""

    def __init__(self) -> None:
        self.entity_keys: list[str] = []
        self.version_nums: list[list[Any]] = []
        self.collection_keys: list[str] = []

    def locate(self, file: str, loc: Loc) -> tuple[str | None, int | None]:
        parts = list(loc)
        if len(parts) >= 2 and parts[0] == "entities" and isinstance(parts[1], int) \
                and parts[1] < len(self.entity_keys):
            key = self.entity_keys[parts[1]]
            rest = parts[2:]
            if len(rest) >= 2 and rest[0] == "versions" and isinstance(rest[1], int):
                nums = self.version_nums[parts[1]]
                num = nums[rest[1]] if rest[1] < len(nums) else "?"
                tail = rest[2:]
                if tail and tail[0] == "children":
                    return _field(f"children[entity={key}, version_num={num}]", tail[1:]), None
                if tail and tail[0] == "media":
                    return _field(f"media[entity={key}, version_num={num}]", tail[1:]), None
                return _field(f"versions[entity={key}, version_num={num}]", tail), None
            return _field(f"entities[key={key}]", rest), None
        if len(parts) >= 2 and parts[0] == "collections" and isinstance(parts[1], int) \
                and parts[1] < len(self.collection_keys):
            rest = parts[2:]
            if rest and rest[0] == "entities":
                return _field(f"collection_members[collection={self.collection_keys[parts[1]]}]", rest[1:]), None
            return _field(f"collections[key={self.collection_keys[parts[1]]}]", rest), None
        if parts and parts[0] == "learning_package":
            return _field("package", parts[1:]), None
        if parts and parts[0] in ("meta", "root"):
            return _field(f"package.{parts[0]}", parts[1:]), None
        return _field("package", parts), None


def _field(base: str, rest: list[Any]) -> str:
    out = base
    for p in rest:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _check_tables(conn: sqlite3.Connection, name: str, problems: list[Problem]) -> bool:
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')").fetchall()
    except sqlite3.DatabaseError as exc:
        problems.append(error("sqlite-error", f"{name} is not a readable SQLite database ({exc})", name))
        return False
    tables = {r[0] for r in rows}
    if "lpconvert" not in tables:
        problems.append(error("sqlite-error", f"{name} is a SQLite database but not one lpconvert wrote "
                              "(it has no lpconvert table); see docs/formats/sqlite.md", name, "lpconvert"))
        return False
    ok = True
    for table, columns in REQUIRED.items():
        if table not in tables:
            problems.append(error("sqlite-error", f"{name}: table {table} is missing", name, table))
            ok = False
            continue
        have = {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}
        for column in columns:
            if column not in have:
                problems.append(error("sqlite-error", f"{name}: table {table} has no column {column}",
                                      name, f"{table}.{column}"))
                ok = False
    if not ok:
        return False
    info = dict(conn.execute("SELECT name, value FROM lpconvert").fetchall())
    version = info.get("format_version")
    if str(version) != str(FORMAT_VERSION):
        problems.append(error("sqlite-error", f"{name}: format_version {version!r} is not supported "
                              f"(this lpconvert reads {FORMAT_VERSION})", name, "lpconvert.format_version"))
        return False
    return True


class _Json:
    """Decodes JSON columns, reporting a bad value as a problem that names row and column."""

    def __init__(self, name: str, problems: list[Problem]) -> None:
        self.name = name
        self.problems = problems

    def __call__(self, text: Any, where: str, default: Any = None) -> Any:
        if text is None:
            return default
        try:
            return json.loads(text)
        except (TypeError, ValueError) as exc:
            self.problems.append(error("json-syntax", f"{self.name}: {where} is not valid JSON ({exc})",
                                       self.name, where))
            return default


def _bool(value: Any) -> Any:
    return bool(value) if value in (0, 1) else value


def _read(conn: sqlite3.Connection, name: str, raw: RawPackage, locator: SqliteLocator,
          options: ReadOptions) -> None:
    problems = raw.problems
    decode = _Json(name, problems)
    data = raw.data
    origin = Origin(name, locator)
    raw.origins[()] = origin

    rows = conn.execute("SELECT key, title, description, created, updated, meta, root, extra FROM package").fetchall()
    if len(rows) != 1:
        problems.append(error("sqlite-error", f"{name}: table package must have exactly one row, not {len(rows)}",
                              name, "package"))
        return
    key, title, description, created, updated, meta, root, extra = rows[0]
    extra = decode(extra, "package.extra", {}) or {}
    lp: dict[str, Any] = {"key": key, "title": title, "description": description}
    if created is not None:
        lp["created"] = created
    if updated is not None:
        lp["updated"] = updated
    lp.update(extra.get("learning_package") or {})
    data["learning_package"] = lp
    if meta is not None:
        data["meta"] = decode(meta, "package.meta")
    if root is not None:
        data["root"] = decode(root, "package.root")
    data.update(extra.get("package") or {})

    entities: list[dict[str, Any]] = []
    by_id: dict[int, dict[str, Any]] = {}
    for (eid, key, ctype, alone, created, draft, published, extra) in conn.execute(
            "SELECT id, key, container_type, can_stand_alone, created, draft_version, published_version, extra "
            "FROM entities ORDER BY id"):
        entity: dict[str, Any] = {"key": key, "can_stand_alone": _bool(alone), "versions": []}
        if ctype is not None:
            entity["container_type"] = ctype
        for field, value in (("created", created), ("draft_version", draft), ("published_version", published)):
            if value is not None:
                entity[field] = value
        entity.update(decode(extra, f"entities[key={key}].extra", {}) or {})
        by_id[eid] = entity
        locator.entity_keys.append(str(key))
        locator.version_nums.append([])
        entities.append(entity)
    data["entities"] = entities
    index = {eid: i for i, eid in enumerate(by_id)}

    versions: dict[tuple[int, Any], dict[str, Any]] = {}
    for (eid, num, title, created, has_children, attributes, extra) in conn.execute(
            "SELECT entity_id, version_num, title, created, has_children, attributes, extra "
            "FROM versions ORDER BY entity_id, position, version_num"):
        owner = by_id.get(eid)
        where = f"versions[entity_id={eid}, version_num={num}]"
        if owner is None:
            problems.append(warning("stray-file", f"{name}: {where} belongs to no entity; ignored", name, where))
            continue
        version: dict[str, Any] = {"version_num": num, "title": title}
        if created is not None:
            version["created"] = created
        if has_children:
            version["children"] = []
        attrs = decode(attributes, f"{where}.attributes", {})
        if attrs:
            version["attributes"] = attrs
        version.update(decode(extra, f"{where}.extra", {}) or {})
        owner["versions"].append(version)
        locator.version_nums[index[eid]].append(num)
        versions[(eid, num)] = version

    for (eid, num, key) in conn.execute(
            "SELECT entity_id, version_num, child_key FROM children ORDER BY entity_id, version_num, position"):
        parent = versions.get((eid, num))
        if parent is None:
            where = f"children[entity_id={eid}, version_num={num}]"
            problems.append(warning("stray-file", f"{name}: {where} belongs to no version; ignored", name, where))
            continue
        parent.setdefault("children", []).append(key)

    files: dict[str, Any] = {}
    for (mid, eid, num, path, size) in conn.execute(
            "SELECT id, entity_id, version_num, path, size FROM media ORDER BY id"):
        ref = {"resource": str(mid), "size": size if isinstance(size, int) else None}
        if eid is None:
            files[path] = ref
            continue
        holder = versions.get((eid, num))
        if holder is None:
            where = f"media[id={mid}]"
            problems.append(warning("stray-file", f"{name}: {where} ({path}) belongs to no version; ignored",
                                    name, where))
            continue
        holder.setdefault("media", {})[path] = ref
    if files:
        data["files"] = files

    collections: list[dict[str, Any]] = []
    by_cid: dict[int, dict[str, Any]] = {}
    for (cid, key, title, description, created, extra) in conn.execute(
            "SELECT id, key, title, description, created, extra FROM collections ORDER BY id"):
        col: dict[str, Any] = {"key": key, "title": title, "description": description, "entities": []}
        if created is not None:
            col["created"] = created
        col.update(decode(extra, f"collections[key={key}].extra", {}) or {})
        by_cid[cid] = col
        locator.collection_keys.append(str(key))
        collections.append(col)
    for (cid, key) in conn.execute(
            "SELECT collection_id, entity_key FROM collection_members ORDER BY collection_id, position"):
        members = by_cid.get(cid)
        if members is None:
            where = f"collection_members[collection_id={cid}]"
            problems.append(warning("stray-file", f"{name}: {where} belongs to no collection; ignored", name, where))
            continue
        members["entities"].append(key)
    data["collections"] = collections


def read_sqlite(source: Source, options: ReadOptions) -> RawPackage:
    name = source.single_file_name or next(iter(source.files), "database")
    raw = RawPackage(data={})
    path = source.local_path()
    tmp: str | None = None
    if path is None:
        fd, tmp = tempfile.mkstemp(prefix="lpconvert-sqlite-", suffix=".sqlite")
        with os.fdopen(fd, "wb") as out, source.open(name) as src:
            shutil.copyfileobj(src, out, 1 << 20)
        path = tmp

    def cleanup() -> None:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)

    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    except sqlite3.Error as exc:
        cleanup()
        raw.problems.append(error("sqlite-error", f"cannot open {name}: {exc}", name))
        return raw

    def close() -> None:
        conn.close()
        cleanup()

    locator = SqliteLocator()
    try:
        # One read transaction for the life of the package: every later query sees the same
        # snapshot, and SQLite takes its shared lock (and checks the file for changes) once
        # instead of once per query.
        conn.execute("BEGIN")
        if _check_tables(conn, name, raw.problems):
            _read(conn, name, raw, locator, options)
    except sqlite3.Error as exc:
        raw.problems.append(error("sqlite-error", f"{name} cannot be read: {exc}", name))
    raw.resources = SqliteResources(conn)
    raw.closer = close
    return raw
