"""The checks a JSON Schema cannot express: references, levels, cycles, media.

Upstream openedx-core restores several of these without a word (an unresolved child is
silently dropped, a component directly under a section or a cycle is accepted, a missing
block.xml gives an empty block); lpconvert reports them, naming the file each came from.

Every check here is linear in the size of the package (one pass over entities, one
dictionary of keys, one depth-first search for cycles): validating a 10,000-component
archive must cost little more than reading it.

Why `missing-static` is a warning, not an error: a /static/ reference that resolves to no
file is a broken link, and real content has them (the OLX example course shows an image its
export does not hold; upstream copies such links into v2 libraries as they are). Studio and
openedx-core load that content, so refusing to convert it would lose the whole package to
save one image; and an OLX course converted to an archive must read back.
`--strict` makes it an error for those who want the guarantee. See docs/validation.md.
"""

from __future__ import annotations

import binascii
import html
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote

from .package import Loc, RawPackage
from .problems import Problem, ProblemLimit, Severity
from .staticrefs import scans_links, static_references
from .vocabulary import CHILD_TYPE
from .xmlsafe import DEFAULT_MAX_DEPTH, XmlError, parse_xml

if TYPE_CHECKING:  # the checks read attributes only: models, or lpconvert.fastcheck's views
    from .model import Collection, Entity, PackageRoot

DEFAULT_MAX_TEXT = 64 << 20


class _Reporter:
    def __init__(self, raw: RawPackage, limit: ProblemLimit) -> None:
        self.raw = raw
        self.limit = limit
        self.problems: list[Problem] = []
        self.package_files: Mapping[str, object] = {}
        self.invalid_keys: set[str] | frozenset[str] = frozenset()
        self.linked: dict[str, set[str]] = {}
        # When some file could not be read at all, a dangling key may well be defined there.
        self.unread_hint = (" (or only in a file that could not be read)"
                            if any(p.is_error and p.file for p in raw.problems) else "")
        limits = getattr(raw.resources, "limits", None)
        self.max_text = int(getattr(limits, "max_text_bytes", DEFAULT_MAX_TEXT))
        self.max_depth = int(getattr(limits, "max_xml_depth", DEFAULT_MAX_DEPTH))

    def file_of(self, loc: Loc) -> str | None:
        origin = self.raw.origin_of(loc)
        return origin.file if origin else None

    def add(self, severity: Severity, code: str, message: str, loc: Loc, field_loc: Loc | None = None) -> None:
        origin = self.raw.origin_of(field_loc or loc)
        field, line = (origin.locate(field_loc) if origin and field_loc else (None, None))
        problem = Problem(severity, code, message, origin.file if origin else None, field, line)
        if self.limit.admit(problem):
            self.problems.append(problem)

    def error(self, code: str, message: str, loc: Loc, field_loc: Loc | None = None) -> None:
        self.add(Severity.ERROR, code, message, loc, field_loc)

    def warn(self, code: str, message: str, loc: Loc, field_loc: Loc | None = None) -> None:
        self.add(Severity.WARNING, code, message, loc, field_loc)


def check_consistency(raw: RawPackage, entities: list[Entity], entity_locs: list[int],
                      collections: list[Collection], collection_locs: list[int],
                      root: PackageRoot | None, limit: ProblemLimit,
                      files: Mapping[str, object] | None = None,
                      invalid_keys: set[str] | frozenset[str] = frozenset()) -> list[Problem]:
    """Every consistency problem among the pieces that passed schema validation.

    `files` are the package-level files (an OLX course's static/ folder): a /static/
    reference that a version does not carry itself may resolve there. `invalid_keys` are
    the keys of entities that failed schema validation: they have their own errors, so a
    container or collection that refers to one is not reported again (one mistake, one
    error, not a cascade).
    """
    r = _Reporter(raw, limit)
    r.package_files = files or {}
    r.invalid_keys = invalid_keys
    for path in r.package_files:
        if _unsafe_path(path):
            r.error("unsafe-media-path", f"package file path {path!r} is not a safe relative path",
                    ("files",), ("files", path))
    data = raw.data if isinstance(raw.data, dict) else {}
    if not data.get("entities") and not data.get("collections") and data.get("learning_package") is not None:
        r.error("empty-package", "the package holds no entities and no collections", ("learning_package",))

    by_key: dict[str, tuple[Entity, int]] = {}
    for ent, i in zip(entities, entity_locs):
        loc: Loc = ("entities", i)
        if ent.key in by_key:
            first_file = r.file_of(("entities", by_key[ent.key][1]))
            r.error("duplicate-key", f"entity key {ent.key!r} is also defined in {first_file or 'another entity'}",
                    loc, loc + ("key",))
            continue
        by_key[ent.key] = (ent, i)
    for ent, i in zip(entities, entity_locs):
        _check_entity(r, ent, ("entities", i), by_key)
    _check_cycles(r, by_key)
    _check_collections(r, collections, collection_locs, by_key)
    if root is not None:
        for j, key in enumerate(root.children):
            if key not in by_key and key not in r.invalid_keys:
                r.error("unresolved-root-child", f"the package root lists {key!r}, which no entity has{r.unread_hint}",
                        ("root",), ("root", "children", j))
    _check_orphans(r, by_key, collections, root)
    return r.problems


