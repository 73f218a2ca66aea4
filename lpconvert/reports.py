"""Output models: what lpconvert itself emits (`--report` JSON, every `--json`), strict.

Input models are permissive (unknown fields kept, so newer archives round-trip); output
models are the opposite: ``extra="forbid"`` and strict types, so what another program
reads from lpconvert is exactly the documented shape and a mistake here fails loudly in
our tests instead of silently in someone's pipeline.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:  # pragma: no cover - the hub model is imported only by what builds from it,
    from .package import Package  # so `formats --json` and `plugins --json` start quickly
    from .problems import Problem


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ProblemOut(_Strict):
    severity: Literal["error", "warning"]
    code: str
    message: str
    file: str | None
    field: str | None
    line: int | None
    media_line: int | None
    """The line inside the media file `field` names, when it is held within `file` (JSON, SQLite)."""

    @classmethod
    def of(cls, p: Problem) -> ProblemOut:
        """The published shape of one problem: every report that lists problems uses this."""
        return cls(severity=p.severity.value, code=p.code, message=p.message, file=p.file,
                   field=p.field, line=p.line, media_line=p.media_line)


class ProblemReport(_Strict):
    """What `--report FILE.json` writes and `validate --json` prints."""

    source: str | None
    format: str | None
    valid: bool
    errors: int
    warnings: int
    problems: list[ProblemOut]

    @classmethod
    def build(cls, source: str | None, format: str | None, problems: list[Problem]) -> ProblemReport:
        out = [ProblemOut.of(p) for p in problems]
        errors = sum(1 for p in problems if p.is_error)
        return cls(source=source, format=format, valid=errors == 0, errors=errors,
                   warnings=len(problems) - errors, problems=out)


class PackageInfo(_Strict):
    """What `lpconvert info` shows."""

    source: str
    format: str
    title: str
    key: str
    entities: int
    counts: dict[str, int]
    versions: int
    draft_ahead: int
    unpublished: int
    collections: int
    media_files: int
    media_bytes: int
    static_files: int
    """Distinct files under static/ (a course's static/ folder, a component's static/ media)."""

    @classmethod
    def build(cls, package: Package, fmt: str) -> PackageInfo:
        from .model import ResourceMedia

        model = package.model
        counts = Counter(e.kind for e in model.entities)
        media_files = 0
        media_bytes = 0
        static: set[str] = set()
        for entity, _, path, media in package.iter_media():
            media_files += 1
            media_bytes += package.media_size(media)
            if path.startswith("static/"):
                # the same course file shared by several blocks is one file
                static.add(media.resource if isinstance(media, ResourceMedia) else f"{entity.key}/{path}")
        for path, media in model.files.items():
            media_files += 1
            media_bytes += package.media_size(media)
            if path.startswith("static/"):
                static.add(media.resource if isinstance(media, ResourceMedia) else path)
        return cls(
            source=package.source or "", format=fmt, title=model.learning_package.title,
            key=model.learning_package.key, entities=len(model.entities), counts=dict(sorted(counts.items())),
            versions=sum(len(e.versions) for e in model.entities),
            draft_ahead=sum(1 for e in model.entities if e.published_version is not None
                            and e.draft_version not in (None, e.published_version)),
            unpublished=sum(1 for e in model.entities if e.published_version is None),
            collections=len(model.collections), media_files=media_files, media_bytes=media_bytes,
            static_files=len(static),
        )


BatchStatus = Literal["ok", "failed", "skipped", "timeout"]


class BatchRecord(_Strict):
    """One line of `lpconvert batch --report FILE.jsonl`: what happened to one input.

    Written as each package finishes, so a killed batch leaves a report of everything it
    finished; `--resume` reads it back. `skipped` means a previous run's record was `ok` for
    the same input (same fingerprint) and its output is still there.
    """

    input: str
    output: str | None
    """None when validating only."""
    format_in: str | None
    format_out: str | None
    status: BatchStatus
    error: str | None
    """One line: why the package failed or timed out; None when it converted."""
    errors: dict[str, int]
    """Error counts by problem code."""
    warnings: dict[str, int]
    """Warning counts by problem code."""
    problems: list[ProblemOut]
    """The first problems found, errors first (at most `BATCH_PROBLEMS_KEPT`)."""
    seconds: float
    bytes_in: int | None
    """The input's size; None for a directory."""
    bytes_out: int
    fingerprint: str
    """What `--resume` compares: the store's ETag or checksum when it has one, else size and mtime."""
    worker: str | None
    """The Dask worker that ran it; None when skipped or when no worker finished it."""
    peak_memory: int | None
    """Bytes: the peak resident memory of the process that converted it; None when unknown."""


