"""The database schema, in one place: the writer creates it, the reader checks against it,
and docs/formats/sqlite.md shows it (a test keeps the page and this file in step).

Real tables hold what people query (entities, versions, ordered children, collections and
members, media); every model field without a column of its own (unknown fields, and any
field the hub gains later) goes into the `extra` JSON column of its row, so the format
stays lossless as the model grows.
"""

from __future__ import annotations

FORMAT_VERSION = 1

SCHEMA = """\
CREATE TABLE lpconvert (
    name  TEXT PRIMARY KEY,           -- 'format' = 'lpconvert-sqlite', 'format_version' = '1'
    value TEXT NOT NULL
);
CREATE TABLE package (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    key         TEXT NOT NULL,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    created     TEXT,                 -- ISO 8601 with time zone
    updated     TEXT,
    meta        TEXT,                 -- JSON: who made the archive, when, where (NULL: none)
    root        TEXT,                 -- JSON: the OLX root {kind, attributes, children} (NULL: none)
    extra       TEXT                  -- JSON: {"package": {...}, "learning_package": {...}} other fields
);
CREATE TABLE entities (
    id                INTEGER PRIMARY KEY,  -- position in the package
    key               TEXT NOT NULL UNIQUE,
    kind              TEXT NOT NULL,        -- section, subsection, unit, or namespace:type of a component
    container_type    TEXT,                 -- section, subsection, unit; NULL for a component
    block_type        TEXT,                 -- html, problem, video ...; NULL for a container
    can_stand_alone   INTEGER NOT NULL,     -- 0 or 1
    created           TEXT,
    draft_version     INTEGER,              -- version_num of the draft (NULL: none)
    published_version INTEGER,              -- version_num of the published version (NULL: none)
    extra             TEXT                  -- JSON: other fields
);
CREATE TABLE versions (
    entity_id    INTEGER NOT NULL REFERENCES entities(id),
    version_num  INTEGER NOT NULL,
    position     INTEGER NOT NULL,          -- order of the versions in the package
    title        TEXT NOT NULL,
    created      TEXT,
    has_children INTEGER NOT NULL,          -- 1 for a container version (even with no children)
    attributes   TEXT NOT NULL,             -- JSON object: container settings (format, graded, due ...)
    extra        TEXT,                      -- JSON: other fields
    PRIMARY KEY (entity_id, version_num)
);
CREATE TABLE children (
    entity_id   INTEGER NOT NULL,
    version_num INTEGER NOT NULL,
    position    INTEGER NOT NULL,           -- 0-based order in the container
    child_key   TEXT NOT NULL,              -- entities.key of the child
    PRIMARY KEY (entity_id, version_num, position),
    FOREIGN KEY (entity_id, version_num) REFERENCES versions(entity_id, version_num)
);
CREATE TABLE collections (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    created     TEXT,
    extra       TEXT
);
CREATE TABLE collection_members (
    collection_id INTEGER NOT NULL REFERENCES collections(id),
    position      INTEGER NOT NULL,
    entity_key    TEXT NOT NULL,            -- entities.key of the member
    PRIMARY KEY (collection_id, position)
);
CREATE TABLE media (
    id          INTEGER PRIMARY KEY,        -- order of the files in the package
    entity_id   INTEGER REFERENCES entities(id),  -- NULL: a package-level file
    version_num INTEGER,
    path        TEXT NOT NULL,              -- block.xml, static/img.png ...
    extension   TEXT NOT NULL,              -- lower-case suffix without the dot ('' if none)
    encoding    TEXT NOT NULL CHECK (encoding IN ('text', 'binary')),
    text        TEXT,                       -- the content when encoding = 'text' (UTF-8)
    data        BLOB,                       -- the content when encoding = 'binary'
    size        INTEGER NOT NULL,           -- bytes
    sha256      TEXT NOT NULL               -- hex digest of the bytes
);
CREATE INDEX media_by_version ON media (entity_id, version_num);
CREATE INDEX children_by_key ON children (child_key);
CREATE VIEW current_versions AS
    SELECT e.id AS entity_id, e.key, e.kind, v.version_num, v.title, v.created,
           v.version_num = e.published_version AS is_published
    FROM entities e
    JOIN versions v ON v.entity_id = e.id
     AND v.version_num = COALESCE(e.draft_version, e.published_version);
"""

REQUIRED: dict[str, tuple[str, ...]] = {
    "lpconvert": ("name", "value"),
    "package": ("key", "title", "description", "created", "updated", "meta", "root", "extra"),
    "entities": ("id", "key", "container_type", "can_stand_alone", "created", "draft_version",
                 "published_version", "extra"),
    "versions": ("entity_id", "version_num", "position", "title", "created", "has_children", "attributes",
                 "extra"),
    "children": ("entity_id", "version_num", "position", "child_key"),
    "collections": ("id", "key", "title", "description", "created", "extra"),
    "collection_members": ("collection_id", "position", "entity_key"),
    "media": ("id", "entity_id", "version_num", "path", "encoding", "text", "data", "size"),
}
"""Tables and the columns the reader uses (the others are for people)."""
