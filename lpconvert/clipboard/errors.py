"""The one exception of the clipboard: a clipboard that cannot be made, read or pasted.

A clipboard is a single blob handed between programs (or kept on disk between a copy and a
paste), so the problems it can have are about the blob as a whole: it is not a clipboard,
it is from a newer lpconvert, it was truncated or altered, it names a key that is not there.
There is no package to attach a `Problem` to, so these are raised, with a message meant for
the person who holds the blob.
"""

from __future__ import annotations


class ClipboardError(ValueError):
    """A clipboard could not be made, decoded or pasted; the message says why, in one line."""
