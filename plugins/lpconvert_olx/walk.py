"""The walk through an OLX tree: containers, blocks (pointers expanded), html content, drafts.

`OlxWalk` follows pointers from the top down, so every file is read once and nothing scans
the file list per block. It collects entities (with their published version from the main
tree and a draft version from drafts/), the problems it met, and the files it consumed;
reader.py turns that into the raw hub package. See reader.py for the mapping.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from lpconvert.plugin import (
    OLX_TAG,
    NullProgress,
    Problem,
    Progress,
    Source,
    SourceError,
    XmlError,
    error,
    parse_xml,
    warning,
)

from .assets import CourseFiles
from .values import FILE_TYPES, OLX_FACTS, block_file, component_key, decode_attributes
from .xmltools import cdata_safe, element_text, elements, is_pointer, is_setting, set_first

SECTION_TAGS = ("chapter",)
SUBSECTION_TAGS = ("sequential", "videosequence")
UNIT_TAGS = ("vertical",)
COURSE_EXTRA_TAGS = ("wiki", "textbook")
"""Children of <course> that are settings, not chapters: kept in the root's @olx facts."""

MAX_POINTER_DEPTH = 64
"""How many files deep pointers inside one block may nest (a split_test's vertical's problem is 3)."""

PREFETCH_MAX_FILE = 64 << 10
PREFETCH_BUDGET = 64 << 20
"""drafts/ files up to 64 KiB each, 64 MiB in all, are kept between the look for draft roots and their parse."""

DRAFT_PARENT_ATTRS = ("parent_url", "parent_sequential_url")
_PARENT_BLOCK = re.compile(r"type@([\w-]+)\+block@(.+)$")
_PARENT_I4X = re.compile(r"^i4x://[^/]+/[^/]+/([\w-]+)/(.+)$")


def _parent_of(value: str) -> tuple[str, str] | None:
    """(block type, url_name) of a draft's parent_url (block-v1:...) or parent_sequential_url (i4x://...)."""
    m = _PARENT_BLOCK.search(value) or _PARENT_I4X.match(value)
    return (m.group(1), m.group(2)) if m else None


@dataclass
class _Entity:
    key: str
    container_type: str | None
    versions: list[dict[str, Any]] = field(default_factory=list)
    draft: int | None = None
    published: int | None = None
    file: str = ""

    def data(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "versions": self.versions}
        if self.container_type:
            out["container_type"] = self.container_type
        out["draft_version"] = self.draft
        out["published_version"] = self.published
        return out


