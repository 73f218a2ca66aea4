"""The library API: read, write, convert, validate, merge. The command line is a thin layer over it.

    result = lpconvert.read("library.zip")
    if result.package is None:
        for p in result.problems: print(p.render())
    lpconvert.write(result.package, "out.json")

Problems are returned, never printed; user errors (a missing file, an unknown format, a
destination that exists) come back as problems too, or as `LpconvertError` where there is
no result to attach them to.

This module is longer than the project's 450 lines on purpose: it is the library's whole
public surface (its verbs and their results) in one place; what they are built from lives
in the modules they import (formats, storage, losses, destination, merge).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from .formats import FormatSpec, ReadOptions, WriteOptions
from .options import OptionError, check_options
from .package import Package
from .plugin_manager import get_registry
from .problems import Problem, error, has_errors
from .progress import NullProgress, Progress
from .storage import Limits, Source, SourceError, StorageError, open_source

if TYPE_CHECKING:  # pragma: no cover
    from .merge import MergeResult
    from .model import CompletePackageInput
    from .package import RawPackage


class LpconvertError(Exception):
    """A usage error with no package to attach it to (unknown format name, bad option)."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class DestinationNotReplaceable(LpconvertError):
    """`force` was given, but the destination is not something lpconvert would have written
    there (see `lpconvert.destination`): it holds the input, the current directory, or
    files that are not a package of the destination's format. Nothing was touched."""

    def __init__(self, destination: str, reason: str) -> None:
        super().__init__(f"refusing to replace {destination}: {reason}; nothing was written")
        self.destination = destination
        self.reason = reason


@dataclass
class ReadResult:
    """The package (None when it has errors) and every problem found reading it."""

    package: Package | None
    problems: list[Problem]
    format: str | None = None
    source: str | None = None

    @property
    def ok(self) -> bool:
        return self.package is not None

    def close(self) -> None:
        if self.package is not None:
            self.package.close()

    def __enter__(self) -> ReadResult:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class WriteResult:
    """What writing said: loss warnings, and errors when nothing was written."""

    problems: list[Problem]
    destination: str
    format: str
    written: bool
    bytes_written: int = 0

    @property
    def ok(self) -> bool:
        return self.written


@dataclass
class ConvertResult:
    read: ReadResult
    write: WriteResult | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.write is not None and self.write.written


def format_names() -> list[str]:
    return sorted(get_registry().formats)


def readable_names() -> list[str]:
    """The formats that can read: the only ones worth suggesting for an input (`--from`)."""
    return sorted(spec.name for spec in get_registry().readable())


def get_format(name: str, *, reading: bool = False) -> FormatSpec:
    """The format called `name`; an unknown name lists the known ones (only those that read
    when `reading`, since those are the only ones an input can be read as)."""
    registry = get_registry()
    spec = registry.get(name)
    if spec is None:
        known = ", ".join(readable_names() if reading else format_names()) or "none"
        why = ""
        plugin = registry.plugins.get(name)
        if plugin is not None and plugin.disabled:
            why = f"; plugin {name!r} is disabled by LPCONVERT_DISABLE_PLUGINS"
        elif plugin is not None and plugin.error:
            why = f"; plugin {name!r} failed to load ({plugin.error})"
        elif registry.failures():
            why = "; some plugins failed to load, see `lpconvert plugins`"
        raise LpconvertError(f"unknown format {name!r} (known formats: {known}){why}")
    return spec


def detect_format(source: Source) -> FormatSpec | None:
    """The readable format whose probe accepts the source.

    When several probes accept it (a JSON probe and a JSON-lines plugin's both like a file
    that starts with "{"), the one whose declared suffix the source's name ends with wins;
    after that the first by name, so detection never depends on plugin load order.
    """
    matches = [spec for spec in sorted(get_registry().readable(), key=lambda s: s.name) if spec.probe_source(source)]
    if len(matches) > 1:
        name = source.label.lower().rstrip("/")
        by_suffix = [s for s in matches if any(name.endswith(x.lower()) for x in s.suffixes)]
        if by_suffix:
            return max(by_suffix, key=lambda s: max(len(x) for x in s.suffixes if name.endswith(x.lower())))
    return matches[0] if matches else None


