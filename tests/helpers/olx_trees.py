"""Studio OLX trees on disk, read independently of lpconvert: the files of an export (through its
wrapper folder), the counts Studio's pointer rule gives, and a comparison by canonical XML.
Expected numbers in the OLX tests come from here, never from the code under test.
"""

from __future__ import annotations

import tarfile
from collections import Counter
from pathlib import Path

from lxml import etree


def tree_files(root: Path) -> dict[str, Path]:
    """Relative path -> file, looking through one wrapper folder (Studio packs course/ or library/)."""
    entries = [p for p in root.iterdir() if not p.name.startswith("._") and p.name != ".DS_Store"]
    if len(entries) == 1 and entries[0].is_dir():
        root = entries[0]
    out = {}
    for p in root.rglob("*"):
        if p.is_file() and not any(part.startswith("._") or part == ".DS_Store" for part in p.parts):
            out[p.relative_to(root).as_posix()] = p
    return out


def unpack(archive: Path, into: Path) -> dict[str, Path]:
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return tree_files(into)


def _is_pointer(el: etree._Element) -> bool:
    return set(el.attrib) == {"url_name"} and len(el) == 0


def _load(files: dict[str, Path], el: etree._Element, drafts: bool = False) -> etree._Element:
    if not _is_pointer(el):
        return el
    name = el.get("url_name").replace(":", "/")
    for prefix in (("drafts/",) if drafts else ()) + ("",):
        path = f"{prefix}{el.tag}/{name}.xml"
        if path in files:
            return etree.parse(str(files[path])).getroot()
    raise AssertionError(f"missing {el.tag}/{name}.xml")


def expected_counts(files: dict[str, Path]) -> Counter[str]:
    """Chapters, sequentials, verticals (draft-only included) and blocks inside verticals, by type."""
    counts: Counter[str] = Counter()
    if "library.xml" in files:
        lib = etree.parse(str(files["library.xml"])).getroot()
        for child in lib:
            if isinstance(child.tag, str) and not child.tag.startswith("{"):
                counts[f"xblock.v1:{child.tag}"] += 1
        return counts
    top = etree.parse(str(files["course.xml"])).getroot()
    course = etree.parse(str(files[f"course/{top.get('url_name')}.xml"])).getroot()
    blocks: set[tuple[str, str]] = set()
    verticals: set[str] = set()
    for chapter in course.iter("chapter"):
        counts["section"] += 1
        for seq in _load(files, chapter).iter("sequential"):
            counts["subsection"] += 1
            for vert in _load(files, seq):
                if vert.tag != "vertical":
                    continue
                verticals.add(vert.get("url_name"))
                for block in _load(files, vert):
                    if isinstance(block.tag, str):
                        blocks.add((block.tag, block.get("url_name")))
    for path, file in files.items():
        if path.startswith("drafts/vertical/"):
            vert = etree.parse(str(file)).getroot()
            verticals.add(path.rsplit("/", 1)[1][:-4])
            for block in vert:
                if isinstance(block.tag, str):
                    blocks.add((block.tag, block.get("url_name")))
    counts["unit"] = len(verticals)
    for tag, _ in blocks:
        counts[f"xblock.v1:{tag}"] += 1
    return counts


def _canonical(path: Path) -> str:
    return etree.canonicalize(from_file=str(path), strip_text=True)


def compare_trees(a: dict[str, Path], b: dict[str, Path]) -> list[str]:
    """Paths that differ: missing on one side, different canonical XML, or different bytes."""
    diffs = sorted(set(a) ^ set(b))
    for path in sorted(set(a) & set(b)):
        if path.endswith(".xml"):
            same = _canonical(a[path]) == _canonical(b[path])
        else:
            same = a[path].read_bytes() == b[path].read_bytes()
        if not same:
            diffs.append(path)
    return diffs
