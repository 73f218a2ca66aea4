"""The `unknown-field` warning: one field the hub model does not know, kept as is.

Shared by both validation paths (`lpconvert.validation` with pydantic's `model_extra`,
`lpconvert.fastcheck` with the raw dict's keys), so that a warning reads the same whichever
path found it. Imports no pydantic; difflib only when there is a field to warn about.
"""

from __future__ import annotations

from collections.abc import Sequence

from .package import Loc, RawPackage, dotted
from .problems import Problem, warning


def unknown_field_warnings(raw: RawPackage, loc: Loc, names: Sequence[str], known: Sequence[str]) -> list[Problem]:
    """One warning per name in `names` (fields at `loc` that are not in `known`), with the
    known field it most resembles as a hint."""
    if not names:
        return []
    import difflib

    out = []
    for name in names:
        field_loc = loc + (name,)
        origin = raw.origin_of(field_loc)
        field, line = origin.locate(field_loc) if origin else (dotted(field_loc), None)
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        hint = f"; did you mean {close[0]!r}?" if close else " (kept as is)"
        out.append(warning("unknown-field", f"unknown field {field or name!r}{hint}",
                           origin.file if origin else None, field, line))
    return out


__all__ = ["unknown_field_warnings"]
