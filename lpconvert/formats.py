"""The format contract: what a format plugin declares, and the registry of loaded formats.

A *format* is a layout of files (lp-archive, olx, json ...); a *container* is how the files
are bundled (directory, zip, tar.gz). A plugin declares each format it provides as a
`FormatSpec`: a name, a description, destination suffixes it is the default for, a probe
(can it read this source?), a reader and/or a writer, and the kinds of content it cannot
hold (see `lpconvert.losses`).

Readers and writers are given as ``"module:function"`` strings so that listing formats,
answering --help and probing never import a format's implementation (lxml, sqlite3, ...).
This module imports nothing heavy for the same reason.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .progress import NullProgress, Progress  # light: sys and time only

if TYPE_CHECKING:  # pragma: no cover
    from .package import Package, RawPackage
    from .problems import Problem
    from .storage import Sink, Source

PLUGIN_API_VERSION = 1
"""The plugin API major version. A plugin module declares the version it was written for as
``LPCONVERT_API = 1``; a plugin declaring another major version is refused at load time."""


@dataclass(frozen=True)
class _RunOptions:
    """What a reader or writer is told. `extra` carries format-specific options (``-I``/``-O key=value``).

    `progress` is always a reporter, never None (a `NullProgress` when nobody watches), so a
    reader or writer calls it without a guard. None given here, as older callers did, becomes
    a `NullProgress`; a plugin that still guards with ``if options.progress:`` keeps working.
    """

    progress: Progress = field(default_factory=NullProgress)
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.progress is None:
            object.__setattr__(self, "progress", NullProgress())


@dataclass(frozen=True)
class ReadOptions(_RunOptions):
    """What a reader is told: `progress` (never None), `extra` (the ``-I key=value`` options)
    and `jobs`, how many processes it may use (``--jobs``: 1 is this process alone, 0 every
    core; a reader that cannot share its work ignores it)."""

    jobs: int = 1


@dataclass(frozen=True)
class WriteOptions(_RunOptions):
    """What a writer is told: `progress` (never None) and `extra`, the ``-O key=value`` options."""


@dataclass(frozen=True)
class FormatOption:
    """A ``-O``/``-I`` key a format's writer or reader understands.

    Declared so that the core can refuse a misspelt key or a value outside `choices` as a
    usage error before anything is read (``-O olx_layot=library`` used to write a course,
    silently), and so `lpconvert formats NAME` can list them. `name` uses underscores; what
    a user types with dashes is the same key. Values reach the format as strings: `type`
    says what the string must spell ("int": digits, "bool": true/false/yes/no/1/0).
    """

    name: str
    help: str
    choices: tuple[str, ...] = ()
    default: str | None = None
    type: Literal["str", "int", "bool"] = "str"


@dataclass(frozen=True)
class ProblemCode:
    """A problem code a format may raise: the code, "error" or "warning", and what it means in
    one line. docs/validation.md documents every code of every installed format; the core's
    own codes are in `lpconvert.problems.CODES`."""

    code: str
    severity: Literal["error", "warning"]
    meaning: str


LossDetector = Callable[["Package", Mapping[str, str]], "str | None"]
Stripper = Callable[[dict[str, Any]], None]
@dataclass(frozen=True)
class LossKind:
    """A kind of content a format cannot hold: one object for the loss check, the docs and
    the tests.

    `detector` is ``(package, options) -> message | None`` (or a ``"module:function"``
    string, so declaring it imports nothing): given the package and the writer's ``-O``
    options, it says what this package would lose (counted, with examples) or None. It runs
    before the writer, so `--strict` can refuse before the first byte, and every loss is
    named in one run. For the core's kinds (`CORE_LOSS_KINDS`, which a format names in
    `FormatSpec.cannot_hold`) the message is what is dropped, and the loss check says which
    format drops it; a format's own kind (`FormatSpec.losses`) returns the whole warning.

    `strip` is ``(picture) -> None`` (or a ``"module:function"`` string): it removes what
    this kind covers from the comparison picture of `lpconvert.testing.compare`, so a round
    trip through a format that declares the loss is not reported as a difference, and an
    undeclared one is. A format's own kind may have none: then its loss is not compared away.
    """

    name: str
    description: str
    detector: LossDetector | str
    strip: Stripper | str | None = None

    def load_detector(self) -> LossDetector:
        fn = _resolve(self.detector)
        assert fn is not None
        return fn

    def load_strip(self) -> Stripper | None:
        return _resolve(self.strip)


def _core(name: str, description: str) -> LossKind:
    """A core kind: its detector in `lpconvert.losses`, its strip in `lpconvert.testing.compare`,
    both named after the kind (imported only when used)."""
    attr = name.replace("-", "_")
    return LossKind(name, description, f"lpconvert.losses:lost_{attr}", f"lpconvert.testing.compare:strip_{attr}")


CORE_LOSS_KINDS: dict[str, LossKind] = {kind.name: kind for kind in (
    _core("loose-components", "components that no unit holds"),
    _core("history", "every version but the current one"),
    _core("collections", "collections"),
    _core("other-versions", "versions other than the current draft and published"),
    _core("published-behind-draft", "a published version behind the draft"),
    _core("root", "the OLX course/library root and its settings"),
    _core("package-files", "package-level files (policies, about/, static/ ...)"),
    _core("version-attributes", "container settings (format, graded, due ...)"),
    _core("unknown-fields", "fields lpconvert does not know"),
    _core("version-times", "when each version was created"),
    _core("meta", "who made the package, when and where (meta: created_by, created_at, origin_server ...)"),
    _core("package-description", "the package's description"),
    _core("timestamps", "every created/updated time (of the package, its entities and their versions)"),
    _core("can-stand-alone", "can_stand_alone = false (a component only its container may use)"),
)}
"""The kinds the core detects, which any format may name in `cannot_hold`. In the order their
strips apply (loose components are found before versions go, history before the kinds it
covers)."""

LOSS_KIND_NAMES: dict[str, str] = {name: kind.description for name, kind in CORE_LOSS_KINDS.items()}
"""Core loss kind -> what it is, in words."""


Reader = Callable[["Source", ReadOptions], "RawPackage"]
Writer = Callable[["Package", "Sink", WriteOptions], "list[Problem]"]
Probe = Callable[["Source"], bool]
ForeignFiles = Callable[["Source"], "list[str]"]


def _resolve(ref: str | Callable[..., Any] | None) -> Callable[..., Any] | None:
    if ref is None or callable(ref):
        return ref
    module, _, attr = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj  # type: ignore[no-any-return]


@dataclass(frozen=True)
class FormatSpec:
    """One format, as a plugin declares it.

    * `name`: what users type after --to / --from (lowercase, dashes).
    * `suffixes`: destination suffixes for which this format is the default (".zip").
    * `probe`: cheap check on a `Source` (file names, maybe one small file) -> can read it.
    * `reader`: ``(source, ReadOptions) -> RawPackage``, never raising on bad content.
    * `writer`: ``(package, sink, WriteOptions) -> list[Problem]`` (its own loss warnings).
    * `output`: "tree" (many files: directory, zip or tar) or "file" (one file).
      A tree is bundled as the destination's name says: ".zip" a zip, ".tar.gz"/".tgz" a
      gzip'd tar, ".tar" a tar, anything else a directory.
    * `cannot_hold`: names of the core's loss kinds (`CORE_LOSS_KINDS`) this format drops.
    * `losses`: loss kinds only this format has, each with its own detector (`LossKind`).
    * `zip_suffixes`: destination suffixes whose files are zip archives (".imscc"): a tree
      written to such a name is a zip file, as a ".zip" destination is.
    * `reader_options` / `writer_options`: the ``-I`` / ``-O`` keys it understands.
    * `problem_codes`: the codes it may raise beyond the core's (`lpconvert.problems.CODES`).
    * `foreign_files`: ``(source) -> [path, ...]``, the files of a recognised package that this
      format's writer never writes (a user's notes in a hand-edited layout). `--force` refuses
      to replace a package holding any. Without it, every file the probe saw counts as the
      format's own.
    """

    name: str
    description: str
    suffixes: tuple[str, ...] = ()
    probe: Probe | str | None = None
    reader: Reader | str | None = None
    writer: Writer | str | None = None
    output: Literal["tree", "file"] = "tree"
    cannot_hold: frozenset[str] = frozenset()
    losses: tuple[LossKind, ...] = ()
    zip_suffixes: tuple[str, ...] = ()
    reader_options: tuple[FormatOption, ...] = ()
    writer_options: tuple[FormatOption, ...] = ()
    problem_codes: tuple[ProblemCode, ...] = ()
    foreign_files: ForeignFiles | str | None = None
    plugin: str = ""

    @property
    def loss_kinds(self) -> dict[str, str]:
        """Every loss kind this format may cause -> what it is: the core's it declares, then its own."""
        out = {kind: LOSS_KIND_NAMES.get(kind, kind) for kind in sorted(self.cannot_hold)}
        out.update((loss.name, loss.description) for loss in self.losses)
        return out

    def describe(self) -> dict[str, Any]:
        """Everything this format declares, as plain JSON-ready data: what `lpconvert formats`
        shows (as text, or as JSON), gathered in one place so both say the same."""
        def options(declared: tuple[FormatOption, ...]) -> list[dict[str, Any]]:
            return [{"name": o.name, "help": o.help, "choices": list(o.choices), "default": o.default,
                     "type": o.type} for o in declared]

        return {
            "name": self.name, "description": self.description, "plugin": self.plugin,
            "read": self.can_read, "write": self.can_write, "output": self.output,
            "suffixes": list(self.suffixes), "zip_suffixes": list(self.zip_suffixes),
            "reader_options": options(self.reader_options), "writer_options": options(self.writer_options),
            "losses": dict(self.loss_kinds),
            "problem_codes": [{"code": c.code, "severity": c.severity, "meaning": c.meaning}
                              for c in self.problem_codes],
        }

    @property
    def can_read(self) -> bool:
        return self.reader is not None

    @property
    def can_write(self) -> bool:
        return self.writer is not None

    def load_reader(self) -> Reader:
        fn = _resolve(self.reader)
        if fn is None:
            raise ValueError(f"format {self.name} cannot be read")
        return fn

    def load_writer(self) -> Writer:
        fn = _resolve(self.writer)
        if fn is None:
            raise ValueError(f"format {self.name} cannot be written")
        return fn

    def load_loss_detectors(self) -> list[tuple[str, LossDetector]]:
        """(kind, detector) of the format's own loss kinds, imported now (they may need lxml ...)."""
        return [(loss.name, loss.load_detector()) for loss in self.losses]

    def lost_kinds(self) -> list[LossKind]:
        """Every loss kind of this format as one object each: the core's it names, then its own."""
        return [CORE_LOSS_KINDS[k] for k in CORE_LOSS_KINDS if k in self.cannot_hold] + list(self.losses)

    def foreign_files_in(self, source: Source) -> list[str]:
        """The files in `source` (a package this format's probe recognised) that its writer
        would not have written; [] when the format does not say."""
        fn = _resolve(self.foreign_files)
        return sorted(fn(source)) if fn is not None else []

    def probe_source(self, source: Source) -> bool:
        fn = _resolve(self.probe)
        if fn is None:
            return False
        try:
            return bool(fn(source))
        except Exception:  # noqa: BLE001 - a broken probe must not break detection
            return False
