"""Studio's course files: from the name a block's content uses to the file in static/.

Studio exports an uploaded file under its *display name* (``static/Brain green.png``) while
content links its *asset key* (``/static/Brain_green.png``); ``policies/assets.json`` maps
one to the other (``"Brain_green.png": {"displayname": "Brain green.png", "import_path":
..., "contentType": ..., "locked": ...}``), and ``import_path`` keeps the sub-folder the file
was imported from. A name resolves, in order, through:

1. assets.json: the entry under the name itself or under the key Studio makes of it
   (`studio_asset_key`), giving ``static/{folder of import_path}/{displayname}``;
2. static/ by exact name (as written, or percent-decoded);
3. the key Studio would compute for every file in static/ (``Brain green.png`` has the key
   ``Brain_green.png``): what Studio itself does on import when assets.json has no entry.

The reader attaches the file under the name the content uses and records where it came from
(`@olx.static`), so the writer puts it back where Studio keeps it. assets.json itself stays
a package file, byte for byte: the asset metadata (content type, locked, thumbnail) lives in
the hub there (docs/formats/olx.md).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from lpconvert.plugin import (
    Limits,
    Package,
    Problem,
    Source,
    SourceError,
    StaticRef,
    scans_links,
    static_references,
    too_deep,
    warning,
)

ASSETS_JSON = "policies/assets.json"
_KEY_INVALID = re.compile(r"[^\w.%-]")
"""Characters an asset key cannot hold; Studio replaces each by '_' (and '/' too)."""


def studio_asset_key(path: str) -> str:
    """The asset key Studio gives the file at static/`path`, and looks up for a link /static/`path`."""
    return _KEY_INVALID.sub("_", path.replace("/", "_"))


def policy_file(policy: Mapping[str, Any], name: str) -> str | None:
    """The file Studio's export holds for `name` by its assets.json entry (under the name or its
    key): ``static/{folder of import_path}/{displayname}``; None when no entry says."""
    entry = policy.get(name)
    if not isinstance(entry, dict):
        entry = policy.get(studio_asset_key(name))
    if not isinstance(entry, dict):
        return None
    display = entry.get("displayname")
    if not isinstance(display, str) or not display.strip("/\\. "):
        return None
    display = display.replace("/", "_").replace("\\", "_")  # how Studio's export names the file
    import_path = entry.get("import_path")
    folder = posixpath.dirname(import_path.strip("/")) if isinstance(import_path, str) else ""
    if any(part in (".", "..") for part in folder.split("/")):
        folder = ""  # never outside static/
    return posixpath.join("static", folder, display)


def safe_static(path: str) -> bool:
    """A path that stays inside static/: an ``@olx`` fact or assets.json of a hand-edited hub may not."""
    return path.startswith("static/") and "\\" not in path and all(
        part not in ("", ".", "..") for part in path.split("/"))


def studio_path(path: str, facts: Mapping[str, Any], policy: Mapping[str, Any]) -> str:
    """Where Studio keeps a component's static/NAME: where the reader found it (``@olx.static``),
    else the display name its assets.json entry gives, else static/NAME itself.

    The writer puts files there and the `static-conflicts` loss detector compares files there,
    so both must ask this one function."""
    name = path[len("static/"):]
    moved = facts.get("static")
    found = moved.get(name) if isinstance(moved, dict) else None
    for candidate in (f"static/{found}" if isinstance(found, str) else None,
                      policy_file(policy, name) if policy else None):
        if candidate is not None and safe_static(candidate):
            return candidate
    return path


def package_policy(package: Package) -> dict[str, Any]:
    """A package's policies/assets.json entries, if it has one that reads; else none.

    A package file that does not read is kept byte for byte all the same: names stay as they are."""
    media = package.model.files.get(ASSETS_JSON)
    if media is None:
        return {}
    try:
        return read_policy(package.read_media(media))
    except (ValueError, OSError, SourceError):
        return {}


class PolicyTooDeep(ValueError):
    """assets.json nests deeper than lpconvert reads JSON (`Limits.max_nesting`)."""


def read_policy(data: bytes, max_nesting: int = Limits.max_nesting) -> dict[str, Any]:
    """assets.json's entries (raises ValueError when it is not a JSON object, `PolicyTooDeep`
    when it nests deeper than `max_nesting`)."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except RecursionError:
        raise PolicyTooDeep("it nests deeper than JSON is read") from None
    if too_deep(doc, max_nesting) is not None:
        raise PolicyTooDeep(f"it nests deeper than {max_nesting} levels")
    if not isinstance(doc, dict):
        raise ValueError("it is not a JSON object")
    return doc