BATCH_PROBLEMS_KEPT = 5


class OptionOut(_Strict):
    """One `-O`/`-I` option a format declares."""

    name: str
    type: Literal["str", "int", "bool"]
    help: str
    choices: list[str]
    default: str | None


class ProblemCodeOut(_Strict):
    """One problem code a format may raise."""

    code: str
    severity: str
    meaning: str


class FormatOut(_Strict):
    """One format, as `lpconvert formats --json` lists it."""

    name: str
    description: str
    plugin: str
    can_read: bool
    can_write: bool
    output: Literal["tree", "file"]
    """"file": one file (can be written to stdout); "tree": many files, bundled as a directory, zip or tar."""
    suffixes: list[str]
    """Destination suffixes for which this format is the default."""
    loss_kinds: dict[str, str]
    """What this format cannot hold: loss kind -> description (the names `--allow-loss` takes)."""
    reader_options: list[OptionOut]
    writer_options: list[OptionOut]
    problem_codes: list[ProblemCodeOut]

    @classmethod
    def of(cls, spec: Any) -> FormatOut:
        """Read with getattr: a FormatSpec that declares no options or codes lists none."""
        def options(name: str) -> list[OptionOut]:
            return [OptionOut(name=o.name, type=getattr(o, "type", "str"), help=o.help,
                              choices=list(getattr(o, "choices", ()) or ()),
                              default=None if getattr(o, "default", None) is None else str(o.default))
                    for o in getattr(spec, name, ()) or ()]

        codes = [ProblemCodeOut(code=c.code, severity=str(getattr(c.severity, "value", c.severity)),
                                meaning=c.meaning) for c in getattr(spec, "problem_codes", ()) or ()]
        return cls(name=spec.name, description=spec.description, plugin=spec.plugin, can_read=spec.can_read,
                   can_write=spec.can_write, output=spec.output, suffixes=list(spec.suffixes),
                   loss_kinds=dict(spec.loss_kinds), reader_options=options("reader_options"),
                   writer_options=options("writer_options"), problem_codes=codes)


class FormatsReport(_Strict):
    """What `lpconvert formats --json` prints."""

    formats: list[FormatOut]


class PluginOut(_Strict):
    """One plugin, as `lpconvert plugins --json` lists it."""

    name: str
    module: str
    status: Literal["ok", "failed", "disabled"]
    distribution: str | None
    """The installed distribution that provides it; None when registered directly."""
    version: str | None
    formats: list[str]
    error: str | None
    """Why it failed to load; None when it loaded."""


class PluginsReport(_Strict):
    """What `lpconvert plugins --json` prints."""

    plugins: list[PluginOut]


def _published(model: type[BaseModel], name: str) -> dict[str, Any]:
    schema = model.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://openedx.org/lpconvert/{name}.schema.json"
    return schema


REPORTS: dict[str, type[BaseModel]] = {
    "problems": ProblemReport,
    "info": PackageInfo,
    "formats": FormatsReport,
    "plugins": PluginsReport,
    "batch-record": BatchRecord,
}
"""Every JSON document lpconvert prints or writes, by the name `lpconvert schema --report NAME` takes."""


def report_schema(name: str) -> dict[str, Any]:
    """The published JSON Schema of the report `name` (a key of `REPORTS`)."""
    return _published(REPORTS[name], name)


def batch_record_schema() -> dict[str, object]:
    """The JSON Schema of one report line: what `lpconvert batch --schema` prints."""
    return report_schema("batch-record")
