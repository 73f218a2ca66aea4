"""Names the hub model's content is described in, shared by the core, the clipboard and plugins.

Why a module of its own: these facts (which container holds which, what OLX calls each
container, what may be an XML attribute name) were written out again wherever they were
needed, once with a different rule, and copies drift. Each is defined here once; plugins get
them through `lpconvert.plugin`. Nothing heavy is imported: the OLX plugin's registration,
the clipboard and the consistency check all load this.
"""

from __future__ import annotations

import re

CHILD_TYPE: dict[str, str | None] = {"section": "subsection", "subsection": "unit", "unit": None}
"""What a container's children must be (the hierarchy of `model.CONTAINER_TYPES`); None means components."""

OLX_TAG: dict[str, str] = {"section": "chapter", "subsection": "sequential", "unit": "vertical"}
"""The OLX element of each container type: a section is a course's ``<chapter>``, a subsection a
``<sequential>``, a unit a ``<vertical>``."""

_NAME_START = (
    "A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_NAME_CHAR = _NAME_START + r"\-.0-9\u00b7\u0300-\u036f\u203f-\u2040"
_NCNAME: re.Pattern[str] | None = None
"""Compiled on first use: its Unicode ranges take longer to compile (about 13 ms) than `validate`
spends on a whole small course, and only writers ask."""


def is_xml_name(name: str) -> bool:
    """Whether `name` can be an un-prefixed XML attribute (or element) name.

    The rule is XML 1.0 (fifth edition)'s Name production without the colon (a colon would
    make a namespace prefix). It is the rule lxml and libxml2 apply, so it is exactly what
    Studio's OLX parser reads back: ``données`` is a name, ``a²``, ``1a`` and ``a b`` are not.
    A name that fails is kept some other way (a loss report, the clipboard's JSON attribute),
    never handed to lxml, which would raise.
    """
    global _NCNAME
    if _NCNAME is None:
        _NCNAME = re.compile(f"[{_NAME_START}][{_NAME_CHAR}]*")
    return _NCNAME.fullmatch(name) is not None


__all__ = ["CHILD_TYPE", "OLX_TAG", "is_xml_name"]
