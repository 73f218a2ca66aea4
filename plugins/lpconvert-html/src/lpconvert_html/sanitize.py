"""Making HTML from strangers safe to show: parse it, rebuild it, keep only what cannot run.

An HTML component's content is whatever an author (or an attacker who got a package into
someone's hands) typed. The preview must show it as the author meant it -- headings,
tables, images, links -- without running any of it. Escaping would be safe but useless (the
reader would see tags), so the content is parsed with lxml's HTML parser and everything
that can execute or reach out on its own is removed:

* elements that run code, embed other documents, or change how the whole page behaves
  (`DROP_ELEMENTS`) are removed together with their content, and so are comments (old
  conditional comments could hold markup);
* event-handler attributes (``on*``) and the few other attributes that carry code are
  removed; ``style`` attributes are kept for layout unless they mention one of the old
  CSS code hooks;
* URL attributes keep relative URLs and the harmless schemes; `javascript:`, `vbscript:`,
  `data:` (outside ``<img src>``) and anything unknown are removed.

The pages also carry a Content-Security-Policy that forbids scripts, so a gap here would
still not run. The sanitizer is the first wall, the policy the second.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree
from lxml import html as lxml_html

DROP_ELEMENTS = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "base",
    "meta", "link", "template", "noembed", "noframes", "portal",
    # raw-text elements a browser parses differently from lxml (mutation XSS):
    "noscript", "xmp", "plaintext", "title",
    # SVG animation can set an href to javascript: after the sanitizer has looked:
    "animate", "set", "animatemotion", "animatetransform",
})
"""Removed with everything inside them."""

DROP_ATTRIBUTES = frozenset({"srcdoc", "formaction", "action", "http-equiv", "ping"})

URL_ATTRIBUTES = frozenset({
    "href", "src", "poster", "background", "cite", "longdesc", "usemap", "data", "xlink:href",
    "{http://www.w3.org/1999/xlink}href", "srcset",
})

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
_BAD_STYLE = re.compile(r"expression|javascript:|vbscript:|@import|behavior|-moz-binding", re.IGNORECASE)

UrlRewriter = Callable[[str], str | None]
"""Given a safe URL from the content, the URL to write instead (None: keep it as it is)."""


def safe_url(value: str, attribute: str, tag: str) -> bool:
    """True when a URL cannot run code: relative, or one of the plain schemes.

    Browsers ignore whitespace and control characters inside a scheme (``java\\tscript:``
    runs), so they are removed before the scheme is read.
    """
    compact = _INVISIBLE.sub("", value)
    match = _SCHEME.match(compact)
    if match is None:
        return True
    scheme = match.group(1).lower()
    if scheme in SAFE_SCHEMES:
        return True
    return scheme == "data" and attribute == "src" and tag == "img" and compact[5:].lower().startswith("image/")


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower() if isinstance(name, str) else ""


def clean_tree(root: etree._Element, rewrite: UrlRewriter | None = None) -> None:
    """Sanitize an element tree in place (the root itself is kept)."""
    doomed: list[etree._Element] = []
    for el in root.iter():
        if el is root:
            pass
        elif not isinstance(el.tag, str) or _local(el.tag) in DROP_ELEMENTS:  # comments and processing instructions
            doomed.append(el)
            continue
        tag = _local(el.tag) if isinstance(el.tag, str) else ""
        for name in list(el.attrib):
            lname = name.lower()
            value = el.attrib[name]
            if lname.startswith("on") or lname in DROP_ATTRIBUTES or lname == "style" and _BAD_STYLE.search(value):
                del el.attrib[name]
            elif lname in URL_ATTRIBUTES or lname.endswith(":href"):
                if lname == "srcset":
                    if not all(safe_url(part.strip().split(" ")[0], "src", tag) for part in value.split(",")
                               if part.strip()):
                        del el.attrib[name]
                elif not safe_url(value, lname, tag):
                    del el.attrib[name]
                elif rewrite is not None:
                    new = rewrite(value)
                    if new is not None:
                        el.attrib[name] = new
        if tag == "a" and el.get("target"):
            el.set("rel", "noopener noreferrer")
    for el in doomed:
        _remove_keeping_tail(el)


def _remove_keeping_tail(el: etree._Element) -> None:
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def sanitize_html(text: str, rewrite: UrlRewriter | None = None) -> str:
    """Safe HTML for a fragment of untrusted HTML (empty string for empty input)."""
    if not text.strip():
        return ""
    try:
        wrapper = lxml_html.fragment_fromstring(text, create_parent="div")
    except (etree.ParserError, ValueError):
        from html import escape

        return f"<pre>{escape(text)}</pre>"
    clean_tree(wrapper, rewrite)
    out = [_escape_text(wrapper.text or "")]
    for child in wrapper:
        out.append(lxml_html.tostring(child, encoding="unicode", method="html"))
    return "".join(out)


def _escape_text(text: str) -> str:
    from html import escape

    return escape(text, quote=False)
