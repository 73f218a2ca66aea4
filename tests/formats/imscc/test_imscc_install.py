"""The imscc plugin as a user gets it: pip-installed into an environment, found only by its entry point.

A temporary venv sees lpconvert and its dependencies from the running environment (a .pth
file, nothing downloaded); pip installs plugins/lpconvert-imscc into it offline with
--no-build-isolation. Its `lpconvert` must then list the format, read a cartridge by its
suffix, write one, and report a damaged cartridge as one-line problems, not a traceback.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from helpers.paths import ROOT, corpus
from helpers.venv import Venv, venv_with_plugin  # the same temporary-environment runner

PLUGIN = ROOT / "plugins" / "lpconvert-imscc"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    return venv_with_plugin(tmp_path_factory, PLUGIN, "lpconvert_imscc")


def test_the_installed_plugin_lists_its_format_with_its_suffix(venv: Venv) -> None:
    plugins = venv.lpconvert("plugins")
    line = next(l for l in plugins.stdout.splitlines() if l.startswith("imscc "))
    assert line.split()[:4] == ["imscc", "ok", "lpconvert-imscc", "0.1.0"]
    formats = venv.lpconvert("formats")
    line = next(l for l in formats.stdout.splitlines() if l.startswith("imscc "))
    assert ".imscc" in line


def test_a_cartridge_converts_to_an_lp_archive_and_back_out_as_a_cartridge(venv: Venv, tmp_path: Path) -> None:
    archive = tmp_path / "course.zip"
    done = venv.lpconvert(str(corpus("cc/cc2olx-main.imscc")), str(archive))
    assert done.returncode == 0, done.stderr
    assert "(lp-archive, from imscc)" in done.stderr
    out = tmp_path / "again.imscc"
    done = venv.lpconvert(str(archive), str(out))  # .imscc is a zip file, no --container needed
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as zf:
        assert "imsmanifest.xml" in zf.namelist()


def test_a_damaged_cartridge_is_reported_with_file_and_line(venv: Venv, tmp_path: Path) -> None:
    broken = tmp_path / "broken.imscc"
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("imsmanifest.xml", '<manifest xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1">\n'
                                       "<organizations>\n</manifest>")
    checked = venv.lpconvert("validate", str(broken))
    assert checked.returncode == 1
    report = checked.stdout + checked.stderr
    assert "imsmanifest.xml\n  line 3: error" in report and "xml-syntax" in report
    assert "Traceback" not in checked.stderr
