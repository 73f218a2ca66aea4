"""What an lp-archive cannot hold beyond the core's loss kinds: two corners of TOML.

Both used to be reported by the writer while it wrote, too late for `--strict` to refuse
before the first byte and invisible to a loss check that names every loss in one run. They
are declared loss kinds now, found by looking at the package alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lpconvert.plugin import Package, loss_examples, model_parts


def top_level_values(package: Package, options: Mapping[str, str]) -> str | None:
    """Unknown top-level fields that are not tables: package.toml has a table per part and no
    place for a bare value beside them."""
    bare = [name for name, value in (package.model.model_extra or {}).items()
            if value is not None and not isinstance(value, dict)]
    if not bare:
        return None
    return f"lp-archive cannot hold top-level values outside a table: {loss_examples(bare)}; dropped"


def count_nulls(value: Any) -> int:
    """How many None values a TOML encoder has to leave out of `value` (TOML has no null)."""
    if value is None:
        return 1
    if isinstance(value, dict):
        return sum(count_nulls(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(count_nulls(v) for v in value)
    return 0


def nested_nulls(package: Package, options: Mapping[str, str]) -> str | None:
    """Nulls inside unknown fields (a null at the top of one is simply an absent key). The
    root's are not counted: an lp-archive drops the whole root, a loss of its own."""
    total, owners = 0, dict[str, None]()  # owners in order, each once
    for where, owner, part in model_parts(package.model):
        if where == "root":
            continue
        found = sum(count_nulls(value) for value in (part.model_extra or {}).values() if value is not None)
        if found:
            total += found
            owners[owner] = None
    if not total:
        return None
    return (f"lp-archive (TOML) has no null: {total} null value(s) inside unknown fields of "
            f"{loss_examples(owners)} are omitted")
