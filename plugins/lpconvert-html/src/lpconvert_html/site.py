"""The `html` writer: plan the site from the hub model, then write its pages and files.

Site layout (all links relative, so the folder works anywhere)::

    index.html                  title, outline, collections, components outside any unit
    units/<slug>.html           one page per unit, its components in order
    components/<slug>.html      one page per component that no unit holds
    media/<slug>/static/...     each shown component's own files (images, handouts)
    static/...                  package-level static files that some page refers to
    style.css

What is shown of each entity is its *current* version: the draft if there is one, else the
published version -- what an author sees in Studio (``-O html_version=published`` shows
what learners see instead: see `views`). The outline starts from the OLX root's
children when the package has one (a course), else from the containers that no other
container holds (a v2 library), sections first.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html import escape
from urllib.parse import quote, unquote, urlsplit

from lpconvert.plugin import (
    CONTAINER_TYPES,
    CompletePackageInput,
    Entity,
    EntityVersion,
    MediaFile,
    Package,
    Problem,
    Sink,
    TreeSink,
    WriteOptions,
    error,
)

from .blocks import Component, label_for, render_card
from .page import STYLESHEET, render_page
from .views import VIEWS, published_view


class Slugs:
    """Readable, unique, filesystem-safe names for keys (``xblock.v1:html:intro`` -> ``html-intro``)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.by_key: dict[str, str] = {}

    def __call__(self, key: str) -> str:
        if key in self.by_key:
            return self.by_key[key]
        parts = key.split(":")
        readable = "-".join(parts[1:]) if len(parts) == 3 else key
        base = re.sub(r"[^a-z0-9]+", "-", readable.lower()).strip("-")[:60] or "item"
        slug, n = base, 2
        while slug in self.taken:
            slug, n = f"{base}-{n}", n + 1
        self.taken.add(slug)
        self.by_key[key] = slug
        return slug


def status_of(entity: Entity) -> str:
    """The badge an author would want to see: is what is shown live in the LMS?"""
    if entity.published_version is None:
        return "never published"
    if entity.draft_version is None:
        return "deleted in draft"
    if entity.draft_version != entity.published_version:
        return "unpublished changes"
    return ""


def title_of(entity: Entity) -> str:
    version = entity.current_version
    return (version.title if version is not None and version.title.strip() else "") or entity.key


def children_of(entity: Entity) -> list[str]:
    version = entity.current_version
    return list(version.children or ()) if version is not None else []


@dataclass
class SitePlan:
    """Where everything goes, decided before anything is written so that every link resolves."""

    model: CompletePackageInput
    entities: dict[str, Entity]
    roots: list[str]
    units: list[str]
    home: dict[str, str] = field(default_factory=dict)
    """entity key -> link target from the site root (``units/a.html#c-b``)."""
    loose: list[str] = field(default_factory=list)
    slugs: Slugs = field(default_factory=Slugs)
    parents: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, model: CompletePackageInput) -> SitePlan:
        entities = model.entity_map()
        held: dict[str, str] = {}
        for entity in model.entities:
            if entity.is_container:
                for child in children_of(entity):
                    held.setdefault(child, entity.key)
        containers = [e for e in model.entities if e.is_container]
        level = {t: i for i, t in enumerate(CONTAINER_TYPES)}
        if model.root is not None and model.root.children:
            roots = [k for k in model.root.children if k in entities and entities[k].is_container]
        else:
            roots = []
        reached = set(_walk(roots, entities))
        rest = sorted((e for e in containers if e.key not in held and e.key not in reached),
                      key=lambda e: (level.get(e.container_type or "", 9), title_of(e).lower(), e.key))
        roots += [e.key for e in rest]
        order = list(_walk(roots, entities))
        units = [k for k in order if entities[k].container_type == "unit"]
        units += sorted(e.key for e in containers if e.container_type == "unit" and e.key not in set(units))
        plan = cls(model, entities, roots, units, parents=held)
        plan._place(order)
        return plan

    def _place(self, order: list[str]) -> None:
        for key in order:
            entity = self.entities[key]
            if entity.container_type in ("section", "subsection"):
                self.home[key] = f"index.html#s-{self.slugs(key)}"
        for unit in self.units:
            page = f"units/{self.slugs(unit)}.html"
            self.home[unit] = page
            for child in children_of(self.entities[unit]):
                if child in self.entities and not self.entities[child].is_container:
                    self.home.setdefault(child, f"{page}#c-{self.slugs(child)}")
        root_order = list(self.model.root.children) if self.model.root is not None else []
        rank = {k: i for i, k in enumerate(root_order)}
        loose = [e for e in self.model.entities if not e.is_container and e.key not in self.home]
        loose.sort(key=lambda e: (rank.get(e.key, len(rank)), title_of(e).lower(), e.key))
        for entity in loose:
            self.home[entity.key] = f"components/{self.slugs(entity.key)}.html"
            self.loose.append(entity.key)

    def link(self, key: str, prefix: str) -> str | None:
        target = self.home.get(key)
        return prefix + _quote_path(target) if target is not None else None


