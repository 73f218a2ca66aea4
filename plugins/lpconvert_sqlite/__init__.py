"""One SQLite database holding a whole learning package, for querying with plain SQL.

A built-in lpconvert format plugin, registered through the ``lpconvert`` entry-point group
like any third-party plugin. See docs/formats/sqlite.md.
"""
