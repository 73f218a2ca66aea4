"""Finding the ``lpconvert`` entry points without importing `importlib.metadata`.

Why: `importlib.metadata` imports `email`, `zipfile`, `csv` and `pathlib` before it reads a
single file, about a fifth of what `lpconvert validate` costs on a real course (issue 16,
docs/performance.md). Reading entry points is simple where distributions are folders on
`sys.path` (``*.dist-info`` / ``*.egg-info`` with an ``entry_points.txt``), which is how pip
installs them, editable installs included. This module reads exactly those, the way
`importlib.metadata` does (the same folders, in the same order, the first distribution of a
name winning, the same file syntax), and hands every other layout (a zip or an egg on
`sys.path`, an import hook that provides distributions) to `importlib.metadata` itself.
The distribution's metadata (name, version) is parsed only when someone shows it.
"""

from __future__ import annotations

import os
import re
import sys
from importlib import import_module
from typing import Any

_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")
"""An entry point's value, ``module:attr [extras]``: importlib.metadata's own syntax."""


class LazyDistribution:
    """The distribution an entry point came from; its metadata is read on first use."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._dist: Any = None

    def _load(self) -> Any:
        if self._dist is None:
            import pathlib
            from importlib import metadata

            self._dist = metadata.PathDistribution(pathlib.Path(self.path))
        return self._dist

    @property
    def metadata(self) -> Any:
        return self._load().metadata

    @property
    def version(self) -> str:
        return str(self._load().version)


class FolderEntryPoint:
    """One entry point read from a distribution folder: what `metadata.EntryPoint` offers us."""

    def __init__(self, name: str, value: str, group: str, dist: LazyDistribution) -> None:
        self.name, self.value, self.group, self.dist = name, value, group, dist

    def load(self) -> Any:
        match = _VALUE.match(self.value)
        if match is None:  # let importlib.metadata word the failure
            from importlib import metadata

            return metadata.EntryPoint(self.name, self.value, self.group).load()
        obj: Any = import_module(match.group("module"))
        for attr in filter(None, (match.group("attr") or "").split(".")):
            obj = getattr(obj, attr)
        return obj


def entry_points(group: str) -> list[Any]:
    """Every entry point in `group` of the distributions on `sys.path`, as importlib.metadata
    finds them (its own result where the layout is one this module does not read)."""
    found = _from_folders(group)
    if found is None:
        from importlib import metadata

        return list(metadata.entry_points(group=group))
    return found


def _normalized(stem: str) -> str:
    return re.sub(r"[-_.]+", "-", stem).lower().replace("-", "_")


def _from_folders(group: str) -> list[FolderEntryPoint] | None:
    """None when some distribution may live where only importlib.metadata looks."""
    from importlib.machinery import PathFinder

    if any(hasattr(f, "find_distributions") and f is not PathFinder for f in sys.meta_path):
        return None
    seen: set[str] = set()
    out: list[FolderEntryPoint] = []
    for entry in sys.path:
        root = entry or "."
        if root.lower().endswith(".egg") or os.path.isfile(root):
            return None
        try:
            children = os.listdir(root)
        except OSError:
            continue
        by_name: dict[str, list[str]] = {}
        for child in children:
            low = child.lower()
            if low.endswith((".dist-info", ".egg-info")):
                if not child.endswith((".dist-info", ".egg-info")):
                    return None  # importlib names such a one from its METADATA, not its folder
                by_name.setdefault(_normalized(low.rpartition(".")[0].partition("-")[0]), []).append(child)
        for name, folders in by_name.items():
            for folder in folders:
                if name in seen:
                    break
                seen.add(name)
                path = os.path.join(root, folder)
                out += _read_group(path, group)
    return out


def _read_group(path: str, group: str) -> list[FolderEntryPoint]:
    """The entries of one section of a distribution's entry_points.txt."""
    try:
        with open(os.path.join(path, "entry_points.txt"), encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError):
        return []
    dist = LazyDistribution(path)
    section = None
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
            continue
        if section == group and "=" in line:
            name, value = (part.strip() for part in line.split("=", 1))
            out.append(FolderEntryPoint(name, value, group, dist))
    return out


__all__ = ["FolderEntryPoint", "LazyDistribution", "entry_points"]
