"""Writing the hub model as one JSON document, streamed entity by entity.

The document is exactly `CompletePackageInput` dumped as JSON (so it validates against
`lpconvert schema`), with every media file inline. It is written piece by piece (one
entity at a time, each encoded by msgspec) rather than by dumping the whole model at once:
a 100,000-component package would otherwise be built twice in memory, once as Python
dicts and once as the encoded bytes.

Layout is stable and diff-friendly: two-space indentation, fields in model order, unknown
fields after the known ones, absent optional fields (None) left out.
"""

from __future__ import annotations

from typing import IO, Any

import msgspec
from pydantic import BaseModel

from lpconvert.plugin import Entity, EntityVersion, FileSink, Package, Problem, Sink, WriteOptions

from .media import inline

_ENCODER = msgspec.json.Encoder()


def dump(model: BaseModel, exclude: set[str] | None = None) -> dict[str, Any]:
    """A model as JSON data, dropping known fields that are None (extras are kept as they are)."""
    data = model.model_dump(mode="json", exclude=exclude)
    for name in type(model).model_fields:
        if name in data and data[name] is None:
            del data[name]
    return data


def entity_json(package: Package, entity: Entity) -> dict[str, Any]:
    data = dump(entity, exclude={"versions"})
    data["versions"] = [version_json(package, v) for v in entity.versions]
    return data


def version_json(package: Package, version: EntityVersion) -> dict[str, Any]:
    data = dump(version, exclude={"media"})
    data["media"] = {path: inline(package, m) for path, m in version.media.items()}
    return data


def _encode(value: Any, indent: int) -> bytes:
    text = msgspec.json.format(_ENCODER.encode(value), indent=2)
    # JSON strings never hold a raw newline, so this only indents structure.
    return text.replace(b"\n", b"\n" + b" " * indent)


class _Writer:
    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.first = True

    def member(self, name: str, value: Any) -> None:
        self._key(name)
        self.out.write(_encode(value, 2))

    def _key(self, name: str) -> None:
        self.out.write(b"\n  " if self.first else b",\n  ")
        self.first = False
        self.out.write(_ENCODER.encode(name) + b": ")

    def array(self, name: str, items: Any) -> None:
        self._key(name)
        empty = True
        for item in items:
            self.out.write(b"[\n    " if empty else b",\n    ")
            empty = False
            self.out.write(_encode(item, 4))
        self.out.write(b"[]" if empty else b"\n  ]")


def write_json(package: Package, sink: Sink, options: WriteOptions) -> list[Problem]:
    assert isinstance(sink, FileSink), "the json format writes one file"
    model = package.model
    progress = options.progress
    progress.start(len(model.entities), "writing json")
    with sink.open() as out:
        out.write(b"{")
        w = _Writer(out)
        if model.meta is not None:
            w.member("meta", dump(model.meta))
        w.member("learning_package", dump(model.learning_package))

        def entities() -> Any:
            for entity in model.entities:
                yield entity_json(package, entity)
                progress.advance()

        w.array("entities", entities())
        w.array("collections", (dump(c) for c in model.collections))
        if model.root is not None:
            w.member("root", dump(model.root))
        if model.files:
            w.member("files", {path: inline(package, m) for path, m in model.files.items()})
        if model.model_extra:
            for name, value in model.model_dump(mode="json", include=set(model.model_extra)).items():
                w.member(name, value)
        out.write(b"\n}\n")
    progress.finish()
    return []
