"""Reading a Studio OLX export (course or v1 library) into raw hub data.

The walk follows the pointers from course.xml (or library.xml) down, so every file is read
once and nothing scans the file list per block. What it builds (docs/formats/olx.md):

* chapter -> section, sequential -> subsection, vertical -> unit; each block inside a
  vertical -> component ``xblock.v1:{type}:{url_name}`` whose block.xml is the block's OLX
  with its descendants inline (pointers expanded, html content as CDATA) and whose
  ``static/`` holds the course files that OLX names (assets.py: asset keys resolved through
  ``policies/assets.json`` to the files Studio stores under their display names);
* the main tree is the published version, ``drafts/`` a draft version ahead of it;
* how OLX laid a thing out (inline or in a file, html in a separate .html file, a wrapper
  lpconvert had to add) goes into the ``@olx`` attribute, so the writer can put it back;
* every file the walk did not consume (policies/, about/, info/, tabs/, assets/, static
  files no block names, orphan blocks, tags.csv ...) becomes a package-level file, byte for
  byte.

Bad content never raises: it becomes a `Problem` naming the file (and line) and the walk
goes on, so one run reports everything.
"""

from __future__ import annotations

import json
from typing import Any

from lpconvert.plugin import Origin, RawPackage, ReadOptions, Source, SourceError, error, too_deep, warning

from .locate import OlxLocator
from .policies import NO_POLICY, policy_paths
from .values import OLX_FACTS, decode_attributes, url_name_path
from .walk import COURSE_EXTRA_TAGS, SECTION_TAGS, OlxWalk
from .xmltools import element_text, elements, is_setting

# --------------------------------------------------------------------------- the entry point


def read_olx(source: Source, options: ReadOptions) -> RawPackage:
    """Read an OLX course or v1 library from `source` (directory or unpacked .tar.gz)."""
    reader = OlxWalk(source)
    data: dict[str, Any] = {}
    raw = RawPackage(data=data, problems=reader.problems, resources=source)
    reader.progress = options.progress
    reader.progress.start(sum(1 for path in source.files if path.endswith(".xml")), "reading olx")
    if source.exists("course.xml"):
        _read_course(reader, data)
    elif source.exists("library.xml"):
        _read_library(reader, data)
    else:
        reader.problems.append(error("missing-file", "neither course.xml nor library.xml is at the root: "
                                     "this is not an OLX export, or it was packed from the wrong folder",
                                     "course.xml"))
        return raw
    locator = OlxLocator(source)
    entities = list(reader.entities.values())
    data["entities"] = [e.data() for e in entities]
    for i, ent in enumerate(entities):
        raw.origins[("entities", i)] = Origin(ent.file, locator)
    if reader.root_file:
        raw.origins[("learning_package",)] = Origin(reader.root_file, locator)
        raw.origins[("root",)] = Origin(reader.root_file, locator)
    files: dict[str, Any] = {}
    for path, size in source.files.items():
        if path not in reader.consumed and path not in reader.static_used:
            files[path] = {"resource": path, "size": size}
    data["files"] = files
    reader.progress.finish()
    return raw


def _non_blank(text: str | None) -> str | None:
    return text if text and text.strip() else None


def _course_key(org: str, course: str, run: str) -> str:
    return f"course-v1:{org}+{course}+{run}"


