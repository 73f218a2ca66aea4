"""Writing a Common Cartridge 1.3 from any package.

The course outline becomes the one rooted-hierarchy organization (section, subsection and
unit items, each unit's components as its leaf items); html components become web pages
(`webcontent`, their files in `web_resources/`, linked through `$IMS-CC-FILEBASE$`), a page
that is only a link a weblink, discussions `imsdt` topics (with the prompt of the html
component before them, which is how the reader delivers one), LTI components Basic LTI links,
and each run of problems in a unit one QTI 1.2 assessment. Components the package holds
outside every unit are resources no item shows. Everything else is a named loss.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import IO
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from lpconvert.plugin import Entity, MediaFile, Package, Problem, Sink, WriteOptions, warning

from . import capa, cc_out, qti_out
from .manifest import MANIFEST
from .naming import unique
from .qti import Question

NS = "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"
LOM_NS = "http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = (f"{NS} http://www.imsglobal.org/profile/cc/ccv1p3/ccv1p3_imscp_v1p2_v1p0.xsd "
                   f"{LOM_NS} http://www.imsglobal.org/profile/cc/ccv1p3/LOM/ccv1p3_lommanifest_v1p0.xsd")
TYPES = {"webcontent": "webcontent", "weblink": "imswl_xmlv1p3", "discussion": "imsdt_xmlv1p3",
         "lti": "imsbasiclti_xmlv1p0", "assessment": "imsqti_xmlv1p2/imscc_xmlv1p3/assessment"}
"""The CC 1.3 resource types lpconvert writes."""


def ncname(text: str) -> str:
    """An XML identifier (NCName) from a key: what CC requires of every identifier."""
    code = re.sub(r"[^A-Za-z0-9_.-]+", "_", text.split(":")[-1]).strip(".") or "id"
    return code if code[0].isalpha() or code[0] == "_" else "_" + code


class _Writer:
    def __init__(self, package: Package) -> None:
        self.package = package
        self.entities = package.model.entity_map()
        self.files: dict[str, bytes | MediaFile] = {}
        self.resources: list[str] = []
        self.ids: set[str] = set()
        self.statics: dict[str, MediaFile] = {}
        self.problems: list[Problem] = []
        self.lost_types: Counter[str] = Counter()
        self.lost_examples: dict[str, str] = {}
        self.written: set[str] = set()

    def ident(self, wanted: str) -> str:
        return unique(ncname(wanted), self.ids)

    # -- resources ---------------------------------------------------------------------------
    def resource(self, ident: str, kind: str, main: str, data: bytes, extra: list[str] = ()) -> None:
        self.files[main] = data
        href = f" href={quoteattr(quote(main))}" if kind == "webcontent" else ""
        files = "".join(f"<file href={quoteattr(quote(p))}/>" for p in [main, *extra])
        self.resources.append(f"<resource identifier={quoteattr(ident)} type={quoteattr(TYPES[kind])}{href}>"
                              f"{files}</resource>")

    def static_files(self, ent: Entity) -> list[str]:
        """Put a component's files in web_resources/; the paths, for its resource's <file> list."""
        out = []
        for path, media in sorted(ent.current_version.media.items()):
            if not path.startswith("static/"):
                continue
            name = path[len("static/"):]
            target = "web_resources/" + name
            known = self.statics.get(name)
            if known is not None and self.package.read_media(known) != self.package.read_media(media):
                self.problems.append(warning("loss", f"{ent.key} carries a different file named {name} than another "
                                             "component; a cartridge has one web_resources/ folder, so the first is "
                                             "kept", target))
            elif known is None:
                self.statics[name] = media
                self.files[target] = media
            out.append(target)
        return out

    def lose(self, ent: Entity, why: str | None = None) -> None:
        if why is not None:
            self.problems.append(warning("loss", f"{ent.kind.split(':')[-1]} {ent.current_version.title!r} ({ent.key}) "
                                         f"is left out: {why}", MANIFEST))
            return
        kind = ent.kind
        self.lost_types[kind] += 1
        self.lost_examples.setdefault(kind, f"{ent.current_version.title!r} ({ent.key})")

    # -- components ----------------------------------------------------------------------------
    def block(self, ent: Entity) -> str:
        """A component's block.xml as text, wherever its bytes are (inline, in a zip, in a database)."""
        media = ent.current_version.media.get("block.xml") if ent.current_version else None
        return "" if media is None else self.package.read_media(media).decode("utf-8", "replace")

    def html(self, ent: Entity, prompt_for: Entity | None = None) -> tuple[str, str] | None:
        version = ent.current_version
        content = cc_out.html_content(self.block(ent))
        if content is None:
            self.lose(ent, "its block.xml does not parse")
            return None
        ident = self.ident(ent.key)
        link = cc_out.weblink_url(content) if not any(p.startswith("static/") for p in version.media) else None
        if link is not None and link[1] == version.title:
            self.resource(ident, "weblink", f"weblinks/{ident}.xml", cc_out.weblink(version.title, link[0]))
        else:
            statics = self.static_files(ent)
            self.resource(ident, "webcontent", f"pages/{ident}.html",
                          cc_out.page(version.title, cc_out.to_filebase(content)), statics)
        return ident, version.title

    def discussion(self, ent: Entity, prompt: Entity | None) -> tuple[str, str]:
        ident = self.ident(ent.key)
        text, statics = "", []
        if prompt is not None:
            text = cc_out.to_filebase(cc_out.html_content(self.block(prompt)) or "")
            statics = self.static_files(prompt)
        self.resource(ident, "discussion", f"discussions/{ident}.xml", cc_out.topic(ent.current_version.title, text),
                      statics)
        return ident, ent.current_version.title

    def lti(self, ent: Entity) -> tuple[str, str] | None:
        data = cc_out.basic_lti(self.block(ent), ent.current_version.title)
        if data is None:
            self.lose(ent, "its block.xml does not parse")
            return None
        ident = self.ident(ent.key)
        self.resource(ident, "lti", f"lti/{ident}.xml", data)
        return ident, ent.current_version.title

    def quiz(self, problems: list[tuple[Entity, Question]], title: str) -> tuple[str, str]:
        ident = self.ident(problems[0][0].key + "_quiz")
        statics = sorted({p for ent, _ in problems for p in self.static_files(ent)})
        questions = []
        for _, q in problems:
            q.prompt, q.solution = cc_out.to_filebase(q.prompt), cc_out.to_filebase(q.solution)
            for c in q.choices:
                c.text, c.feedback = cc_out.to_filebase(c.text), cc_out.to_filebase(c.feedback)
            questions.append(q)
        self.resource(ident, "assessment", f"{ident}/assessment_qti.xml", qti_out.assessment(ident, title, questions),
                      statics)
        return ident, title

    def question(self, ent: Entity) -> Question | None:
        version = ent.current_version
        text = self.block(ent)
        weight = re.search(r'\bweight="([^"]*)"', text[:2000])
        q, why = capa.question_of(text, ncname(ent.key), version.title, weight.group(1) if weight else None)
        if q is None:
            self.lose(ent, why)
        return q

    def components(self, keys: list[str], title: str) -> list[tuple[str, str]]:
        """Resources for a list of components (a unit's children); (identifier, title) of each, for its item."""
        out: list[tuple[str, str]] = []
        run: list[tuple[Entity, Question]] = []

        def flush() -> None:
            if run:
                out.append(self.quiz(list(run), title))
                run.clear()

        ents = [self.entities[k] for k in keys if k in self.entities]
        skip: set[str] = set()
        for i, ent in enumerate(ents):
            self.written.add(ent.key)
            if ent.key in skip or ent.current_version is None:
                continue
            kind = ent.kind.split(":")[-1]
            if kind == "problem":
                q = self.question(ent)
                if q is not None:
                    run.append((ent, q))
                continue
            flush()
            nxt = ents[i + 1] if i + 1 < len(ents) else None
            if kind == "html" and nxt is not None and self.is_prompt(ent, nxt):
                skip.add(nxt.key)
                out.append(self.discussion(nxt, ent))
                self.written.add(nxt.key)
                continue
            made = (self.html(ent) if kind == "html" else self.discussion(ent, None) if kind == "discussion"
                    else self.lti(ent) if kind == "lti_consumer" else None)
            if kind not in ("html", "discussion", "lti_consumer"):
                self.lose(ent)
            if made is not None:
                out.append(made)
        flush()
        return out

    @staticmethod
    def is_prompt(html: Entity, discussion: Entity) -> bool:
        """The html component the reader puts before a discussion to carry its prompt."""
        if html.current_version is None or discussion.current_version is None:
            return False
        return (discussion.kind == "xblock.v1:discussion" and html.key == discussion.key + "-prompt"
                and html.current_version.title == discussion.current_version.title)

    # -- the outline ----------------------------------------------------------------------------
    def container(self, key: str) -> str:
        ent = self.entities[key]
        self.written.add(key)
        version = ent.current_version
        title = version.title if version else key
        ident = self.ident(key)
        children = list(version.children or []) if version else []
        if ent.container_type == "unit":
            leaves = self.components(children, title)
            inner = "".join(f"<item identifier={quoteattr(self.ident(rid + '_item'))} identifierref={quoteattr(rid)}>"
                            f"<title>{escape(t)}</title></item>" for rid, t in leaves)
        else:
            inner = "".join(self.container(c) for c in children
                            if c in self.entities and self.entities[c].container_type is not None)
            loose = [c for c in children if c in self.entities and self.entities[c].container_type is None]
            if loose:  # components straight under a section or subsection: a unit named after it
                leaves = self.components(loose, title)
                inner += "".join(f"<item identifier={quoteattr(self.ident(rid + '_item'))} "
                                 f"identifierref={quoteattr(rid)}><title>{escape(t)}</title></item>"
                                 for rid, t in leaves)
        return f"<item identifier={quoteattr(ident)}><title>{escape(title)}</title>{inner}</item>"

    def course_files(self) -> None:
        """The package's own static files (a course's files no component names): webcontent no item shows."""
        for path, media in sorted(self.package.model.files.items()):
            name = path[len("static/"):] if path.startswith("static/") else None
            if not name or name in self.statics:
                continue
            self.statics[name] = media
            target = "web_resources/" + name
            self.files[target] = media
            self.resources.append(f"<resource identifier={quoteattr(self.ident('file_' + name))} type=\"webcontent\" "
                                  f"href={quoteattr(quote(target))}><file href={quoteattr(quote(target))}/></resource>")

    def report(self) -> None:
        for kind, n in sorted(self.lost_types.items()):
            self.problems.append(warning("loss", f"{n} {kind} component(s) have no Common Cartridge form and are "
                                         f"left out, e.g. {self.lost_examples[kind]}", MANIFEST))