def _check_entity(r: _Reporter, ent: Entity, loc: Loc, by_key: dict[str, tuple[Entity, int]]) -> None:
    if ent.container_type is None:
        parts = ent.key.split(":", 2)
        if len(parts) != 3 or not all(parts):
            r.error("bad-component-key", f"component key {ent.key!r} is not 'namespace:type:code'",
                    loc, loc + ("key",))
    if not ent.versions:
        r.warn("no-versions", f"{ent.key} has no versions", loc)
    seen: dict[int, int] = {}
    for j, ver in enumerate(ent.versions):
        vloc = loc + ("versions", j)
        if ver.version_num in seen:
            r.error("duplicate-version", f"{ent.key} has two versions numbered {ver.version_num}",
                    vloc, vloc + ("version_num",))
        seen[ver.version_num] = j
    for pointer in ("draft_version", "published_version"):
        num = getattr(ent, pointer)
        if num is not None and num not in seen:
            r.error("missing-version", f"{ent.key}: {pointer.split('_')[0]} points at version {num}, "
                    f"which is not in the file", loc, loc + (pointer,))
    for j, ver in enumerate(ent.versions):
        vloc = loc + ("versions", j)
        if ent.container_type is None:
            if ver.children:
                r.error("children-on-component", f"{ent.key} v{ver.version_num} is a component but lists "
                        "children", vloc, vloc + ("children",))
            _check_media(r, ent, ver.version_num, ver.media, vloc)
        else:
            if ver.media:
                r.error("media-on-container", f"{ent.key} v{ver.version_num} is a {ent.container_type} but "
                        "carries media files", vloc, vloc + ("media",))
            want = CHILD_TYPE[ent.container_type]
            for k, child in enumerate(ver.children or ()):
                cloc = vloc + ("children", k)
                found = by_key.get(child)
                if found is None and child in r.invalid_keys:
                    continue
                if found is None:
                    r.error("unresolved-child", f"{ent.key} v{ver.version_num} lists child {child!r}, "
                            f"which no entity has{r.unread_hint}", vloc, cloc)
                    continue
                child_type = found[0].container_type
                if child_type != want:
                    what = child_type or "component"
                    r.error("wrong-level", f"{ent.key} is a {ent.container_type} and cannot hold {what} "
                            f"{child!r} (a {ent.container_type} holds {want + 's' if want else 'components'})", vloc, cloc)


_PLAIN_PATH = re.compile(r"[\w-][\w.-]*(?:/[\w-][\w.-]*)*")
"""Segments of word characters, '-' and '.', none starting with '.': safe by construction."""


def _unsafe_path(path: str) -> bool:
    """Absolute, drive-lettered, backslashed, NUL-bearing, or with '..', '.' or empty segments."""
    if _PLAIN_PATH.fullmatch(path):
        return False  # the usual name (block.xml, static/img1.png): one C-level match, no split
    if not path or path.startswith("/") or "\\" in path or "\x00" in path or (len(path) > 1 and path[1] == ":"):
        return True
    return any(part in ("", ".", "..") for part in path.split("/"))


