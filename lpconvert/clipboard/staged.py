"""A clipboard as Studio's StagedContent, and back.

Studio keeps a copied block as a `StagedContent` row: the block's type, display name,
suggested url_name and version, ONE self-contained OLX tree (children inline, never
pointers, html as CDATA) and a flat list of files with their md5. This module builds that
shape from a clipboard and reads it back, so that lpconvert can hand a copy to Studio's
clipboard code or take one from it.

OLX tags for containers follow the course hierarchy: unit -> vertical, subsection ->
sequential, section -> chapter. A component's node is its block.xml with `url_name` set to
the component's code (block.xml in a learning package does not carry it; the key does).

What StagedContent has no field for but a clipboard needs (a component title that differs
from its display_name, a key that is not ``xblock.v1:TAG:URL_NAME``, ``can_stand_alone``
false) is kept in attributes of lpconvert's own namespace, written only when needed and
removed on the way back; Studio's XML parsing ignores attributes in foreign namespaces.
Reading back compares as XML trees, not bytes: a serializer may write ``<survey />`` as
``<survey/>``.
"""

from __future__ import annotations

import copy as _copy
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from ..vocabulary import OLX_TAG, is_xml_name
from ..xmlsafe import XmlError, parse_xml
from .errors import ClipboardError
from .model import Clipboard, ClipboardItem, inline_media, media_data

CONTAINER_OF_TAG: dict[str, str] = {tag: kind for kind, tag in OLX_TAG.items()}
NS = "https://openedx.org/lpconvert/clipboard"
NSMAP = {"lpconvert": NS}
etree.register_namespace("lpconvert", NS)  # so lxml names it lpconvert:, not ns0:
_KEY, _TITLE, _STANDALONE = f"{{{NS}}}key", f"{{{NS}}}title", f"{{{NS}}}can_stand_alone"
_OWN_URL_NAME, _ATTRIBUTES = f"{{{NS}}}url_name", f"{{{NS}}}attributes"
_OURS = (_KEY, _TITLE, _STANDALONE, _OWN_URL_NAME, _ATTRIBUTES)
_URL_NAME_OK = re.compile(r"^[\w\-~.:%]+$")
DEFAULT_NAMESPACE = "xblock.v1"


@dataclass(frozen=True)
class StagedContentFile:
    """One file of a StagedContent (Studio's StagedContentFileData, plus where it sits).

    `source_key` names the component that owns the file. `media_path` is lpconvert's own: the
    file's path in that component's version (``static/NAME`` for Studio's files, which is
    what is assumed when it is None).
    """

    filename: str
    data: bytes | None
    md5_hash: str
    source_key: str
    media_path: str | None = None


@dataclass(frozen=True)
class StagedContent:
    """The fields of Studio's StagedContent that describe the copied content."""

    block_type: str
    display_name: str
    suggested_url_name: str
    version_num: int
    olx: str
    files: tuple[StagedContentFile, ...] = ()
    tags: dict[str, Any] = field(default_factory=dict)
    purpose: str = "clipboard"


# --------------------------------------------------------------------------- clipboard -> staged


def to_staged_content(clipboard: Clipboard) -> StagedContent:
    """The copy as Studio's clipboard row: one self-contained OLX tree and its files."""
    items = {item.key: item for item in clipboard.items}
    root_item = items[clipboard.root]
    tree = _node(root_item, items)
    uses_ns = any(name.startswith(f"{{{NS}}}") for el in tree.iter() for name in el.attrib)
    etree.cleanup_namespaces(tree, top_nsmap=NSMAP if uses_ns else None)
    olx = etree.tostring(tree, encoding="unicode")
    files = []
    for item in clipboard.items:
        for path, media in item.media.items():
            if path == "block.xml":
                continue
            data = media_data(media)
            name = path[len("static/"):] if path.startswith("static/") else path
            files.append(StagedContentFile(filename=name, data=data, md5_hash=hashlib.md5(data).hexdigest(),
                                           source_key=item.key,
                                           media_path=None if path.startswith("static/") else path))
    return StagedContent(
        block_type=tree.tag, display_name=root_item.title, suggested_url_name=_url_name(root_item),
        version_num=root_item.version_num, olx=olx, files=tuple(files),
    )


def _code(item: ClipboardItem) -> str:
    return item.key.split(":", 2)[2] if item.container_type is None else item.key


def _url_name(item: ClipboardItem) -> str:
    code = _code(item)
    if _URL_NAME_OK.match(code):
        return code
    return re.sub(r"[^\w\-~.:%]", "_", code) or "block"