def _tops(package: Package) -> list[str]:
    model = package.model
    if model.root is not None:
        return [k for k in model.root.children if k in model.entity_map()
                and model.entity_map()[k].container_type is not None]
    listed = {c for e in model.entities for v in e.versions for c in (v.children or [])}
    return [e.key for e in model.entities if e.container_type is not None and e.key not in listed]


def manifest_xml(package: Package, items: str, resources: list[str]) -> bytes:
    lp = package.model.learning_package
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<manifest identifier={quoteattr(ncname(lp.key))} '
            f'xmlns="{NS}" xmlns:lomimscc="{LOM_NS}" xmlns:xsi="{XSI}" xsi:schemaLocation="{SCHEMA_LOCATION}">\n'
            "<metadata><schema>IMS Common Cartridge</schema><schemaversion>1.3.0</schemaversion>"
            f"<lomimscc:lom><lomimscc:general><lomimscc:title><lomimscc:string>{escape(lp.title)}</lomimscc:string>"
            "</lomimscc:title>" + (f"<lomimscc:description><lomimscc:string>{escape(lp.description)}"
                                   "</lomimscc:string></lomimscc:description>" if lp.description else "")
            + "</lomimscc:general></lomimscc:lom></metadata>\n"
            '<organizations><organization identifier="org_1" structure="rooted-hierarchy">'
            f'<item identifier="LearningModules">{items}</item></organization></organizations>\n'
            "<resources>\n" + "\n".join(resources) + "\n</resources>\n</manifest>\n").encode("utf-8")


def write_cartridge(package: Package, sink: Sink, options: WriteOptions) -> list[Problem]:
    writer = _Writer(package)
    writer.ids.update({"org_1", "LearningModules"})
    items = "".join(writer.container(k) for k in _tops(package))
    loose = [e.key for e in package.model.entities if e.container_type is None and e.key not in writer.written]
    writer.components(loose, package.model.learning_package.title)
    writer.course_files()
    writer.report()
    writer.files[MANIFEST] = manifest_xml(package, items, writer.resources)
    progress = options.progress
    progress.start(len(writer.files), "writing imscc")
    for path in sorted(writer.files):
        data = writer.files[path]
        if isinstance(data, bytes):
            sink.write_bytes(path, data)  # type: ignore[attr-defined]
        else:
            stream: IO[bytes] = package.open_media(data)
            with stream:
                sink.write_stream(path, stream, package.media_size(data))  # type: ignore[attr-defined]
        progress.advance()
    progress.finish()
    return writer.problems
