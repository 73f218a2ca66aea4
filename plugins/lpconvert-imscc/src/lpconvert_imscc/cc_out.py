"""The small resource files of a cartridge: web pages, weblinks, discussion topics, Basic LTI links.

Every value is escaped: titles, URLs and prompts come from strangers.
"""

from __future__ import annotations

import json
import re
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from lpconvert.plugin import XmlError, parse_xml


WL_NS = "http://www.imsglobal.org/xsd/imsccv1p3/imswl_v1p3"
DT_NS = "http://www.imsglobal.org/xsd/imsccv1p3/imsdt_v1p3"
LTI_NS = ("http://www.imsglobal.org/xsd/imslticc_v1p0", "http://www.imsglobal.org/xsd/imsbasiclti_v1p0",
          "http://www.imsglobal.org/xsd/imslticm_v1p0", "http://www.imsglobal.org/xsd/imslticp_v1p0")

_STATIC_LINK = re.compile(r"""(?P<pre>(?:\b(?:src|href|data|poster)\s*=\s*["']|url\(\s*["']?))"""
                          r"""/static/(?P<rest>[^"')]*)""", re.I)
_LINK_ONLY = re.compile(r'^<p><a href="(?P<url>[^"]*)" target="_blank" rel="noopener">(?P<text>[^<]*)</a></p>$')


def html_content(block: str) -> str | None:
    """What an html component shows: the text of its CDATA, or its children as markup."""
    try:
        root = parse_xml(block)
    except XmlError:
        return None
    if len(root) == 0:
        return root.text or ""
    return (root.text or "") + "".join(etree.tostring(c, encoding="unicode", with_tail=True) for c in root)


def to_filebase(text: str) -> str:
    """`/static/NAME` links -> `$IMS-CC-FILEBASE$/NAME`: files travel in web_resources/, where CC readers look."""
    return _STATIC_LINK.sub(lambda m: m.group("pre") + "$IMS-CC-FILEBASE$/" + m.group("rest"), text)


def weblink_url(content: str) -> tuple[str, str] | None:
    """(url, text) when an html component is nothing but one link that opens beside the course."""
    match = _LINK_ONLY.match(content)
    if match is None:
        return None
    from html import unescape
    return unescape(match.group("url")), unescape(match.group("text"))


def page(title: str, body: str) -> bytes:
    return ("<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"/>\n"
            f"<title>{escape(title)}</title>\n</head>\n<body>{body}</body>\n</html>\n").encode("utf-8")


def weblink(title: str, url: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<webLink xmlns="{WL_NS}"><title>{escape(title)}</title>'
            f'<url href={quoteattr(url)} target="_blank"/></webLink>\n').encode("utf-8")


def topic(title: str, prompt: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<topic xmlns="{DT_NS}"><title>{escape(title)}</title>'
            f'<text texttype="text/html">{escape(prompt)}</text></topic>\n').encode("utf-8")


def basic_lti(block: str, title: str) -> bytes | None:
    try:
        root = parse_xml(block)
    except XmlError:
        return None
    custom = root.get("custom_parameters") or "[]"
    try:
        pairs = [p for p in json.loads(custom) if isinstance(p, str) and "=" in p]
    except (ValueError, RecursionError):
        pairs = []
    properties = "".join(f'<lticm:property name={quoteattr(k)}>{escape(v)}</lticm:property>'
                         for k, v in (p.split("=", 1) for p in pairs))
    cc, blti, lticm, lticp = LTI_NS
    description = root.get("description") or ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<cartridge_basiclti_link xmlns="{cc}" xmlns:blti="{blti}" '
            f'xmlns:lticm="{lticm}" xmlns:lticp="{lticp}"><blti:title>{escape(title)}</blti:title>'
            + (f"<blti:description>{escape(description)}</blti:description>" if description else "")
            + f"<blti:custom>{properties}</blti:custom>"
            f"<blti:launch_url>{escape(root.get('launch_url') or '')}</blti:launch_url>"
            "</cartridge_basiclti_link>\n").encode("utf-8")

