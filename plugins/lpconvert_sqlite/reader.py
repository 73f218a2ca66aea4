"""Reading an lpconvert SQLite database into raw hub data.

The database is opened read-only (a remote source is first copied to a temporary file,
since SQLite needs a real file). Tables and columns are checked first, so a database that
is not ours, or that a researcher has altered, is reported table by table (`sqlite-error`)
instead of failing on the first query. Rows become plain dicts; the core validates them
and names the row and column of each problem through `SqliteLocator`.

A database file is a program as much as data: a view runs a query of its author's choosing
(an endless recursive one, say), a trigger or a virtual table runs code. So the reader
opens it read-only with an untrusted schema and no extensions, refuses a view, virtual
table or trigger where it reads one of its tables (`sqlite-not-a-table`), and counts the
work of every query with SQLite's progress handler (`sqlite-too-much-work` past
`Limits.max_sqlite_work`), so no database, however made, makes a read run forever.

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
from typing import IO, Any

from lpconvert.plugin import (
    Loc,
    Origin,
    Problem,
    RawPackage,
    ReadOptions,
    Source,
    SourceError,
    error,
    too_deep,
    warning,
)

from .guard import QueryGuard, open_read_only, programs_in_place_of_tables
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

    def __init__(self, guard: QueryGuard, name: str = "database") -> None:
        self.guard = guard
        self.name = name
        self._windows: list[_Window] = []
        """Oldest first."""

    def _query(self, sql: str, params: Any) -> list[Any]:
        """Rows of one media query; a database that fails or runs too long is a `SourceError`."""
        try:
            return self.guard.query("media", sql, params).fetchall()
        except sqlite3.Error as exc:
            if self.guard.exceeded:
                problem = self.guard.problem(self.name)
                raise SourceError(problem.code, problem.message, self.name) from None
            raise SourceError("sqlite-error", f"{self.name}: cannot read table media: {exc}", self.name) from None

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
        rows = self._query(self._WINDOW_SQL, {
            "small": self.SMALL, "first": media_id,
            "window": self.WINDOW if onward is not None else self.FIRST_WINDOW})
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
        rows = self._query("SELECT encoding, text, data IS NULL FROM media WHERE id = ?", (media_id,))
        if not rows:
            raise FileNotFoundError(resource)
        encoding, text, no_data = rows[0]
        if encoding == "text":
            return io.BytesIO(text.encode("utf-8") if isinstance(text, str) else bytes(text or b""))
        if no_data:
            return io.BytesIO(b"")
        try:
            return self.guard.conn.blobopen("media", "data", media_id, readonly=True)  # type: ignore[return-value]
        except sqlite3.Error as exc:
            raise SourceError("sqlite-error", f"{self.name}: cannot read media[id={media_id}].data: {exc}",
                              self.name) from None

    def size(self, resource: str) -> int | None:
        row = self._cached(int(resource))
        size = row[1] if row is not None else None  # not in the window that holds or starts at it: no row
        return int(size) if isinstance(size, int) else None


class SqliteLocator:
    """Names a problem's row and column: ``versions[entity=unit-a, version_num=2].title``.

    A media file is its row and content column, ``media[entity=K, version_num=1,
    path=block.xml].text``; which column (text or data) is asked of the database, only when
    there is a problem to name.
    """

    def __init__(self) -> None:
        self.entity_keys: list[str] = []
        self.version_nums: list[list[Any]] = []
        self.collection_keys: list[str] = []
        self.guard: QueryGuard | None = None

    def _media(self, key: str, num: Any, tail: list[Any]) -> str:
        row = f"media[entity={key}, version_num={num}"
        if not tail:
            return row + "]"
        path = tail[0]
        return _field(f"{row}, path={path}].{self._content_column(key, num, path)}", tail[1:])

    def _content_column(self, key: str, num: Any, path: Any) -> str:
        if self.guard is not None:
            try:
                found = self.guard.query(
                    "media", "SELECT m.encoding FROM media m JOIN entities e ON e.id = m.entity_id "
                    "WHERE e.key = ? AND m.version_num = ? AND m.path = ?", (key, num, path)).fetchone()
            except sqlite3.Error:
                found = None
            if found is not None and found[0] != "text":
                return "data"
        return "text"

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
                    return self._media(key, num, tail[1:]), None
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


def _check_tables(guard: QueryGuard, name: str, problems: list[Problem]) -> bool:
    try:
        rows = guard.query("sqlite_master",
                           "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')").fetchall()
    except sqlite3.DatabaseError as exc:
        if guard.exceeded:
            raise
        problems.append(error("sqlite-error", f"{name} is not a readable SQLite database ({exc})", name))
        return False
    tables = {r[0] for r in rows}
    if "lpconvert" not in tables:
        problems.append(error("sqlite-error", f"{name} is a SQLite database but not one lpconvert wrote "
                              "(it has no lpconvert table); see docs/formats/sqlite.md", name, "lpconvert"))
        return False
    programs = programs_in_place_of_tables(guard, REQUIRED)
    for table, what in programs:
        problems.append(error("sqlite-not-a-table", f"{name}: {table} must be a plain table, but the database "
                              f"has {what} there; lpconvert does not run a database's own code", name, table))
    if programs:
        return False
    ok = True
    for table, columns in REQUIRED.items():
        if table not in tables:
            problems.append(error("sqlite-error", f"{name}: table {table} is missing", name, table))
            ok = False
            continue
        have = {r[1] for r in guard.query(table, f'PRAGMA table_info("{table}")')}
        for column in columns:
            if column not in have:
                problems.append(error("sqlite-error", f"{name}: table {table} has no column {column}",
                                      name, f"{table}.{column}"))
                ok = False
    if not ok:
        return False
    info = dict(guard.query("lpconvert", "SELECT name, value FROM lpconvert").fetchall())
    version = info.get("format_version")
    if str(version) != str(FORMAT_VERSION):
        problems.append(error("sqlite-error", f"{name}: format_version {version!r} is not supported "
                              f"(this lpconvert reads {FORMAT_VERSION})", name, "lpconvert.format_version"))
        return False
    return True


class _Json:
    """Decodes JSON columns, reporting a bad value as a problem that names row and column.

    A value nested deeper than `max_nesting` is refused (`json-too-deep`) like one that does
    not parse: everything after the reader recurses over it.
    """

    def __init__(self, name: str, problems: list[Problem], max_nesting: int) -> None:
        self.name = name
        self.problems = problems
        self.max_nesting = max_nesting

    def __call__(self, text: Any, where: str, default: Any = None) -> Any:
        if text is None:
            return default
        try:
            value = json.loads(text)
        except (TypeError, ValueError) as exc:
            self.problems.append(error("json-syntax", f"{self.name}: {where} is not valid JSON ({exc})",
                                       self.name, where))
            return default
        except RecursionError:
            value = None
            deep: Any = ()
        else:
            deep = too_deep(value, self.max_nesting)
        if deep is not None:
            self.problems.append(error("json-too-deep", f"{self.name}: {where} nests arrays or objects more than "
                                       f"{self.max_nesting} levels deep", self.name, where))
            return default
        return value


def _bool(value: Any) -> Any:
    return bool(value) if value in (0, 1) else value


def _read(guard: QueryGuard, name: str, raw: RawPackage, locator: SqliteLocator,
          max_nesting: int) -> None:
    problems = raw.problems
    decode = _Json(name, problems, max_nesting)
    data = raw.data
    origin = Origin(name, locator, holds_media=True)
    raw.origins[()] = origin

    rows = guard.query("package", "SELECT key, title, description, created, updated, meta, root, extra "
                       "FROM package").fetchall()
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
    for (eid, key, ctype, alone, created, draft, published, extra) in guard.query(
            "entities", "SELECT id, key, container_type, can_stand_alone, created, draft_version, "
            "published_version, extra FROM entities ORDER BY id"):
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
    for (eid, num, title, created, has_children, attributes, extra) in guard.query(
            "versions", "SELECT entity_id, version_num, title, created, has_children, attributes, extra "
            "FROM versions ORDER BY entity_id, position, version_num"):
        owner = by_id.get(eid)
        # The same words as SqliteLocator: the entity's key when the row has an entity.
        where = (f"versions[entity={owner['key']}, version_num={num}]" if owner is not None
                 else f"versions[entity_id={eid}, version_num={num}]")
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

    for (eid, num, key) in guard.query(
            "children", "SELECT entity_id, version_num, child_key FROM children "
            "ORDER BY entity_id, version_num, position"):
        parent = versions.get((eid, num))
        if parent is None:
            where = f"children[entity_id={eid}, version_num={num}]"
            problems.append(warning("stray-file", f"{name}: {where} belongs to no version; ignored", name, where))
            continue
        parent.setdefault("children", []).append(key)

    files: dict[str, Any] = {}
    for (mid, eid, num, path, size) in guard.query(
            "media", "SELECT id, entity_id, version_num, path, size FROM media ORDER BY id"):
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
    for (cid, key, title, description, created, extra) in guard.query(
            "collections", "SELECT id, key, title, description, created, extra FROM collections ORDER BY id"):
        col: dict[str, Any] = {"key": key, "title": title, "description": description, "entities": []}
        if created is not None:
            col["created"] = created
        col.update(decode(extra, f"collections[key={key}].extra", {}) or {})
        by_cid[cid] = col
        locator.collection_keys.append(str(key))
        collections.append(col)
    for (cid, key) in guard.query(
            "collection_members", "SELECT collection_id, entity_key FROM collection_members "
            "ORDER BY collection_id, position"):
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
    options.progress.start(None, "reading sqlite")  # a few large queries: a phase with a name, not a count
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

    try:
        conn = open_read_only(path)
    except sqlite3.Error as exc:
        cleanup()
        raw.problems.append(error("sqlite-error", f"cannot open {name}: {exc}", name))
        return raw

    def close() -> None:
        conn.close()
        cleanup()

    guard = QueryGuard.for_file(conn, path, source.limits.max_sqlite_work)
    locator = SqliteLocator()
    locator.guard = guard
    try:
        # One read transaction for the life of the package: every later query sees the same
        # snapshot, and SQLite takes its shared lock (and checks the file for changes) once
        # instead of once per query.
        conn.execute("BEGIN")
        if _check_tables(guard, name, raw.problems):
            _read(guard, name, raw, locator, source.limits.max_nesting)
    except sqlite3.Error as exc:
        if guard.exceeded:
            raw.problems.append(guard.problem(name))
        else:
            raw.problems.append(error("sqlite-error", f"{name} cannot be read: {exc}", name))
    raw.resources = SqliteResources(guard, name)
    raw.closer = close
    return raw
