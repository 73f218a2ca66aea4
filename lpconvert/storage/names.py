"""Which names a package may hold: unsafe member names, operating-system litter, our leftovers.

One set of rules for both sides: a source checks an archive's member names and leaves litter
out of its listing with them, a sink refuses to write an unsafe name with them, and `--force`
(`lpconvert.destination`) asks them whether a folder holds anything worth keeping.
"""

from __future__ import annotations

LITTER_NAMES = frozenset({"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"})
"""What operating systems leave beside files: never content, and nothing anyone misses."""
JUNK_NAMES = LITTER_NAMES | {".git"}
"""Names a source leaves out of its listing: the litter, and a version-control folder."""
LEFTOVER_SUFFIXES = (".lpconvert-tmp", ".lpconvert-old")
"""The endings of lpconvert's own temporary siblings of a destination (see `leftovers`): a
run that was killed may leave one behind, and it is never part of a package."""


def is_litter(name: str) -> bool:
    """A file or folder name that is operating-system litter or an lpconvert leftover."""
    return name in LITTER_NAMES or name.startswith("._") or name.endswith(LEFTOVER_SUFFIXES)


def is_junk(name: str) -> bool:
    """A name a source leaves out of its listing: litter, or a `.git` folder."""
    return name in JUNK_NAMES or is_litter(name)


_JUNK_HINTS = ("__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini", ".git", "._", ".lpconvert-")


def has_junk(path: str) -> bool:
    """Whether any part of `path` ('a/b/c') is junk; a cheap pre-test first, so that 100K
    ordinary paths are not split into parts."""
    return any(hint in path for hint in _JUNK_HINTS) and any(is_junk(part) for part in path.split("/"))


def may_sit_beside_a_wrapper(name: str) -> bool:
    """Files that may sit beside a wrapper folder without making the root ambiguous."""
    return is_junk(name) or name.lower().startswith("readme")


def check_member_name(name: str) -> str | None:
    """Why an archive member name is unsafe, or None. Names use '/' (zip and tar both)."""
    if "\x00" in name:
        return "contains a NUL character"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "is an absolute path"
    if ".." in name and ".." in name.replace("\\", "/").split("/"):  # the split only when it may matter
        return "contains '..'"
    return None


def clean_member_name(name: str) -> str:
    """A member name without the leading './' that tar (and some zip tools) put in front."""
    while name.startswith("./"):
        name = name[2:]
    return name
