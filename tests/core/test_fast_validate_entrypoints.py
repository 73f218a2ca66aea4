"""`lpconvert.entrypoints` finds what `importlib.metadata` finds, without importing it (issue 16)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

COMPARE = """
import json, sys
from importlib import metadata
from lpconvert.entrypoints import _from_folders, entry_points
groups = sys.argv[1:]
light = {g: [(e.name, e.value) for e in entry_points(g)] for g in groups}
real = {g: [(e.name, e.value) for e in metadata.entry_points(group=g)] for g in groups}
print(json.dumps({"same": light == real, "light": light, "folders": _from_folders(groups[0]) is not None}))
"""


def _compare(groups: list[str], pythonpath: list[Path]) -> dict:
    env = {"PYTHONPATH": ":".join(str(p) for p in pythonpath), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", COMPARE, *groups], capture_output=True, text=True, check=True,
                         env=env, cwd=ROOT)
    return json.loads(out.stdout)


def _dist(site: Path, folder: str, text: str) -> None:
    (site / folder).mkdir(parents=True)
    (site / folder / "entry_points.txt").write_text(text, encoding="utf-8")
    (site / folder / "METADATA").write_text(f"Name: {folder.split('-')[0]}\nVersion: 1.0\n", encoding="utf-8")


def test_the_installed_groups_are_found_as_importlib_finds_them() -> None:
    result = _compare(["lpconvert", "console_scripts", "pytest11"], [])
    assert result["folders"] and result["same"]
    assert {name for name, _ in result["light"]["lpconvert"]} >= {"olx", "lp-archive", "json"}


def test_duplicates_comments_and_egg_info_are_read_the_same_way(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _dist(first, "My_Plugin-1.0.dist-info", "# a comment\n[lpconvert]\n  shout = shout_mod:plugin  \n\n[other]\nx = y\n")
    _dist(second, "my.plugin-2.0.dist-info", "[lpconvert]\nshadowed = never:seen\n")  # same name: first wins
    _dist(second, "legacy-0.1.egg-info", "[lpconvert]\nold = old_mod\n")
    result = _compare(["lpconvert"], [first, second])
    assert result["folders"] and result["same"]
    assert {name for name, _ in result["light"]["lpconvert"]} >= {"old", "shout"}
    assert "shadowed" not in {name for name, _ in result["light"]["lpconvert"]}


def test_a_zip_on_the_path_is_left_to_importlib(tmp_path: Path) -> None:
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("zipped-1.0.dist-info/entry_points.txt", "[lpconvert]\nzipped = zipped_mod\n")
        z.writestr("zipped-1.0.dist-info/METADATA", "Name: zipped\nVersion: 1.0\n")
    result = _compare(["lpconvert"], [archive])
    assert not result["folders"]
    assert result["same"] and "zipped" in {name for name, _ in result["light"]["lpconvert"]}


def test_lpconvert_validate_does_not_import_importlib_metadata() -> None:
    code = ("import sys\nfrom lpconvert.cli import main\n"
            f"sys.argv = ['lpconvert', 'validate', '-q', {str(ROOT / 'fixtures' / 'olx' / 'tiny-course')!r}]\n"
            "rc = main()\nprint(rc, 'importlib.metadata' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.split()[-2:] == ["0", "False"]