def _folders_holding_a_package(source: Source) -> list[str]:
    """Top-level folders some format recognises as a package root. Asked only when nothing
    is recognised at the top and there are only folders there, which is either a package
    whose marker file is missing (nothing found here) or packages zipped side by side."""
    return [folder for folder, view in source.folder_views().items() if detect_format(view) is not None]


def _ambiguous_root(label: str, packages: list[str]) -> Problem:
    if len(packages) == 1:
        where = f"its folder {packages[0]} holds a package, beside other folders"
    else:
        shown = ", ".join(packages[:3]) + (f" and {len(packages) - 3} more" if len(packages) > 3 else "")
        where = f"its folders {shown} each hold a package"
    return error("ambiguous-root", f"{label}: {where}; zip one package at a time, on its own", file=label)


def read(source: str | Source, format: str | None = None, *, strict: bool = False,
         limits: Limits | None = None, progress: Progress | None = None,
         options: Mapping[str, str] | None = None, jobs: int = 1) -> ReadResult:
    """Read and validate a package. `package` is None when there is any error.

    `source` is a path or fsspec URL (directory, .zip, .tar.gz, a .json or .sqlite file,
    memory://..., github://...) or an open `Source`. The format is found by probing unless
    given. With `strict`, warnings count as errors. `jobs`: processes the reader may use
    (0: every core; see `ReadOptions.jobs`); the package is the same for any value.
    """
    return _read(source, format, strict=strict, limits=limits, progress=progress, options=options, jobs=jobs)


def _read(source: str | Source, format: str | None = None, *, strict: bool = False,
          limits: Limits | None = None, progress: Progress | None = None,
          options: Mapping[str, str] | None = None, only_problems: bool = False, jobs: int = 1) -> ReadResult:
    """`read`; with `only_problems` (what `validate` needs) the package is checked without
    building the model where `lpconvert.fastcheck` can decide alone (no pydantic imported), and
    `package` is always None; when the model is built, equal small values are not shared
    (`lpconvert.compact`: nothing is written that would reuse the memory). `jobs` as for `read`."""
    from .gcpause import paused_gc

    label = source.label if isinstance(source, Source) else str(source)
    if isinstance(source, Source):
        src = source
    else:
        try:
            src = open_source(source, limits)
        except SourceError as exc:
            return ReadResult(None, [exc.problem()], None, label)
    try:
        if format is not None:
            spec = get_format(format, reading=True)
            if not spec.can_read:
                raise LpconvertError(f"format {format!r} can be written but not read; formats that read: "
                                     f"{', '.join(readable_names()) or 'none'}")
        else:
            found = detect_format(src)
            if found is None:
                packages = _folders_holding_a_package(src) if src.ambiguous else []
                src.close()
                if packages:
                    return ReadResult(None, [_ambiguous_root(label, packages)], None, label)
                root = f" (looked in {src.root.rstrip('/')}/)" if src.root else ""
                return ReadResult(None, [error("unknown-format", f"{label}: no format recognises this source"
                                               f"{root}; try --from with one of: {', '.join(readable_names())}",
                                               file=label)], None, label)
            spec = found
        read_options = checked_options(spec, options, "reader")
        reader = spec.load_reader()
        progress = progress or NullProgress()
        with paused_gc():
            raw = reader(src, ReadOptions(progress=progress, extra=read_options, jobs=jobs))
            progress.start(None, "validating")  # checks of every entity: seconds at 10K
            model, problems = _validate(raw, strict, only_problems)
    except LpconvertError:
        src.close()
        raise
    except SourceError as exc:
        src.close()
        return ReadResult(None, [exc.problem()], spec.name if "spec" in locals() else None, label)
    if model is None:
        src.close()
        if raw.closer:
            raw.closer()
        return ReadResult(None, problems, spec.name, label)

    # Keep only what the package needs from the raw data: its closer and its resolver. The raw
    # dicts themselves can go as soon as the model is built (a fifth of peak memory at 100K).
    raw_closer = raw.closer
    resources = raw.resources if raw.resources is not None else src
    del raw

    def close_all() -> None:
        if raw_closer:
            raw_closer()
        src.close()

    return ReadResult(Package(model, resources, label, close_all), problems, spec.name, label)


