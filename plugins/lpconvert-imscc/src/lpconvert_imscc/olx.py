"""The OLX of the components a cartridge becomes: html, discussion, lti_consumer and problem.

Built as text with every value escaped (titles and URLs come from strangers), so that the
same cartridge always gives the same bytes.
"""

from __future__ import annotations

import json
import re
from xml.sax.saxutils import escape, quoteattr


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 cannot hold at all (control characters a browser ignores anyway)."""


def cdata(text: str) -> str:
    """Text inside CDATA; a ']]>' in it is split across two sections so it cannot end the block early."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def html_block(title: str, content: str) -> str:
    """An html component. Line ends become LF, as every XML parser makes them: the block then reads
    the same wherever it is parsed, and a page written back to a cartridge comes back unchanged."""
    content = _NOT_XML.sub("", content.replace("\r\n", "\n").replace("\r", "\n"))
    return f"<html display_name={quoteattr(title)}>{cdata(content)}</html>"


def link_html(title: str, url: str) -> str:
    """What a weblink shows: its title as a link that opens beside the course."""
    return f'<p><a href={quoteattr(url)} target="_blank" rel="noopener">{escape(title or url)}</a></p>'


def file_html(title: str, static_name: str, is_image: bool) -> str:
    from .links import static_url
    url = static_url(static_name)
    if is_image:
        return f"<p><img src={quoteattr(url)} alt={quoteattr(title)}/></p>"
    return f"<p><a href={quoteattr(url)}>{escape(title or static_name)}</a></p>"


def discussion_block(title: str, ident: str) -> str:
    return (f"<discussion display_name={quoteattr(title)} discussion_category={quoteattr(title)} "
            f"discussion_target={quoteattr(title)} discussion_id={quoteattr(ident)}/>")


def lti_block(title: str, description: str, launch_url: str, custom: list[str]) -> str:
    attrs = [f"display_name={quoteattr(title)}", 'lti_version="lti_1p1"', f"launch_url={quoteattr(launch_url)}"]
    if description:
        attrs.append(f"description={quoteattr(description)}")
    if custom:
        attrs.append(f"custom_parameters={quoteattr(json.dumps(custom))}")
    return "<lti_consumer " + " ".join(attrs) + "/>"
