"""Opening a stranger's database safely, and bounding the work of every query.

A SQLite file carries code as well as data: a view is a query its author chose (a
recursive one that never ends, for example), a trigger or a virtual table runs on access,
and a schema may call functions. lpconvert reads databases people download or receive, so:

* the file is opened read-only (`mode=ro`, `PRAGMA query_only`), with an untrusted schema
  (`PRAGMA trusted_schema = OFF`: no function with side effects and no virtual table that
  is not declared harmless runs from it), extension loading off, and no value longer than
  the file itself (a stored value cannot be; only a computed one, a generated column of
  `zeroblob(1e9)` say, could be);
* `programs_in_place_of_tables` finds a view, virtual table or trigger where the reader
  expects one of its tables, so the reader refuses it before running a query on it;
* `QueryGuard` counts the virtual-machine steps of each query through SQLite's progress
  handler and stops one that goes past its budget, whatever the query: a damaged or
  crafted file cannot make a read run forever.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from collections.abc import Iterable
from typing import Any

from lpconvert.plugin import Problem, error

STEPS_PER_CHECK = 10_000
"""The progress handler runs every this many steps: often enough to stop quickly, rarely enough to cost nothing."""
STEPS_PER_BYTE = 64
"""Budget per byte of the database, on top of the fixed one: a query over our tables reads each row once
(plus an index lookup or a sort), a few dozen steps per row, and every row takes several bytes."""


def _stored_bytes(path: str) -> int:
    """The database's size, with its write-ahead log (rows not yet copied into the file) if it has one."""
    wal = path + "-wal"
    return os.path.getsize(path) + (os.path.getsize(wal) if os.path.exists(wal) else 0)


def open_read_only(path: str) -> sqlite3.Connection:
    """A connection that can read `path` and do nothing else."""
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    try:
        if hasattr(conn, "enable_load_extension"):  # absent when Python's SQLite cannot load any
            conn.enable_load_extension(False)
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, min(_stored_bytes(path) + (1 << 20), 1_000_000_000))
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("PRAGMA query_only = ON")
    except sqlite3.Error:
        conn.close()
        raise
    return conn


def programs_in_place_of_tables(guard: QueryGuard, tables: Iterable[str]) -> list[tuple[str, str]]:
    """(table, what is there instead) for each of `tables` that is a view, virtual table or has a trigger.

    Reads only `sqlite_master`, never the objects themselves. Other views and triggers (a
    user's own, on tables lpconvert does not read) are left alone.
    """
    wanted = set(tables)
    found: list[tuple[str, str]] = []
    for kind, name, table, sql in guard.query("sqlite_master", "SELECT type, name, tbl_name, sql FROM sqlite_master"):
        if kind == "trigger" and table in wanted:
            found.append((table, f"trigger {name}"))
        elif name in wanted and kind in ("table", "view"):
            # The SQL text, not the type column, is what SQLite builds the object from: a
            # file edited with `PRAGMA writable_schema` can call a view a table.
            head = " ".join(str(sql or "").upper().split()[:3])
            if head.startswith("CREATE TABLE"):
                continue
            found.append((name, "a virtual table" if head.startswith("CREATE VIRTUAL") else "a view"))
    return sorted(set(found))


class QueryGuard:
    """Runs queries with a step budget each; `table` and `exceeded` say which one was stopped.

    The budget is per query, not per read: a package with many media files makes many small
    queries, each of which must be allowed its own share.
    """

    def __init__(self, conn: sqlite3.Connection, budget: int) -> None:
        self.conn = conn
        self.budget = budget
        self.steps = 0
        self.table: str | None = None
        self.exceeded = False
        conn.set_progress_handler(self._tick, STEPS_PER_CHECK)

    @classmethod
    def for_file(cls, conn: sqlite3.Connection, path: str, max_steps: int) -> QueryGuard:
        return cls(conn, max_steps + STEPS_PER_BYTE * _stored_bytes(path))

    def _tick(self) -> int:
        self.steps += STEPS_PER_CHECK
        if self.steps > self.budget:
            self.exceeded = True
            return 1  # SQLite stops the statement: sqlite3.OperationalError("interrupted")
        return 0

    def query(self, table: str, sql: str, params: Any = ()) -> sqlite3.Cursor:
        """`sql` (which reads `table`) with a fresh budget."""
        self.steps = 0
        self.table = table
        self.exceeded = False
        return self.conn.execute(sql, params)

    def problem(self, name: str) -> Problem:
        """The `sqlite-too-much-work` error for the query that was stopped."""
        return error("sqlite-too-much-work", f"{name}: reading table {self.table} took more than {self.budget} "
                     "SQLite steps, so it was stopped (a view or damaged file that never ends?); raise "
                     "LPCONVERT_MAX_SQLITE_WORK if the database is trusted and really this large",
                     name, self.table)