def _validate(raw: RawPackage, strict: bool, only_problems: bool) -> tuple[CompletePackageInput | None, list[Problem]]:
    """The model (None when `only_problems` or on errors) and every problem of a raw package."""
    if only_problems:
        from .fastcheck import validate_fast

        problems = validate_fast(raw, strict=strict)
        if problems is not None:
            return None, problems
    from .compact import SharedValues
    from .validation import validate_raw

    model, problems = validate_raw(raw, strict=strict, share=None if only_problems else SharedValues())
    return (None if only_problems else model), problems


def package_timestamp(package: Package) -> datetime | None:
    """The timestamp archive entries get: from the package, never the clock."""
    lp = package.model.learning_package
    meta = package.model.meta
    return lp.updated or lp.created or (meta.created_at if meta else None)


def choose_output_format(destination: str, to: str | None) -> FormatSpec:
    if to is not None:
        spec = get_format(to)
    else:
        found = get_registry().for_suffix(destination)
        if found is None:
            suffixes = sorted({s for f in get_registry().writable() for s in f.suffixes})
            raise LpconvertError(f"cannot tell the output format from {destination!r}; give --to FORMAT "
                                 f"or a destination ending in one of: {', '.join(suffixes)}")
        spec = found
    if not spec.can_write:
        raise LpconvertError(f"format {spec.name!r} can be read but not written")
    return spec


def checked_options(spec: FormatSpec, options: Mapping[str, str] | None,
                    role: Literal["reader", "writer"]) -> dict[str, str]:
    """`options` once each key and value is one `spec` declares; else a usage error
    (`LpconvertError`) naming the closest declared key, before anything is read or written."""
    try:
        return check_options(spec, options, role)
    except OptionError as exc:
        raise LpconvertError(str(exc)) from None


def check_allow_loss(allow_loss: Iterable[str]) -> frozenset[str]:
    """The loss kinds `allow_loss` names (``"a,b"`` items split); an unknown kind is a usage error."""
    from .losses import UnknownLossKind, allowed_kinds, known_kinds

    if isinstance(allow_loss, str):
        allow_loss = [allow_loss]
    try:
        return allowed_kinds(allow_loss, known_kinds(get_registry().formats.values()))
    except UnknownLossKind as exc:
        raise LpconvertError(str(exc)) from None


def _as_strict(problems: list[Problem], allowed: frozenset[str]) -> list[Problem]:
    """What `strict` makes of the problems: every warning an error, but an allowed loss."""
    from .losses import is_allowed

    return [p if is_allowed(p, allowed) else p.as_error() for p in problems]


def check_destination(destination: str, spec: FormatSpec, *, force: bool, inputs: Sequence[str] = ()) -> None:
    """Raise `DestinationNotReplaceable` when `force` would replace what lpconvert did not write.

    Without `force` an existing destination is refused anyway (a `destination-exists`
    problem from the sink), so nothing is probed. `inputs` are the paths being read.
    """
    from .destination import exists, why_not_replaceable

    if not force or not exists(destination):
        return
    reason = why_not_replaceable(destination, spec, inputs)
    if reason is not None:
        raise DestinationNotReplaceable(destination, reason)


