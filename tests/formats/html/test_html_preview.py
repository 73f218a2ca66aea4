"""`lpconvert preview IN`, the html plugin's own subcommand (the `register_commands` hook),
run as a user runs it: the plugin found through its entry point, the site served over HTTP."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from helpers.cli import run_cli
from helpers.paths import FIXTURES, ROOT

SMALL = FIXTURES / "lp-archive" / "small-library"
HTML_SRC = ROOT / "plugins" / "lpconvert-html" / "src"


def _env(tmp_path: Path) -> dict[str, str]:
    """The html plugin on the path with its entry point, and a temporary folder of our own."""
    site = tmp_path / "site-packages"
    info = site / "lpconvert_html-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lpconvert-html\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[lpconvert]\nhtml = lpconvert_html.plugin\n")
    (info / "RECORD").write_text("")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    return {"PYTHONPATH": os.pathsep.join([str(site), str(HTML_SRC)]), "TMPDIR": str(tmp)}


def test_preview_no_serve_writes_the_site_and_prints_its_folder(tmp_path: Path) -> None:
    env = _env(tmp_path)
    proc = run_cli("preview", str(SMALL), "--no-serve", env=env)
    assert proc.returncode == 0, proc.stderr
    folder = Path(proc.stdout.strip())
    assert folder.is_relative_to(tmp_path / "tmp")
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "Small Library" in index
    shutil.rmtree(folder.parent)


def test_preview_of_an_invalid_source_says_why_and_leaves_nothing(tmp_path: Path) -> None:
    env = _env(tmp_path)
    proc = run_cli("preview", str(tmp_path / "missing.zip"), "--no-serve", env=env)
    assert proc.returncode == 2
    assert "(source-not-found)" in proc.stderr
    assert any(line.startswith("lpconvert: nothing to preview: ") for line in proc.stderr.splitlines())
    assert list((tmp_path / "tmp").iterdir()) == []


def test_preview_serves_the_site_on_localhost_until_stopped(tmp_path: Path) -> None:
    env = {**os.environ, "LPCONVERT_NO_PROGRESS": "1", **_env(tmp_path)}
    exe = shutil.which("lpconvert", path=str(Path(sys.executable).parent))
    assert exe is not None
    proc = subprocess.Popen([exe, "preview", str(SMALL)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()  # type: ignore[union-attr]
        assert url.startswith("http://127.0.0.1:") and url.endswith("/"), proc.stderr.read()  # type: ignore[union-attr]
        with urllib.request.urlopen(url + "index.html", timeout=60) as response:
            assert response.status == 200
            page = response.read().decode("utf-8")
        assert "Small Library" in page
        assert any((tmp_path / "tmp").iterdir())  # the site is in our temporary folder
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert list((tmp_path / "tmp").iterdir()) == []  # stopping removed it
