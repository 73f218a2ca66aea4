"""The clipboard: copy an entity with everything it needs, carry it as one blob, paste it elsewhere.

    from lpconvert.clipboard import copy, paste, Clipboard, to_staged_content, from_staged_content
    clip = copy(package, "unit1-b7eafb")              # the unit, its components and their files
    blob = clip.to_bytes()                             # one self-describing, versioned blob
    result = paste(Clipboard.from_bytes(blob), into=other, on_conflict="rename")
    result.package, result.renamed                     # the new package; old key -> new key

    staged = to_staged_content(clip)                   # Studio's StagedContent fields
    from_staged_content(staged)                        # and back

This mirrors Studio's clipboard (openedx-platform's content_staging), which copies one block
or container with its children and files and pastes it into another course or library.
Modules: `model` (what a clipboard holds, the blob), `copying`, `pasting`, `staged`
(StagedContent, built on `model`; `model` knows nothing of it). See docs/clipboard.md.
"""

from __future__ import annotations

from .copying import copy
from .errors import ClipboardError
from .model import Clipboard, ClipboardCollection, ClipboardItem, ClipboardSource
from .pasting import ON_CONFLICT, OnConflict, PasteResult, paste
from .staged import StagedContent, StagedContentFile, from_staged_content, to_staged_content

__all__ = ["copy", "paste", "Clipboard", "ClipboardItem", "ClipboardCollection", "ClipboardSource",
           "ClipboardError", "PasteResult", "OnConflict", "ON_CONFLICT", "StagedContent", "StagedContentFile",
           "to_staged_content", "from_staged_content"]