def _node(item: ClipboardItem, items: dict[str, ClipboardItem]) -> etree._Element:
    url_name = _url_name(item)
    if item.container_type is not None:
        el = etree.Element(OLX_TAG[item.container_type])
        el.set("url_name", url_name)
        el.set("display_name", item.title)
        exact = True
        for name, value in item.attributes.items():
            text = value if isinstance(value, str) else json.dumps(value)
            if name not in ("url_name", "display_name") and is_xml_name(name):
                el.set(name, text)
                exact = exact and _attribute_value(text) == value
            else:
                exact = False
        if not exact:  # what plain OLX attributes would not give back as they are
            el.set(_ATTRIBUTES, json.dumps(item.attributes))
        if url_name != item.key:
            el.set(_KEY, item.key)
        for child in item.children or ():
            el.append(_node(items[child], items))
    else:
        try:
            block = parse_xml(media_data(item.media["block.xml"]))
        except XmlError as exc:
            raise ClipboardError(f"{item.key}: block.xml {exc.message}") from None
        attrs = dict(block.attrib)
        block.attrib.clear()
        block.set("url_name", url_name)
        for name, value in attrs.items():
            if name != "url_name":
                block.set(name, value)
        if "url_name" in attrs:  # block.xml's own url_name, which the node's url_name replaces
            block.set(_OWN_URL_NAME, attrs["url_name"])
        if item.attributes:
            block.set(_ATTRIBUTES, json.dumps(item.attributes))
        namespace, block_type, _ = item.key.split(":", 2)
        if namespace != DEFAULT_NAMESPACE or block_type != block.tag or url_name != _code(item):
            block.set(_KEY, item.key)
        if block.get("display_name") != item.title:
            block.set(_TITLE, item.title)
        if block.tag == "html":
            _html_as_cdata(block)
        el = block
    if not item.can_stand_alone:
        el.set(_STANDALONE, "false")
    return el


def _html_as_cdata(el: etree._Element) -> None:
    """Studio's clipboard keeps html content as one CDATA section, whatever block.xml did."""
    inner = (el.text or "") + "".join(etree.tostring(child, encoding="unicode") for child in el)
    for child in list(el):
        el.remove(child)
    if "]]>" in inner:  # cannot be CDATA; escaped text says the same thing
        el.text = inner
    elif inner:
        el.text = etree.CDATA(inner)


# --------------------------------------------------------------------------- staged -> clipboard


def from_staged_content(staged: Any) -> Clipboard:
    """A clipboard from a StagedContent (ours, a dict, or any object with its fields);
    `ClipboardError` saying what is wrong when it does not make a complete clipboard."""
    olx = _field(staged, "olx")
    if isinstance(olx, bytes):
        olx = olx.decode("utf-8", "replace")
    if not isinstance(olx, str) or not olx.strip():
        raise ClipboardError("the StagedContent has no OLX")
    try:
        root = parse_xml(olx)
    except XmlError as exc:
        raise ClipboardError(f"the StagedContent's OLX is refused: {exc.message}") from None
    block_type = _field(staged, "block_type", None)
    if block_type and block_type != root.tag:
        raise ClipboardError(f"the StagedContent says block_type {block_type!r}, but its OLX is <{root.tag}>")
    version_num = _field(staged, "version_num", 0) or 1  # Studio's 0 means "not versioned"
    if isinstance(version_num, bool) or not isinstance(version_num, int) or version_num < 1:
        raise ClipboardError(f"the StagedContent's version_num must be a whole number >= 0, not {version_num!r}")
    files: Sequence[Any] = _field(staged, "files", ()) or ()
    items: dict[str, ClipboardItem] = {}
    order: list[str] = []
    root_key = _read(root, items, order, files, is_root=True,
                     fallback_name=_field(staged, "suggested_url_name", None),
                     fallback_title=_field(staged, "display_name", None), version_num=version_num)
    try:
        return Clipboard(root=root_key, items=[items[k] for k in order])
    except ValueError as exc:
        raise ClipboardError(f"the StagedContent does not make a complete clipboard: {exc}") from None


def _field(obj: Any, name: str, default: Any = ...) -> Any:
    if isinstance(obj, dict):
        value = obj.get(name, default)
    else:
        value = getattr(obj, name, default)
    if value is ...:
        raise ClipboardError(f"not a StagedContent: it has no {name!r}")
    return value


