"""Parsing XML from strangers: no DTDs, no entities, no network, bounded depth.

Every XML parse in lpconvert (block.xml checks, the OLX reader, anything a plugin reads)
goes through `parse_xml`, so that XML external entities (file or network reads), entity
expansion bombs ("billion laughs") and absurd nesting are refused in one place, with a
problem code instead of an exception or a hang.

Why look for the DOCTYPE in the prolog rather than anywhere in the text: HTML components
carry whole HTML pages inside CDATA, `<!DOCTYPE html>` included, and those are harmless
text. A document type declaration is only legal before the root element, so the prolog
(XML declaration, comments, processing instructions, whitespace) is scanned, however long
it is. The parser is configured not to resolve entities or load DTDs in any case, and the
parsed tree is checked for a DTD afterwards, so a declaration the scanner could not see
(say, in UTF-16) is still refused and never expanded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from lxml import etree

DEFAULT_MAX_DEPTH = 256
"""libxml2's own limit without XML_PARSE_HUGE is 256 too; both are enforced."""


@dataclass
class XmlError(Exception):
    """Why a document was refused: `code` is a problem code, `line` 1-based when known."""

    code: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        return self.message


_PARSERS = threading.local()


def _parser() -> etree.XMLParser:
    """This thread's one safe parser, made on first use and reused for every document.

    Why reuse: building a parser (and its libxml2 context) for each of the tens of thousands
    of small files in a course export cost a third of the parse time. Its settings never
    change, so a reused parser refuses exactly what a fresh one would. Why per thread: an
    lxml parser must not be used by two threads at once.
    """
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
            huge_tree=False, remove_comments=False, strip_cdata=False,
        )
        _PARSERS.parser = parser
    return parser


def _doctype_offset(data: bytes) -> int | None:
    """Offset of a `<!DOCTYPE` in the prolog, or None. Linear in the prolog's length."""
    pos = 0
    n = len(data)
    if data.startswith(b"\xef\xbb\xbf"):
        pos = 3
    if data[pos:pos + 1] == b"<" and data[pos + 1:pos + 2] not in (b"?", b"!"):
        return None  # the usual case: the root element right away, no prolog to scan
    while pos < n:
        while pos < n and data[pos] in b" \t\r\n":
            pos += 1
        if data.startswith(b"<?", pos):
            end = data.find(b"?>", pos + 2)
            if end < 0:
                return None
            pos = end + 2
        elif data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos + 4)
            if end < 0:
                return None
            pos = end + 3
        elif data[pos:pos + 9].upper() == b"<!DOCTYPE":
            return pos
        else:
            return None
    return None


def parse_xml(data: bytes | str, *, max_depth: int = DEFAULT_MAX_DEPTH) -> etree._Element:
    """The root element of a well-formed, DTD-free document, or `XmlError`."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    offset = _doctype_offset(data)
    if offset is not None:
        raise XmlError("xml-forbidden", "document type declarations (DTDs) and entities are not accepted",
                       data.count(b"\n", 0, offset) + 1)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        msg = " ".join(str(exc.msg if hasattr(exc, "msg") else exc).split())  # libxml2's may span lines
        low = msg.lower()
        if "limit exceeded" in low and "huge" in low:
            # huge_tree stays off: one text or attribute value of more than 10 MB is refused.
            raise XmlError("xml-syntax", "a single text or attribute value is longer than the 10 MB "
                           f"XML parsing accepts ({msg.split(', try')[0]})", line) from None
        if "depth" in low or "nested" in low:
            raise XmlError("xml-too-deep", f"elements are nested too deeply ({msg})", line) from None
        if "entity" in low and ("amplification" in low or "loop" in low or "huge" in low):
            raise XmlError("xml-forbidden", f"entity expansion refused ({msg})", line) from None
        raise XmlError("xml-syntax", f"not well-formed XML: {msg}", line) from None
    except (ValueError, LookupError, etree.LxmlError) as exc:  # bad encoding declarations and the like
        raise XmlError("xml-syntax", f"not well-formed XML: {exc}", None) from None
    if root is None:
        raise XmlError("xml-syntax", "empty document", 1)
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise XmlError("xml-forbidden", "document type declarations (DTDs) and entities are not accepted", 1)
    if max_depth < DEFAULT_MAX_DEPTH:  # deeper than that, libxml2 has already refused it
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