def write(package: Package, destination: str, format: str | None = None, *, force: bool = False,
          strict: bool = False, progress: Progress | None = None,
          options: Mapping[str, str] | None = None, container: str | None = None,
          allow_loss: Iterable[str] = (), inputs: Sequence[str] = ()) -> WriteResult:
    """Write a package; atomically, refusing an existing destination unless `force`.

    The format is `format`, else the one the destination's suffix names. Every loss the
    format will cause is found before writing and reported as `loss` warnings; with `strict`
    any loss is an error and nothing is written, except the kinds in `allow_loss` (see
    `lpconvert formats`), which stay warnings. An unknown kind raises `LpconvertError`.
    `force` replaces only a file or package of that format, never the package's own source,
    anything in `inputs`, or the current directory (else `DestinationNotReplaceable` is
    raised and nothing is touched).
    """
    from .losses import is_allowed, losses_for
    from .storage import open_sink

    spec = choose_output_format(destination, format)
    options = checked_options(spec, options, "writer")
    allowed = check_allow_loss(allow_loss)
    check_destination(destination, spec, force=force, inputs=[*inputs, *([package.source] if package.source else [])])
    progress = progress or NullProgress()
    progress.start(None, f"checking what {spec.name} cannot hold")  # every entity: seconds at 10,000
    try:
        losses = losses_for(package, spec, options)
    except SourceError as exc:
        return WriteResult([exc.problem()], destination, spec.name, False)
    if strict and not all(is_allowed(p, allowed) for p in losses):
        return WriteResult(_as_strict(losses, allowed), destination, spec.name, False)
    kind = container_kind(destination, spec, container)
    writer = spec.load_writer()
    try:
        with open_sink(destination, kind, force=force, timestamp=package_timestamp(package)) as sink:  # type: ignore[arg-type]
            extra = writer(package, sink, WriteOptions(progress=progress, extra=options))
            problems = losses + list(extra or [])
            if strict and has_errors(_as_strict(problems, allowed)):
                raise _StrictAbort(_as_strict(problems, allowed))
            if has_errors(problems):
                raise _StrictAbort(problems)
    except _StrictAbort as abort:
        return WriteResult(abort.problems, destination, spec.name, False)
    except StorageError as exc:  # the sink's refusals and damage in the media it streamed
        return WriteResult([exc.problem()], destination, spec.name, False)
    except OSError as exc:
        return WriteResult([error("write-failed", f"could not write {destination}: {exc}", file=destination)],
                           destination, spec.name, False)
    return WriteResult(problems, destination, spec.name, True, sink.bytes_written)


def container_kind(destination: str, spec: FormatSpec, container: str | None = None) -> str:
    """How `spec`'s output is bundled at `destination`: one file; or, for a tree, `container`
    when given, a zip when the name ends in a suffix the format declares a zip file
    (`FormatSpec.zip_suffixes`: ``.imscc``), else what the name says (.zip, .tar.gz, .tar, a
    directory). The format says it, so the core needs no table of formats' suffixes."""
    from .storage import container_for

    if spec.output == "file":
        return "file"
    if container:
        return container
    name = destination.lower().rstrip("/")
    if any(name.endswith(suffix.lower()) for suffix in spec.zip_suffixes):
        return "zip"
    return container_for(destination)


