"""Plugin registration for the sqlite format: light, so listing formats imports no sqlite3."""

from __future__ import annotations

from lpconvert.plugin import FormatSpec, ProblemCode, hookimpl

LPCONVERT_API = 1

MAGIC = b"SQLite format 3\x00"
APPLICATION_ID = 0x4C50434E
"""'LPCN' in the database header (PRAGMA application_id): how a probe knows the file is ours."""

SUFFIXES = (".sqlite", ".db", ".sqlite3")


def probe(source) -> bool:  # type: ignore[no-untyped-def]
    """A single SQLite file that carries our application id, or is named like a database.

    A database named *.sqlite/*.db that is not ours is still claimed, so that the reader
    can say what is missing from it instead of "no format recognises this source".
    """
    name = source.single_file_name
    if not source.is_single_file or name is None:
        return False
    with source.open(name) as f:
        head = f.read(100)
    if not head.startswith(MAGIC):
        return False
    return int.from_bytes(head[68:72], "big") == APPLICATION_ID or name.lower().endswith(SUFFIXES)


@hookimpl
def lpconvert_formats() -> list[FormatSpec]:
    return [
        FormatSpec(
            name="sqlite",
            description="One SQLite database to query with SQL: package, entities, versions, ordered "
                        "children, collections, media with sha256 and size",
            suffixes=(".sqlite", ".db"),
            probe=probe,
            reader="lpconvert_sqlite.reader:read_sqlite",
            writer="lpconvert_sqlite.writer:write_sqlite",
            output="file",
            cannot_hold=frozenset(),
            problem_codes=(
                ProblemCode("sqlite-error", "error", "a SQLite file cannot be read"),
                ProblemCode("sqlite-not-a-table", "error",
                            "a SQLite database has a view, virtual table or trigger where lpconvert reads a table"),
                ProblemCode("sqlite-too-much-work", "error",
                            "a query on a SQLite database went beyond the configured work limit"),
                ProblemCode("json-syntax", "error", "a JSON column (extra, meta, attributes ...) does not parse"),
                ProblemCode("json-too-deep", "error", "a JSON column nests arrays/objects beyond the configured depth"),
                ProblemCode("stray-file", "warning", "a row that no entity, version or collection claims (ignored)"),
            ),
        )
    ]
