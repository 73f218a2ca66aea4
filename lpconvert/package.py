"""Raw and validated packages, and where their media bytes live.

A reader returns a `RawPackage`: plain data shaped like the hub model, the problems it met,
where each part of the data came from (for error messages), and a `ResourceResolver` that
can open each referenced media file. Validation turns it into a `Package`: the frozen
`CompletePackageInput` plus the same resolver. Writers stream media through
`Package.open_media`, so converting never holds all media in memory.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Protocol

from .problems import Problem

if TYPE_CHECKING:  # the model (and pydantic) is imported where a Package is used: readers need neither
    from .model import CompletePackageInput, Entity, MediaFile

Loc = tuple[str | int, ...]
"""A location inside the raw data, as pydantic reports it: ("entities", 3, "versions", 0, "title")."""


class ResourceResolver(Protocol):
    """Opens the bytes behind a `ResourceMedia.resource` id. Implemented by each reader's source."""

    def open(self, resource: str) -> IO[bytes]: ...

    def size(self, resource: str) -> int | None: ...


class Locator(Protocol):
    """Translates a location in the hub data into the source's own words and a line number.

    Readers implement this so that a problem found during validation (which only knows the
    hub location) can name the file's field (`entity.draft.version_num`) and line. It is
    only called when there is a problem, so it may re-read the file.
    """

    def locate(self, file: str, loc: Loc) -> tuple[str | None, int | None]: ...


@dataclass(frozen=True, slots=True)
class Origin:
    """Where one part of the raw data came from."""

    file: str
    locator: Locator | None = None
    holds_media: bool = False
    """Media files live inside `file` (a JSON document, a SQLite database), not beside it:
    a problem inside a block.xml then names `file`, the located media field, and the line
    inside the block.xml apart (`Problem.media_line`)."""

    def locate(self, loc: Loc) -> tuple[str | None, int | None]:
        if self.locator is None:
            return (_dotted(loc) or None, None)
        return self.locator.locate(self.file, loc)


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


dotted = _dotted


@dataclass
class RawPackage:
    """What a reader produces: unvalidated data, problems, provenance, and media access.

    `data` is shaped like `CompletePackageInput` (plain dicts and lists). `origins` maps a
    prefix of a location in `data` (for example ``("entities", 12)``) to the file it came
    from; the longest matching prefix names the file of a problem.
    """

    data: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    origins: dict[Loc, Origin] = field(default_factory=dict)
    resources: ResourceResolver | None = None
    closer: Callable[[], None] | None = None

    def origin_of(self, loc: Loc) -> Origin | None:
        for n in range(len(loc), -1, -1):
            origin = self.origins.get(loc[:n])
            if origin is not None:
                return origin
        return None


class NoResources:
    """Resolver for packages whose media is all inline."""

    def open(self, resource: str) -> IO[bytes]:
        raise FileNotFoundError(resource)

    def size(self, resource: str) -> int | None:
        return None


@dataclass
class Package:
    """A validated package: the hub model plus access to its media bytes.

    Keep it open while writing (it may hold an open archive); `close()` or use it as a
    context manager when done.
    """

    model: CompletePackageInput
    resources: ResourceResolver = field(default_factory=NoResources)
    source: str | None = None
    closer: Callable[[], None] | None = None

    # -- convenience views -------------------------------------------------------------
    @property
    def learning_package(self):  # type: ignore[no-untyped-def]
        return self.model.learning_package

    @property
    def entities(self) -> list[Entity]:
        return self.model.entities

    @property
    def collections(self):  # type: ignore[no-untyped-def]
        return self.model.collections

    def entity(self, key: str) -> Entity | None:
        for e in self.model.entities:
            if e.key == key:
                return e
        return None

    # -- media ---------------------------------------------------------------------------
    def open_media(self, media: MediaFile) -> IO[bytes]:
        """A binary stream of one media file, wherever its bytes are."""
        from .model import BinaryMedia, ResourceMedia, TextMedia

        if isinstance(media, ResourceMedia):
            return self.resources.open(media.resource)
        if isinstance(media, TextMedia):
            return io.BytesIO(media.text.encode("utf-8"))
        if isinstance(media, BinaryMedia):
            return io.BytesIO(media.decode())
        raise TypeError(f"not a media file: {media!r}")

    def read_media(self, media: MediaFile) -> bytes:
        with self.open_media(media) as stream:
            return stream.read()

    def media_size(self, media: MediaFile) -> int:
        from .model import ResourceMedia, TextMedia

        if isinstance(media, ResourceMedia):
            if media.size is not None:
                return media.size
            size = self.resources.size(media.resource)
            if size is not None:
                return size
            return len(self.read_media(media))
        if isinstance(media, TextMedia):
            return len(media.text.encode("utf-8"))
        return len(media.decode())

    def iter_media(self) -> Iterator[tuple[Entity, int, str, MediaFile]]:
        """(entity, version_num, path, media) for every media file of every version."""
        for entity in self.model.entities:
            for version in entity.versions:
                for path, media in version.media.items():
                    yield entity, version.version_num, path, media

    # -- lifetime ------------------------------------------------------------------------
    def close(self) -> None:
        if self.closer is not None:
            closer, self.closer = self.closer, None
            closer()

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
