"""Limits that keep a hostile archive from exhausting memory, disk or time.

Archives are uploaded by strangers. Every limit is checked *before* the bytes are read,
from the sizes the archive declares (zip) or the headers as they stream past (tar), and a
read never returns more than the declared size, so a lying header cannot get past them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

GiB = 1 << 30
MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """Configurable bounds on what lpconvert will read from one source.

    Override with `Limits(...)`, the `--max-size`/`--max-ratio` command-line options, or the
    environment variables LPCONVERT_MAX_SIZE, LPCONVERT_MAX_RATIO, LPCONVERT_MAX_MEMBERS,
    LPCONVERT_MAX_TEXT_SIZE, LPCONVERT_MAX_XML_DEPTH, LPCONVERT_MAX_NESTING and
    LPCONVERT_MAX_SQLITE_WORK. An environment value that does not
    parse is a usage error (`ValueError`), never silently ignored: a limit someone thought
    they set and did not is worse than no limit at all.
    """

    max_total_bytes: int = 8 * GiB
    """The most an archive may expand to, all members together."""
    max_members: int = 2_000_000
    """The most members an archive may have."""
    max_ratio: float = 200.0
    """The highest compression ratio a member larger than `ratio_floor` may have."""
    ratio_floor: int = 1 * MiB
    """Members smaller than this are not ratio-checked (tiny files compress absurdly well)."""
    max_text_bytes: int = 64 * MiB
    """The largest single TOML/XML/JSON file that will be parsed."""
    max_xml_depth: int = 256
    """The deepest element nesting accepted in XML (libxml2 itself stops at 256)."""
    max_nesting: int = 100
    """The deepest nesting of arrays/objects (tables) accepted in a JSON or TOML value.

    Real packages nest a few levels (an OLX setting holding a list of objects); a value nested
    thousands deep only exists to exhaust a recursive parser, validator or writer downstream.
    """
    max_sqlite_work: int = 50_000_000
    """SQLite virtual-machine steps one query may take, plus 64 steps per byte of the database.

    A query over lpconvert's own tables does work in proportion to the rows it reads; this
    bounds a query that would never end (a table replaced by a view over an endless query).
    """

    @classmethod
    def from_env(cls) -> Limits:
        limits = cls()
        for var, name, parse in _ENV:
            if var in os.environ:
                try:
                    value = parse(os.environ[var])
                except ValueError:
                    raise ValueError(f"{var}={os.environ[var]!r} is not a valid limit") from None
                limits = replace(limits, **{name: value})  # type: ignore[arg-type]
        return limits


_UNITS = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": MiB, "MB": MiB,
          "MIB": MiB, "G": GiB, "GB": GiB, "GIB": GiB, "T": 1 << 40, "TB": 1 << 40}


def parse_size(text: str) -> int:
    """'500M', '2G', '1024' -> bytes."""
    s = text.strip().upper().replace(" ", "")
    num = s.rstrip("KMGTIB")
    unit = s[len(num):]
    try:
        value = float(num)
    except ValueError:
        value = -1.0
    if unit not in _UNITS or not num or not value >= 0 or value == float("inf"):
        raise ValueError(f"not a size: {text!r} (use e.g. 500M, 2G)")
    return int(value * _UNITS[unit])


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def _ratio(text: str) -> float:
    value = float(text)
    if not value >= 1:  # also refuses NaN
        raise ValueError(text)
    return value


_ENV = (
    ("LPCONVERT_MAX_SIZE", "max_total_bytes", parse_size),
    ("LPCONVERT_MAX_RATIO", "max_ratio", _ratio),
    ("LPCONVERT_MAX_MEMBERS", "max_members", _positive_int),
    ("LPCONVERT_MAX_TEXT_SIZE", "max_text_bytes", parse_size),
    ("LPCONVERT_MAX_XML_DEPTH", "max_xml_depth", _positive_int),
    ("LPCONVERT_MAX_NESTING", "max_nesting", _positive_int),
    ("LPCONVERT_MAX_SQLITE_WORK", "max_sqlite_work", _positive_int),
)
