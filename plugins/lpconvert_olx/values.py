"""OLX attribute values and names, both ways.

Studio writes a string field as is and every other value as JSON (``graded="true"``,
``due="null"``, ``user_partitions="[...]"``), and reads them back JSON first, falling back to
the string. lpconvert decodes the same way *with one guard*: a value is only taken as JSON
when writing it back as JSON gives the very same text. ``"1e3"``, ``" 1"`` or ``{"a":1}``
therefore stay strings, so OLX -> hub -> OLX reproduces every attribute byte for byte while
the hub still sees ``graded`` as a boolean and ``user_partitions`` as a list.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from lpconvert.plugin import Limits, too_deep

_MAX_NESTING = Limits.max_nesting
"""An attribute value nested deeper than the JSON and TOML readers accept by default stays its
text: kept as it is, every format can carry it and read it back."""

OLX_FACTS = "@olx"
"""The one reserved key in `attributes` (hub root and versions) for how OLX laid things out.

``@`` cannot start an XML attribute name, so it never collides with a real setting. Its
value is a dict of layout facts (inline or in a file, a generated wrapper, the original
url_name); docs/formats/olx.md lists them. Content never goes there.
"""


def olx_facts(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The ``@olx`` layout facts in `attributes` (empty when there are none, or they are not a table)."""
    value = attributes.get(OLX_FACTS)
    return value if isinstance(value, dict) else {}


FILE_TYPES = frozenset({
    "html", "problem", "video", "discussion", "lti", "annotatable", "word_cloud", "split_test",
    "conditional", "library_content", "poll_question", "customtag", "randomize", "itembank",
    "chapter", "sequential", "vertical",
})
"""Block types Studio exports to a file of their own (its XML-module blocks).

Every other block (the pure XBlocks: poll, survey, drag-and-drop-v2, openassessment ...)
is written inline in its parent, as Studio does, because only some of them can read a
pointer. The ``@olx`` facts record only where an export did otherwise (``inline`` for a
file type written inline, ``in_file`` for another type in a file of its own).
"""


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def decode_value(text: str) -> Any:
    """An attribute's text as the hub holds it: JSON when that round-trips exactly, else the string.

    Python's json reads ``NaN``, ``Infinity`` and ``-Infinity``, which JSON does not have: such
    text stays a string, or ``weight="-Infinity"`` would become a float that the json format
    can only write as null."""
    if not text or text[0] not in '-0123456789tfn[{"':
        return text
    try:
        value = json.loads(text, parse_constant=_not_json)
    except (ValueError, RecursionError):  # nested deeper than Python recurses: a string, kept as it is
        return text
    if isinstance(value, str):
        return text  # '"quoted"' stays the literal text with its quotes
    if isinstance(value, (list, dict)) and too_deep(value, _MAX_NESTING) is not None:
        return text
    return value if encode_value(value) == text else text


def encode_value(value: Any) -> str:
    """The attribute text for a hub value (Studio's rule: strings as is, the rest as JSON)."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def decode_attributes(attrib: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {name: decode_value(text) for name, text in attrib.items() if name not in skip}


def url_name_path(url_name: str) -> str:
    """Studio's file path for a url_name: ``a:b`` lives in ``a/b`` (a subfolder)."""
    return url_name.replace(":", "/")


def block_file(tag: str, url_name: str, drafts: bool = False) -> str:
    return f"{'drafts/' if drafts else ''}{tag}/{url_name_path(url_name)}.xml"


def component_key(tag: str, url_name: str) -> str:
    return f"xblock.v1:{tag}:{url_name}"
