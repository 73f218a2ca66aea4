"""The html plugin as a user gets it: pip-installed into an environment, found only by its entry point.

A temporary venv sees lpconvert and its dependencies from the running environment (through a
.pth file, so nothing is downloaded), and pip installs plugins/lpconvert-html into it with
--no-index. That venv's `lpconvert plugins` / `formats` / convert must then know the html
format, `LPCONVERT_DISABLE_PLUGINS=html` must take it away again, and the site it writes is
opened in headless Chromium and looked at.

Skips when the environment cannot build a venv, or has no Chromium for the screenshot.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from lxml import html as lxml_html
from helpers.paths import ROOT
from helpers.venv import Venv, venv_with_plugin

PLUGIN = ROOT / "plugins" / "lpconvert-html"
SMALL = ROOT / "fixtures" / "lp-archive" / "small-library"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    return venv_with_plugin(tmp_path_factory, PLUGIN, "lpconvert_html")


@pytest.fixture(scope="module")
def site_dir(venv: Venv) -> Path:
    out = venv.path.parent / "site"
    done = venv.lpconvert(str(SMALL), str(out), "--to", "html")
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stderr and "(html, from lp-archive)" in done.stderr
    return out


def test_plugins_lists_html_with_its_distribution_version_and_format(venv):
    listed = venv.lpconvert("plugins")
    assert listed.returncode == 0, listed.stderr
    line = next(l for l in listed.stdout.splitlines() if l.startswith("html "))
    assert line.split()[:4] == ["html", "ok", "lpconvert-html", "0.1.0"]
    assert line.endswith("formats: html; commands: preview")  # its register_commands hook was asked
    assert any(l.startswith("lp-archive ") and " ok " in l for l in listed.stdout.splitlines())


def test_formats_lists_html_as_write_only(venv):
    listed = venv.lpconvert("formats")
    assert listed.returncode == 0
    line = next(l for l in listed.stdout.splitlines() if l.startswith("html "))
    assert line.split()[1] == "write" and line.rstrip().endswith("[html]")


def test_disabling_the_plugin_by_name_takes_its_format_away(venv, tmp_path):
    off = {"LPCONVERT_DISABLE_PLUGINS": "no-such-plugin, html"}
    plugins = venv.lpconvert("plugins", env=off)
    assert next(l for l in plugins.stdout.splitlines() if l.startswith("html ")).split()[1] == "disabled"
    assert not any(l.startswith("html ") for l in venv.lpconvert("formats", env=off).stdout.splitlines())
    refused = venv.lpconvert(str(SMALL), str(tmp_path / "site"), "--to", "html", env=off)
    assert refused.returncode == 2
    assert "unknown format 'html'" in refused.stderr
    assert not (tmp_path / "site").exists()


def test_the_installed_plugin_writes_a_site_whose_links_all_resolve(site_dir):
    pages = sorted(p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*.html"))
    assert pages == ["components/video-welcome.html", "index.html", "units/first-steps.html"]
    index = lxml_html.fromstring((site_dir / "index.html").read_bytes())
    assert index.findtext(".//h1") == "Small Library"
    checked = 0
    for page in site_dir.rglob("*.html"):
        for el in lxml_html.fromstring(page.read_bytes()).iter():
            for attr in ("href", "src"):
                value = el.get(attr)
                if value and not urlsplit(value).scheme and not value.startswith("#"):
                    assert (page.parent / unquote(urlsplit(value).path)).resolve().is_file(), (page, value)
                    checked += 1
    assert checked > 10


# --------------------------------------------------------------------------- looked at in Chromium


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _screenshot(page: Path, out: Path, tmp: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium here (apt-get install chromium)")
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--hide-scrollbars", f"--user-data-dir={tmp / 'chromium-profile'}", f"--screenshot={out}",
           "--window-size=1200,900", page.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert out.is_file(), f"Chromium wrote no screenshot (exit {done.returncode}): {done.stderr[-1500:]}"
    keep = os.environ.get("LPCONVERT_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(out, Path(keep) / out.name)


def _unfilter(kind: int, line: bytearray, prev: bytearray, bpp: int) -> bytearray:
    """Undo one PNG row filter (the spec's five), written for speed in plain Python."""
    n = len(line)
    if kind == 1:
        for x in range(bpp, n):
            line[x] = (line[x] + line[x - bpp]) & 255
    elif kind == 2:
        line = bytearray((u + v) & 255 for u, v in zip(line, prev))
    elif kind == 3:
        for x in range(n):
            line[x] = (line[x] + ((line[x - bpp] if x >= bpp else 0) + prev[x]) // 2) & 255
    elif kind == 4:
        for x in range(n):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    return line


def _colours_seen(png: Path, wanted: set[tuple[int, int, int]], enough: int = 0
                  ) -> tuple[tuple[int, int], set[tuple[int, int, int]]]:
    """(width, height) of an 8-bit RGB/RGBA PNG (what Chromium writes) and the colours of its
    rows from the top down to where every `wanted` colour and `enough` distinct ones were seen."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    width = height = depth = ctype = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", chunk[:10])
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert depth == 8 and ctype in (2, 6), (depth, ctype)
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    prev, colours = bytearray(stride), set()
    for row in range(height):
        i = row * (stride + 1)
        line = _unfilter(raw[i], bytearray(raw[i + 1:i + 1 + stride]), prev, bpp)
        colours.update(zip(line[0::bpp], line[1::bpp], line[2::bpp]))
        prev = line
        if wanted <= colours and len(colours) >= enough:
            break
    return (width, height), colours


HEADER_BAR = (0x14, 0x21, 0x3D)  # the stylesheet's header colour: proves style.css loaded under the CSP
LOGO_BLUE = (0x1E, 0x64, 0xC8)   # the fixture's logo.png: proves the copied image loaded


def test_chromium_shows_the_index_styled(site_dir, tmp_path):
    shot = tmp_path / "index.png"
    _screenshot(site_dir / "index.html", shot, tmp_path)
    size, colours = _colours_seen(shot, {HEADER_BAR}, enough=40)
    assert size == (1200, 900)
    assert HEADER_BAR in colours
    assert len(colours) >= 40  # text was drawn (anti-aliased glyphs), not a blank page


def test_chromium_shows_the_unit_with_its_image(site_dir, tmp_path):
    shot = tmp_path / "first-steps.png"
    _screenshot(site_dir / "units" / "first-steps.html", shot, tmp_path)
    _, colours = _colours_seen(shot, {HEADER_BAR, LOGO_BLUE})
    assert HEADER_BAR in colours
    assert LOGO_BLUE in colours
