"""`lpconvert preview IN`: the site in a temporary folder, served on localhost.

Only the loopback address is bound, on a port the system picks, so a preview is never
reachable from another machine and never fails because a port is busy. The folder is
removed when the server stops (Ctrl-C, SIGTERM), because nobody chose where it went; with
``--no-serve`` the user asked for the files, so they stay and their path is printed.
"""

from __future__ import annotations

import functools
import shutil
import sys
import tempfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lpconvert.plugin import CommandError, LpconvertError, convert


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves the site without a log line per request: the terminal shows the URL, not noise."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


def write_preview(source: str, folder: Path, published: bool = False) -> Path:
    """Write `source` as a site into `folder`/site; a source with errors is a `CommandError`
    naming the first one, after each error is printed."""
    site = folder / "site"
    options = {"html_version": "published"} if published else {}
    try:
        result = convert(source, str(site), to="html", write_options=options)
    except LpconvertError as exc:
        raise CommandError(str(exc)) from None
    if not result.ok:
        errors = [p for p in result.problems if p.is_error]
        for problem in errors:
            sys.stderr.write(problem.render() + "\n")
        raise CommandError(f"nothing to preview: {source} has {len(errors)} error(s)")
    return site


def serve_site(site: Path) -> None:
    """Serve `site` on 127.0.0.1 until interrupted; the URL is the first line on stdout."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        port = server.server_address[1]
        print(f"http://127.0.0.1:{port}/", flush=True)
        sys.stderr.write("serving the preview; press Ctrl-C to stop (the folder is then removed)\n")
        server.serve_forever()


def preview(source: str, *, serve: bool = True, published: bool = False) -> int:
    folder = Path(tempfile.mkdtemp(prefix="lpconvert-preview-"))
    try:
        site = write_preview(source, folder, published)
        if not serve:
            print(site)
            return 0
        serve_site(site)
    finally:
        if serve or not (folder / "site").exists():
            shutil.rmtree(folder, ignore_errors=True)
    return 0