def _read(el: etree._Element, items: dict[str, ClipboardItem], order: list[str], files: Sequence[Any], *,
          is_root: bool, fallback_name: str | None = None, fallback_title: str | None = None,
          version_num: int = 1) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    url_name = el.get("url_name") or (fallback_name if is_root else None) or _generated_name(el)
    standalone = el.get(_STANDALONE) != "false"
    container = CONTAINER_OF_TAG.get(tag)
    if container is not None:
        key = el.get(_KEY) or url_name
    else:
        key = el.get(_KEY) or f"{DEFAULT_NAMESPACE}:{tag}:{url_name}"
    if key in order:  # the same entity twice in the tree (a component in two units): the first wins
        return key
    order.append(key)  # before the children: items list the root first, then depth first
    if container is not None:
        title = el.get("display_name") or (fallback_title if is_root else None) or ""
        attributes = _attributes(el) if el.get(_ATTRIBUTES) is not None else {
            name: _attribute_value(value) for name, value in el.attrib.items()
            if name not in ("url_name", "display_name") and not name.startswith("{")}
        children = [_read(child, items, order, files, is_root=False)
                    for child in el if isinstance(child.tag, str)]
        items[key] = ClipboardItem(key=key, container_type=container,  # type: ignore[arg-type]
                                   can_stand_alone=standalone, version_num=version_num, title=title,
                                   children=children, attributes=attributes)
        return key
    title = el.get(_TITLE)
    if title is None:
        title = el.get("display_name") or (fallback_title if is_root else None) or tag.replace("_", " ").title()
    block = _copy.deepcopy(el)
    own_url_name = block.get(_OWN_URL_NAME)
    for name in ("url_name", *_OURS):
        block.attrib.pop(name, None)
    if own_url_name is not None:
        _set_first(block, "url_name", own_url_name)
    etree.cleanup_namespaces(block)
    text = etree.tostring(block, encoding="unicode", with_tail=False)
    media = {"block.xml": inline_media(text.encode("utf-8"))}
    media.update(_files_for(key, text, files))
    items[key] = ClipboardItem(key=key, can_stand_alone=standalone, version_num=version_num, title=title,
                               media=media, attributes=_attributes(el) if el.get(_ATTRIBUTES) else {})
    return key


def _attributes(el: etree._Element) -> dict[str, Any]:
    try:
        value = json.loads(el.get(_ATTRIBUTES) or "{}")
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ClipboardError(f"<{el.tag} url_name={el.get('url_name')!r}>: lpconvert:attributes is not a JSON object")
    return value


def _set_first(el: etree._Element, name: str, value: str) -> None:
    """Put an attribute back in front, where block.xml usually has url_name."""
    attrs = dict(el.attrib)
    el.attrib.clear()
    el.set(name, value)
    for k, v in attrs.items():
        el.set(k, v)


def _generated_name(el: etree._Element) -> str:
    """A url_name for a node that has none, the way Studio makes one: `{tag}_{sha1[:12]}`."""
    digest = hashlib.sha1(etree.tostring(el)).hexdigest()[:12]
    return f"{el.tag}_{digest}"


def _attribute_value(value: str) -> Any:
    """OLX attribute values: JSON when they parse as JSON, else the string (as Studio reads them)."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def _files_for(key: str, olx: str, files: Sequence[Any]) -> dict[str, Any]:
    """The files of one component.

    A file whose source_key names this component (our key, or a Studio usage key ending in
    its code) is its own; one that names another component is not; one with an asset key
    (or none) belongs to every component whose OLX refers to it as /static/NAME.
    """
    out: dict[str, Any] = {}
    code = key.split(":", 2)[-1]
    for f in files:
        source = str(_field(f, "source_key", "") or "")
        filename = str(_field(f, "filename"))
        if source == key or (re.search(rf"[:@]{re.escape(code)}$", source) and not source.startswith("asset")):
            pass
        elif _names_component(source) or f"/static/{filename}" not in olx:
            continue
        data = _field(f, "data", None)
        if data is None:
            raise ClipboardError(f"file {filename!r} of {key} has no data (Studio keeps only metadata for "
                                 "files over 10 MB); it cannot be pasted")
        md5 = _field(f, "md5_hash", None)
        if md5 and hashlib.md5(bytes(data)).hexdigest() != md5:
            raise ClipboardError(f"file {filename!r} of {key} is damaged: its md5 is not {md5}")
        out[_field(f, "media_path", None) or f"static/{filename}"] = inline_media(bytes(data))
    return out


def _names_component(source: str) -> bool:
    """A usage or entity key (it names a block), as opposed to a course asset key."""
    if source.startswith("asset"):
        return False
    return source.startswith("block-v1:") or source.count(":") >= 2


__all__ = ["StagedContent", "StagedContentFile", "to_staged_content", "from_staged_content", "OLX_TAG"]
