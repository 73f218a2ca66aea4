"""Registration only: importing this must stay cheap, because `lpconvert formats` imports it."""

from __future__ import annotations

from lpconvert.plugin import FormatOption, FormatSpec, hookimpl

LPCONVERT_API = 1


@hookimpl
def lpconvert_formats() -> list[FormatSpec]:
    return [
        FormatSpec(
            name="html",
            description="A static HTML site to browse a package without Studio (write only): "
                        "outline, collections, a page per unit, images copied beside the pages",
            # No suffix: a directory of pages is the natural destination, so `--to html` is
            # always explicit and never steals `.zip` from lp-archive.
            suffixes=(),
            probe=None,
            reader=None,
            writer="lpconvert_html.site:write_site",
            output="tree",
            # The site shows each entity's current version; nothing else of these survives.
            cannot_hold=frozenset({"history", "root", "package-files", "version-attributes",
                                   "unknown-fields"}),
            writer_options=(
                FormatOption("html_version", "which version of each entity the pages show",
                             choices=("draft", "published"), default="draft"),
            ),
        )
    ]
