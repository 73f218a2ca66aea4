"""`lpconvert validate` as a user sees it: grouped output, the summary, the JSON report,
exit codes 0 / 1 / 2, and --strict."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from helpers.paths import ROOT

SMALL = ROOT / "fixtures" / "lp-archive" / "small-library"
SECTION = "entities/week-1.toml"


def _zip(tmp_path: Path, edits: dict[str, tuple[str, str]]) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in sorted(SMALL.rglob("*")):
            if p.is_file():
                name = p.relative_to(SMALL).as_posix()
                data = p.read_bytes()
                if name in edits:
                    old, new = edits[name]
                    assert old.encode() in data
                    data = data.replace(old.encode(), new.encode(), 1)
                zf.writestr(name, data)
    path = tmp_path / "library.zip"
    path.write_bytes(buf.getvalue())
    return path


def test_a_valid_package_exits_0_with_a_summary(cli) -> None:
    result = cli("validate", str(SMALL))
    assert result.returncode == 0
    assert result.stderr.strip().endswith("valid lp-archive; 0 errors, 0 warnings")


def test_an_invalid_package_exits_1_and_writes_the_report(cli, tmp_path: Path) -> None:
    source = _zip(tmp_path, {SECTION: ('children = ["getting-started"]', 'children = ["xblock.v1:html:intro"]'),
                             "package.toml": ("format_version = 1", "format_version = 9")})
    report = tmp_path / "problems.json"
    result = cli("validate", str(source), "--report", str(report))
    assert result.returncode == 1
    doc = json.loads(report.read_text())
    assert (doc["valid"], doc["errors"], doc["warnings"], doc["format"]) == (False, 2, 0, "lp-archive")
    by_code = {p["code"]: p for p in doc["problems"]}
    assert by_code["wrong-level"] == {
        "severity": "error", "code": "wrong-level", "file": SECTION,
        "field": "version[0].container.children[0]", "line": 21, "media_line": None,
        "message": "week-1 is a section and cannot hold component 'xblock.v1:html:intro' "
                   "(a section holds subsections)"}
    assert (by_code["invalid-value"]["file"], by_code["invalid-value"]["line"]) == ("package.toml", 2)
    # grouped by file, in file order, each problem under its file, the summary last
    lines = result.stderr.splitlines()
    assert lines.index(SECTION) < lines.index("package.toml")
    assert lines[lines.index(SECTION) + 1].startswith("  line 21 [version[0].container.children[0]]: error:")
    assert lines[-1].endswith("INVALID lp-archive; 2 errors, 0 warnings")


def test_warnings_pass_unless_strict(cli, tmp_path: Path) -> None:
    source = _zip(tmp_path, {SECTION: ("can_stand_alone = true", "can_stand_alone = true\ncan_stand_alon = 1")})
    relaxed = cli("validate", str(source))
    assert relaxed.returncode == 0
    assert "did you mean 'can_stand_alone'?" in relaxed.stderr
    assert relaxed.stderr.strip().endswith("valid lp-archive; 0 errors, 1 warning")
    strict = cli("validate", str(source), "--strict")
    assert strict.returncode == 1
    assert "error: unknown field" in strict.stderr


def test_quiet_shows_errors_only(cli, tmp_path: Path) -> None:
    source = _zip(tmp_path, {SECTION: ("can_stand_alone = true", "can_stand_alone = true\ncan_stand_alon = 1"),
                             "package.toml": ("format_version = 1", "format_version = 9")})
    result = cli("validate", str(source), "-q")
    assert result.returncode == 1
    assert "unknown-field" not in result.stderr and "invalid-value" in result.stderr


@pytest.mark.parametrize("args", [("validate",), ("validate", str(SMALL), "--no-such-option"),
                                  ("validate", str(SMALL), "--from", "no-such-format")])
def test_usage_errors_exit_2(cli, args: tuple[str, ...]) -> None:
    result = cli(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("lpconvert:") or "usage" in result.stderr


def test_reading_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path) -> None:
    """Reading pauses the cyclic collector for speed; a caller's setting survives, errors included."""
    import gc

    import lpconvert

    broken = _zip(tmp_path, {"package.toml": ("format_version = 1", "format_version = ")})
    assert gc.isenabled()
    for source in (str(SMALL), str(broken)):
        with lpconvert.read(source):
            pass
        assert gc.isenabled()
    gc.disable()
    try:
        with lpconvert.read(str(SMALL)):
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