def _check_media(r: _Reporter, ent: Entity, num: int, media: dict, vloc: Loc) -> None:  # type: ignore[type-arg]
    for path in media:
        if _unsafe_path(path):
            r.error("unsafe-media-path", f"{ent.key} v{num}: media path {path!r} is not a safe relative path",
                    vloc, vloc + ("media", path))
    block = media.get("block.xml")
    if block is None:
        r.error("missing-block-xml", f"{ent.key} v{num} has no block.xml", vloc, vloc + ("media",))
        return
    try:
        data = _media_bytes(r.raw, block, r.max_text)
    except _TooLarge as exc:
        _add_file_problem(r, "file-too-large", f"{ent.key} v{num}: block.xml is {exc.size} bytes, more than "
                          f"the limit of {r.max_text}", _block_xml_file(r, block, vloc), None)
        return
    if data is None:
        return
    try:
        root = parse_xml(data, max_depth=r.max_depth)
    except XmlError as exc:
        code = "bad-block-xml" if exc.code == "xml-syntax" else exc.code
        _add_file_problem(r, code, f"{ent.key} v{num}: block.xml {exc.message}", _block_xml_file(r, block, vloc), exc.line)
        return
    block_type = ent.key.split(":", 2)[1] if ent.key.count(":") >= 2 else None
    tag = root.tag if isinstance(root.tag, str) else ""
    if block_type and tag != block_type:
        _add_file_problem(r, "block-type-mismatch", f"{ent.key} v{num}: block.xml's root is <{tag}>, "
                          f"but the component's type is {block_type!r}", _block_xml_file(r, block, vloc), root.sourceline)
    statics = [path for path in media if path.startswith("static/")]
    if not statics and not any(marker in data for marker in _REF_MARKERS):
        return  # the common case, kept cheap: nothing to resolve, nothing to be referenced
    text = data.decode("utf-8", "replace")
    refs = static_references(text, root)
    have = r.package_files
    for ref in refs:
        if ref.required and not any(f"static/{n}" in media or f"static/{n}" in have for n in ref.names):
            _add_file_problem(r, "missing-static", f"{ent.key} v{num}: block.xml refers to {ref.link}, "
                              "which neither this version nor the package has", _block_xml_file(r, block, vloc),
                              _line_of(data, ref.raw), Severity.WARNING)
    if not statics:
        return
    named = {n for ref in refs for n in ref.names}
    if any(path[len("static/"):] not in named for path in statics):
        for path in statics:  # a file a carried stylesheet or page links to is referenced too
            if scans_links(path):
                named.update(_linked_names(r, media[path], path[len("static/"):]))
    unquoted: str | None = None
    for path in statics:
        name = path[len("static/"):]
        if name in named or name in text or name.rsplit("/", 1)[-1] in text:
            continue
        if unquoted is None:  # only for a name no link gave: the rare case, decoded once
            unquoted = unquote(html.unescape(text))
        if name not in unquoted:
            _add_file_problem(r, "unreferenced-media", f"{ent.key} v{num}: {path} is never mentioned "
                              "in block.xml", _block_xml_file(r, block, vloc), None, Severity.WARNING)


_REF_MARKERS = (b"static", b"asset-v1", b"c4x", b"<video")
"""Substrings without which block.xml names no course file (`static_references` decides the rest)."""


def _linked_names(r: _Reporter, media: object, name: str) -> set[str]:
    """The files a stylesheet or page the component carries links to: those are referenced too.

    The same file is carried by many components (a course's stylesheet): it is read once.
    """
    key = getattr(media, "resource", None)
    if key is not None and key in r.linked:
        return r.linked[key]
    try:
        data = _media_bytes(r.raw, media, r.max_text)
    except _TooLarge:
        data = None
    folder = name.rsplit("/", 1)[0] if "/" in name else ""
    names = {n for ref in static_references((data or b"").decode("utf-8", "replace"), folder=folder)
             for n in ref.names}
    if key is not None:
        r.linked[key] = names
    return names


class _BlockXmlPlace(NamedTuple):
    """Where a block.xml is: a file of its own, or a field inside the file its version came from."""

    file: str | None
    field: str | None = None
    line: int | None = None
    embedded: bool = False


def _block_xml_file(r: _Reporter, block: object, vloc: Loc) -> _BlockXmlPlace:
    """Where a block.xml problem points: its own file, or its field in the document that holds it.

    A reader whose media live inside one document (JSON, SQLite) marks its origin
    `holds_media`; its resource ids are not file names, so the problem names the document,
    the media field and its line there, and keeps the line inside block.xml apart. Looked up
    only when there is a problem to report, not for every block.xml checked.
    """
    media_loc = vloc + ("media", "block.xml")
    origin = r.raw.origin_of(media_loc)
    if origin is not None and origin.holds_media:
        field, line = origin.locate(media_loc)
        return _BlockXmlPlace(origin.file, field, line, embedded=True)
    resource = getattr(block, "resource", None)
    return _BlockXmlPlace(resource if resource is not None else r.file_of(vloc))


