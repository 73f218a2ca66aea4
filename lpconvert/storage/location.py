"""Where a location is: a plain local path, reached with `os`, or a URL, reached through fsspec.

fsspec costs tens of milliseconds to import, and most packages are local folders and
archives that `os` and `open` reach directly (they always did: fsspec only said where the
bytes were). So a plain path never imports it; a location that names a protocol
(`s3://`, `memory://`, `github://`, `file://`, a chained `zip::...`) does, on first use.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem


def is_url(location: str | os.PathLike[str]) -> bool:
    """Whether `location` needs fsspec: any ':' after an optional drive letter ('C:').

    fsspec reads a protocol out of 'proto://', 'proto::' and 'file:'/'data:' prefixes; a plain
    path with a ':' in it is rare, and sending one to fsspec as well only costs its import.
    """
    text = os.fspath(location)
    if len(text) > 1 and text[1] == ":" and text[0].isalpha():
        text = text[2:]
    return ":" in text


def absolute(path: str) -> str:
    """The absolute form of a plain local path, as fsspec's local filesystem spells it: '~'
    expanded, the working directory in front of a relative path, no trailing '/'."""
    if path.startswith("~"):
        path = os.path.expanduser(path)
    if not os.path.isabs(path):
        path = os.path.join(os.getcwd(), path)
    return path.rstrip("/") or "/"


def protocols(fs: Any) -> tuple[str, ...]:
    """The names an fsspec filesystem answers to."""
    proto = fs.protocol
    return (proto,) if isinstance(proto, str) else tuple(proto)


def is_local_fs(fs: Any) -> bool:
    """Whether an fsspec filesystem is the local disk (a `file://` URL)."""
    names = protocols(fs)
    return "file" in names or "local" in names


def url_to_fs(location: str) -> tuple[AbstractFileSystem, str]:
    """fsspec's filesystem and path for a URL (fsspec imported here, on first use)."""
    import fsspec.core

    return fsspec.core.url_to_fs(location)  # type: ignore[no-any-return]


def locate(location: str | os.PathLike[str]) -> tuple[AbstractFileSystem | None, str]:
    """(fsspec filesystem, path) for a URL on another filesystem; (None, absolute path) for the
    local disk, whether given as a plain path (fsspec not imported) or as a `file://` URL."""
    if not is_url(location):
        return None, absolute(os.fspath(location))
    fs, path = url_to_fs(os.fspath(location))
    if is_local_fs(fs):
        return None, path
    return fs, path
