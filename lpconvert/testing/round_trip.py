"""Round trips: write a package in a format, read it back, and check that nothing undeclared was lost.

This is the test every format owes its users: the promise of the hub model is that
converting through a format keeps everything except what the format says it drops.
`assert_roundtrip` checks all of it in one call, with the messages a plugin author needs
to find the fault: the writer's problems, the reader's problems, whether the format's own
probe recognises what its writer wrote, and each field that came back different.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from ..api import ReadResult, WriteResult, detect_format, get_format, read, write
from ..package import Package
from ..storage import open_source
from .compare import comparable, differences


@dataclass
class RoundTrip:
    """What happened: the write, the read back, and which format the probes detected."""

    destination: str
    written: WriteResult
    read: ReadResult
    detected: str | None

    @property
    def package(self) -> Package:
        if self.read.package is None:
            raise AssertionError("reading back failed:\n" + "\n".join(p.render() for p in self.read.problems))
        return self.read.package

    def close(self) -> None:
        self.read.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def roundtrip(package: Package, format: str, directory: str | Path, *, name: str | None = None,
              write_options: Mapping[str, str] | None = None,
              read_options: Mapping[str, str] | None = None) -> RoundTrip:
    """Write `package` as `format` under `directory` and read it back (with `--from format`).

    The destination is ``directory/name`` (default: ``roundtrip-FORMAT`` plus the format's
    first suffix). Raises AssertionError if the write fails; reading problems are returned.
    """
    spec = get_format(format)
    if not (spec.can_read and spec.can_write):
        raise AssertionError(f"format {format!r} must be both readable and writable for a round trip")
    target = str(Path(directory) / (name or f"roundtrip-{format}{spec.suffixes[0] if spec.suffixes else ''}"))
    written = write(package, target, format, options=write_options)
    if not written.ok:
        raise AssertionError(f"writing {format} failed:\n" + "\n".join(p.render() for p in written.problems))
    source = open_source(target)
    try:
        found = detect_format(source)
    finally:
        source.close()
    back = read(target, format, options=read_options)
    return RoundTrip(target, written, back, found.name if found is not None else None)


def assert_roundtrip(package: Package, format: str, directory: str | Path, *,
                     lost: Iterable[str] | None = None, check_probe: bool = True,
                     write_options: Mapping[str, str] | None = None,
                     read_options: Mapping[str, str] | None = None, strict: bool = False) -> None:
    """Fail unless `package` survives `format`, give or take the format's declared losses.

    `lost` defaults to every loss kind the format declares (the core's it names and its own).
    With `check_probe`, the format's probe must recognise what its writer wrote (so users
    never need --from for it). `strict` asks for equality (see `compare.differences`): a
    format's own tests can hold it to that; the default lets a format fill in empty fields.
    """
    spec = get_format(format)
    dropped = frozenset(spec.lost_kinds() if lost is None else lost)
    with roundtrip(package, format, directory, write_options=write_options, read_options=read_options) as trip:
        back = trip.package
        errors = [p for p in trip.read.problems if p.is_error]
        if errors:
            raise AssertionError("reading back reported errors:\n" + "\n".join(p.render() for p in errors))
        if check_probe and spec.probe is not None and trip.detected != format:
            raise AssertionError(f"{format}'s probe does not recognise what its writer wrote "
                                 f"(detected: {trip.detected or 'nothing'}) at {trip.destination}")
        found = differences(comparable(package, dropped, strict=strict), comparable(back, dropped, strict=strict),
                            strict=strict)
    if found:
        shown = "\n  ".join(found[:25])
        more = f"\n  ... and {len(found) - 25} more" if len(found) > 25 else ""
        declared = ", ".join(sorted(k if isinstance(k, str) else k.name for k in dropped)) or "nothing"
        raise AssertionError(f"{format} round trip changed {len(found)} thing(s) it does not declare as lost "
                             f"(declared: {declared}):\n  {shown}{more}")