def _add_file_problem(r: _Reporter, code: str, message: str, place: _BlockXmlPlace, line: int | None,
                      severity: Severity = Severity.ERROR) -> None:
    """A problem inside a block.xml; `line` is the line inside that block.xml."""
    if place.embedded:
        problem = Problem(severity, code, message, place.file, place.field, place.line, media_line=line)
    else:
        problem = Problem(severity, code, message, place.file, None, line)
    if r.limit.admit(problem):
        r.problems.append(problem)


def _line_of(data: bytes, needle: str) -> int | None:
    at = data.find(needle.encode("utf-8"))
    return data.count(b"\n", 0, at) + 1 if at >= 0 else None


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def _media_bytes(raw: RawPackage, media: Any, max_bytes: int) -> bytes | None:
    """The bytes of a block.xml, refusing (`_TooLarge`) more than `max_bytes`.

    None when they cannot be had: a resource the reader could not open is the reader's
    problem to report, and inline base64 that does not decode is the schema's.
    """
    # Told apart by the field each kind of media file has (ResourceMedia's `resource`, TextMedia's
    # `text`, BinaryMedia's `base64`), so fastcheck's views pass as well as the models.
    resource = getattr(media, "resource", None)
    text = getattr(media, "text", None)
    if text is not None:
        data = text.encode("utf-8")
    elif resource is not None:
        if raw.resources is None:
            return None
        size = media.size
        if size is None:
            try:
                size = raw.resources.size(resource)
            except Exception:  # noqa: BLE001 - a size is only a shortcut
                size = None
        if size is not None and size > max_bytes:
            raise _TooLarge(size)
        try:
            read_bytes = getattr(raw.resources, "read_bytes", None)
            if read_bytes is not None:  # a Source: one read, no stream wrappers (the hot path)
                data = read_bytes(resource, max_bytes)
            else:
                with raw.resources.open(resource) as f:
                    data = f.read(max_bytes + 1)
        except Exception:  # noqa: BLE001 - reported by the reader that made the reference
            return None
    elif getattr(media, "base64", None) is not None:
        if len(media.base64) > max_bytes * 4 // 3 + 4:
            raise _TooLarge(len(media.base64) * 3 // 4)
        try:
            data = media.decode()
        except (binascii.Error, ValueError):
            return None
    else:
        return None
    if len(data) > max_bytes:
        raise _TooLarge(len(data))
    return data


def _check_cycles(r: _Reporter, by_key: dict[str, tuple[Entity, int]]) -> None:
    """Depth-first search over every version's children; one error per cycle found."""
    graph: dict[str, set[str]] = {}
    for key, (ent, _) in by_key.items():
        if ent.container_type is not None:
            graph[key] = {c for v in ent.versions for c in (v.children or ()) if c in by_key}
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()
    for start in sorted(graph):
        if state.get(start):
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    r.error("cycle", "containers contain each other: " + " -> ".join(cycle),
                            ("entities", by_key[nxt][1]))
                continue
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(sorted(graph[nxt]))))


def _check_collections(r: _Reporter, collections: list[Collection], locs: list[int],
                       by_key: dict[str, tuple[Entity, int]]) -> None:
    seen: dict[str, int] = {}
    for col, i in zip(collections, locs):
        loc: Loc = ("collections", i)
        if col.key in seen:
            r.error("duplicate-collection-key", f"collection key {col.key!r} is also defined in "
                    f"{r.file_of(('collections', seen[col.key])) or 'another collection'}", loc, loc + ("key",))
        else:
            seen[col.key] = i
        for k, member in enumerate(col.entities):
            if member not in by_key and member not in r.invalid_keys:
                r.error("unresolved-member", f"collection {col.key!r} lists {member!r}, which no entity has{r.unread_hint}",
                        loc, loc + ("entities", k))


def _check_orphans(r: _Reporter, by_key: dict[str, tuple[Entity, int]], collections: list[Collection],
                   root: PackageRoot | None) -> None:
    """An entity that cannot stand alone and that nothing holds is lost to authors."""
    held: set[str] = set(root.children) if root else set()
    for ent, _ in by_key.values():
        for ver in ent.versions:
            held.update(ver.children or ())
    for col in collections:
        held.update(col.entities)
    for key, (ent, i) in by_key.items():
        if not ent.can_stand_alone and key not in held:
            r.warn("orphan", f"{key} cannot stand alone, and no container or collection holds it",
                   ("entities", i))


__all__ = ["check_consistency"]
