"""What `--force` may replace: only what lpconvert itself would have written there.

`--force` used to mean "delete whatever is at OUT", so a mistyped destination could empty
the current directory, swallow the folder holding the input, or wipe a folder of the user's
own files. The rule here is narrow on purpose. An existing destination may be replaced when
it is

* an empty file or a directory with nothing but litter in it (nothing to lose), or
* a file or a directory that the destination format's own probe recognises as one of its
  packages (looking through one wrapper folder, as for an input: OLX is written inside
  `course/`), where a directory holds nothing the probe could not see (a README beside the
  wrapper folder, a `.git` folder) and nothing the format says its writer never writes
  (`FormatSpec.foreign_files`: notes added to a hand-edited sections layout), except
  operating-system litter (`.DS_Store` ...) and lpconvert's own leftovers.

and never when it is, or contains, the input being read, the current directory, or one of
the current directory's parents. Both sides are resolved (symbolic links, `..`, relative
paths) before they are compared.

The core names no format: recognising a package is the registered format's probe's job,
asked of the destination exactly as it is asked of an input. A format without a probe
(a write-only format) can only replace an empty destination.

Remote destinations (fsspec URLs) get the same content rule; the containment rules are
about local paths and apply to local destinations only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from .formats import FormatSpec
from .storage import SourceError, open_source
from .storage.location import locate, url_to_fs
from .storage.names import is_junk, is_litter

_SHOWN = 3
"""How many of a folder's unexpected files a refusal names."""


def why_not_replaceable(destination: str, spec: FormatSpec, inputs: Iterable[str] = ()) -> str | None:
    """Why `destination` (which exists) must not be replaced by a `spec` package, or None when it may.

    The reason is a phrase that follows "refusing to replace DESTINATION: ".
    """
    local = local_path(destination)
    if local is not None:
        reason = _contains_what_it_must_not(local, inputs)
        if reason is not None:
            return reason
    return _not_a_package(destination, local, spec)


def exists(location: str) -> bool:
    """Whether anything is at `location`: a symbolic link to nothing counts, as it is in the way."""
    local = local_path(location, resolve=False)
    if local is not None:
        return os.path.lexists(local)
    fs, path = url_to_fs(location)
    return bool(fs.exists(path))


def local_path(location: str, *, resolve: bool = True) -> str | None:
    """The local path (resolved: links followed, made absolute) of a path or file:// URL;
    None for any other filesystem."""
    try:
        fs, path = locate(location)
    except (ImportError, ValueError):
        return None
    if fs is not None:
        return None
    return os.path.realpath(path) if resolve else path


def _within(path: str, folder: str) -> bool:
    """`path` is `folder` or lies somewhere under it (both already resolved)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _contains_what_it_must_not(dest: str, inputs: Iterable[str]) -> str | None:
    for given in inputs:
        source = local_path(given)
        if source is not None and _within(source, dest):
            return "it is the input" if source == dest else f"it contains the input {given}"
    cwd = os.path.realpath(os.getcwd())
    if cwd == dest:
        return "it is the current directory"
    if _within(cwd, dest):
        return "it contains the current directory"
    return None


def _not_a_package(destination: str, local: str | None, spec: FormatSpec) -> str | None:
    if local is not None and not os.path.exists(local):
        return None  # a symbolic link to nothing: replacing the link loses nothing
    try:
        return _compare(destination, local, spec)
    except OSError as exc:
        return f"it cannot be looked through ({exc})"


def _compare(destination: str, local: str | None, spec: FormatSpec) -> str | None:
    what = "directory" if _is_dir(destination, local) else "file"
    if _is_empty(destination, local):
        return None
    if spec.probe is None:
        return (f"it is a {what} that is not empty, and the {spec.name} format has no probe to recognise its "
                "own output by, so --force replaces only an empty one")
    try:
        source = open_source(destination)
    except SourceError:
        return _foreign(what, spec)
    try:
        if not spec.probe_source(source):
            return _foreign(what, spec)
        if what == "file":
            return None
        if local is None:
            fs, path = url_to_fs(destination)
            if source.root and len(fs.ls(path)) > 1:
                return _foreign(what, spec)  # a package in a folder, beside other things
            return None
        unseen = sorted([*_unseen_files(local, (source.root + name for name in source.files)),
                         *(source.root + name for name in spec.foreign_files_in(source))])
        if unseen:
            more = f" and {len(unseen) - _SHOWN} more" if len(unseen) > _SHOWN else ""
            shown = ", ".join(unseen[:_SHOWN]) + more
            return f"it holds {shown}, which a package in the {spec.name} format does not"
    finally:
        source.close()
    return None


def _foreign(what: str, spec: FormatSpec) -> str:
    return f"it is a {what}, not a package in the {spec.name} format, and --force replaces only those"


def _is_dir(destination: str, local: str | None) -> bool:
    if local is not None:
        return os.path.isdir(local)
    fs, path = url_to_fs(destination)
    return bool(fs.isdir(path))


def _is_empty(destination: str, local: str | None) -> bool:
    if local is not None:
        if os.path.isdir(local):
            with os.scandir(local) as entries:
                return all(is_litter(entry.name) for entry in entries)
        return os.path.getsize(local) == 0
    fs, path = url_to_fs(destination)
    if fs.isdir(path):
        return not fs.ls(path)
    return int(fs.info(path).get("size") or 0) == 0


def _unseen_files(folder: str, seen: Iterable[str]) -> list[str]:
    """Files under `folder` that a `Source` leaves out of its listing (a `.git` folder, a
    symbolic link) other than litter: the probe never saw them, so they may be the user's."""
    known = set(seen)
    unseen: list[str] = []
    stack = [("", folder)]
    while stack:
        rel_dir, full_dir = stack.pop()
        with os.scandir(full_dir) as entries:
            for entry in entries:
                rel = rel_dir + entry.name
                if is_litter(entry.name):
                    continue
                if entry.is_dir(follow_symlinks=False) and not is_junk(entry.name):
                    stack.append((rel + "/", entry.path))
                elif rel not in known:
                    unseen.append(rel + ("/" if entry.is_dir() else ""))
    return sorted(unseen)
