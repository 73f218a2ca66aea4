"""The organization's item tree -> sections, subsections and units.

Open edX has exactly three levels; a cartridge's tree has any number. The rule, applied the
same way at every level, so a Canvas course (modules -> items), a LibreTexts book (chapters ->
pages) and a Brightspace course (units -> lessons -> items) all come out as an author expects:

* an item that holds other items is a container at the next level down (a top-level folder is a
  section, a folder in it a subsection, a folder in that a unit);
* items that point at resources, where a folder was expected, are gathered into one generated
  container named after their parent (the cartridge, for top-level items), so a flat or shallow
  tree gets the levels it lacks; an empty title-only item (a Canvas text header) starts the
  next generated container, under its own title;
* at the unit level each resource item is its own unit (a page, a quiz with its questions);
  a folder there becomes one unit holding everything below it, and the report says what was
  folded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .manifest import Item

LEVELS = ("section", "subsection", "unit")


@dataclass
class Node:
    """A container to create: its level, title, ident (for its key), and content."""

    level: str
    title: str
    ident: str
    line: int | None
    children: list[Node] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)  # unit only: the resource items it shows
    folded: list[str] = field(default_factory=list)  # unit only: titles of folders flattened into it


def is_header(item: Item) -> bool:
    return item.ref is None and not item.children


def build(items: list[Item], title: str, ident: str) -> list[Node]:
    return _level(items, 0, title, ident)


def _level(items: list[Item], depth: int, parent_title: str, parent_ident: str) -> list[Node]:
    level = LEVELS[depth]
    if level == "unit":
        units = []
        for item in items:
            if not is_header(item):
                unit = Node("unit", item.title or parent_title, item.ident, item.line)
                _fold(item, unit, top=True)
                units.append(unit)
        return units
    out: list[Node] = []
    pending: dict[int, list[Item]] = {}  # generated container (by id) -> the resource items it gathers
    run: Node | None = None
    for item in items:
        if item.children:
            run = None
            node = Node(level, item.title or parent_title, item.ident, item.line)
            own = [Item(item.ident + "-page", item.title, item.ref, item.line)] if item.ref else []
            node.children = _level(own + item.children, depth + 1, node.title, node.ident)
            out.append(node)
            continue
        if is_header(item):
            run = Node(level, item.title or parent_title, item.ident, item.line)
        elif run is None:
            run = Node(level, parent_title, f"{parent_ident}-{level}-{len(out) + 1}", item.line)
        else:
            pending[id(run)].append(item)
            continue
        out.append(run)
        pending[id(run)] = [] if is_header(item) else [item]
    for node in out:
        if id(node) in pending:
            node.children = _level(pending[id(node)], depth + 1, node.title, node.ident)
    return out


def _fold(item: Item, unit: Node, top: bool) -> None:
    if item.ref is not None:
        unit.items.append(item)
    if item.children and not top:
        unit.folded.append(item.title or item.ident)
    for c in item.children:
        _fold(c, unit, top=False)


def walk(nodes: list[Node], visit: Callable[[Node], None]) -> None:
    for n in nodes:
        visit(n)
        walk(n.children, visit)
