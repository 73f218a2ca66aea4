"""What a clipboard holds, and the blob it travels as.

A clipboard is one entity (the *root*) with every descendant it needs, each at its current
version, with the media bytes themselves. The bytes are inline (`TextMedia` / `BinaryMedia`)
rather than references into a source because a clipboard outlives the package it was copied
from: it is pasted later, elsewhere, maybe by another program. Only the current version of
each entity travels, because that is what an author copies in Studio; history stays behind.

The blob (`to_bytes`) is a one-line JSON header followed by the JSON payload:

    {"format": "lpconvert-clipboard", "format_version": 1, "sha256": "...", "length": N}
    {"root": "...", "items": [...], "collections": [...], "source": {...}}

The header makes the blob self-describing (a reader knows what it holds and which version
before parsing the rest) and carries a digest of the payload's exact bytes, so that a
truncated or altered clipboard is refused instead of pasting damaged content. JSON, not a
zip, so a person can look inside with any text tool.
"""

from __future__ import annotations

import binascii
import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictBool, StrictStr, ValidationError, model_validator

from ..model import BinaryMedia, ContainerType, EntityKind, NonEmptyStr, TextMedia, VersionNum
from ..vocabulary import CHILD_TYPE
from .errors import ClipboardError

FORMAT = "lpconvert-clipboard"
FORMAT_VERSION = 1

InlineMedia = TextMedia | BinaryMedia
"""Media a clipboard carries: always the bytes themselves, never a reference to a source."""


class _Frozen(BaseModel):
    # extra="forbid": a clipboard is written by a program, so an unknown field is damage or
    # a newer format; a newer format says so in its header's format_version.
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClipboardItem(EntityKind, _Frozen):
    """One copied entity at its current version: a component (media) or a container (children)."""

    key: NonEmptyStr
    container_type: ContainerType | None = None
    can_stand_alone: StrictBool = True
    version_num: VersionNum = 1
    title: StrictStr = ""
    children: list[StrictStr] | None = None
    media: dict[StrictStr, InlineMedia] = Field(default_factory=dict)
    attributes: dict[StrictStr, JsonValue] = Field(default_factory=dict)


class ClipboardCollection(_Frozen):
    """A collection that holds copied entities, so a paste can put the copies in it too."""

    key: NonEmptyStr
    title: StrictStr
    description: StrictStr = ""
    entities: list[StrictStr] = Field(default_factory=list)


class ClipboardSource(_Frozen):
    """Where the copy came from (for people reading the blob; a paste does not need it)."""

    key: StrictStr
    title: StrictStr = ""


