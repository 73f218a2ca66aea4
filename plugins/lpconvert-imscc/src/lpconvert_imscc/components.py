"""One cartridge resource -> the components it becomes (as hub entity data).

| resource type | components |
|---|---|
| `webcontent` HTML page | one html component, linked files attached as static media |
| `webcontent` other file | one html component showing (image) or linking (PDF ...) the file |
| `imswl_*` weblink | one html component with the link |
| `imsdt_*` discussion | an html component with the prompt (when it has one), then a discussion |
| `imsbasiclti_*` | one lti_consumer component (launch URL, title, description, custom parameters) |
| `imsqti_*` assessment | one problem per question (essays and text: html) |
| assignment (CC extension or Canvas) | one html component with its description |

Everything a resource holds that OLX cannot is reported once, by name, against its file.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re
from xml.sax.saxutils import escape, quoteattr
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from lpconvert.plugin import Problem, Source, SourceError, warning

from . import canvas
from .links import page_body, page_title, resolve_links, static_name
from .manifest import MANIFEST, Manifest, Resource
from .olx import discussion_block, file_html, html_block, link_html, lti_block
from .problem import HTML_KINDS, essay_html, problem_olx, why_not
from .qti import Question, items_of, metadata, read_question
from .xml import child, descendants, local, read_xml, text_of

HTML_SUFFIXES = (".html", ".htm", ".xhtml")


@dataclass
class Component:
    """A component before it has its final key: its block type, a wanted code, title, OLX and files."""

    block_type: str
    code: str
    title: str
    olx: str
    files: dict[str, str] = field(default_factory=dict)  # static name -> cartridge path
    file: str = MANIFEST  # where it came from, for problems


def kind_of(res: Resource) -> str:
    """The family of a resource type, whatever its CC version suffix."""
    t = res.type.lower()
    if t == "webcontent":
        return "webcontent"
    for prefix, kind in (("imswl_", "weblink"), ("imsdt_", "discussion"), ("imsbasiclti_", "lti"),
                         ("imsqti_", "assessment"), ("assignment_", "assignment"),
                         ("associatedcontent/", "associated")):
        if t.startswith(prefix):
            return kind
    return "unknown"


class ComponentMaker:
    """Turns resources into components, reading each resource's files once."""

    def __init__(self, source: Source, manifest: Manifest, problems: list[Problem]) -> None:
        self.source = source
        self.manifest = manifest
        self.problems = problems
        self.makers: dict[str, Callable[[Resource, str], list[Component]]] = {
            "webcontent": self.webcontent, "weblink": self.weblink, "discussion": self.discussion,
            "lti": self.lti, "assessment": self.assessment, "assignment": self.assignment,
            "associated": self.associated,
        }

    def make(self, res: Resource, title: str) -> list[Component]:
        maker = self.makers.get(kind_of(res))
        if maker is None:
            self.problems.append(warning("loss", f"resource {res.ident!r} has type {res.type!r}, which lpconvert does "
                                         f"not convert: {title or res.ident!r} is left out", MANIFEST,
                                         "resource[@type]", res.line))
            return []
        return maker(res, title)

    # -- files ------------------------------------------------------------------------------
    def _exists(self, res: Resource, path: str | None) -> bool:
        if path and self.source.exists(path):
            return True
        self.problems.append(warning("missing-file", f"resource {res.ident!r} names {path or 'no file'}, which the "
                                     "cartridge does not have", MANIFEST, "resource/file[@href]", res.line))
        return False

    def _xml(self, res: Resource) -> tuple[str, etree._Element] | None:
        """A resource's own XML file (a weblink, topic, LTI link, assignment): its path and root, or None (reported)."""
        path = res.main_file
        if not self._exists(res, path):
            return None
        assert path is not None
        root = read_xml(self.source, path, self.problems)
        return None if root is None else (path, root)

    def _text(self, path: str) -> str | None:
        try:
            return self.source.read_text(path)
        except SourceError as exc:
            self.problems.append(exc.problem())
            return None

    # -- kinds --------------------------------------------------------------------------------
    def webcontent(self, res: Resource, title: str) -> list[Component]:
        path = res.main_file
        if not self._exists(res, path):
            return []
        assert path is not None
        if not path.lower().endswith(HTML_SUFFIXES):
            name = static_name(path)
            shown = title or posixpath.basename(path)
            kind = (mimetypes.guess_type(path)[0] or "")
            shows = file_html(shown, name, kind.startswith("image/"))
            return [Component("html", res.ident, shown, html_block(shown, shows), {name: path}, path)]
        text = self._text(path)
        if text is None:
            return []
        if len(text.strip()) <= 1:
            self.problems.append(warning("invalid-value", f"page is {len(text.encode())} byte(s) long: the html "
                                         "component shows nothing", path))
        resolved = resolve_links(page_body(text), path, self.source, self.problems)
        shown = title or page_title(text) or posixpath.basename(path)
        return [Component("html", res.ident, shown, html_block(shown, resolved.text), resolved.files, path)]

    def weblink(self, res: Resource, title: str) -> list[Component]:
        found = self._xml(res)
        if found is None:
            return []
        path, root = found
        url_el = child(root, "url")
        url = (url_el.get("href") or "").strip() if url_el is not None else ""
        shown = title or text_of(child(root, "title")) or url
        if not url:
            self.problems.append(warning("missing-field", "the weblink has no URL; it is shown as its title",
                                         path, "url[@href]", url_el.sourceline if url_el is not None else None))
        return [Component("html", res.ident, shown, html_block(shown, link_html(shown, url) if url else ""),
                          {}, path)]

    def discussion(self, res: Resource, title: str) -> list[Component]:
        found = self._xml(res)
        if found is None:
            return []
        path, root = found
        shown = title or text_of(child(root, "title")) or res.ident
        prompt = (child(root, "text").text or "") if child(root, "text") is not None else ""
        prompt += attachment_list(root)
        out = []
        if prompt.strip():
            resolved = resolve_links(prompt, path, self.source, self.problems)
            out.append(Component("html", res.ident + "-prompt", shown, html_block(shown, resolved.text),
                                 resolved.files, path))
        out.append(Component("discussion", res.ident, shown, discussion_block(shown, safe_code(res.ident)), {}, path))
        return out

    def lti(self, res: Resource, title: str) -> list[Component]:
        found = self._xml(res)
        if found is None:
            return []
        path, root = found
        shown = title or text_of(child(root, "title")) or res.ident
        launch = text_of(child(root, "secure_launch_url")) or text_of(child(root, "launch_url"))
        custom_el = child(root, "custom")
        custom = [f"{p.get('name')}={text_of(p)}" for p in descendants(custom_el, "property")
                  if p.get("name")] if custom_el is not None else []
        if not launch:
            self.problems.append(warning("missing-field", "the LTI link has no launch URL; set it in Studio",
                                         path, "launch_url"))
        self.problems.append(warning("loss", f"LTI link {shown!r}: a cartridge carries no consumer key or secret; "
                                     "re-enter them in Studio (LTI passports) before learners launch it", path))
        return [Component("lti_consumer", res.ident, shown,
                          lti_block(shown, text_of(child(root, "description")), launch, custom), {}, path)]

    def assessment(self, res: Resource, title: str) -> list[Component]:
        path = canvas.quiz_file(res, self.manifest, self._count_items)
        if not self._exists(res, path):
            return []
        assert path is not None
        return self.questions(path, title, res.ident)

    def _count_items(self, path: str) -> int | None:
        if not self.source.exists(path):
            return None
        root = read_xml(self.source, path, [])
        return None if root is None else len(items_of(root))

    def questions(self, path: str, quiz_title: str, ident: str) -> list[Component]:
        """Every question of a QTI file (an assessment or a question bank) as components."""
        root = read_xml(self.source, path, self.problems)
        if root is None:
            return []
        top = next((el for el in root if local(el) in ("assessment", "objectbank")), None)
        quiz_title = quiz_title or (top.get("title") if top is not None else "") or \
            (metadata(top).get("bank_title") if top is not None else "") or ident
        out: list[Component] = []
        lost_feedback = 0
        for group in descendants(root, "selection_number"):
            section = next((a for a in group.iterancestors() if local(a) == "section"), None)
            try:
                picks = int(text_of(group))
            except ValueError:
                picks = 0
            if section is not None and 0 < picks < len(items_of(section)):
                self.problems.append(warning("loss", f"question group {section.get('title') or section.get('ident')!r} "
                                             f"in {quiz_title!r} shows {text_of(group)} of its questions at random; "
                                             "every question is kept, in order", path, "section", section.sourceline))
        for item in items_of(root):
            q = read_question(item)
            files = self._resolve_question_links(q, path)
            shown = q.title if q.title and q.title.lower() != "question" else f"{quiz_title}: question {len(out) + 1}"
            if q.kind in HTML_KINDS:
                out.append(Component("html", q.ident, shown, essay_html(q, shown), files, path))
                if q.kind == "essay":
                    self.problems.append(warning("loss", f"essay question {q.title or q.ident!r} is graded by a "
                                                 "person: kept as its prompt in an html component", path, "item",
                                                 q.line))
                continue
            reason = why_not(q)
            if reason is not None:
                self.problems.append(warning("loss", f"question {q.title or q.ident!r} ({q.type_name}) is left out: "
                                             f"{reason}", path, "item", q.line))
                continue
            lost_feedback += q.dropped_feedback
            out.append(Component("problem", q.ident, shown, problem_olx(q, shown), files, path))
        if lost_feedback:
            self.problems.append(warning("loss", f"{lost_feedback} question(s) in {quiz_title!r} lose their "
                                         "'correct'/'incorrect' feedback (OLX keeps per-choice feedback and a "
                                         "solution only)", path))
        if not out:
            self.problems.append(warning("invalid-value", f"quiz {quiz_title!r} has no question lpconvert can "
                                         "convert", path))
        return out

    def _resolve_question_links(self, q: Question, path: str) -> dict[str, str]:
        """Rewrite the links of a question's HTML (prompt, choices, feedback); the files it names."""
        files: dict[str, str] = {}

        def resolved(text: str) -> str:
            if not text:
                return text
            result = resolve_links(text, path, self.source, self.problems)
            files.update(result.files)
            return result.text

        q.prompt = resolved(q.prompt)
        q.solution = resolved(q.solution)
        for choice in q.choices:
            choice.text, choice.feedback = resolved(choice.text), resolved(choice.feedback)
        return files

    def assignment(self, res: Resource, title: str) -> list[Component]:
        found = self._xml(res)
        if found is None:
            return []
        path, root = found
        shown = title or text_of(child(root, "title")) or res.ident
        text_el = child(root, "text")
        text = text_el.text or "" if text_el is not None else ""
        resolved = resolve_links(text, path, self.source, self.problems)
        self.problems.append(warning("loss", f"assignment {shown!r} is kept as its description; its submission "
                                     "settings, points and due date have no place in OLX", path))
        return [Component("html", res.ident, shown, html_block(shown, resolved.text), resolved.files, path)]

    def associated(self, res: Resource, title: str) -> list[Component]:
        """Canvas's own resources: assignments (a page + assignment_settings.xml) and pages like the syllabus."""
        page = canvas.assignment_page(res)
        if page is None:
            return []
        if not self._exists(res, page):
            return []
        text = self._text(page)
        if text is None:
            return []
        resolved = resolve_links(page_body(text), page, self.source, self.problems)
        shown = title or page_title(text) or res.ident
        if canvas.is_assignment(res):
            self.problems.append(warning("loss", f"assignment {shown!r} is kept as its description; its submission "
                                         "settings, points, rubric and due date have no place in OLX", page))
        return [Component("html", res.ident, shown, html_block(shown, resolved.text), resolved.files, page)]


def attachment_list(topic: etree._Element) -> str:
    """A topic's attachments as a list of links under its prompt (resolved like the prompt's own links)."""
    hrefs = [a.get("href") for a in descendants(topic, "attachment") if a.get("href")]
    if not hrefs:
        return ""
    items = "".join(f"<li><a href={quoteattr(h)}>{escape(posixpath.basename(h.rstrip('/')))}</a></li>" for h in hrefs)
    return f"<ul>{items}</ul>"


def component_data(key: str, comp: Component, source: Source) -> dict[str, Any]:
    media: dict[str, Any] = {"block.xml": {"text": comp.olx}}
    for name, path in sorted(comp.files.items()):
        media["static/" + name] = {"resource": path, "size": source.size(path)}
    return {"key": key, "draft_version": 1, "published_version": 1,
            "versions": [{"version_num": 1, "title": comp.title, "media": media}]}


def safe_code(text: str) -> str:
    """A key code from a cartridge identifier, itself a valid identifier (an XML NCName of letters,
    digits and `-_.`, starting with a letter or `_`), so a cartridge written back uses the same one."""
    code = re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip(".")
    if not code:
        return "item"
    return code if code[0].isalpha() or code[0] == "_" else "_" + code