class _StrictAbort(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("aborted")
        self.problems = problems


def convert(source: str, destination: str, *, from_format: str | None = None, to: str | None = None,
            force: bool = False, strict: bool = False, limits: Limits | None = None,
            progress: Progress | None = None, read_options: Mapping[str, str] | None = None,
            write_options: Mapping[str, str] | None = None, container: str | None = None,
            allow_loss: Iterable[str] = (), jobs: int = 1) -> ConvertResult:
    """Read `source` and write it to `destination`. Nothing is written if reading found errors.

    With `strict`, a source whose only problems are warnings is still read, so that its
    warnings and every loss the destination would cause are refused together, in one run;
    `allow_loss` names loss kinds `strict` accepts (see `write`).
    """
    from .losses import losses_for

    spec = choose_output_format(destination, to)  # fail on usage errors before reading
    write_options = checked_options(spec, write_options, "writer")
    if from_format is not None:
        checked_options(get_format(from_format, reading=True), read_options, "reader")
    allowed = check_allow_loss(allow_loss)
    check_destination(destination, spec, force=force, inputs=[source])
    result = read(source, from_format, limits=limits, progress=progress, options=read_options, jobs=jobs)
    if result.package is None:
        problems = [p.as_error() for p in result.problems] if strict else list(result.problems)
        return ConvertResult(result, None, problems)
    if strict and result.problems:
        try:
            losses = losses_for(result.package, spec, write_options)
        finally:
            result.close()
        refused = ReadResult(None, [p.as_error() for p in result.problems], result.format, result.source)
        return ConvertResult(refused, None, refused.problems + _as_strict(losses, allowed))
    try:
        written = write(result.package, destination, spec.name, force=force, strict=strict, progress=progress,
                        options=write_options, container=container, allow_loss=allow_loss, inputs=[source])
    finally:
        result.close()
    return ConvertResult(result, written, list(result.problems) + written.problems)


@dataclass
class ValidationResult:
    problems: list[Problem]
    format: str | None

    @property
    def valid(self) -> bool:
        return not has_errors(self.problems)


def validate(source: str | Source, format: str | None = None, *, strict: bool = False,
             limits: Limits | None = None, progress: Progress | None = None, jobs: int = 1) -> ValidationResult:
    """Every problem in a source, errors and warnings. `valid` is True when there is no error.
    `jobs` as for `read`."""
    with _read(source, format, strict=strict, limits=limits, progress=progress, only_problems=True,
               jobs=jobs) as result:
        return ValidationResult(result.problems, result.format)


@dataclass
class MergeRun:
    """What `merge` did: both inputs as read, the merge (None when an input is invalid), the
    write (None on a dry run or when the merge could not be made), and every problem of all three."""

    base: ReadResult
    incoming: ReadResult
    merged: MergeResult | None = None
    write: WriteResult | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def invalid_inputs(self) -> list[str]:
        """The inputs that could not be read or have errors, as given."""
        return [str(r.source) for r in (self.base, self.incoming) if r.package is None]

    @property
    def ok(self) -> bool:
        """The merge was made and, unless this was a dry run, written."""
        return self.merged is not None and self.merged.ok and (self.write is None or self.write.written)


def merge(base: str, incoming: str, destination: str | None = None, *, to: str | None = None,
          from_format: str | None = None, force: bool = False, strict: bool = False,
          limits: Limits | None = None, allow_loss: Iterable[str] = ()) -> MergeRun:
    """Apply the package at `incoming` to the one at `base` and write the result to `destination`
    (in `to`'s format, else the one its suffix names); without `destination`, a dry run: the
    report (`MergeRun.merged.report`), nothing written. The rules are `lpconvert.merge`'s.

    Usage errors (an unknown format or loss kind, a destination `force` may not replace) raise
    `LpconvertError` before anything is read. Nothing is written when an input or the merged
    package has errors, or when `strict` refuses a loss (see `write`). Both inputs are closed
    on return, so the merged package is for writing here, not for reading afterwards (for
    that, read both and call `lpconvert.merge.merge` on the packages).
    """
    from .merge import merge as merge_packages

    spec = choose_output_format(destination, to) if destination is not None else None
    check_allow_loss(allow_loss)
    if destination is not None and spec is not None:  # refused before reading, not after the merge report
        check_destination(destination, spec, force=force, inputs=[base, incoming])
    with read(base, from_format, strict=strict, limits=limits) as base_read, \
            read(incoming, from_format, strict=strict, limits=limits) as incoming_read:
        run = MergeRun(base_read, incoming_read, problems=[*base_read.problems, *incoming_read.problems])
        if run.invalid_inputs:
            return run
        assert base_read.package is not None and incoming_read.package is not None
        run.merged = merge_packages(base_read.package, incoming_read.package)
        run.problems += run.merged.problems
        if run.merged.package is not None and destination is not None and spec is not None:
            run.write = write(run.merged.package, destination, spec.name, force=force, strict=strict,
                              allow_loss=allow_loss, inputs=[base, incoming])
            run.problems += run.write.problems
    return run
