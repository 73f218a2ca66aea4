"""Plugin registration: light on purpose (no lxml import), so listing formats stays fast."""

from __future__ import annotations

from lpconvert.formats import FormatSpec
from lpconvert.hookspecs import hookimpl

LPCONVERT_API = 1


def probe(source) -> bool:  # type: ignore[no-untyped-def]
    """OLX has course.xml (a course) or library.xml (a v1 library) at its root.

    The source has already looked through one wrapper folder (Studio's ``course/`` or
    ``library/``), so both names are checked at the top only.
    """
    return bool(source.exists("course.xml") or source.exists("library.xml"))


@hookimpl
def lpconvert_formats() -> list[FormatSpec]:
    return [
        FormatSpec(
            name="olx",
            description="Open edX OLX: a Studio course export or a v1 content library export "
                        "(course.xml or library.xml, one file per block, static/, policies/, drafts/)",
            suffixes=(".tar.gz", ".tgz"),
            probe=probe,
            reader="lpconvert_olx.reader:read_olx",
            writer="lpconvert_olx.writer:write_olx",
            cannot_hold=frozenset({"collections", "other-versions", "unknown-fields"}),
        )
    ]
