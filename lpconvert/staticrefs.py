"""Every way Open edX content names a course file, found by one function.

The OLX reader (which attaches the files a block names) and the consistency check (which
reports the names no file answers) must agree on what a reference is: when they did not, the
validator called missing what the reader had never looked for. So both call
`static_references`, and this module is the only place that knows the syntaxes:

* ``/static/NAME``: Studio's portable link. ``?query`` and ``#fragment`` are not part of the
  name; the name is percent-decoded (``my%20file.pdf``), and inside quotes or ``url(...)``
  it may hold spaces;
* ``/asset-v1:ORG+COURSE+RUN+type@asset+block@NAME`` and the older
  ``/c4x/ORG/COURSE/asset/NAME``: a link to the asset key NAME itself (a course published
  from Studio writes these where an author pasted an asset's URL);
* all of them inside escaped HTML (``&lt;img src=&quot;/static/a.png&quot;``: an html or
  problem block keeps its markup escaped in an attribute or text), in JSON inside an
  attribute (a drag-and-drop block's ``data``, where ``\\/`` may escape the slash), in
  ``<script src>``, ``<link href>`` and CSS ``url()``;
* a video's fields that name a file in static/ without a link: the ``transcripts`` JSON
  (language -> file) and ``<transcript src=>`` children; and the transcripts Studio derives
  from ``sub`` and the YouTube ids (``subs_{id}.srt.sjson``, ``{lang}_subs_{id}.srt.sjson``
  for other languages), which a course may or may not hold;
* in a static CSS or HTML file itself, also the links relative to that file's folder
  (``url(./ajax-loader.gif)``), so the files a stylesheet pulls in travel with it.

A link with a scheme or host (``https://cdn.example/static/x.png``,
``//host/c4x/...``) points at another server and is not a reference to this package.

Only the finding is here; resolving a name to a file is the format's business (an OLX
export maps asset keys to display names through ``policies/assets.json``).
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

STATIC_REF = re.compile(r"""/(?<![\w.\-/:]/)static/([^"'\s<>()?#\\]+)""")
"""A site-relative /static/ link, the name up to the first character a plain name stops at.

Kept for the callers that only need plain ``/static/NAME`` names (the clipboard's copy of a
block's course files); `static_references` is the full finder. The look-behind skips
`https://cdn.example/static/x`, which points at another server, not at this package."""

_LINK = re.compile(r"/(?<![\w.\-/:%]/)(static/|asset-v1:[^/\s\"'<>()]*?\+type@asset\+block@|c4x/[^/\s\"'<>()]+/"
                   r"[^/\s\"'<>()]+/asset/)")
"""The start of a link into the course's files; the name follows. The look-behind rejects a
'/' that continues a host or a path (``https://cdn/static/``, ``../static/``)."""

_MARKERS = ("static/", "asset-v1:", "c4x/", "static\\/", "c4x\\/")
"""Cheap substring tests: most block.xml files name no file, and then no regex runs at all."""

_STOP_ANY = frozenset("<>\n\r\\?#")
"""Where a name always ends: markup, a line break, an escape, a query or fragment."""

_STOP_BARE = frozenset(" \t\"'()") | _STOP_ANY
"""Where a name ends outside quotes and parentheses: a space ends it too."""

_CLOSING = {'"': frozenset('"') | _STOP_ANY, "'": frozenset("'") | _STOP_ANY, "(": frozenset("\"')") | _STOP_ANY}
"""Inside quotes or url(...), a name runs to the closing character: file names hold spaces."""

_RELATIVE = re.compile(r"""[uUsShH\u017f](?<!\w[uUsShH\u017f])(?:(?<=[uU])[rR][lL]\(\s*["']?"""
                       r"""|(?<=[sS\u017f])[rR][cC]\s*=\s*["']?|(?<=[hH])[rR][eE][fF]\s*=\s*["']?)([^"'()\s<>]+)""")
r"""A url(...), src= or href= value in a static CSS or HTML file (only relative ones are kept),
at a word start, in any case. Spelt without re.IGNORECASE and with a leading character class
(\u017f is the long s, which IGNORECASE folds to s) because then the regex engine skips
straight to the letters that can start a match: four times faster on a course's megabytes of
static HTML than `\b(?:url\(|src=|href=)` under IGNORECASE, which tries every position."""

_NOT_RELATIVE = re.compile(r"^(?:[a-zA-Z][\w+.-]*:|/|#|\{|\$)")
"""A scheme (https:, data:, javascript:), a site path, a fragment or a template: not a file beside this one."""

_TRANSCRIPT_IDS = ("sub", "youtube_id_1_0", "youtube_id_0_75", "youtube_id_1_25", "youtube_id_1_5")
"""Video fields whose value Studio turns into a transcript file name, subs_{value}.srt.sjson."""

_TEMPLATE = re.compile(r"\$\{|\{\{|\{%|^\{|^\$")
"""A name a script or template fills in (``/static/${name}``, ``/static/{{ img }}``): not a file."""

MAX_NAME = 1024
"""Longer "names" are text that happened to follow a link, never a file."""

MAX_UNESCAPE = 3
"""Escaped HTML inside escaped HTML exists; three rounds decode what real content nests."""

SCANNED_SUFFIXES = (".css", ".html", ".htm")
"""Static files whose own links are followed: a stylesheet or page pulls in more course files."""


@dataclass(frozen=True)
class StaticRef:
    """One reference to a course file.

    `name` is the path under static/ the content means (decoded, without query or fragment);
    `raw` the same name as written (before percent-decoding), tried when no file has `name`;
    `link` what the content says, for a message. `required` is False for names lpconvert
    derives (a video's ``subs_*.sjson``) or relative links in a static file: worth attaching
    when the file is there, not worth a warning when it is not.
    """

    name: str
    raw: str
    link: str
    required: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        """The names to look for, decoded first."""
        return (self.name,) if self.raw == self.name else (self.name, self.raw)


def static_references(text: str, root: Any = None, folder: str | None = None) -> list[StaticRef]:
    """Every course file `text` names, each once, in order of first appearance.

    `text` is block.xml, an html block's page, or a static file's content. `root`, the
    parsed block (an lxml element), adds a video's file-naming fields. `folder` says that
    `text` is itself a static CSS or HTML file in static/`folder` (``""`` for static/ itself):
    its relative links are resolved against that folder.
    """
    found: dict[str, StaticRef] = {}
    if any(marker in text for marker in _MARKERS):
        for ref in _links(_decoded(text)):
            found.setdefault(ref.name, ref)
    if root is not None:
        for ref in _video_fields(root):
            found.setdefault(ref.name, ref)
    if folder is not None:
        for ref in _relative_links(text, folder):
            found.setdefault(ref.name, ref)
    return list(found.values())


def _decoded(text: str) -> str:
    """`text` with HTML entities decoded (as often as they nest) and JSON's escaped slashes undone."""
    for _ in range(MAX_UNESCAPE):
        if "&" not in text:
            break
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text.replace("\\/", "/")


def _links(text: str) -> list[StaticRef]:
    out = []
    for match in _LINK.finditer(text):
        start = match.start()
        before = text[start - 1] if start else ""
        stops = _CLOSING.get(before, _STOP_BARE)
        end = match.end()
        limit = min(len(text), end + MAX_NAME)
        while end < limit and text[end] not in stops:
            end += 1
        raw = text[match.end():end].rstrip()
        if stops is _STOP_BARE:
            raw = raw.rstrip(".,;:!")  # prose: "see /static/notes.pdf." ends the sentence, not the name
        if not raw or raw.endswith("/") or end == limit and limit < len(text) or _TEMPLATE.search(raw):
            continue
        prefix = match.group(1)
        link = text[start:match.end()] + raw
        name = unquote(raw)
        if not prefix.startswith("static"):
            name = name.rsplit("/", 1)[-1]  # an asset key names one file, never a folder
        out.append(StaticRef(name, raw, link))
    return out


def _video_fields(root: Any) -> list[StaticRef]:
    """A video's transcript files: named (`transcripts`, `<transcript src>`) or derived (`sub`, YouTube ids)."""
    out: list[StaticRef] = []
    for video in root.iter("video"):
        transcripts = video.get("transcripts")
        if transcripts:
            try:
                value = json.loads(transcripts)
            except (ValueError, RecursionError):
                value = None
            if isinstance(value, dict):
                out += [StaticRef(v, v, f"transcripts[{k!r}] = {v!r}") for k, v in value.items()
                        if isinstance(v, str) and v.strip()]
        for t in video.iter("transcript"):
            src = t.get("src")
            if src and src.strip() and not _NOT_RELATIVE.match(src):
                out.append(StaticRef(src, src, f"<transcript src={src!r}>"))
        languages = sorted({lang for t in video.iter("transcript")
                            if (lang := t.get("language") or t.get("language_code"))})
        for field in _TRANSCRIPT_IDS:
            sub = (video.get(field) or "").strip()
            if not sub:
                continue
            names = [f"subs_{sub}.srt.sjson"] + [f"{lang}_subs_{sub}.srt.sjson" for lang in languages if lang != "en"]
            out += [StaticRef(n, n, f"{field}={sub!r}", required=False) for n in names]
    return out


def _relative_links(text: str, folder: str) -> list[StaticRef]:
    out = []
    for match in _RELATIVE.finditer(text):
        raw = match.group(1).split("?", 1)[0].split("#", 1)[0].strip()
        if not raw or _NOT_RELATIVE.match(raw) or len(raw) > MAX_NAME:
            continue
        name = posixpath.normpath(posixpath.join(folder, unquote(raw)))
        if name.startswith("../") or name in (".", ".."):
            continue  # outside static/: not a course file
        out.append(StaticRef(name, name, raw, required=False))
    return out


def scans_links(name: str) -> bool:
    """Whether a static file's own links are followed (stylesheets and pages, not scripts or images)."""
    return name.lower().endswith(SCANNED_SUFFIXES)


__all__ = ["STATIC_REF", "StaticRef", "static_references", "scans_links", "SCANNED_SUFFIXES"]
