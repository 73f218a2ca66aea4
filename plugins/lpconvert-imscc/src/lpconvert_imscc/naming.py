"""Unique names: the reader's entity keys and the writer's identifiers follow the same rule."""

from __future__ import annotations


def unique(wanted: str, taken: set[str]) -> str:
    """`wanted`, or `wanted-2`, `wanted-3` ... whichever is free first; recorded as taken."""
    candidate, n = wanted, 1
    while candidate in taken:
        n += 1
        candidate = f"{wanted}-{n}"
    taken.add(candidate)
    return candidate
