"""Plugin registration: light on purpose (no TOML, no zip), so listing formats stays fast."""

from __future__ import annotations

from lpconvert.formats import FormatSpec
from lpconvert.hookspecs import hookimpl

LPCONVERT_API = 1


def probe(source) -> bool:  # type: ignore[no-untyped-def]
    """An lp-archive has package.toml at its root (after looking through a wrapper folder)."""
    return bool(source.exists("package.toml"))


@hookimpl
def lpconvert_formats() -> list[FormatSpec]:
    return [
        FormatSpec(
            name="lp-archive",
            description="Learning-package backup archive (openedx-core lp_dump/lp_load, v2 libraries), "
                        "format_version 1: TOML files and media in a zip",
            suffixes=(".zip",),
            probe=probe,
            reader="lpconvert_lp_archive.reader:read_archive",
            writer="lpconvert_lp_archive.writer:write_archive",
            cannot_hold=frozenset({"other-versions", "root", "package-files", "version-attributes"}),
        )
    ]
