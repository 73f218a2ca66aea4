"""How media becomes JSON: text when the bytes are UTF-8, base64 otherwise.

The choice is made from the bytes, not from the file name, so a `.txt` that is not UTF-8
survives, and the encoding is always explicit in the document (`text` or `base64`), which is
exactly the hub's own `TextMedia`/`BinaryMedia` shape: the document validates against
`lpconvert schema` and a reader needs no guessing.
"""

from __future__ import annotations

import base64

from lpconvert.plugin import BinaryMedia, MediaFile, Package, TextMedia


def inline(package: Package, media: MediaFile) -> dict[str, str]:
    """The JSON object for one media file (reads referenced bytes once, one file at a time)."""
    if isinstance(media, TextMedia):
        return {"text": media.text}
    if isinstance(media, BinaryMedia):
        return {"base64": media.base64}
    data = package.read_media(media)
    return encode_bytes(data)


def encode_bytes(data: bytes) -> dict[str, str]:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}
