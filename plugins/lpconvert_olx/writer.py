"""Writing the hub as a Studio OLX export: a course, or a v1 library.

Layout (docs/formats/olx.md): ``course.xml`` points at ``course/{run}.xml``, which points at
one file per chapter, sequential, vertical and block; html is ``html/{id}.xml`` plus
``html/{id}.html``; a unit whose draft is ahead of its published version (or that was never
published) is written again, with all its blocks, under ``drafts/``; course files go to
``static/``; package-level files (policies/, about/ ...) are written back byte for byte.
Everything goes under one top-level ``course/`` or ``library/`` folder, as Studio packs it.

The ``@olx`` facts the reader recorded (inline or in a file, html file names, wrappers)
are honoured, so an OLX export comes back file for file; a package that never was OLX
gets Studio's own layout. Entries are written in a fixed traversal order and media is
streamed, one file at a time.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

from lxml import etree

from lpconvert.plugin import (
    OLX_TAG,
    Entity,
    EntityVersion,
    MediaFile,
    NullProgress,
    Package,
    Problem,
    Progress,
    ResourceMedia,
    TreeSink,
    WriteOptions,
    XmlError,
    error,
    is_xml_name,
    parse_xml,
)

from .assets import package_policy, studio_path
from .losses import writes_library
from .policies import default_policies
from .values import FILE_TYPES, OLX_FACTS, block_file, encode_value, olx_facts, url_name_path
from .xmltools import set_first, xml_text

_COURSE_KEY = re.compile(r"^course-v1:([^+]+)\+([^+]+)\+([^+]+)$")
_LIBRARY_V1_KEY = re.compile(r"^library-v1:([^+]+)\+([^+]+)$")
_LIBRARY_V2_KEY = re.compile(r"^lib:([^:]+):([^:]+)$")
_HAS_URL_NAME = etree.XPath("boolean(.//*[@url_name])")
"""Whether any element below holds a url_name: most blocks (a problem's markup) have none to file."""
_SLUG = re.compile(r"[^\w.~-]+")


def _slug(text: str) -> str:
    return _SLUG.sub("_", text).strip("_") or "content"


def course_key_parts(key: str) -> tuple[str, str, str]:
    """(org, course, run) for course.xml: from a course key, else from a library key, run "1"."""
    m = _COURSE_KEY.match(key)
    if m:
        return _slug(m.group(1)), _slug(m.group(2)), _slug(m.group(3))
    m = _LIBRARY_V1_KEY.match(key) or _LIBRARY_V2_KEY.match(key)
    if m:
        return _slug(m.group(1)), _slug(m.group(2)), "1"
    return "lpconvert", _slug(key), "1"


def library_key_parts(key: str) -> tuple[str, str]:
    m = _LIBRARY_V1_KEY.match(key) or _LIBRARY_V2_KEY.match(key) or _COURSE_KEY.match(key)
    if m:
        return _slug(m.group(1)), _slug(m.group(2))
    return "lpconvert", _slug(key)


def _layout(parent: etree._Element, children: list[etree._Element], indent: str) -> None:
    """Studio's layout: each child on its own line, indented two spaces per level."""
    if not children:
        return
    parent.text = "\n" + indent + "  "
    for child in children:
        parent.append(child)
        child.tail = "\n" + indent + "  "
    children[-1].tail = "\n" + indent


def _xml_bytes(el: etree._Element) -> bytes:
    el.tail = None
    return etree.tostring(el, encoding="unicode").encode("utf-8") + b"\n"


def _insert_elements(children: list[etree._Element], facts: dict[str, Any]) -> list[etree._Element]:
    """Put back the non-block children (wiki, textbook, XBlock option tags) at their positions."""
    out = list(children)
    for position, text in facts.get("elements") or []:
        try:
            extra = parse_xml(text)
        except XmlError:
            continue
        out.insert(min(int(position), len(out)), extra)
    return out


class OlxWriter:
    """One write: walks the outline from the root, files each block once, then static and package files."""

    def __init__(self, package: Package, sink: TreeSink, top: str) -> None:
        self.package = package
        self.model = package.model
        self.sink = sink
        self.top = top
        self.entities = self.model.entity_map()
        self.problems: list[Problem] = []
        self.written: set[str] = set()
        self.static: dict[str, MediaFile] = {}
        self.drafts: list[tuple[str, str]] = []  # (unit key, sequential url_name)
        self.parent_of: dict[str, str] = {}
        self.course_parts = course_key_parts(self.model.learning_package.key)
        self.progress: Progress = NullProgress()
        """The run's progress reporter (`WriteOptions.progress`): one step per entity filed."""
        self.filed: set[str] = set()
        self.block_types: set[str] = set()
        """The tag of every block written: which advanced modules a generated policy enables."""
        self.root_settings: dict[str, str] = {}
        """The settings written on the course root: a generated policy leaves them to it."""
        self.root_facts: dict[str, Any] = {}

    def tick(self, key: str) -> None:
        """One step of progress the first time an entity is filed (drafts visit some twice)."""
        if key not in self.filed:
            self.filed.add(key)
            self.progress.advance()

    # -- output -----------------------------------------------------------------------
    def put(self, path: str, data: bytes) -> None:
        if path in self.written:
            return
        self.written.add(path)
        self.sink.write_bytes(f"{self.top}/{path}", data)

    def put_media(self, path: str, media: MediaFile) -> None:
        if path in self.written:
            return
        self.written.add(path)
        size = media.size if isinstance(media, ResourceMedia) else None
        with self.package.open_media(media) as stream:
            self.sink.write_stream(f"{self.top}/{path}", stream, size)

    def clean(self, text: str, owner: str) -> str:
        """`text` without characters XML cannot carry (reported before writing: `xml-characters`)."""
        return xml_text(text)[0]

    def set_attributes(self, el: etree._Element, pairs: list[tuple[str, str]], owner: str) -> None:
        """Attributes as XML allows them: an impossible name is dropped, impossible characters removed
        (both reported before writing, as `xml-characters` losses)."""
        for name, value in pairs:
            if is_xml_name(name):
                el.set(name, self.clean(value, owner))

    # -- versions ---------------------------------------------------------------------
    @staticmethod
    def main_version(ent: Entity) -> EntityVersion | None:
        """What the main (published) tree shows: the published version, else the draft."""
        return ent.version(ent.published_version) or ent.version(ent.draft_version)

    @staticmethod
    def draft_ahead(ent: Entity) -> bool:
        return ent.draft_version is not None and ent.draft_version != ent.published_version

    def unit_needs_draft(self, ent: Entity) -> bool:
        if self.draft_ahead(ent):
            return True
        version = ent.current_version
        for key in (version.children or []) if version else []:
            child = self.entities.get(key)
            if child is not None and child.container_type is None and self.draft_ahead(child):
                return True
        return False

    # -- containers --------------------------------------------------------------------
    def container(self, key: str, drafts: bool, indent: str = "") -> list[etree._Element]:
        """The element(s) a container puts in its parent: a pointer, an inline element, or (wrapper) its children."""
        ent = self.entities.get(key)
        if ent is None or ent.container_type is None:
            return []
        self.tick(key)
        version = ent.current_version if drafts else self.main_version(ent)
        if version is None:
            return []
        facts = olx_facts(version.attributes)
        level = ent.container_type
        if facts.get("wrapper"):
            return [el for child in version.children or [] for el in self.child(ent, child, drafts, indent)]
        tag = facts.get("tag") or OLX_TAG[level]
        url = self.clean(facts.get("url_name") or key, key)
        attrs = {k: encode_value(v) for k, v in version.attributes.items() if k != OLX_FACTS}
        if version.title or "display_name" in attrs:
            attrs.setdefault("display_name", version.title)
        if drafts and level == "unit":
            attrs.update(self.draft_parent_attrs(key, facts))
        inline = bool(facts.get("inline"))
        el = etree.Element(tag)
        if inline and not facts.get("generated_url_name"):
            el.set("url_name", url)
        index = attrs.pop("index_in_children_list", None) if drafts and level == "unit" else None
        self.set_attributes(el, sorted(attrs.items()), key)
        if index is not None:
            el.set("index_in_children_list", index)
        children: list[etree._Element] = []
        for child in version.children or []:
            children += self.child(ent, child, drafts, indent + "  " if inline else "")
        if level == "subsection" and not drafts:
            self.draft_only_units(ent, version)
        children = _insert_elements(children, facts)
        _layout(el, children, indent if inline else "")
        if inline:
            return [el]
        self.put(block_file(tag, url, drafts), _xml_bytes(el))
        return [etree.Element(tag, url_name=url)]

    def child(self, parent: Entity, key: str, drafts: bool, indent: str) -> list[etree._Element]:
        child = self.entities.get(key)
        if child is None:
            return []
        if child.container_type is None:
            return self.component(key, drafts)
        if child.container_type == "unit" and parent.container_type == "subsection" and not drafts:
            if child.published_version is None:
                self.queue_draft(key, parent.key)
                return []
            if self.unit_needs_draft(child):
                self.queue_draft(key, parent.key)
        return self.container(key, drafts, indent)

    def draft_only_units(self, seq: Entity, main: EntityVersion) -> None:
        """Units in the subsection's draft that its main version does not list go to drafts/ only."""
        current = seq.current_version
        if current is None or current is main:
            return
        shown = set(main.children or [])
        for key in current.children or []:
            unit = self.entities.get(key)
            if key not in shown and unit is not None and unit.container_type == "unit":
                self.queue_draft(key, seq.key)

    def queue_draft(self, key: str, seq_key: str) -> None:
        if key not in self.parent_of:
            self.parent_of[key] = seq_key
            self.drafts.append((key, seq_key))

    def draft_parent_attrs(self, key: str, facts: dict[str, Any]) -> dict[str, str]:
        seq_key = self.parent_of.get(key, "")
        seq = self.entities.get(seq_key)
        out: dict[str, str] = {}
        draft_parent = facts.get("draft_parent")
        if isinstance(draft_parent, list) and len(draft_parent) == 2:
            out[str(draft_parent[0])] = str(draft_parent[1])
        else:
            seq_version = self.main_version(seq) if seq else None
            seq_url = olx_facts(seq_version.attributes).get("url_name", seq_key) if seq_version else seq_key
            org, course, run = self.course_parts
            out["parent_url"] = f"block-v1:{org}+{course}+{run}+type@sequential+block@{seq_url}"
        current = seq.current_version if seq else None
        siblings = (current.children or []) if current else []
        out["index_in_children_list"] = str(siblings.index(key) if key in siblings else len(siblings))
        return out

    def write_drafts(self) -> None:
        for key, _ in self.drafts:
            self.container(key, drafts=True)

    # -- components --------------------------------------------------------------------
    def component(self, key: str, drafts: bool) -> list[etree._Element]:
        ent = self.entities.get(key)
        if ent is None:
            return []
        self.tick(key)
        version = ent.current_version if drafts else self.main_version(ent)
        if version is None:
            return []
        block = version.media.get("block.xml")
        if block is None:
            return []
        try:
            root = parse_xml(self.package.read_media(block))
        except XmlError as exc:
            self.problems.append(error("bad-block-xml", f"{key} v{version.version_num}: block.xml {exc.message}"))
            return []
        facts = olx_facts(version.attributes)
        for path, media in version.media.items():
            if path.startswith("static/"):
                self.add_static(studio_path(path, facts, self.asset_policy), media, key)
        code = self.clean(key.split(":", 2)[2] if key.count(":") >= 2 else key, key)
        return [self.block(root, code, True, facts, drafts)]

    def block(self, el: etree._Element, url: str, is_root: bool, facts: dict[str, Any],
              drafts: bool) -> etree._Element:
        """Write a block (and the blocks inside it) to files where OLX had files; return what its parent holds."""
        ident = f"{el.tag}/{url}"
        self.block_types.add(str(el.tag))
        inline = ident in (facts.get("inline") or ()) or (
            el.tag not in FILE_TYPES and ident not in (facts.get("in_file") or ()))
        self.externalize_children(el, facts, drafts)
        if el.tag == "html":
            self.html_file(el, ident, url, inline, facts, drafts)
        if inline:
            if is_root and not facts.get("generated_url_name"):
                set_first(el, "url_name", url)
            if set(el.attrib) <= {"url_name"} and len(el) == 0 and not (el.text or "").strip():
                # an empty inline block would read as a pointer; Studio marks pure XBlocks this way
                el.set("xblock-family", "xblock.v1")
            return el
        if not is_root:
            el.attrib.pop("url_name", None)
            in_file = (facts.get("file_url_name") or {}).get(ident)
            if isinstance(in_file, str):
                set_first(el, "url_name", in_file)
        self.put(block_file(str(el.tag), url, drafts), _xml_bytes(el))
        return etree.Element(el.tag, url_name=url)

    def externalize_children(self, el: etree._Element, facts: dict[str, Any], drafts: bool) -> None:
        """File the blocks nested in `el` (those with a url_name) where OLX had files, replacing them by pointers."""
        if not _HAS_URL_NAME(el):
            return  # nothing below can become a file: skip the element-by-element walk
        for child in list(el):
            if not isinstance(child.tag, str):
                continue
            child_url = child.get("url_name")
            if child_url and not child.tag.startswith("{"):
                tail = child.tail
                new = self.block(child, child_url, False, facts, drafts)
                if new is not child:
                    new.tail = tail
                    el.replace(child, new)
            else:
                self.externalize_children(child, facts, drafts)

    def html_file(self, el: etree._Element, ident: str, url: str, inline: bool, facts: dict[str, Any],
                  drafts: bool) -> None:
        """Move html content out to html/NAME.html, as Studio does, unless OLX had it inline."""
        html_facts = facts.get("html") or {}
        filename = html_facts.get(ident, None if inline else url)
        if not isinstance(filename, str) or len(el):
            return
        name = filename if filename.endswith(".html") else f"{filename}.html"
        self.put(f"{'drafts/' if drafts else ''}html/{url_name_path(name)}", (el.text or "").encode("utf-8"))
        el.text = None
        set_first(el, "filename", filename)

    @cached_property
    def asset_policy(self) -> dict[str, Any]:
        """The package's policies/assets.json (Studio's asset metadata), read once per write."""
        return package_policy(self.package)

    def add_static(self, path: str, media: MediaFile, key: str) -> None:
        """The first file under a path is written (a different one is a `static-conflicts` loss)."""
        self.static.setdefault(path, media)

    # -- whole packages ---------------------------------------------------------------
    def root_attributes(self, attributes: dict[str, Any]) -> dict[str, str]:
        """The root's settings; its display_name is the package title (which another format may have edited).

        A blank display_name stays blank when the title is the package key: that is the title the
        reader falls back to for a blank one, and writing it in would make a second trip differ.
        """
        attrs = {k: encode_value(v) for k, v in attributes.items() if k != OLX_FACTS}
        lp = self.model.learning_package
        if "display_name" in attrs and (attrs["display_name"].strip() or lp.title != lp.key):
            attrs["display_name"] = lp.title
        return attrs

    def write_course(self) -> None:
        root = self.model.root
        org, course, run = self.course_parts
        if root is not None and root.kind == "course":
            attrs = self.root_attributes(root.attributes)
            facts = olx_facts(root.attributes)
            sections = list(root.children)
            listed = set(sections)
            sections += [key for key in self.top_level("section") if key not in listed]
        else:
            attrs = {"display_name": self.model.learning_package.title}
            facts = {}
            sections = self.top_level("section")
        self.root_settings, self.root_facts = attrs, facts
        el = etree.Element("course")
        inline = bool(facts.get("inline"))
        if inline:
            for name, value in (("url_name", run), ("org", org), ("course", course)):
                el.set(name, value)
        self.set_attributes(el, sorted(attrs.items()), "the course")
        children: list[etree._Element] = []
        for key in sections:
            children += self.container(key, False, "  ")
        children = _insert_elements(children, facts) + self.unsorted_chapter()
        _layout(el, children, "")
        if inline:
            self.put("course.xml", _xml_bytes(el))
        else:
            pointer = etree.Element("course", url_name=run, org=org, course=course)
            self.put("course.xml", etree.tostring(pointer, encoding="unicode").encode("utf-8"))
            self.put(f"course/{url_name_path(run)}.xml", _xml_bytes(el))
        self.write_drafts()

    def write_library(self) -> None:
        root = self.model.root
        org, lib = library_key_parts(self.model.learning_package.key)
        if root is not None and root.kind == "library":
            attrs = self.root_attributes(root.attributes)
            facts = olx_facts(root.attributes)
            keys = list(root.children)
            el = etree.Element("library")
            self.set_attributes(el, list(attrs.items()), "the library")
        else:
            facts = {}
            keys = [e.key for e in self.model.entities if e.container_type is None]
            el = etree.Element("library", url_name="library")
            el.set("xblock-family", "xblock.v1")
            self.set_attributes(el, [("display_name", self.model.learning_package.title), ("org", org),
                                     ("library", lib)], "the library")
        children: list[etree._Element] = []
        for key in keys:
            children += self.component(key, False)
        children = _insert_elements(children, facts)
        _layout(el, children, "")
        self.put("library.xml", _xml_bytes(el))

    @cached_property
    def held(self) -> set[str]:
        """Keys listed by a container version this writer writes: its main or current version.

        A container with neither a draft nor a published version (deleted), and any older
        version, writes nothing; counting what only they list as held would drop it from the
        course without a word, and leave the course empty when a deleted section held it all.
        Worked out once per write (the model does not change while it is written): the
        sections, the loose subsections, units and components all ask.
        """
        return {c for e in self.model.entities if e.container_type is not None
                for v in (self.main_version(e), e.current_version) if v is not None for c in (v.children or ())}

    def top_level(self, container_type: str) -> list[str]:
        """Entities of one type that no written container holds, in package order (a v2 library's sections)."""
        held = self.held
        return [e.key for e in self.model.entities if e.container_type == container_type and e.key not in held]

    def unsorted_chapter(self) -> list[etree._Element]:
        """A package may hold subsections, units or components outside every section (a v2
        library's loose components, a cartridge's pages no module shows). A course can only show what its
        chapters hold, so they go into one extra chapter, ``lpconvert_unsorted``: loose
        subsections as they are, loose units in a sequential, loose components in a unit."""
        loose_subsections = self.top_level("subsection")
        loose_units = self.top_level("unit")
        held = self.held
        loose_components = [e.key for e in self.model.entities if e.container_type is None and e.key not in held]
        if not (loose_subsections or loose_units or loose_components):
            return []
        chapter = etree.Element("chapter", display_name="Outside any section")
        parts: list[etree._Element] = []
        for key in loose_subsections:
            parts += self.container(key, False)
        groups = ((loose_units, "units", "Units outside any subsection"),
                  (loose_components, "components", "Components outside any unit"))
        for keys, name, title in groups:
            if not keys:
                continue
            seq = etree.Element("sequential", display_name=title)
            units: list[etree._Element] = []
            if name == "units":
                for key in keys:
                    units += self.container(key, False)
            else:
                vertical = etree.Element("vertical", display_name=title)
                blocks = [el for key in keys for el in self.component(key, False)]
                _layout(vertical, blocks, "")
                self.put(block_file("vertical", "lpconvert_unsorted_unit"), _xml_bytes(vertical))
                units.append(etree.Element("vertical", url_name="lpconvert_unsorted_unit"))
            _layout(seq, units, "")
            self.put(block_file("sequential", f"lpconvert_unsorted_{name}"), _xml_bytes(seq))
            parts.append(etree.Element("sequential", url_name=f"lpconvert_unsorted_{name}"))
        _layout(chapter, parts, "")
        self.put(block_file("chapter", "lpconvert_unsorted"), _xml_bytes(chapter))
        return [etree.Element("chapter", url_name="lpconvert_unsorted")]

    def write_default_policies(self) -> None:
        """Studio's default course policy when the package has none of its own (see `policies`)."""
        run = self.course_parts[2]
        added = default_policies(run, url_name_path(run), self.model.files, self.root_settings, self.root_facts,
                                 self.block_types)
        for path, data in added.items():
            self.put(path, data)

    def write_files(self) -> None:
        self.progress.start(len(self.static) + len(self.model.files), "writing olx static files")
        for path in sorted(self.static):
            self.put_media(path, self.static[path])
            self.progress.advance()
        for path in sorted(self.model.files):
            self.put_media(path, self.model.files[path])
            self.progress.advance()


def write_olx(package: Package, sink: TreeSink, options: WriteOptions) -> list[Problem]:
    """Write `package` as OLX. ``-O olx_layout=library`` writes a v1 library; otherwise the
    package's own root decides (a v2 library, with no root, becomes a course)."""
    layout = (options.extra or {}).get("olx_layout")
    if layout not in (None, "", "course", "library"):
        return [error("invalid-value", f"olx_layout must be 'course' or 'library', not {layout!r}",
                      field="olx_layout")]
    as_library = writes_library(package.model, options.extra or {})
    writer = OlxWriter(package, sink, "library" if as_library else "course")
    writer.progress = options.progress
    writer.progress.start(len(package.model.entities), "writing olx")
    if as_library:
        writer.write_library()
    else:
        writer.write_course()
    writer.write_files()
    if not as_library:
        writer.write_default_policies()
    writer.progress.finish()
    return writer.problems
