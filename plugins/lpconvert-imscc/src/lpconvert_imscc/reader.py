"""Reading a cartridge: manifest -> structure -> components, never raising on what is inside.

Every damage real cartridges carry (a file the manifest names but the zip lacks, an item that
points at no resource, a broken XML file, an empty page) is a problem pointing into the
cartridge (file, element, line) and the rest is read.
"""

from __future__ import annotations

from typing import Any

from lpconvert.plugin import Problem, RawPackage, ReadOptions, Source, error, warning

from . import canvas
from .components import Component, ComponentMaker, component_data, kind_of, safe_code
from .links import WEB_RESOURCES, static_name
from .naming import unique
from .manifest import MANIFEST, Item, Manifest, read_manifest
from .course import package_key
from .structure import Node, build

COLLECTION_BY_KIND = {
    "webcontent": ("pages", "Pages"), "weblink": ("weblinks", "Web links"),
    "discussion": ("discussions", "Discussions"), "lti": ("lti-links", "LTI links"),
    "assessment": ("quizzes", "Quizzes"), "assignment": ("assignments", "Assignments"),
    "associated": ("assignments", "Assignments"), "bank": ("question-banks", "Question banks"),
}
"""Where resources that no item shows arrive: one collection per kind."""


class _Keys:
    """Unique entity keys: a resource shown twice becomes two components (Open edX blocks have one parent)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def new(self, key: str) -> str:
        return unique(key, self.taken)


class _Reader:
    def __init__(self, source: Source, manifest: Manifest, problems: list[Problem]) -> None:
        self.source = source
        self.manifest = manifest
        self.problems = problems
        self.maker = ComponentMaker(source, manifest, problems)
        self.keys = _Keys()
        self.entities: list[dict[str, Any]] = []
        self.shown: set[str] = set()  # resource idents an item shows
        self.made: dict[tuple[str, str], list[Component]] = {}
        self.attached: set[str] = set()  # cartridge paths some component carries

    def components(self, ident: str, title: str) -> list[Component]:
        """A resource's components under an item's title (read once per title: its problems are reported once)."""
        if (ident, title) not in self.made:
            self.made[(ident, title)] = self.maker.make(self.manifest.resources[ident], title)
        return self.made[(ident, title)]

    def add_component(self, comp: Component) -> str:
        key = self.keys.new(f"xblock.v1:{comp.block_type}:{safe_code(comp.code)}")
        self.entities.append(component_data(key, comp, self.source))
        self.attached.update(comp.files.values())
        return key

    def add_container(self, node: Node, children: list[str]) -> str:
        key = self.keys.new(safe_code(node.ident))
        self.entities.append({"key": key, "container_type": node.level, "draft_version": 1, "published_version": 1,
                              "versions": [{"version_num": 1, "title": node.title, "children": children}]})
        return key

    def container(self, node: Node) -> str | None:
        if node.level == "unit":
            children = [self.add_component(c) for item in node.items for c in self.item_components(item)]
            if node.folded:
                self.problems.append(warning("loss", f"items nested below unit level are folded into unit "
                                             f"{node.title!r}: {', '.join(node.folded)}", MANIFEST, "item", node.line))
            if not children:
                return None
        else:
            children = [k for k in (self.container(c) for c in node.children) if k is not None]
        return self.add_container(node, children)

    def item_components(self, item: Item) -> list[Component]:
        assert item.ref is not None
        if item.ref not in self.manifest.resources:
            self.problems.append(warning("unresolved-child", f"item {item.title or item.ident!r} points at resource "
                                         f"{item.ref!r}, which the manifest does not declare; it is skipped",
                                         MANIFEST, "item[@identifierref]", item.line))
            return []
        self.shown.add(item.ref)
        return self.components(item.ref, item.title)

    def loose(self) -> list[dict[str, Any]]:
        """Resources no item shows (wiki pages, banks ...): loose components, one collection per kind."""
        depended = {d for r in self.manifest.resources.values() for d in r.dependencies}
        quiz_files = canvas.quiz_files(self.manifest)
        members: dict[str, list[str]] = {}
        for ident, res in self.manifest.resources.items():
            if ident in self.shown or ident in depended:
                continue
            kind = kind_of(res)
            comps: list[Component] = []
            if kind == "associated" and canvas.is_settings(res):
                self.problems.append(warning("loss", "Canvas's course settings (course_settings/: settings, module "
                                             "metadata, rubrics, grading standards) are not read", MANIFEST,
                                             "resource", res.line))
            elif kind == "associated":
                bank = canvas.bank_file(res)
                if bank and bank not in quiz_files:
                    kind = "bank"
                    comps = self.maker.questions(bank, "", res.ident)
                elif canvas.assignment_page(res):
                    comps = self.components(ident, "")
            elif kind == "webcontent" and not is_page(res.main_file):
                continue  # a file: attached where pages link it, else kept as a course file below
            elif kind in COLLECTION_BY_KIND:
                comps = self.components(ident, "")
            else:
                self.maker.make(res, "")  # reports the unknown type
            if comps:
                members.setdefault(kind, []).extend(self.add_component(c) for c in comps)
        out = []
        for kind, keys in sorted(members.items()):
            key, title = COLLECTION_BY_KIND[kind]
            out.append({"key": key, "title": title,
                        "description": "Resources of the cartridge that no item of its organization shows",
                        "entities": keys})
        return out

    def course_files(self) -> dict[str, Any]:
        """Webcontent files no component carries: kept as course files (static/NAME)."""
        files: dict[str, Any] = {}
        for res in self.manifest.resources.values():
            if kind_of(res) != "webcontent":
                continue
            for path in res.files:
                if path in self.attached or (path == res.main_file and (res.ident in self.shown or is_page(path))):
                    continue  # carried by a component, or the component itself
                if not self.source.exists(path):
                    self.problems.append(warning("missing-file", f"resource {res.ident!r} names {path}, which the "
                                                 "cartridge does not have", MANIFEST, "resource/file[@href]", res.line))
                    continue
                files["static/" + static_name(path)] = {"resource": path, "size": self.source.size(path)}
        return files


def is_page(path: str | None) -> bool:
    """A loose webcontent resource is a page (an html component) when it is HTML outside web_resources/:
    that folder holds a course's files (Canvas's Files), whatever their type."""
    return bool(path) and path.lower().endswith((".html", ".htm")) and not path.startswith(WEB_RESOURCES)


def read_cartridge(source: Source, options: ReadOptions) -> RawPackage:
    problems: list[Problem] = []
    manifest = read_manifest(source, problems)
    if manifest is None:
        if not any(p.is_error for p in problems):
            problems.append(error("missing-file", "the cartridge has no readable imsmanifest.xml", MANIFEST))
        return RawPackage({"learning_package": {"key": "imscc", "title": "Common Cartridge"}}, problems,
                          resources=source)
    title = manifest.title or "Common Cartridge"
    reader = _Reader(source, manifest, problems)
    if not manifest.has_organization:
        problems.append(warning("missing-field", "the cartridge has no organization: every resource arrives as a "
                                "loose component in a collection", MANIFEST, "organizations"))
    sections = [k for k in (reader.container(n) for n in build(manifest.items, title, "course")) if k is not None]
    collections = reader.loose()
    data: dict[str, Any] = {
        "learning_package": {"key": package_key(title), "title": title,
                             "description": manifest.description},
        "entities": reader.entities,
        "collections": collections,
    }
    if sections:  # else no root: an OLX writer then gathers the loose components into a chapter of their own
        data["root"] = {"kind": "course", "attributes": {"display_name": title}, "children": sections}
    data["files"] = reader.course_files()
    return RawPackage(data, problems, resources=source)