def _walk(keys: Iterable[str], entities: dict[str, Entity]) -> Iterable[str]:
    """Containers depth-first in outline order, each once (a cycle cannot loop forever)."""
    seen: set[str] = set()

    def visit(key: str) -> Iterable[str]:
        entity = entities.get(key)
        if entity is None or not entity.is_container or key in seen:
            return
        seen.add(key)
        yield key
        for child in children_of(entity):
            yield from visit(child)

    for key in keys:
        yield from visit(key)


def _quote_path(path: str) -> str:
    base, _, anchor = path.partition("#")
    return quote(base) + (f"#{quote(anchor)}" if anchor else "")


# --------------------------------------------------------------------------- media


def static_name(url: str) -> str | None:
    """The file name under ``static/`` that a content URL refers to, if it refers to one.

    Studio writes ``/static/name`` (courses), v2 libraries ``static/name``, and pasted Studio
    asset URLs look like ``/asset-v1:Org+Course+Run+type@asset+block@name``.
    """
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    path = unquote(parts.path)
    if path.startswith("/static/"):
        name = path[len("/static/"):]
    elif path.startswith("static/"):
        name = path[len("static/"):]
    elif "+type@asset+block@" in path:
        name = path.rsplit("+type@asset+block@", 1)[1]
    else:
        return None
    name = name.lstrip("/")
    if not name or any(part in ("", ".", "..") for part in name.split("/")):
        return None
    return name


_JUMP = re.compile(r"^/(?:course/)?jump_to_id/([^/?#]+)/?$")


def jump_target(url: str) -> str | None:
    """The url_name of a Studio intra-course link (``/jump_to_id/URL_NAME``), if it is one."""
    match = _JUMP.match(urlsplit(url).path)
    return unquote(match.group(1)) if match else None


@dataclass
class MediaIndex:
    """Answers "where does this link point in the site?" and remembers which files must be copied.

    Images and files (``/static/...``) become relative links to the copies; Studio's links
    between blocks (``/jump_to_id/...``) become links to the block's page or anchor.
    """

    plan: SitePlan
    files: dict[str, MediaFile]
    wanted_files: set[str] = field(default_factory=set)
    by_code: dict[str, str] = field(default_factory=dict)
    """An OLX url_name (a container's key, a component key's last part) -> the entity key."""

    def __post_init__(self) -> None:
        for key in self.plan.entities:
            self.by_code.setdefault(key.split(":", 2)[-1], key)

    def rewriter(self, version: EntityVersion | None, slug: str, prefix: str) -> Callable[[str], str | None]:
        media = version.media if version is not None else {}

        def rewrite(url: str) -> str | None:
            target = jump_target(url)
            if target is not None:
                key = self.by_code.get(target)
                return self.plan.link(key, prefix) if key is not None else None
            name = static_name(url)
            if name is None:
                return None
            path = f"static/{name}"
            if path in media:
                return f"{prefix}media/{quote(slug)}/{quote(path)}"
            if path in self.files:
                self.wanted_files.add(path)
                return f"{prefix}{quote(path)}"
            return None

        return rewrite


# --------------------------------------------------------------------------- writing


