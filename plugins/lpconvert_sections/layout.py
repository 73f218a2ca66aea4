"""Which file of a sections package is what, by its path alone.

One rule for the two places that need it: the reader (what to parse, what to attach as a
component's media, what to warn about as a stray file) and `--force` (a stray file is one the
writer never writes, such as an author's notes, so replacing the package would destroy it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .plugin import PACKAGE_TOML

CONTAINER_FOLDERS = {"sections/": "section", "subsections/": "subsection", "units/": "unit"}
"""Top-level folder -> the container type of each TOML file directly inside it."""
COLLECTIONS_TOML = "collections.toml"


@dataclass
class Layout:
    container_files: list[tuple[str, str]] = field(default_factory=list)
    """(path, container type) of each sections/, subsections/, units/ TOML file."""
    components: list[str] = field(default_factory=list)
    """components/<type>/<name>.toml"""
    media: dict[str, list[str]] = field(default_factory=dict)
    """component folder (components/<type>/<name>) -> the files under it"""
    files: list[str] = field(default_factory=list)
    """package files under files/"""
    others: list[str] = field(default_factory=list)
    """anything else: not part of the layout"""

    def orphan_media(self) -> list[str]:
        """Files in a component folder that has no TOML file beside it."""
        have = {path[: -len(".toml")] for path in self.components}
        return [path for folder, paths in self.media.items() if folder not in have for path in paths]


def classify(paths: Iterable[str]) -> Layout:
    layout = Layout()
    for path in paths:
        parts = path.split("/")
        folder = parts[0] + "/"
        if folder in CONTAINER_FOLDERS and len(parts) == 2 and path.endswith(".toml"):
            layout.container_files.append((path, CONTAINER_FOLDERS[folder]))
        elif parts[0] == "components" and len(parts) == 3 and path.endswith(".toml"):
            layout.components.append(path)
        elif parts[0] == "components" and len(parts) >= 4:
            layout.media.setdefault("/".join(parts[:3]), []).append(path)
        elif parts[0] == "files" and len(parts) >= 2:
            layout.files.append(path)
        elif path not in (PACKAGE_TOML, COLLECTIONS_TOML):
            layout.others.append(path)
    return layout


def foreign_files(source) -> list[str]:  # type: ignore[no-untyped-def]
    """The files of a sections package its writer never writes (`FormatSpec.foreign_files`)."""
    layout = classify(source.files)
    return sorted(layout.others + layout.orphan_media())
