"""One component as a card: rendered HTML, a readable problem, or a labelled summary.

Only three kinds have a body people can read without the LMS (html, problem, video); every
other block type (discussions, open response assessments, LTI tools, drag and drop ...)
becomes a card that says what it is and that it has no static preview, so the unit page
still shows where it sits. A block whose OLX does not parse becomes a card saying so: the
preview must show the rest of the unit, not stop.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from lxml import etree

from lpconvert.plugin import XmlError, parse_xml

from .problem import render_problem
from .sanitize import UrlRewriter, sanitize_html

LABELS = {
    "html": "Text", "problem": "Problem", "video": "Video", "discussion": "Discussion",
    "openassessment": "Open response assessment", "drag-and-drop-v2": "Drag and drop",
    "lti_consumer": "LTI tool", "lti": "LTI tool", "poll": "Poll", "survey": "Survey",
    "word_cloud": "Word cloud", "library_content": "Library content", "itembank": "Problem bank",
    "split_test": "Content experiment", "conditional": "Conditional", "annotatable": "Annotation",
    "pdf": "PDF", "google-document": "Google document", "done": "Completion checkbox",
}

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")


@dataclass(frozen=True)
class Component:
    """What a card needs to know about one component, in its shown (current) version."""

    key: str
    block_type: str
    title: str
    block_xml: bytes | None
    status: str = ""


def label_for(block_type: str) -> str:
    return LABELS.get(block_type, block_type.replace("_", " ").replace("-", " ").capitalize())


def render_card(component: Component, rewrite: UrlRewriter,
                read_file: Callable[[str], bytes | None], anchor: str) -> str:
    """The ``<article>`` for one component, every piece of it escaped or sanitized."""
    label = label_for(component.block_type)
    body = _body(component, rewrite, read_file)
    status = f' <span class="badge">{escape(component.status)}</span>' if component.status else ""
    title = escape(component.title or component.key)
    return (f'<article class="card kind-{escape(_css_name(component.block_type))}" id="{escape(anchor)}">'
            f'<header><span class="kind">{escape(label)}</span>{status}<h2>{title}</h2></header>'
            f'<div class="body">{body}</div></article>')


def _css_name(block_type: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", block_type.lower())


def _body(component: Component, rewrite: UrlRewriter, read_file: Callable[[str], bytes | None]) -> str:
    if component.block_xml is None:
        return '<p class="note">This component has no block.xml to show.</p>'
    try:
        root = parse_xml(component.block_xml)
    except XmlError as exc:
        return f'<p class="note">This component\'s OLX could not be read: {escape(str(exc))}.</p>'
    kind = component.block_type
    if kind == "html":
        return sanitize_html(_html_content(root, read_file), rewrite) or '<p class="note">(empty)</p>'
    if kind == "problem":
        return sanitize_html(render_problem(root), rewrite) or '<p class="note">(empty problem)</p>'
    if kind == "video":
        return _video(root)
    return (f'<p class="note">A {escape(label_for(kind))} component ({escape(kind)}) has no static preview; '
            f"it works in the LMS.</p>")


def _html_content(root: etree._Element, read_file: Callable[[str], bytes | None]) -> str:
    """An html block's content: inline (CDATA or child elements) or in the file it names."""
    inline = (root.text or "") + "".join(
        etree.tostring(child, encoding="unicode", with_tail=True) for child in root)
    if inline.strip():
        return inline
    filename = root.get("filename")
    if filename:
        for candidate in (f"{filename}.html", f"html/{filename}.html", filename):
            data = read_file(candidate)
            if data is not None:
                return data.decode("utf-8", errors="replace")
    return ""


def _video(root: etree._Element) -> str:
    links: list[str] = []
    youtube = root.get("youtube_id_1_0", "")
    if not youtube and root.get("youtube"):
        for pair in root.get("youtube", "").split(","):
            speed, _, vid = pair.partition(":")
            if speed.strip() in ("1.0", "1.00", "1"):
                youtube = vid.strip()
    if youtube and _YOUTUBE_ID.match(youtube):
        links.append(f'<a href="https://www.youtube.com/watch?v={escape(youtube)}">Watch on YouTube</a>')
    sources = [s.get("src", "") for s in root if isinstance(s.tag, str) and s.tag == "source"]
    try:
        sources += [s for s in json.loads(root.get("html5_sources", "[]")) if isinstance(s, str)]
    except (ValueError, TypeError):
        pass
    for src in dict.fromkeys(sources):
        if src.lower().startswith(("http://", "https://")):
            name = src.rstrip("/").rsplit("/", 1)[-1] or src
            links.append(f'<a href="{escape(src, quote=True)}">{escape(name)}</a>')
    edx_id = root.get("edx_video_id", "")
    facts = f'<p class="note">Video id {escape(edx_id)}</p>' if edx_id else ""
    if not links:
        return facts + '<p class="note">A video with no public source to link to.</p>'
    return facts + '<p class="links">' + " \u00b7 ".join(links) + "</p>"
