"""Registration only: importing this must stay cheap, because `lpconvert formats` imports it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lpconvert.plugin import FormatSpec, hookimpl

if TYPE_CHECKING:  # pragma: no cover - the storage layer is not needed to register
    from lpconvert.plugin import Source

LPCONVERT_API = 1


def probe(source: Source) -> bool:
    """A cartridge is a tree with `imsmanifest.xml` at its root that says it is a Common Cartridge.

    Only the manifest's first few kilobytes are read: IMS Content Packaging (SCORM) also uses
    imsmanifest.xml, so the cartridge namespace (`imsccv1pN`) or schema name must be there.
    """
    if not source.exists("imsmanifest.xml"):
        return False
    try:
        with source.open("imsmanifest.xml") as stream:
            head = stream.read(8192)
    except Exception:  # a damaged zip member: not ours to judge in a probe
        return False
    return b"imscc" in head or b"Common Cartridge" in head


@hookimpl
def lpconvert_formats() -> list[FormatSpec]:
    return [
        FormatSpec(
            name="imscc",
            description="IMS Common Cartridge (.imscc): courses from Canvas, Moodle, Brightspace, "
                        "Blackboard, Sakai; written as CC 1.3 with QTI 1.2 quizzes",
            suffixes=(".imscc",),
            zip_suffixes=(".imscc",),  # a cartridge is a zip file, whatever its name says
            probe=probe,
            reader="lpconvert_imscc.reader:read_cartridge",
            writer="lpconvert_imscc.writer:write_cartridge",
            output="tree",
            # A cartridge has one current version of everything, no Open edX settings, no
            # package files or collections of its own, and no times per version.
            cannot_hold=frozenset({"history", "other-versions", "published-behind-draft", "root",
                                   "package-files", "version-attributes", "unknown-fields",
                                   "collections", "version-times"}),
        )
    ]
