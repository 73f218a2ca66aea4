"""XML from cartridges: namespace-blind lookups, and the damage real exporters leave behind.

Cartridges come in four manifest namespaces (CC 1.0 to 1.3, Thin CC) and each resource type
has its own, so elements are found by local name. Two kinds of damage are common enough to
repair rather than refuse, each reported: an attribute declared twice, and a namespace URI with a
space in it (LibreTexts writes `xmlns:xsi="http: //www.w3.org/..."`). A byte-order mark is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from lpconvert.plugin import Problem, Source, SourceError, XmlError, error, parse_xml, warning

_VALUE = rb"""(?:"[^"]*"|'[^']*')"""
_DOUBLED_ATTRIBUTE = re.compile(rb"(\s(?P<name>[\w:.-]+)\s*=\s*" + _VALUE + rb")((?:\s+[\w:.-]+\s*=\s*" + _VALUE
                                + rb")*?)\s(?P=name)\s*=\s*" + _VALUE)


def local(el: etree._Element) -> str:
    """An element's name without its namespace ('' for comments and processing instructions)."""
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if local(c) == name]


def child(el: etree._Element | None, name: str) -> etree._Element | None:
    if el is None:
        return None
    for c in el:
        if local(c) == name:
            return c
    return None


def descendants(el: etree._Element, name: str) -> Iterator[etree._Element]:
    for c in el.iter():
        if local(c) == name:
            yield c


def text_of(el: etree._Element | None) -> str:
    return "" if el is None or el.text is None else el.text.strip()


def read_xml(source: Source, path: str, problems: list[Problem]) -> etree._Element | None:
    """Parse one cartridge file, or report why it cannot be read (None)."""
    try:
        data = source.read_bytes(path)
    except SourceError as exc:
        problems.append(exc.problem())
        return None
    return parse_bytes(data, path, problems)


def parse_bytes(data: bytes, path: str, problems: list[Problem]) -> etree._Element | None:
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return parse_xml(data)
    except XmlError as exc:
        first = exc
    undoubled = _undouble_attributes(data)
    repaired = _SPACED_NAMESPACE.sub(lambda m: m.group(1) + re.sub(rb"\s+", b"", m.group(2)) + m.group(3), undoubled)
    if repaired != data:
        try:
            root = parse_xml(repaired)
        except XmlError:
            pass
        else:
            how = ["the second of two same-named attributes dropped"] if undoubled != data else []
            how += ["spaces removed from a namespace URI"] if repaired != undoubled else []
            problems.append(warning("xml-syntax", f"{first.message}; read with {' and '.join(how)}", path,
                                    line=first.line))
            return root
    problems.append(error(first.code, first.message, path, line=first.line))
    return None


_SPACED_NAMESPACE = re.compile(rb"""(\sxmlns(?::[\w.-]+)?\s*=\s*")([^"]*\s[^"]*)(")""")


def _undouble_attributes(data: bytes) -> bytes:
    """Drop the second of two same-named attributes inside one tag (as browsers do)."""
    previous = None
    while previous != data:
        previous = data
        data = _DOUBLED_ATTRIBUTE.sub(lambda m: m.group(1) + m.group(3), data, count=1)
    return data
