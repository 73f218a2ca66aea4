"""Writing an lp-archive that upstream openedx-core restores with the same content.

Layout and naming follow upstream's writer exactly (docs/formats/lp-archive.md): slug file
names with a blake2b suffix on collision, draft then published, the ``[entity.published]``
comment when unpublished, an explicit directory entry for every folder (including the empty
``vN/static/``), collection ``description`` always present and members sorted.

TOML is produced by hand rather than through tomlkit: the shapes are fixed and small, and
for a 100,000-component library tomlkit's document model costs more than everything else
the writer does. Values of unknown fields (rare, any shape) go through the core's `toml_value`,
which the sections layout writes with too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lpconvert.plugin import (
    Collection,
    CompletePackageInput,
    Entity,
    EntityVersion,
    MediaFile,
    Package,
    Problem,
    ResourceMedia,
    Sink,
    TreeSink,
    WriteOptions,
    toml_key,
    toml_value,
)
from lpconvert.plugin import (
    toml_string as basic_string,
)

from .naming import NameAllocator

toml_str = basic_string


def toml_datetime(value: datetime) -> str:
    """RFC 3339 in UTC with a Z, microseconds only when there are any (as upstream writes)."""
    return value.astimezone(UTC).isoformat()[:-6] + "Z"  # isoformat ends "+00:00" once in UTC


def _extras(lines: list[str], model: Any, skip: tuple[str, ...] = ()) -> None:
    for name, value in (model.model_extra or {}).items():
        if value is None or name in skip:
            continue
        lines.append(f"{_key(name)} = {toml_value(value)}")


_key = toml_key


def package_toml(model: CompletePackageInput, fallback_time: datetime) -> str:
    meta = model.meta
    lines = ["[meta]", f"format_version = {meta.format_version if meta else 1}"]
    if meta is not None:
        if meta.created_by is not None:
            lines.append(f"created_by = {toml_str(meta.created_by)}")
        if meta.created_by_email is not None:
            lines.append(f"created_by_email = {toml_str(meta.created_by_email)}")
    lines.append(f"created_at = {toml_datetime((meta.created_at if meta else None) or fallback_time)}")
    if meta is not None:
        if meta.origin_server is not None:
            lines.append(f"origin_server = {toml_str(meta.origin_server)}")
        _extras(lines, meta)
    lp = model.learning_package
    created = lp.created or fallback_time
    lines += [
        "",
        "[learning_package]",
        f"title = {toml_str(lp.title)}",
        f"key = {toml_str(lp.key)}",
        f"description = {toml_str(lp.description)}",
        f"created = {toml_datetime(created)}",
        f"updated = {toml_datetime(lp.updated or created)}",
    ]
    _extras(lines, lp)
    text = "\n".join(lines) + "\n"
    for name, table in (model.model_extra or {}).items():
        if isinstance(table, dict):
            text += f"\n[{_key(name)}]\n" + "".join(
                f"{_key(str(k))} = {toml_value(v)}\n" for k, v in table.items() if v is not None)
    return text


def versions_to_write(entity: Entity) -> list[EntityVersion]:
    """The current draft, then the published version if it is a different one."""
    out = []
    draft = entity.version(entity.draft_version)
    published = entity.version(entity.published_version)
    if draft is not None:
        out.append(draft)
    if published is not None and published is not draft:
        out.append(published)
    return out


def entity_toml(entity: Entity, versions: list[EntityVersion]) -> str:
    lines = ["[entity]", f"can_stand_alone = {'true' if entity.can_stand_alone else 'false'}",
             f"key = {toml_str(entity.key)}"]
    if entity.created is not None:
        lines.append(f"created = {toml_datetime(entity.created)}")
    _extras(lines, entity)
    if entity.draft_version is not None:
        lines += ["", "[entity.draft]", f"version_num = {entity.draft_version}"]
    lines += ["", "[entity.published]"]
    if entity.published_version is not None:
        lines.append(f"version_num = {entity.published_version}")
    else:
        lines.append("# unpublished: no published_version_num")
    if entity.container_type is not None:
        lines += ["", f"[entity.container.{entity.container_type}]"]
    lines += ["", "# ### Versions"]
    for version in versions:
        lines += ["", "[[version]]", f"title = {toml_str(version.title)}", f"version_num = {version.version_num}"]
        _extras(lines, version)
        if entity.container_type is not None:
            children = ", ".join(toml_str(c) for c in version.children or ())
            lines += ["", "[version.container]", f"children = [{children}]"]
    return "\n".join(lines) + "\n"


def collection_toml(collection: Collection, fallback_time: datetime) -> str:
    lines = ["[collection]", f"title = {toml_str(collection.title)}", f"key = {toml_str(collection.key)}",
             f"description = {toml_str(collection.description)}",
             f"created = {toml_datetime(collection.created or fallback_time)}"]
    _extras(lines, collection)
    members = sorted(set(collection.entities))
    if members:
        lines.append("entities = [")
        lines += [f"    {toml_str(m)}," for m in members]
        lines.append("]")
    else:
        lines.append("entities = []")
    return "\n".join(lines) + "\n"


_WHOLE = 1 << 20
"""Media files up to this size are read into memory whole (what the zip sink does anyway)."""


def _write_media(package: Package, sink: TreeSink, target: str, media: MediaFile) -> None:
    """One media file into the archive.

    A small file that lives in the source is read with one `read_bytes` call when the
    package's resources offer it (a `Source` does): a library's media are mostly small
    images, and the stream objects `open_media` wraps around each one cost more than
    reading it. The sink gets the same bytes either way, so the archive does not change;
    read errors are the source's own (`SourceError` naming the file) on both paths."""
    size = package.media_size(media)
    read_bytes = getattr(package.resources, "read_bytes", None)
    if isinstance(media, ResourceMedia) and read_bytes is not None and size <= _WHOLE:
        sink.write_bytes(target, read_bytes(media.resource))
        return
    with package.open_media(media) as stream:
        sink.write_stream(target, stream, size)


def write_archive(package: Package, sink: Sink, options: WriteOptions) -> list[Problem]:
    """Write the package. What it cannot hold was reported before writing, by the loss check
    (the core's kinds this format names, and its own in `losses.py`), so it returns no problems."""
    if not isinstance(sink, TreeSink):
        raise TypeError("lp-archive is a tree of files")
    model = package.model
    fallback = sink.timestamp
    names = NameAllocator()
    sink.write_bytes("package.toml", package_toml(model, fallback).encode("utf-8"))
    sink.mkdir("entities")
    sink.mkdir("collections")
    progress = options.progress
    progress.start(len(model.entities), "writing archive")
    for entity in sorted(model.entities, key=lambda e: e.key):
        versions = versions_to_write(entity)
        text = entity_toml(entity, versions).encode("utf-8")
        if entity.container_type is not None:
            sink.write_bytes(f"entities/{names.name(entity.key)}.toml", text)
        else:
            namespace, block_type, code = entity.key.split(":", 2)
            folder = f"entities/{namespace}/{block_type}"
            name = names.name(code)
            sink.write_bytes(f"{folder}/{name}.toml", text)
            for version in versions:
                vdir = f"{folder}/{name}/component_versions/v{version.version_num}"
                sink.mkdir(vdir)
                sink.mkdir(f"{vdir}/static")
                for path in sorted(version.media):
                    _write_media(package, sink, f"{vdir}/{path}", version.media[path])
        progress.advance()
    for collection in sorted(model.collections, key=lambda c: c.key):
        sink.write_bytes(f"collections/{names.name(collection.key)}.toml",
                         collection_toml(collection, fallback).encode("utf-8"))
    progress.finish()
    return []
