"""Parsing XML from strangers: no DTDs, no entities, no network, bounded depth.

Every XML parse in lpconvert (block.xml checks, the OLX reader, anything a plugin reads)
goes through `parse_xml`, so that XML external entities (file or network reads), entity
expansion bombs ("billion laughs") and absurd nesting are refused in one place, with a
problem code instead of an exception or a hang.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)

DEFAULT_MAX_DEPTH = 256


@dataclass
class XmlError(Exception):
    """Why a document was refused: `code` is a problem code, `line` 1-based when known."""

    code: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return self.message


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, remove_comments=False, strip_cdata=False,
    )


def parse_xml(data: bytes | str, *, max_depth: int = DEFAULT_MAX_DEPTH) -> etree._Element:
    """The root element of a well-formed, DTD-free document, or `XmlError`."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    head = data[:4096]
    if _DOCTYPE.search(head) or _ENTITY.search(data):
        line = data[: (_DOCTYPE.search(data) or _ENTITY.search(data)).start()].count(b"\n") + 1  # type: ignore[union-attr]
        raise XmlError("xml-forbidden", "document type declarations and entities are not accepted", line)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        msg = str(exc.msg if hasattr(exc, "msg") else exc)
        if "depth" in msg.lower() or "nested" in msg.lower():
            raise XmlError("xml-too-deep", f"elements are nested too deeply ({msg})", line) from None
        raise XmlError("xml-syntax", f"not well-formed XML: {msg}", line) from None
    if root is None:
        raise XmlError("xml-syntax", "empty document", 1)
    _check_depth(root, max_depth)
    return root


def _check_depth(root: etree._Element, max_depth: int) -> None:
    depth = 0
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            depth += 1
            if depth > max_depth:
                raise XmlError("xml-too-deep", f"elements are nested more than {max_depth} deep",
                               el.sourceline)
        else:
            depth -= 1
