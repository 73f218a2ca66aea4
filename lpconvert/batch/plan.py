"""From the command line's INPUT... and DEST to one `Job` per package.

Why plan on the client and not in the tasks: every decision that depends on the whole
catalogue (which names collide, which outputs already exist, what a resumed batch may skip)
has to be made once, before any worker writes, so that a task only ever writes the one
destination it was given and can safely replace it.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import fsspec

GLOB_CHARS = frozenset("*?[")
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip", ".imscc", ".json", ".sqlite", ".db")
"""Stripped from an input's name to make its output's stem (besides every format's own suffixes)."""


class PlanError(ValueError):
    """A usage error in the batch's inputs or destination (exit 2 on the command line)."""


@dataclass(frozen=True)
class Job:
    """One package to convert or validate: everything a worker needs, and nothing that
    cannot be pickled."""

    input: str
    output: str | None
    to: str | None
    fingerprint: str
    bytes_in: int | None
    from_format: str | None = None
    strict: bool = False
    allow_loss: tuple[str, ...] = ()
    timeout: float = 1800.0
    read_options: tuple[tuple[str, str], ...] = ()
    write_options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Found:
    """An input package and what the store says about it."""

    url: str
    info: dict[str, Any] = field(hash=False, compare=False)


def _is_local(fs: fsspec.AbstractFileSystem) -> bool:
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
    return "file" in protocols or "local" in protocols


def _url(fs: fsspec.AbstractFileSystem, path: str) -> str:
    return os.path.abspath(path) if _is_local(fs) else fs.unstrip_protocol(path)


def _hidden(path: str) -> bool:
    return posixpath.basename(path.rstrip("/")).startswith(".")


def expand_inputs(inputs: Sequence[str]) -> list[Found]:
    """Files, directories (each package inside), globs and fsspec URLs -> packages, sorted,
    each once. Hidden entries (a leading dot: temporaries, .DS_Store) are never packages."""
    found: dict[str, Found] = {}
    for item in inputs:
        fs, path = fsspec.core.url_to_fs(item)
        if GLOB_CHARS & set(path):
            matches = fs.glob(path, detail=True)
            entries = [(p, info) for p, info in matches.items() if not _hidden(p)]
            if not entries:
                raise PlanError(f"{item}: matched nothing")
        else:
            try:
                info = fs.info(path)
            except FileNotFoundError:
                raise PlanError(f"{item}: no such file or directory") from None
            if info.get("type") == "directory":
                entries = [(e["name"], e) for e in fs.ls(path, detail=True) if not _hidden(e["name"])]
                if not entries:
                    raise PlanError(f"{item}: the directory holds no package")
            else:
                entries = [(path, info)]
        for p, info in entries:
            url = _url(fs, p)
            found.setdefault(url, Found(url, info))
    return [found[u] for u in sorted(found)]


def fingerprint(info: dict[str, Any]) -> str:
    """What identifies this version of an input: the store's ETag/checksum when it gives one
    (object stores), else size and modification time (local files)."""
    for key in ("ETag", "etag", "checksum", "md5"):
        if info.get(key):
            return f"{key.lower()}:{str(info[key]).strip(chr(34))}"
    mtime = info.get("mtime") or info.get("LastModified") or info.get("created")
    if hasattr(mtime, "timestamp"):
        mtime = mtime.timestamp()
    return f"size:{info.get('size')};mtime:{mtime}"


def stem(url: str, suffixes: Iterable[str]) -> str:
    """`course.tar.gz` -> `course`: the longest known suffix goes, else the last extension."""
    name = posixpath.basename(url.rstrip("/"))
    lowered = name.lower()
    known = sorted({*ARCHIVE_SUFFIXES, *(s.lower() for s in suffixes)}, key=len, reverse=True)
    for suffix in known:
        if lowered.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    base, _ = posixpath.splitext(name)
    return base or name


def output_names(found: Sequence[Found], suffix: str, suffixes: Iterable[str]) -> list[str]:
    """One distinct output name per input, in input order. Names that would collide
    (`a/course.zip` and `b/course.tar.gz` both -> `course.json`) get `-2`, `-3`... in sorted
    input order, so the same catalogue always gets the same names (which `--resume` needs)."""
    suffixes = tuple(suffixes)
    taken: set[str] = set()
    names = []
    for item in found:
        base = stem(item.url, suffixes)
        name, n = f"{base}{suffix}", 1
        while name.lower() in taken:
            n += 1
            name = f"{base}-{n}{suffix}"
        taken.add(name.lower())
        names.append(name)
    return names


def join(dest: str, name: str) -> str:
    fs, path = fsspec.core.url_to_fs(dest)
    return os.path.join(os.path.abspath(path), name) if _is_local(fs) else dest.rstrip("/") + "/" + name


def existing_names(dest: str) -> set[str]:
    """Names already in DEST, from one listing (one request on an object store)."""
    fs, path = fsspec.core.url_to_fs(dest)
    try:
        return {posixpath.basename(p.rstrip("/")) for p in fs.ls(path, detail=False)}
    except (FileNotFoundError, NotADirectoryError):
        return set()
