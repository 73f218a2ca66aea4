"""The page shell every page shares: head, security policy, header, stylesheet.

Every page is self-contained static HTML with relative links, so the site works from a
web server, from a zip unpacked anywhere, or opened straight from disk (file://).
"""

from __future__ import annotations

from html import escape

CSP = ("default-src 'none'; script-src 'none'; object-src 'none'; frame-src 'none'; "
       "base-uri 'none'; form-action 'none'; img-src 'self' file: data: http: https:; "
       "media-src 'self' file: http: https:; font-src 'self' file: data: http: https:; "
       "style-src 'self' file: 'unsafe-inline'")
"""Scripts, plugins, frames and form submission are refused outright: the second wall behind
the sanitizer. Images and media may come from anywhere, as they would in the LMS; inline
styles are allowed because authors use them for layout."""


def render_page(*, title: str, site_title: str, body: str, prefix: str, crumbs: str = "") -> str:
    """A whole page. `title`/`site_title` are plain text (escaped here); `body`/`crumbs` are HTML."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{escape(CSP, quote=True)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="lpconvert-html">\n'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="stylesheet" href="{prefix}style.css">\n'
        "</head>\n<body>\n"
        f'<header class="site"><a href="{prefix}index.html">{escape(site_title)}</a></header>\n'
        f"<main>\n{crumbs}{body}\n</main>\n"
        '<footer class="site">A static preview written by lpconvert-html. '
        "Interactive parts work in the LMS only.</footer>\n"
        "</body>\n</html>\n"
    )


STYLESHEET = """\
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --accent: #0b5cad; --paper: #ffffff;
        --wash: #f6f8fa; --badge: #fff3cd; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: var(--wash); }
a { color: var(--accent); }
header.site { background: #14213d; padding: .7rem 1.5rem; }
header.site a { color: #fff; text-decoration: none; font-weight: 600; }
main { max-width: 60rem; margin: 1.5rem auto; padding: 0 1.5rem; }
footer.site { max-width: 60rem; margin: 2rem auto; padding: 0 1.5rem; color: var(--muted); font-size: .85rem; }
h1 { margin: .2rem 0 .5rem; font-size: 1.9rem; }
.lead { color: var(--muted); margin-top: 0; }
.facts { color: var(--muted); font-size: .9rem; }
section.part { background: var(--paper); border: 1px solid var(--line); border-radius: 8px;
               padding: 1rem 1.5rem; margin: 1.2rem 0; }
section.part > h2 { margin-top: .2rem; font-size: 1.25rem; }
ol.outline, ol.outline ol { list-style: none; padding-left: 1.4rem; margin: .2rem 0; }
ol.outline { padding-left: 0; }
ol.outline li { margin: .25rem 0; }
.kind { display: inline-block; font-size: .72rem; text-transform: uppercase; letter-spacing: .04em;
        color: var(--muted); border: 1px solid var(--line); border-radius: 4px; padding: 0 .35rem;
        margin-right: .45rem; background: var(--wash); }
.badge { display: inline-block; font-size: .72rem; background: var(--badge); border-radius: 4px;
         padding: 0 .35rem; margin-left: .4rem; color: #664d03; }
.count { color: var(--muted); font-size: .85rem; }
nav.crumbs { font-size: .9rem; color: var(--muted); }
nav.pager { display: flex; justify-content: space-between; margin: 1.5rem 0; }
article.card { background: var(--paper); border: 1px solid var(--line); border-radius: 8px;
               padding: 1rem 1.5rem; margin: 1rem 0; }
article.card > header h2 { margin: .3rem 0 .6rem; font-size: 1.2rem; }
article.card img { max-width: 100%; height: auto; }
.note { color: var(--muted); font-style: italic; }
ul.choices { list-style: none; padding-left: .5rem; }
ul.choices li { margin: .3rem 0; }
.mark { color: var(--muted); margin-right: .3rem; }
ul.dropdown { display: inline-flex; flex-wrap: wrap; gap: .5rem; list-style: none; padding: .3rem .6rem;
              border: 1px solid var(--line); border-radius: 4px; }
ul.dropdown li { white-space: nowrap; }
ul.dropdown li + li:before { content: "\\2502  "; color: var(--line); }
.input-box { display: inline-block; min-width: 14rem; border: 1px solid #8c959f; border-radius: 4px;
             padding: .2rem .5rem; color: var(--muted); font-size: .85rem; }
.question { font-weight: 600; }
details { margin: .6rem 0; }
details summary { cursor: pointer; color: var(--accent); }
table { border-collapse: collapse; }
td, th { border: 1px solid var(--line); padding: .3rem .5rem; }
dl.members dt { margin-top: .4rem; }
"""