def _read_course(reader: OlxWalk, data: dict[str, Any]) -> None:
    top = reader.parse("course.xml")
    if top is None:
        return
    if top.tag != "course":
        reader.problems.append(error("unknown-tag", f"course.xml: the root is <{top.tag}>, not <course>",
                                     "course.xml", line=top.sourceline))
        return
    facts: dict[str, Any] = {}
    org, number, run = top.get("org"), top.get("course"), top.get("url_name")
    missing = [n for n, v in (("org", org), ("course", number), ("url_name", run)) if not v]
    if missing:
        reader.problems.append(error("missing-field", f"course.xml: <course> has no {', '.join(missing)} "
                                     "(the course key is course-v1:ORG+COURSE+URL_NAME)", "course.xml",
                                     field=missing[0], line=top.sourceline))
        return
    assert org and number and run
    reader.course_key_parts = (org, number, run)
    resolved = reader.resolve(top, "course.xml", False, frozenset({"url_name", "org", "course"}))
    if resolved is None:
        return
    defn, path = resolved
    if path is None:
        facts["inline"] = True
    where = path or "course.xml"
    reader.root_file = where
    skip = ("url_name", "org", "course") if path is None else ()
    attributes = decode_attributes(defn.attrib, skip)
    sections: list[str] = []
    extra: list[list[Any]] = []
    for position, child in enumerate(elements(defn)):
        if child.tag in SECTION_TAGS:
            key = reader.container(child, "section", where, False)
            if key is not None:
                sections.append(key)
            continue
        if child.tag not in COURSE_EXTRA_TAGS:
            reader.problems.append(warning("unknown-tag", f"{where}: <{child.tag}> in <course> is not a chapter; "
                                           "kept as it is", where, line=child.sourceline))
        extra.append([position, element_text(child)])
    if extra:
        facts["elements"] = extra
    if not any(reader.source.exists(p) for p in policy_paths(url_name_path(run))):
        facts[NO_POLICY] = True  # so the writer adds none: the course comes back file for file
    reader.drafts()
    title = _non_blank(defn.get("display_name")) or _policy_title(reader, run) or _course_key(org, number, run)
    if facts:
        attributes[OLX_FACTS] = facts
    data["learning_package"] = {"key": _course_key(org, number, run), "title": title}
    data["root"] = {"kind": "course", "attributes": attributes, "children": sections}


def _policy_title(reader: OlxWalk, run: str) -> str | None:
    """The course's display_name from its policy (policies/RUN/policy.json, or legacy policies/RUN.json)."""
    for path in (f"policies/{url_name_path(run)}/policy.json", f"policies/{url_name_path(run)}.json"):
        if not reader.source.exists(path):
            continue
        limit = reader.source.limits.max_nesting
        try:
            doc = json.loads(reader.source.read_text(path))
        except SourceError as exc:
            reader.problems.append(exc.problem())
            return None
        except RecursionError:
            doc = None  # deeper than Python recurses: reported as too deep below
        except ValueError as exc:
            reader.problems.append(warning("json-syntax", f"{path} is not valid JSON: {exc}", path))
            return None
        if doc is None or too_deep(doc, limit) is not None:
            reader.problems.append(warning("json-too-deep", f"{path} nests deeper than {limit} levels; "
                                           "the course title is not taken from it (the file is kept as it is)",
                                           path))
            return None
        course = doc.get(f"course/{run}") if isinstance(doc, dict) else None
        name = course.get("display_name") if isinstance(course, dict) else None
        return name if isinstance(name, str) and name.strip() else None
    return None


def _read_library(reader: OlxWalk, data: dict[str, Any]) -> None:
    defn = reader.parse("library.xml")
    if defn is None:
        return
    if defn.tag != "library":
        reader.problems.append(error("unknown-tag", f"library.xml: the root is <{defn.tag}>, not <library>",
                                     "library.xml", line=defn.sourceline))
        return
    org, lib = defn.get("org"), defn.get("library")
    if not org or not lib:
        reader.problems.append(error("missing-field", "library.xml: <library> needs org and library "
                                     "(the key is library-v1:ORG+LIBRARY)", "library.xml",
                                     field="org" if not org else "library", line=defn.sourceline))
        return
    children = []
    facts: dict[str, Any] = {}
    for position, child in enumerate(elements(defn)):
        if is_setting(child):
            facts.setdefault("elements", []).append([position, element_text(child)])
            continue
        key = reader.component(child, "library.xml", False)
        if key is not None:
            children.append(key)
    attributes = decode_attributes(defn.attrib)
    if facts:
        attributes[OLX_FACTS] = facts
    reader.root_file = "library.xml"
    title = _non_blank(defn.get("display_name")) or f"library-v1:{org}+{lib}"
    data["learning_package"] = {"key": f"library-v1:{org}+{lib}", "title": title}
    data["root"] = {"kind": "library", "attributes": attributes, "children": children}
