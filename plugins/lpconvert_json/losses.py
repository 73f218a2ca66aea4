"""The one thing the json format cannot hold: NaN and infinity.

The hub can hold them (a TOML file's ``nan`` or ``inf``, a value set through the API); JSON
has no word for them, and the ``NaN`` Python would write makes the whole document unreadable
to a standard parser. So the document says null there, and this says so before writing, as
a loss a user can refuse (``--strict``) or accept (``--allow-loss non-finite-numbers``).
Only settings (`attributes`) and unknown fields can hold a float: every known field is typed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from lpconvert.plugin import Package, loss_examples, model_parts


def _count(value: Any) -> int:
    """How many NaN or infinite floats `value` holds, at any depth."""
    if isinstance(value, float):
        return 0 if math.isfinite(value) else 1
    if isinstance(value, dict):
        return sum(_count(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(_count(v) for v in value)
    return 0


def _parts(package: Package) -> Iterable[tuple[str, Mapping[str, Any] | None]]:
    """(owner, mapping of values that may hold a float) for every part of the package: its
    settings (`attributes`, on the root and on versions) and its unknown fields."""
    for _, owner, part in model_parts(package.model):
        attributes = getattr(part, "attributes", None)
        if attributes:
            yield owner, attributes
        yield owner, part.model_extra


def non_finite_numbers(package: Package, options: Mapping[str, str]) -> str | None:
    total, owners = 0, dict[str, None]()  # owners in order, each once
    for owner, values in _parts(package):
        if values:
            found = _count(values)
            if found:
                total += found
                owners[owner] = None
    if not total:
        return None
    return (f"json has no NaN or infinity: {total} such number(s) in settings or unknown fields of "
            f"{loss_examples(owners)} are written as null")
