"""Small XML helpers shared by the OLX reader and writer."""

from __future__ import annotations

import re

from lxml import etree


def elements(el: etree._Element) -> list[etree._Element]:
    """Child elements, without comments and processing instructions."""
    return [c for c in el if isinstance(c.tag, str)]


def is_pointer(el: etree._Element, allowed: frozenset[str] = frozenset({"url_name"})) -> bool:
    """Studio's rule: a tag whose only attribute is url_name, with no children and no text."""
    if el.get("url_name") is None or len(el):
        return False  # the cheap tests first: this runs on every element of every file
    return all(name in allowed for name in el.keys()) and not (el.text or "").strip()


def is_setting(el: etree._Element) -> bool:
    """A namespaced child (``<option:field none="true"/>``) is an XBlock field setting, not a block."""
    return str(el.tag).startswith("{")


def element_text(el: etree._Element) -> str:
    tail, el.tail = el.tail, None
    try:
        return etree.tostring(el, encoding="unicode")
    finally:
        el.tail = tail


def set_first(el: etree._Element, name: str, value: str) -> None:
    """Set an attribute as the element's first one (where Studio puts url_name)."""
    rest = [(k, v) for k, v in el.attrib.items() if k != name]
    el.attrib.clear()
    el.set(name, value)
    for k, v in rest:
        el.set(k, v)


def cdata_safe(text: str) -> bool:
    """CDATA cannot hold ']]>' and loses a carriage return; such content is escaped text instead."""
    return "]]>" not in text and "\r" not in text


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> tuple[str, bool]:
    """`value` without the characters XML 1.0 cannot carry at all, and whether any were removed."""
    cleaned = _NOT_XML.sub("", value)
    return cleaned, cleaned != value