class Clipboard(_Frozen):
    """A copied entity with its descendants and their files: complete, and nothing more.

    `items` lists the root first, then its descendants depth first, each once. Build one
    with `lpconvert.clipboard.copy`, from a blob with `from_bytes`, or from Studio's
    StagedContent with `lpconvert.clipboard.from_staged_content` (module `staged`, which
    builds on this one; this one does not know StagedContent).
    """

    root: NonEmptyStr
    items: list[ClipboardItem]
    collections: list[ClipboardCollection] = Field(default_factory=list)
    source: ClipboardSource | None = None

    @model_validator(mode="after")
    def _complete(self) -> Clipboard:
        """Refuse a clipboard that a paste could not use: the checks the blob's JSON cannot say."""
        keys: dict[str, ClipboardItem] = {}
        for item in self.items:
            if item.key in keys:
                raise ValueError(f"the clipboard holds {item.key!r} twice")
            keys[item.key] = item
        if self.root not in keys:
            raise ValueError(f"the clipboard's root {self.root!r} is not among its items")
        for item in self.items:
            if item.container_type is None:
                _check_component(item)
                continue
            if item.media:
                raise ValueError(f"{item.key} is a {item.container_type} but carries media files")
            want = CHILD_TYPE[item.container_type]
            for child in item.children or ():
                found = keys.get(child)
                if found is None:
                    raise ValueError(f"the clipboard is incomplete: {item.key} lists child {child!r}, "
                                     "which it does not hold")
                if found.container_type != want:
                    raise ValueError(f"{item.key} is a {item.container_type} and cannot hold "
                                     f"{found.container_type or 'component'} {child!r}")
        for col in self.collections:
            for member in col.entities:
                if member not in keys:
                    raise ValueError(f"collection {col.key!r} lists {member!r}, which the clipboard does not hold")
        return self

    # -- views ---------------------------------------------------------------------------
    def item(self, key: str) -> ClipboardItem:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    @property
    def root_item(self) -> ClipboardItem:
        return self.item(self.root)

    @property
    def media_bytes(self) -> int:
        """Total size of the files carried, for a person deciding whether to keep the blob."""
        return sum(len(media_data(m)) for item in self.items for m in item.media.values())

    # -- the blob ------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """One self-describing, versioned blob (see the module docstring)."""
        payload = self.model_dump_json(exclude_defaults=True).encode("utf-8")
        header = {"format": FORMAT, "format_version": FORMAT_VERSION,
                  "sha256": hashlib.sha256(payload).hexdigest(), "length": len(payload)}
        return json.dumps(header, separators=(",", ":")).encode("utf-8") + b"\n" + payload

    @classmethod
    def from_bytes(cls, data: bytes) -> Clipboard:
        """The clipboard in a blob from `to_bytes`; `ClipboardError` saying what is wrong otherwise."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ClipboardError(f"a clipboard blob is bytes, not {type(data).__name__}")
        data = bytes(data)
        head, newline, payload = data.partition(b"\n")
        header = _header(head)
        if not newline:
            raise ClipboardError("the clipboard is truncated: it has a header but no content")
        if header.get("length") != len(payload) or header.get("sha256") != hashlib.sha256(payload).hexdigest():
            raise ClipboardError(f"the clipboard is damaged: its content ({len(payload)} bytes) does not match "
                                 f"the digest in its header ({header.get('length')} bytes expected); it was "
                                 "truncated or altered after it was made")
        try:
            return cls.model_validate_json(payload)
        except ValidationError as exc:
            raise ClipboardError("the clipboard's content is not valid: " + _describe(exc)) from None


def media_data(media: TextMedia | BinaryMedia) -> bytes:
    """The bytes of inline media."""
    if isinstance(media, TextMedia):
        return media.text.encode("utf-8")
    return media.decode()


def inline_media(data: bytes) -> TextMedia | BinaryMedia:
    """Text when the bytes are UTF-8 (readable in the blob, and exact: UTF-8 round-trips), else base64."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return BinaryMedia(base64=binascii.b2a_base64(data, newline=False).decode("ascii"))
    if "\x00" in text:
        return BinaryMedia(base64=binascii.b2a_base64(data, newline=False).decode("ascii"))
    return TextMedia(text=text)


def _check_component(item: ClipboardItem) -> None:
    parts = item.key.split(":", 2)
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"component key {item.key!r} is not 'namespace:type:code'")
    if item.children:
        raise ValueError(f"{item.key} is a component but lists children")
    if "block.xml" not in item.media:
        raise ValueError(f"{item.key} has no block.xml")
    for path, media in item.media.items():
        if path.startswith("/") or "\\" in path or ".." in path.split("/"):
            raise ValueError(f"{item.key}: media path {path!r} is not a safe relative path")
        if isinstance(media, BinaryMedia):
            try:
                media.decode()
            except (binascii.Error, ValueError):
                raise ValueError(f"{item.key}: {path} is not valid base64") from None


def _header(head: bytes) -> dict[str, Any]:
    try:
        header = json.loads(head.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ClipboardError("not an lpconvert clipboard (it should start with a JSON header naming "
                             f"format {FORMAT!r})")
    version = header.get("format_version")
    if version != FORMAT_VERSION:
        if isinstance(version, int) and version > FORMAT_VERSION:
            raise ClipboardError(f"the clipboard is format_version {version}, newer than this lpconvert "
                                 f"reads ({FORMAT_VERSION}); upgrade lpconvert")
        raise ClipboardError(f"the clipboard's format_version {version!r} is not one this lpconvert reads "
                             f"({FORMAT_VERSION})")
    return header


def _describe(exc: ValidationError, limit: int = 3) -> str:
    parts = []
    for err in exc.errors(include_url=False)[:limit]:
        where = ".".join(str(p) for p in err["loc"] if p not in ("TextMedia", "BinaryMedia"))
        msg = err["msg"]
        parts.append(f"{where}: {msg}" if where else msg)
    more = exc.error_count() - limit
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


__all__ = ["Clipboard", "ClipboardItem", "ClipboardCollection", "ClipboardSource", "InlineMedia",
           "FORMAT", "FORMAT_VERSION", "inline_media", "media_data"]
