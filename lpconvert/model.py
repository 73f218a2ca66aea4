"""The hub model: one validated shape that every format is read into and written from.

Why a hub: with N formats, N readers and N writers give every conversion (N x N of them)
the same validation and the same error reports. The shape starts from upstream's
learning-package backup archive (openedx-core's lp_dump) and is extended where other
formats carry more:

* an entity holds *every* version, not only the current draft and published one;
* `root` keeps the top of an OLX course or v1 library (its settings and the order of its
  top-level children), which a v2 library does not have;
* `files` keeps package-level files that belong to no entity (OLX policies, about/, info/,
  tabs/, course static files, tags.csv ...);
* a version's `attributes` keep container settings (OLX format, graded, due, start ...);
  one reserved key, ``@olx``, on the root and on any version, records how OLX laid a thing
  out (inline or in its own file, html file names, wrappers), never content
  (docs/formats/olx.md).

Models are frozen: built once from a reader's raw data, never mutated along the way, so a
writer can never change what the next writer sees. Unknown fields are kept (``extra =
"allow"``) so newer archives round-trip through older lpconvert; validation reports them as
warnings. Media is *referenced*, never loaded here: see `MediaFile`.
"""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StrictInt,
    StrictStr,
)

CONTAINER_TYPES: tuple[str, ...] = ("section", "subsection", "unit")
"""Container types in hierarchy order: a section holds subsections, a subsection units."""

ContainerType: TypeAlias = Literal["section", "subsection", "unit"]

NonEmptyStr = Annotated[StrictStr, Field(min_length=1)]
NonBlankStr = Annotated[StrictStr, Field(min_length=1, pattern=r"\S")]
VersionNum = Annotated[StrictInt, Field(ge=1)]
CollectionKey = Annotated[StrictStr, Field(pattern=r"^[a-zA-Z0-9_.-]+$")]
Email = Annotated[StrictStr, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class HubModel(BaseModel):
    """Base of every input model: frozen, keeps unknown fields."""

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)


# --------------------------------------------------------------------------- media


class ResourceMedia(BaseModel):
    """Bytes that live in the source (a file in a zip, a blob in a database).

    `resource` is opaque to everything but the reader that made it and the package's
    resource resolver; a writer streams the bytes with `Package.open_media` and never holds
    all media in memory at once.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    resource: StrictStr
    size: StrictInt | None = None


class TextMedia(BaseModel):
    """UTF-8 text carried inline (the JSON format writes text files this way)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    text: StrictStr


class BinaryMedia(BaseModel):
    """Binary data carried inline as base64 (the JSON format writes binary files this way)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    base64: Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9+/=\s]*$")]

    def decode(self) -> bytes:
        return base64.b64decode(self.base64)


MediaFile: TypeAlias = ResourceMedia | TextMedia | BinaryMedia
"""A media file: referenced (`resource`), or inline as `text` or `base64`: the encoding is explicit."""


# --------------------------------------------------------------------------- package parts


class Meta(HubModel):
    """Who made the archive, when, where. Describes the archive, not the library."""

    format_version: Annotated[StrictInt, Field(ge=1, le=1)] = 1
    created_by: StrictStr | None = None
    created_by_email: Email | None = None
    created_at: AwareDatetime | None = None
    origin_server: StrictStr | None = None


class LearningPackage(HubModel):
    key: NonEmptyStr
    title: NonBlankStr
    description: StrictStr = ""
    created: AwareDatetime | None = None
    updated: AwareDatetime | None = None


class EntityVersion(HubModel):
    """One version of an entity.

    A container version has `children` (ordered entity keys); a component version has
    `media` (path -> file, `block.xml` being the block's OLX and `static/...` its files).
    `attributes` hold a container's settings (decoded OLX attribute values); the key
    ``@olx`` (on containers and components alike) is reserved for OLX layout facts.
    """

    version_num: VersionNum
    title: StrictStr
    created: AwareDatetime | None = None
    children: list[StrictStr] | None = None
    media: dict[StrictStr, MediaFile] = Field(default_factory=dict)
    attributes: dict[StrictStr, JsonValue] = Field(default_factory=dict)


class EntityKind:
    """What an entity is, from its key and container type: shared by the hub's `Entity` and the
    clipboard's items, so both name a kind the same way."""

    key: str
    container_type: str | None

    @property
    def is_container(self) -> bool:
        return self.container_type is not None

    @property
    def kind(self) -> str:
        """`section`/`subsection`/`unit`, or `namespace:type` for a component."""
        if self.container_type is not None:
            return self.container_type
        parts = self.key.split(":", 2)
        return ":".join(parts[:2]) if len(parts) == 3 else "component"


class Entity(EntityKind, HubModel):
    """A publishable entity: a component (`container_type` None) or a container."""

    key: NonEmptyStr
    container_type: ContainerType | None = None
    can_stand_alone: StrictBool = True
    created: AwareDatetime | None = None
    draft_version: VersionNum | None = None
    published_version: VersionNum | None = None
    versions: list[EntityVersion] = Field(default_factory=list)

    def version(self, num: int | None) -> EntityVersion | None:
        if num is None:
            return None
        for v in self.versions:
            if v.version_num == num:
                return v
        return None

    @property
    def current_version(self) -> EntityVersion | None:
        """The draft if there is one, else the published version: what an author sees."""
        return self.version(self.draft_version) or self.version(self.published_version)


class Collection(HubModel):
    key: CollectionKey
    title: NonBlankStr
    description: StrictStr = ""
    created: AwareDatetime | None = None
    entities: list[StrictStr] = Field(default_factory=list)


class PackageRoot(HubModel):
    """The top of an OLX course or v1 library, which a v2 library does not have.

    `kind` is the OLX root tag (`course` or `library`); `attributes` its settings;
    `children` the keys of its top-level entities in order (sections of a course,
    components of a v1 library).
    """

    kind: NonEmptyStr
    attributes: dict[StrictStr, JsonValue] = Field(default_factory=dict)
    children: list[StrictStr] = Field(default_factory=list)


class CompletePackageInput(HubModel):
    """A whole learning package, validated: the hub every format reads into and writes from."""

    meta: Meta | None = None
    learning_package: LearningPackage
    entities: list[Entity] = Field(default_factory=list)
    collections: list[Collection] = Field(default_factory=list)
    root: PackageRoot | None = None
    files: dict[StrictStr, MediaFile] = Field(default_factory=dict)

    def entity_map(self) -> dict[str, Entity]:
        """Key -> entity (the last one wins if keys repeat; validation reports repeats)."""
        return {e.key: e for e in self.entities}


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the hub model: what `lpconvert schema` prints and json documents follow."""
    schema = CompletePackageInput.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://openedx.org/lpconvert/complete-package-input.schema.json"
    return schema