class OlxWalk:
    """One read of one source: collects entities, problems and consumed files as it walks."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.entities: dict[str, _Entity] = {}
        self.consumed: set[str] = set()
        self.static_used: set[str] = set()
        self.container_keys: dict[tuple[str, str], str] = {}
        self.progress: Progress = NullProgress()
        """The run's progress reporter (`ReadOptions.progress`): one step per XML file parsed."""
        self.component_files: dict[str, str] = {}
        self.seq_draft_inserts: dict[str, list[tuple[int, str]]] = {}
        self.course_key_parts: tuple[str, str, str] | None = None
        self.preloaded: dict[etree._Element, tuple[etree._Element, str]] = {}
        self.defined: dict[str, str] = {}
        self.reserved: set[str] = set()
        self.expanding: set[str] = set()
        self.root_file = ""
        self.prefetched: dict[str, bytes] = {}
        self.prefetched_bytes = 0
        self.course_files = CourseFiles(source, self.problems)

    # -- files ------------------------------------------------------------------------
    def parse(self, path: str) -> etree._Element | None:
        """The root element of an XML file, or None with the problem recorded."""
        self.progress.advance()
        data = self.prefetched.pop(path, None)
        if data is None:
            try:
                data = self.source.read_bytes(path, self.source.limits.max_text_bytes)
            except SourceError as exc:
                self.problems.append(exc.problem())
                return None
        try:
            root = parse_xml(data, max_depth=self.source.limits.max_xml_depth)
        except XmlError as exc:
            self.problems.append(error(exc.code, f"{path}: {exc.message}", path, line=exc.line))
            self.consumed.add(path)  # reported; do not also keep it as a package file
            return None
        self.consumed.add(path)
        return root

    def _prefetch(self, path: str, data: bytes) -> None:
        """Keep a file's bytes for its parse() later, so drafts/ files are read once, not twice.

        Only small files, and only up to a budget: a hostile archive of huge drafts must not
        be held in memory all at once (those are simply read again when parsed).
        """
        if len(data) <= PREFETCH_MAX_FILE and self.prefetched_bytes + len(data) <= PREFETCH_BUDGET:
            self.prefetched[path] = data
            self.prefetched_bytes += len(data)

    def read_text(self, path: str) -> str | None:
        try:
            text = self.source.read_text(path)
        except SourceError as exc:
            self.problems.append(exc.problem())
            return None
        self.consumed.add(path)
        return text

    def resolve(self, el: etree._Element, where: str, drafts: bool,
                allowed: frozenset[str] = frozenset({"url_name"})) -> tuple[etree._Element, str | None] | None:
        """The definition of a tag: the file a pointer names, or the tag itself when inline.

        In a drafts/ subtree a pointer is looked up in drafts/ first, then in the main tree.
        """
        if el in self.preloaded:
            return self.preloaded.pop(el)
        if not is_pointer(el, allowed):
            return el, None
        url = el.get("url_name", "")
        tag = el.tag
        candidates = [block_file(tag, url, True), block_file(tag, url)] if drafts else [block_file(tag, url)]
        for path in candidates:
            if self.source.exists(path):
                root = self.parse(path)
                if root is None:
                    return None
                if root.tag != tag:
                    self.problems.append(warning(
                        "unknown-tag", f"{path}: <{tag} url_name={url!r}> in {where} points at a file whose "
                        f"root is <{root.tag}>; the file's tag is used", path, line=root.sourceline))
                return root, path
        self.problems.append(error(
            "missing-file", f"{where}: <{tag} url_name={url!r}> points at {candidates[-1]}, which is missing",
            where, field=f"{tag}[@url_name={url!r}]", line=el.sourceline))
        return None

    # -- entities ---------------------------------------------------------------------
    def taken(self, key: str) -> bool:
        return key in self.entities or key in self.reserved

    def unique_key(self, key: str) -> str:
        if not self.taken(key):
            return key
        n = 2
        while self.taken(f"{key}+{n}"):
            n += 1
        return f"{key}+{n}"

    def add_version(self, key: str, container_type: str | None, version: dict[str, Any], draft: bool,
                    file: str) -> None:
        """Record the published (main tree) or draft (drafts/) version of an entity.

        A draft identical to the published version is not a new version: the entity's draft
        simply is its published version.
        """
        ent = self.entities.get(key)
        if ent is None:
            version["version_num"] = 1
            ent = _Entity(key, container_type, [version], draft=1, published=None if draft else 1, file=file)
            self.entities[key] = ent
            return
        if not draft:
            return  # the same block reached twice (a reused pointer): the first definition wins
        if ent.published is None or ent.draft != ent.published:
            return  # already has its draft
        published = ent.versions[-1]
        if {k: v for k, v in version.items() if k != "version_num"} == \
                {k: v for k, v in published.items() if k != "version_num"}:
            return
        version["version_num"] = len(ent.versions) + 1
        ent.versions.append(version)
        ent.draft = version["version_num"]

    def first_definition(self, key: str, origin: str, drafts: bool) -> bool:
        """True the first time a block is defined; a second, different definition is an error.

        `origin` is the file of a pointer's definition, or ``file:line`` of an inline one, so a
        pointer reused in two places is one block, while two definitions sharing a url_name
        are reported (Studio would silently rename one of them on import).
        """
        if drafts:
            return True
        first = self.defined.get(key)
        if first is None:
            self.defined[key] = origin
            return True
        if first != origin:
            file, _, line = origin.rpartition(":") if origin.count(":") and origin.rsplit(":", 1)[1].isdigit() \
                else (origin, "", "")
            self.problems.append(error("duplicate-key", f"{origin}: a second block is defined as {key!r} "
                                       f"(the first is in {first}); url_names must be unique",
                                       file or origin, line=int(line) if line else None))
        return False

    def url_name_of(self, el: etree._Element, facts: dict[str, Any]) -> str:
        url = el.get("url_name")
        if url:
            return url
        digest = hashlib.sha1(etree.tostring(el)).hexdigest()[:12]
        facts["generated_url_name"] = True
        return f"{el.tag}_{digest}"

    # -- containers ---------------------------------------------------------------------
    def container(self, el: etree._Element, level: str, where: str, drafts: bool) -> str | None:
        """Read a chapter, sequential or vertical; returns its entity key."""
        resolved = self.resolve(el, where, drafts)
        if resolved is None:
            return None
        defn, path = resolved
        file = path or where
        facts: dict[str, Any] = {}
        url = self.url_name_of(el, facts)
        if path is None:
            facts["inline"] = True
        if defn.tag != OLX_TAG[level]:
            facts["tag"] = defn.tag
        key = self.container_keys.get((level, url))
        if key is None:
            key = url if not self.taken(url) else self.unique_key(f"{OLX_TAG[level]}+{url}")
            self.container_keys[(level, url)] = key
            self.reserved.add(key)
        if not self.first_definition(key, path or f"{where}:{el.sourceline}", drafts):
            return key if path else None
        if key != url:
            facts["url_name"] = url
        children: list[str] = []
        skip = ("display_name",) + (("url_name",) if path is None else ()) + (
            ("parent_url", "parent_sequential_url", "index_in_children_list") if drafts else ())
        attributes = decode_attributes(defn.attrib, skip)
        if drafts:
            self._draft_parent_facts(defn, level, facts)
        extra: list[list[Any]] = []
        for position, child in enumerate(elements(defn)):
            if is_setting(child):
                extra.append([position, element_text(child)])
                continue
            child_key = self.place(child, level, key, file, drafts)
            if child_key is not None:
                children.append(child_key)
        if extra:
            facts["elements"] = extra
        if facts:
            attributes[OLX_FACTS] = facts
        version = {"title": defn.get("display_name", ""), "children": children, "attributes": attributes}
        self.add_version(key, level, version, drafts, file)
        return key

    def _draft_parent_facts(self, defn: etree._Element, level: str, facts: dict[str, Any]) -> None:
        """Keep a draft root's parent attribute only when it is not what the writer would derive."""
        for name in DRAFT_PARENT_ATTRS:
            value = defn.get(name)
            if value is None:
                continue
            parent = _parent_of(value)
            if name != "parent_url" or parent is None or self.course_key_parts is None:
                facts["draft_parent"] = [name, value]
                continue
            org, course, run = self.course_key_parts
            derived = f"block-v1:{org}+{course}+{run}+type@{parent[0]}+block@{parent[1]}"
            if value != derived:
                facts["draft_parent"] = [name, value]

    def place(self, child: etree._Element, level: str, parent_key: str, where: str, drafts: bool) -> str | None:
        """Put a child of a container where the hub's levels want it, wrapping when OLX skipped a level.

        A block directly in a sequential gets a wrapper unit; a block or vertical directly
        in a chapter gets a wrapper subsection (and unit). Wrappers carry ``@olx.wrapper``
        and the writer leaves them out again.
        """
        if level == "section":
            if child.tag in SUBSECTION_TAGS:
                return self.container(child, "subsection", where, drafts)
            return self.wrapper(child, "subsection", parent_key, where, drafts)
        if level == "subsection":
            if child.tag in UNIT_TAGS:
                return self.container(child, "unit", where, drafts)
            return self.wrapper(child, "unit", parent_key, where, drafts)
        return self.component(child, where, drafts)

    def wrapper(self, child: etree._Element, level: str, parent_key: str, where: str, drafts: bool) -> str | None:
        inner = self.place(child, level, parent_key, where, drafts)
        if inner is None:
            return None
        key = f"{parent_key}+{level}+{inner}"
        if not drafts:
            key = self.unique_key(key)
        version = {"title": "", "children": [inner], "attributes": {OLX_FACTS: {"wrapper": True}}}
        self.add_version(key, level, version, drafts, where)
        return key

    # -- components ---------------------------------------------------------------------
    def component(self, el: etree._Element, where: str, drafts: bool) -> str | None:
        """A block inside a vertical: its OLX with every descendant inline, and its static files."""
        facts: dict[str, Any] = {}
        tree = self.expand(el, where, drafts, facts, is_root=True)
        if tree is None:
            return None
        defn, path, url = tree
        key = component_key(defn.tag, url)
        if not self.first_definition(key, path or f"{where}:{el.sourceline}", drafts):
            return key if path else None
        defn.tail = None
        text = etree.tostring(defn, encoding="unicode")
        media: dict[str, Any] = {"block.xml": {"text": text}}
        moved: dict[str, str] = {}
        for name, found in sorted(self.course_files.attach(text, defn).items()):
            media[f"static/{name}"] = {"resource": found, "size": self.source.files[found]}
            self.static_used.add(found)
            place = self.course_files.place(name, found)
            if place is not None:
                moved[name] = place
        if moved:
            facts["static"] = moved
        version: dict[str, Any] = {"title": defn.get("display_name", ""), "media": media}
        if facts:
            version["attributes"] = {OLX_FACTS: facts}
        self.add_version(key, None, version, drafts, path or where)
        return key

    def expand(self, el: etree._Element, where: str, drafts: bool, facts: dict[str, Any],
               is_root: bool) -> tuple[etree._Element, str | None, str] | None:
        """Resolve a block and, recursively, every pointer below it; load html content.

        A pointer back to a file that is being expanded (a vertical holding itself) is a
        cycle, and a chain of pointers deeper than `MAX_POINTER_DEPTH` is refused: both are
        reported instead of recursing until Python gives up.
        """
        resolved = self.resolve(el, where, drafts)
        if resolved is None:
            return None
        defn, path = resolved
        if path is not None:
            if path in self.expanding:
                self.problems.append(error("cycle", f"{where}: <{el.tag} url_name={el.get('url_name')!r}> points "
                                           f"back at {path}, which contains it", where, line=el.sourceline))
                return None
            if len(self.expanding) >= MAX_POINTER_DEPTH:
                self.problems.append(error("xml-too-deep", f"{where}: pointers nest more than {MAX_POINTER_DEPTH} "
                                           "files deep", where, line=el.sourceline))
                return None
            self.expanding.add(path)
            try:
                return self._expand(el, defn, path, where, drafts, facts, is_root)
            finally:
                self.expanding.discard(path)
        return self._expand(el, defn, path, where, drafts, facts, is_root)

    def _expand(self, el: etree._Element, defn: etree._Element, path: str | None, where: str, drafts: bool,
                facts: dict[str, Any], is_root: bool) -> tuple[etree._Element, str | None, str] | None:
        file = path or where
        if is_root:
            url = self.url_name_of(el, facts)
        else:
            url = el.get("url_name", "")
        ident = f"{defn.tag}/{url}"
        if path is None and defn.tag in FILE_TYPES:
            facts.setdefault("inline", []).append(ident)
        if path is not None and defn.tag not in FILE_TYPES:
            facts.setdefault("in_file", []).append(ident)
        if path is not None and not is_root:
            in_file = defn.get("url_name")
            if in_file is not None:
                facts.setdefault("file_url_name", {})[ident] = in_file
        if defn.tag == "html":
            self.html_content(defn, ident, url, path, drafts, facts)
        for child in elements(defn):
            if is_pointer(child):
                sub = self.expand(child, file, drafts, facts, is_root=False)
                if sub is None:
                    continue
                new = sub[0]
                if new is not child:
                    new.tail = child.tail
                    defn.replace(child, new)
            else:
                self.expand_inline(child, file, drafts, facts)
        if is_root:
            if path is None:
                defn.attrib.pop("url_name", None)
        elif path is not None:
            defn.attrib.pop("url_name", None)
            set_first(defn, "url_name", url)
        return defn, path, url

    def expand_inline(self, el: etree._Element, where: str, drafts: bool, facts: dict[str, Any]) -> None:
        """Walk an inline element's subtree for pointers (an inline vertical in a split_test ...)."""
        url = el.get("url_name")
        if url and el.tag in FILE_TYPES:
            facts.setdefault("inline", []).append(f"{el.tag}/{url}")
        if el.tag == "html" and url and el.get("filename") is not None:
            self.html_content(el, f"html/{url}", url, None, drafts, facts)
        for child in elements(el):
            if is_pointer(child):
                sub = self.expand(child, where, drafts, facts, is_root=False)
                if sub is not None and sub[0] is not child:
                    sub[0].tail = child.tail
                    el.replace(child, sub[0])
            else:
                self.expand_inline(child, where, drafts, facts)

    def html_content(self, defn: etree._Element, ident: str, url: str, path: str | None, drafts: bool,
                     facts: dict[str, Any]) -> None:
        """Move an html block's .html file into the element as CDATA (what block.xml holds)."""
        filename = defn.get("filename")
        if filename is None:
            if path is not None:
                facts.setdefault("html", {})[ident] = None  # content was inline in html/x.xml
            return
        if filename != url:
            facts.setdefault("html", {})[ident] = filename
        name = filename if filename.endswith(".html") else f"{filename}.html"
        candidates = ([f"drafts/html/{name}"] if drafts else []) + [f"html/{name}"]
        found = next((c for c in candidates if self.source.exists(c)), None)
        if found is None:
            self.problems.append(error("missing-file", f"{path or 'html'}: html block {url!r} names "
                                       f"filename={filename!r}, but html/{name} is missing", path,
                                       field="filename", line=defn.sourceline))
            return
        content = self.read_text(found)
        if content is None:
            return
        del defn.attrib["filename"]
        for child in list(defn):
            defn.remove(child)
        try:
            defn.text = etree.CDATA(content) if cdata_safe(content) else content
        except ValueError:
            self.problems.append(error("invalid-value", f"{found} holds characters that XML cannot carry",
                                       found))

    # -- drafts ------------------------------------------------------------------------
    def drafts(self) -> None:
        """drafts/: each file with a parent attribute roots a draft subtree ahead of the main tree."""
        roots: list[tuple[str, etree._Element]] = []
        for path in self.source.list("drafts/"):
            if not path.endswith(".xml") or path.count("/") < 2:
                continue
            data = self.source.read_bytes(path, self.source.limits.max_text_bytes)
            self._prefetch(path, data)
            head = data[:4096]
            if b"parent_url" not in head and b"parent_sequential_url" not in head:
                continue  # a descendant, read through its parent's pointer
            root = self.parse(path)
            if root is not None and any(root.get(a) for a in DRAFT_PARENT_ATTRS):
                roots.append((path, root))
        for path, root in roots:
            self.draft_root(path, root)
        self.prefetched.clear()  # drafts nothing points at: listed as package files, read from the source
        self.prefetched_bytes = 0
        for seq_key, inserts in self.seq_draft_inserts.items():
            ent = self.entities[seq_key]
            base = ent.versions[-1] if ent.published is None else ent.versions[ent.published - 1]
            children = list(base["children"])
            for index, key in sorted(inserts):
                if key not in children:
                    children.insert(max(0, min(index, len(children))), key)
            if children != base["children"]:
                version = dict(base, children=children)
                self.add_version(seq_key, "subsection", version, True, ent.file)

    def draft_root(self, path: str, root: etree._Element) -> None:
        value = next(root.get(a) for a in DRAFT_PARENT_ATTRS if root.get(a))
        parent = _parent_of(value)
        url = root.get("url_name") or path.rsplit("/", 1)[-1][: -len(".xml")]
        try:
            index = int(root.get("index_in_children_list", "0"))
        except ValueError:
            index = 0
        if parent is None or parent[0] not in ("sequential", "vertical") or root.tag in SUBSECTION_TAGS:
            self.problems.append(warning("unknown-tag", f"{path}: a draft of <{root.tag}> under {value!r} is "
                                         "not a unit or a block in a unit; kept as a file", path,
                                         line=root.sourceline))
            self.consumed.discard(path)
            return
        ptype, purl = parent
        if ptype == "sequential":
            seq_key = self.container_keys.get(("subsection", purl))
            if seq_key is None:
                self.problems.append(warning("unresolved-child", f"{path}: draft of unit {url!r} belongs to "
                                             f"sequential {purl!r}, which the course does not have; kept as a file",
                                             path, field=DRAFT_PARENT_ATTRS[0]))
                self.consumed.discard(path)
                return
            pointer = etree.Element(root.tag, url_name=url)
            self.preloaded[pointer] = (root, path)
            key = self.container(pointer, "unit", path, drafts=True)
            if key is not None:
                self.seq_draft_inserts.setdefault(seq_key, []).append((index, key))
            return
        unit_key = self.container_keys.get(("unit", purl))
        if unit_key is None:
            self.problems.append(warning("unresolved-child", f"{path}: draft block {url!r} belongs to vertical "
                                         f"{purl!r}, which the course does not have; kept as a file", path))
            self.consumed.discard(path)
            return
        for name in DRAFT_PARENT_ATTRS + ("index_in_children_list",):
            root.attrib.pop(name, None)
        pointer = etree.Element(root.tag, url_name=url)
        self.preloaded[pointer] = (root, path)
        key = self.component(pointer, path, drafts=True)
        if key is None:
            return
        unit = self.entities[unit_key]
        base = unit.versions[-1]
        children = list(base["children"])
        if key not in children:
            children.insert(max(0, min(index, len(children))), key)
            self.add_version(unit_key, "unit", dict(base, children=children), True, unit.file)
