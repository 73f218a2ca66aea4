"""Registration only: importing this must stay cheap, because `lpconvert formats` imports it."""

from __future__ import annotations

from typing import Any

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


@hookimpl
def register_commands(subparsers: Any) -> None:
    """`lpconvert preview IN`: look at a package in a browser without choosing a folder."""
    p = subparsers.add_parser(
        "preview", help="render IN as a site and serve it on localhost",
        description="Render IN as the html format's site in a temporary folder and serve it on "
                    "http://127.0.0.1 (a free port) until Ctrl-C, which removes the folder. With "
                    "--no-serve, write the site, print its folder and keep it.")
    p.add_argument("source", metavar="IN", help="any package lpconvert reads")
    p.add_argument("--no-serve", action="store_true", help="only write the site and print where it is")
    p.add_argument("--published", action="store_true", help="show the published versions, not the drafts")
    p.set_defaults(handler=run_preview)


def run_preview(args: Any) -> int:
    from .preview import preview

    return preview(args.source, serve=not args.no_serve, published=args.published)
