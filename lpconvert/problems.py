"""Problems: the one type for everything lpconvert has to say about an input.

Readers, validation and writers never print and (for bad content) never raise: they
return `Problem` values. The command line renders them, the library hands them back.
Keeping them as plain, frozen data means one run can collect every problem in an input,
sort and group them, and write them as JSON for another program.

Every code the core emits is listed in `CODES` with a one-line summary; a format declares
the codes only it raises (`FormatSpec.problem_codes`), so the core names no format.
`known_codes` joins the two; docs/validation.md is checked against it by the tests.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field


class Severity(str, enum.Enum):
    """How bad a problem is. Errors stop a conversion; warnings are reported and let it go on."""

    ERROR = "error"
    WARNING = "warning"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with (or lost from) an input.

    `file` is the path inside the source (or destination, for loss warnings) the problem is
    about; `field` is a dotted path inside that file in the file's own vocabulary
    (``entity.draft.version_num``, ``version[1].title``); `line` is 1-based when known.

    `media_line` is the line inside a media file that is held *within* `file` rather than
    being a file of its own: a block.xml inline in a JSON document or in a SQLite row. Then
    `field` names the media file (``entities[3].versions[0].media["block.xml"]``), `line` is
    where that field is in `file`, and `media_line` is the line a person looks at once the
    block.xml is open. Kept apart so that neither line is mistaken for the other.
    """

    severity: Severity
    code: str
    message: str
    file: str | None = None
    field: str | None = None
    line: int | None = None
    media_line: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def location(self) -> str:
        """`file:line (field)` as far as it is known, for one-line rendering."""
        where = self.file or "<package>"
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f" [{self.field}{self.media_suffix()}]"
        return where

    def media_suffix(self) -> str:
        """``:N`` after a field that names an embedded media file, as after a file name."""
        return f":{self.media_line}" if self.media_line is not None else ""

    def render(self) -> str:
        return f"{self.location()}: {self.severity}: {self.message} ({self.code})"

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    def as_error(self) -> Problem:
        """The same problem promoted to an error (what --strict does to warnings)."""
        if self.is_error:
            return self
        return Problem(Severity.ERROR, self.code, self.message, self.file, self.field, self.line, self.media_line)


def error(code: str, message: str, file: str | None = None, field: str | None = None,
          line: int | None = None) -> Problem:
    return Problem(Severity.ERROR, code, message, file, field, line)


def warning(code: str, message: str, file: str | None = None, field: str | None = None,
            line: int | None = None) -> Problem:
    return Problem(Severity.WARNING, code, message, file, field, line)


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.is_error for p in problems)


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` naming the closest of `known` to a mistyped `word`, or "": the
    hint every refusal of an unknown name (an option, a loss kind, a hook) ends with."""
    import difflib

    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def sort_key(problem: Problem) -> tuple[str, int, str, str]:
    """Problems sort by file, then line, then code: the order a person reads a report in."""
    return (problem.file or "", problem.line or 0, problem.code, problem.message)


@dataclass
class ProblemLimit:
    """Caps how many problems of one code are kept, so a hostile input cannot flood memory.

    The first `per_code` problems of each code are kept; the rest are counted and summarised
    as one warning at the end.
    """

    per_code: int = 1000
    counts: dict[str, int] = field(default_factory=dict)

    def admit(self, problem: Problem) -> bool:
        n = self.counts.get(problem.code, 0) + 1
        self.counts[problem.code] = n
        return n <= self.per_code

    def overflow(self) -> list[Problem]:
        return [
            warning("too-many-problems", f"{n - self.per_code} more '{code}' problems were not listed")
            for code, n in sorted(self.counts.items()) if n > self.per_code
        ]


# Every problem code the core emits: code -> what it means (a format's own are in its
# `FormatSpec.problem_codes`). docs/validation.md documents
# each one with an example and a remedy; tests/core/test_docs_codes.py keeps the two in step.
CODES: dict[str, str] = {
    # storage and containers
    "source-not-found": "the source path or URL does not exist",
    "source-unreadable": "the source exists but cannot be opened as a directory or archive",
    "archive-corrupt": "the archive is truncated or not an archive of the kind its name says",
    "archive-unsafe-path": "an archive member name is absolute, contains '..', or escapes the root",
    "archive-link": "a tar archive contains a symbolic or hard link",
    "archive-duplicate-member": "an archive names the same member twice",
    "archive-unsupported": "an archive member is encrypted or compressed in a way lpconvert cannot read",
    "archive-too-large": "the archive expands beyond the configured size or member limits",
    "archive-bomb": "a member's compression ratio is beyond the configured limit",
    "ambiguous-root": "more than one folder could be the package root",
    "unknown-format": "no format recognises the source",
    "empty-source": "the source holds no files",
    # files
    "missing-file": "a file the format requires is absent",
    "not-utf8": "a text file is not valid UTF-8",
    "file-too-large": "a single text file is larger than the configured limit",
    "xml-syntax": "an XML file is not well-formed",
    "xml-forbidden": "an XML file uses a DTD or entity declarations, which are refused",
    "xml-too-deep": "an XML file nests elements beyond the configured depth",
    # schema (what the JSON Schema says)
    "missing-field": "a required field is absent",
    "invalid-value": "a field has a value of the wrong type or outside its allowed range",
    "naive-datetime": "a date-time has no time zone",
    "unknown-field": "a field lpconvert does not know (kept, and reported in case it is a typo)",
    # consistency (what a JSON Schema cannot say)
    "empty-package": "the package holds no entities and no collections",
    "duplicate-key": "two entities share a key",
    "duplicate-collection-key": "two collections share a key",
    "duplicate-version": "one entity has two versions with the same number",
    "missing-version": "draft or published points at a version the entity does not have",
    "no-versions": "an entity has no versions at all",
    "unresolved-child": "a container lists a child key that no entity has",
    "wrong-level": "a child is of the wrong kind for its container (a component under a section)",
    "cycle": "containers contain each other",
    "bad-component-key": "a component key is not 'namespace:type:code'",
    "unknown-container-type": "an entity's container type is not section, subsection or unit",
    "children-on-component": "a component version lists container children",
    "media-on-container": "a container version carries media files",
    "unresolved-member": "a collection lists an entity key that no entity has",
    "missing-block-xml": "a component version has no block.xml",
    "bad-block-xml": "block.xml is not well-formed",
    "block-type-mismatch": "block.xml's root tag is not the component's type",
    "missing-static": "OLX refers to /static/NAME but the version has no such file",
    "unsafe-media-path": "a media path is absolute or contains '..'",
    "orphan": "an entity that no container and no collection refers to",
    "unreferenced-media": "a static file that the component's OLX never mentions",
    "unresolved-root-child": "the package root lists a key that no entity has",
    # writing
    "loss": "the destination format cannot hold something the package has; it is dropped",
    "destination-exists": "the destination exists and --force was not given",
    "write-failed": "the destination could not be written; nothing was left behind",
    "too-many-problems": "more problems of one kind than are listed",
    # plugins
    "plugin-failed": "a plugin could not be loaded; the others still work",
}


def known_codes(formats: Iterable[object] = ()) -> dict[str, str]:
    """Every code lpconvert may report -> what it means: the core's, then each format's own
    (`FormatSpec.problem_codes` of `formats`; the first declaration of a shared code wins)."""
    out = dict(CODES)
    for spec in formats:
        for declared in getattr(spec, "problem_codes", ()):
            out.setdefault(declared.code, declared.meaning)
    return out
