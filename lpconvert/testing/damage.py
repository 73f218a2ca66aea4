"""Damaged input: a reader must answer with problems, never with a traceback.

The contract says a reader never raises on bad content, because one run should show every
problem and because the command line promises one line on stderr, not a stack trace. The
easiest way to break that promise is a ``json.loads`` or ``int()`` without a ``try`` in a
path the happy tests never take. `assert_survives_damage` writes a package in the format,
then damages each file of the result in a few blunt ways (emptied, cut in half, replaced by
bytes that are not text) and reads every damaged copy back.
"""

from __future__ import annotations

import shutil
import traceback
from collections.abc import Callable
from pathlib import Path

from ..api import get_format, read, write
from ..package import Package

DAMAGES: dict[str, Callable[[bytes], bytes]] = {
    "emptied": lambda data: b"",
    "cut in half": lambda data: data[: len(data) // 2],
    "not text": lambda data: b"\x00\xff\xfe garbage \x80\x81" * 4,
}
"""Name -> how a file's bytes are damaged."""


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]


def assert_survives_damage(format: str, directory: str | Path, package: Package | None = None, *,
                           limit: int = 40) -> int:
    """Fail if reading a damaged copy of `format`'s output raises, or fails without an error problem.

    Damages at most `limit` files (the structural ones first: text files before media).
    Returns how many damaged copies were read, so a test can check the helper did work.
    """
    from .sample import sample_package

    spec = get_format(format)
    if not (spec.can_read and spec.can_write):
        raise AssertionError(f"format {format!r} must be both readable and writable")
    directory = Path(directory)
    original = directory / f"original-{format}"
    if package is None:
        with sample_package() as sample:
            written = write(sample, str(original), format, container="dir")
    else:
        written = write(package, str(original), format, container="dir")
    if not written.ok:
        raise AssertionError(f"writing {format} failed:\n" + "\n".join(p.render() for p in written.problems))
    files = _files(original)
    files.sort(key=lambda p: (p.suffix in (".png", ".jpg", ".gif", ".pdf", ".srt"), str(p)))
    count = 0
    for target in files[:limit]:
        relative = target.relative_to(original) if original.is_dir() else Path(target.name)
        for name, damage in DAMAGES.items():
            copy = directory / f"damaged-{count}"
            if original.is_dir():
                shutil.copytree(original, copy)
            else:
                shutil.copyfile(original, copy)
            damaged = copy / relative if original.is_dir() else copy
            damaged.write_bytes(damage(target.read_bytes()))
            try:
                result = read(str(copy), format)
            except Exception:  # noqa: BLE001 - exactly what this helper is looking for
                raise AssertionError(f"{format} reader raised on {relative} {name}:\n{traceback.format_exc()}"
                                     ) from None
            with result:
                if not result.ok and not any(p.is_error for p in result.problems):
                    raise AssertionError(f"{format} reader gave no package and no error for {relative} {name}")
            if copy.is_dir():
                shutil.rmtree(copy)
            else:
                copy.unlink()
            count += 1
    return count
