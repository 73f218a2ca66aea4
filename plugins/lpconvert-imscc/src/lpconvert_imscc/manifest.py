"""imsmanifest.xml: the cartridge's title, its organization's item tree and its resources.

Only the facts the rest of the reader needs are kept, each with its line, so that every
problem found later can point into the manifest.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from urllib.parse import unquote

from lxml import etree

from lpconvert.plugin import Problem, Source, warning

from .xml import child, children, descendants, local, read_xml, text_of

MANIFEST = "imsmanifest.xml"


@dataclass
class Resource:
    ident: str
    type: str
    href: str | None
    files: list[str]
    dependencies: list[str]
    line: int | None

    @property
    def main_file(self) -> str | None:
        """The file a resource is about: its href (`main_href`), else its first file."""
        return self.href or (self.files[0] if self.files else None)


@dataclass
class Item:
    ident: str
    title: str
    ref: str | None
    line: int | None
    children: list[Item] = field(default_factory=list)


@dataclass
class Manifest:
    title: str
    description: str
    version: str
    schema: str
    items: list[Item]
    resources: dict[str, Resource]
    has_organization: bool


def clean_href(href: str | None, base: str = "") -> str | None:
    """A manifest href as a path in the cartridge: percent-decoded, joined to xml:base, normalised."""
    if not href:
        return None
    path = unquote(href.split("#", 1)[0].split("?", 1)[0]).replace("\\", "/")
    path = posixpath.normpath(posixpath.join(base, path)) if base else posixpath.normpath(path)
    return None if path.startswith("../") or path in (".", "..") else path.lstrip("/")


def read_manifest(source: Source, problems: list[Problem]) -> Manifest | None:
    root = read_xml(source, MANIFEST, problems)
    if root is None:
        return None
    metadata = child(root, "metadata")
    general = child(child(metadata, "lom"), "general")
    title, description = _lang_string(child(general, "title")), _lang_string(child(general, "description"))
    resources = _resources(root, source, problems)
    organizations = child(root, "organizations")
    orgs = children(organizations, "organization") if organizations is not None else []
    items: list[Item] = []
    if len(orgs) > 1:
        problems.append(warning("invalid-value", f"the manifest has {len(orgs)} organizations; only the first is "
                                "read (a cartridge has one)", MANIFEST, "organizations", orgs[1].sourceline))
    if orgs:
        tops = children(orgs[0], "item")
        # A rooted hierarchy has one untitled root item whose children are the modules.
        if len(tops) == 1 and not text_of(child(tops[0], "title")) and not tops[0].get("identifierref"):
            tops = children(tops[0], "item")
        items = [_item(el) for el in tops]
    return Manifest(title=title, description=description, version=text_of(child(metadata, "schemaversion")),
                    schema=text_of(child(metadata, "schema")), items=items, resources=resources,
                    has_organization=bool(orgs))


def _lang_string(el: etree._Element | None) -> str:
    """A LOM langstring's text (its <string>s, or its own text in older cartridges)."""
    if el is None:
        return ""
    return " ".join(text_of(s) for s in children(el, "string")).strip() or text_of(el)


def _item(el: etree._Element) -> Item:
    return Item(ident=el.get("identifier") or f"item-line-{el.sourceline}", title=text_of(child(el, "title")),
                ref=el.get("identifierref"), line=el.sourceline,
                children=[_item(c) for c in children(el, "item")])


def main_href(href: str | None, files: list[str], source: Source) -> str | None:
    """The file a resource's href means. Some exporters write an href the cartridge does not hold
    (Canvas's `wiki_content/page` for `wiki_content/page.html`); when the resource lists exactly one
    file, and that file is there, the href can only mean it. Anything less certain keeps the href
    as written, so the missing file is reported."""
    if not href or href in files or len(files) != 1 or source.exists(href) or not source.exists(files[0]):
        return href
    return files[0]


def _resources(root: etree._Element, source: Source, problems: list[Problem]) -> dict[str, Resource]:
    out: dict[str, Resource] = {}
    container = child(root, "resources")
    if container is None:
        return out
    for el in descendants(container, "resource"):
        ident = el.get("identifier")
        if not ident:
            problems.append(warning("missing-field", "a resource has no identifier; it is skipped", MANIFEST,
                                    "resource[@identifier]", el.sourceline))
            continue
        if ident in out:
            problems.append(warning("duplicate-key", f"resource {ident!r} is declared twice; the first is read",
                                    MANIFEST, "resource[@identifier]", el.sourceline))
            continue
        base = el.get("{http://www.w3.org/XML/1998/namespace}base") or ""
        files = [f for f in (clean_href(c.get("href"), base) for c in el if local(c) == "file") if f]
        href = main_href(clean_href(el.get("href"), base), files, source)
        out[ident] = Resource(ident=ident, type=(el.get("type") or "").strip(), href=href, files=files,
                              dependencies=[d.get("identifierref") or "" for d in el if local(d) == "dependency"],
                              line=el.sourceline)
    return out