class SiteWriter:
    """Writes the planned pages; one instance per write."""

    def __init__(self, package: Package, sink: TreeSink, model: CompletePackageInput | None = None,
                 view: str = "draft") -> None:
        self.package = package
        self.sink = sink
        self.model = model if model is not None else package.model
        self.view = view
        self.plan = SitePlan.build(self.model)
        self.media = MediaIndex(self.plan, dict(self.model.files))
        self.site_title = self.model.learning_package.title

    # -- helpers -------------------------------------------------------------------------
    def component(self, entity: Entity) -> Component:
        version = entity.current_version
        block = version.media.get("block.xml") if version is not None else None
        xml = self.package.read_media(block) if block is not None else None
        kind = entity.kind.split(":", 1)[-1]
        return Component(entity.key, kind, title_of(entity), xml, status_of(entity))

    def card(self, entity: Entity, prefix: str) -> str:
        version = entity.current_version
        slug = self.plan.slugs(entity.key)

        def read_file(path: str) -> bytes | None:
            found = version.media.get(path) if version is not None else None
            if found is None:
                found = self.model.files.get(path)
            return self.package.read_media(found) if found is not None else None

        return render_card(self.component(entity), self.media.rewriter(version, slug, prefix), read_file,
                           f"c-{slug}")

    def page(self, path: str, title: str, body: str, crumbs: str = "") -> None:
        prefix = "../" * path.count("/")
        html = render_page(title=title, site_title=self.site_title, body=body, prefix=prefix, crumbs=crumbs)
        self.sink.write_bytes(path, html.encode("utf-8"))

    def crumbs(self, key: str, prefix: str) -> str:
        trail: list[str] = []
        seen = {key}
        parent = self.plan.parents.get(key)
        while parent is not None and parent not in seen:
            seen.add(parent)
            entity = self.plan.entities.get(parent)
            if entity is None:
                break
            href = self.plan.link(parent, prefix) or f"{prefix}index.html"
            trail.insert(0, f'<a href="{escape(href, quote=True)}">{escape(title_of(entity))}</a>')
            parent = self.plan.parents.get(parent)
        trail.insert(0, f'<a href="{prefix}index.html">Home</a>')
        return '<nav class="crumbs">' + " \u203a ".join(trail) + "</nav>\n"

    # -- pages ---------------------------------------------------------------------------
    def write(self, options: WriteOptions) -> list[Problem]:
        progress = options.progress
        progress.start(len(self.plan.units) + len(self.plan.loose) + 1, "writing html site")
        self.sink.write_bytes("style.css", STYLESHEET.encode("utf-8"))
        self.write_index()
        for i, unit in enumerate(self.plan.units):
            self.write_unit(unit, i)
            progress.advance()
        for key in self.plan.loose:
            self.write_loose(key)
            progress.advance()
        self.write_media()
        progress.finish()
        return []

    def write_index(self) -> None:
        lp = self.model.learning_package
        counts = {t: 0 for t in ("section", "subsection", "unit", "component")}
        for e in self.model.entities:
            counts[e.container_type or "component"] += 1
        facts = " \u00b7 ".join([escape(lp.key)] + [f"{n} {t}{'s' * (n != 1)}" for t, n in counts.items() if n]
                                + ([f"updated {lp.updated.date().isoformat()}"] if lp.updated else [])
                                + ["showing published versions (what learners see)" if self.view == "published"
                                   else "showing drafts (what authors see)"])
        body = [f"<h1>{escape(lp.title)}</h1>"]
        if lp.description.strip():
            body.append(f'<p class="lead">{escape(lp.description)}</p>')
        body.append(f'<p class="facts">{facts}</p>')
        if self.plan.roots:
            body.append('<section class="part" id="outline"><h2>Outline</h2>'
                        f'<ol class="outline">{"".join(self.outline_item(k, set()) for k in self.plan.roots)}</ol>'
                        "</section>")
        if self.model.collections:
            body.append(self.collections())
        if self.plan.loose:
            items = "".join(self.entity_link_item(k, "") for k in self.plan.loose)
            body.append('<section class="part" id="components"><h2>Components outside any unit</h2>'
                        f'<ul class="loose">{items}</ul></section>')
        if not (self.plan.roots or self.model.collections or self.plan.loose):
            body.append('<p class="note">This package holds no content.</p>')
        self.page("index.html", lp.title, "\n".join(body))

    def entity_link_item(self, key: str, prefix: str) -> str:
        entity = self.plan.entities.get(key)
        if entity is None:
            return f'<li><span class="note">missing: {escape(key)}</span></li>'
        kind = entity.container_type or entity.kind.split(":", 1)[-1]
        label = kind.capitalize() if entity.is_container else label_for(kind)
        href = self.plan.link(key, prefix)
        title = escape(title_of(entity))
        shown = f'<a href="{escape(href, quote=True)}">{title}</a>' if href else title
        badge = f'<span class="badge">{escape(status_of(entity))}</span>' if status_of(entity) else ""
        return f'<li><span class="kind">{escape(label)}</span>{shown}{badge}</li>'

    def outline_item(self, key: str, seen: set[str]) -> str:
        entity = self.plan.entities.get(key)
        if entity is None:
            return f'<li><span class="note">missing: {escape(key)}</span></li>'
        if key in seen or not entity.is_container:
            return ""
        seen = seen | {key}
        title = escape(title_of(entity))
        badge = f'<span class="badge">{escape(status_of(entity))}</span>' if status_of(entity) else ""
        kind = f'<span class="kind">{escape(entity.container_type or "")}</span>'
        if entity.container_type == "unit":
            n = sum(1 for c in children_of(entity) if c in self.plan.entities)
            href = escape(self.plan.link(key, "") or "index.html", quote=True)
            return (f'<li class="unit">{kind}<a href="{href}">{title}</a>{badge} '
                    f'<span class="count">({n} component{"s" * (n != 1)})</span></li>')
        inner = "".join(self.outline_item(c, seen) for c in children_of(entity))
        nested = f"<ol>{inner}</ol>" if inner else ""
        anchor = escape(f"s-{self.plan.slugs(key)}", quote=True)
        return f'<li class="{escape(entity.container_type or "")}" id="{anchor}">{kind}{title}{badge}{nested}</li>'

    def collections(self) -> str:
        parts = ['<section class="part" id="collections"><h2>Collections</h2>']
        for collection in sorted(self.model.collections, key=lambda c: (c.title.lower(), c.key)):
            parts.append(f'<h3 id="collection-{escape(collection.key, quote=True)}">{escape(collection.title)}</h3>')
            if collection.description.strip():
                parts.append(f"<p>{escape(collection.description)}</p>")
            members = "".join(self.entity_link_item(k, "") for k in collection.entities)
            parts.append(f'<ul class="members">{members}</ul>' if members else '<p class="note">No members.</p>')
        parts.append("</section>")
        return "".join(parts)

    def write_unit(self, key: str, index: int) -> None:
        entity = self.plan.entities[key]
        path = f"units/{self.plan.slugs(key)}.html"
        prefix = "../"
        cards = []
        for child in children_of(entity):
            component = self.plan.entities.get(child)
            if component is None:
                cards.append(f'<p class="note">Missing component {escape(child)}.</p>')
            elif not component.is_container:
                cards.append(self.card(component, prefix))
        badge = f'<span class="badge">{escape(status_of(entity))}</span>' if status_of(entity) else ""
        body = [f"<h1>{escape(title_of(entity))}{badge}</h1>"]
        body += cards or ['<p class="note">This unit is empty.</p>']
        body.append(self.pager(index, prefix))
        self.page(path, title_of(entity), "\n".join(body), self.crumbs(key, prefix))

    def pager(self, index: int, prefix: str) -> str:
        links = []
        units = self.plan.units
        if index > 0:
            prev = units[index - 1]
            links.append(f'<a rel="prev" href="{escape(self.plan.link(prev, prefix) or "", quote=True)}">'
                         f"\u2190 {escape(title_of(self.plan.entities[prev]))}</a>")
        else:
            links.append("<span></span>")
        if index + 1 < len(units):
            nxt = units[index + 1]
            links.append(f'<a rel="next" href="{escape(self.plan.link(nxt, prefix) or "", quote=True)}">'
                         f"{escape(title_of(self.plan.entities[nxt]))} \u2192</a>")
        return f'<nav class="pager">{"".join(links)}</nav>'

    def write_loose(self, key: str) -> None:
        entity = self.plan.entities[key]
        path = f"components/{self.plan.slugs(key)}.html"
        crumbs = '<nav class="crumbs"><a href="../index.html">Home</a> \u203a ' \
                 '<a href="../index.html#components">Components outside any unit</a></nav>\n'
        self.page(path, title_of(entity), self.card(entity, "../"), crumbs)

    def write_media(self) -> None:
        """Each shown component's own files, then the package files that some page refers to."""
        for entity in self.model.entities:
            version = entity.current_version
            if entity.is_container or version is None:
                continue
            slug = self.plan.slugs(entity.key)
            for path in sorted(version.media):
                if path == "block.xml":
                    continue
                self._copy(f"media/{slug}/{path}", version.media[path])
        for path in sorted(self.media.wanted_files):
            self._copy(path, self.model.files[path])

    def _copy(self, target: str, media: MediaFile) -> None:
        target = posixpath.normpath(target)
        with self.package.open_media(media) as stream:
            self.sink.write_stream(target, stream, self.package.media_size(media))


def write_site(package: Package, sink: Sink, options: WriteOptions) -> list[Problem]:
    """The `html` format's writer (see the module docstring for the layout)."""
    if not isinstance(sink, TreeSink):
        raise TypeError("the html format is a tree of files")
    view = options.extra.get("html_version", "draft")
    if view not in VIEWS:
        return [error("invalid-value", f"-O html_version must be one of {', '.join(VIEWS)}, not {view!r}",
                      field="html_version")]
    model = published_view(package.model) if view == "published" else package.model
    return SiteWriter(package, sink, model, view).write(options)