class CourseFiles:
    """One export's static/ folder and assets.json: which file a name means, and what a file links to."""

    def __init__(self, source: Source, problems: list[Problem]) -> None:
        self.source = source
        self.files: Mapping[str, int] = source.files
        self.policy = self._read_policy(problems)
        self._by_key: dict[str, str] | None = None
        self._links: dict[tuple[str, str], list[StaticRef]] = {}

    def _read_policy(self, problems: list[Problem]) -> dict[str, Any]:
        """assets.json's entries; one that cannot be read is reported and the static/ names still work."""
        if ASSETS_JSON not in self.files:
            return {}
        try:
            limits = self.source.limits
            return read_policy(self.source.read_bytes(ASSETS_JSON, limits.max_text_bytes), limits.max_nesting)
        except SourceError as exc:
            problems.append(exc.problem())
        except ValueError as exc:
            code = "json-too-deep" if isinstance(exc, PolicyTooDeep) else "json-syntax"
            problems.append(warning(code, f"{ASSETS_JSON} cannot be read as asset metadata ({exc}); "
                                    "course files are found by their names in static/ only", ASSETS_JSON))
        return {}

    def locate(self, ref: StaticRef) -> str | None:
        """The file in static/ that `ref` names, or None."""
        for name in ref.names:
            path = self._by_policy(name) or self._existing(f"static/{name}")
            if path:
                return path
        return self.by_key().get(studio_asset_key(ref.name))

    def _existing(self, path: str) -> str | None:
        return path if path in self.files else None

    def _by_policy(self, name: str) -> str | None:
        path = policy_file(self.policy, name)
        if path is None:
            return None
        return self._existing(path) or self._existing(f"static/{posixpath.basename(path)}")

    def place(self, name: str, path: str) -> str | None:
        """Where the file of `name` was, when the writer could not tell from `name` and assets.json
        (what ``@olx.static`` records); None when it can."""
        derived = policy_file(self.policy, name) or f"static/{name}"  # what the writer does without a fact
        return None if path == derived else path[len("static/"):]

    def by_key(self) -> dict[str, str]:
        """Asset key -> file, for every file in static/ (built once, when a name is not found otherwise)."""
        if self._by_key is None:
            self._by_key = {}
            for path in sorted(self.files):
                if path.startswith("static/"):
                    self._by_key.setdefault(studio_asset_key(path[len("static/"):]), path)
        return self._by_key

    def attach(self, text: str, root: Any) -> dict[str, str]:
        """Name the content uses -> file in static/, for every file a block names, and the files
        the stylesheets and pages among them link to in turn."""
        out: dict[str, str] = {}
        queue = static_references(text, root)
        while queue:
            ref = queue.pop()
            if ref.name in out:
                continue
            path = self.locate(ref)
            if path is None:
                continue
            out[ref.name] = path
            if scans_links(path):
                queue += self.links_of(path, posixpath.dirname(ref.name))
        return out

    def links_of(self, path: str, folder: str) -> list[StaticRef]:
        """What a static stylesheet or page links to (read once per export, however many blocks use it)."""
        known = self._links.get((path, folder))
        if known is None:
            limit = self.source.limits.max_text_bytes
            try:
                data = self.source.read_bytes(path, limit)
            except SourceError:
                data = b""  # too large or unreadable: it names nothing we could follow
            text = data.decode("utf-8", "replace") if len(data) <= limit else ""
            known = self._links[(path, folder)] = static_references(text, folder=folder)
        return known
