"""The command line, run in a subprocess exactly as a user runs it."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

from helpers.cli import run_cli
from helpers.paths import FIXTURES, corpus

SMALL = FIXTURES / "lp-archive" / "small-library"


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "lpconvert-tmp" in p.name or "lpconvert-old" in p.name)


def test_convert_detects_input_and_picks_output_by_suffix(tmp_path: Path) -> None:
    out = tmp_path / "lib.zip"
    proc = run_cli(str(SMALL), str(out))
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stderr and "lp-archive" in proc.stderr
    assert "Traceback" not in proc.stderr
    with zipfile.ZipFile(out) as zf:
        assert "package.toml" in zf.namelist()
    assert _leftovers(tmp_path) == []


def test_existing_destination_is_refused_without_force(tmp_path: Path) -> None:
    out = tmp_path / "lib.zip"
    assert run_cli(str(SMALL), str(out)).returncode == 0
    earlier = out.read_bytes()
    proc = run_cli(str(SMALL), str(out))
    assert proc.returncode == 2
    assert "already exists" in proc.stderr and "--force" in proc.stderr
    assert out.read_bytes() == earlier
    forced = run_cli(str(SMALL), str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert zipfile.is_zipfile(out)
    assert _leftovers(tmp_path) == []


def test_force_replaces_a_directory_destination_of_the_same_format(tmp_path: Path) -> None:
    out = tmp_path / "tree"
    shutil.copytree(SMALL, out)
    (out / "entities" / "stale.toml").write_text("[entity]\nkey = 'stale'\n")
    proc = run_cli(str(SMALL), str(out), "--to", "lp-archive", "--force")
    assert proc.returncode == 0, proc.stderr
    assert (out / "package.toml").exists() and not (out / "entities" / "stale.toml").exists()
    assert _leftovers(tmp_path) == []


def test_force_does_not_replace_a_directory_of_other_files(tmp_path: Path) -> None:
    out = tmp_path / "tree"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    proc = run_cli(str(SMALL), str(out), "--to", "lp-archive", "--force")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [(f"lpconvert: refusing to replace {out}: it is a directory, not a package "
                                         "in the lp-archive format, and --force replaces only those; nothing "
                                         "was written")]
    assert (out / "stale.txt").read_text() == "old" and len(list(out.iterdir())) == 1
    assert _leftovers(tmp_path) == []


def test_invalid_input_writes_nothing_and_says_why(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    import shutil

    shutil.copytree(SMALL, bad)
    (bad / "entities" / "first-steps.toml").write_text("[entity\nkey = ")
    out = tmp_path / "out.zip"
    proc = run_cli(str(bad), str(out))
    assert proc.returncode == 1
    assert "entities/first-steps.toml" in proc.stderr
    assert "toml-syntax" in proc.stderr
    assert "nothing written" in proc.stderr
    assert not out.exists() and _leftovers(tmp_path) == []
    assert "Traceback" not in proc.stderr


def test_validate_exit_codes_and_report(tmp_path: Path) -> None:
    ok = run_cli("validate", str(SMALL))
    assert ok.returncode == 0 and "valid" in ok.stderr
    report = tmp_path / "report.json"
    bad = tmp_path / "bad"
    import shutil

    shutil.copytree(SMALL, bad)
    unit = bad / "entities" / "first-steps.toml"
    unit.write_text(unit.read_text().replace('"xblock.v1:problem:quiz1"', '"xblock.v1:problem:missing"'))
    proc = run_cli("validate", str(bad), "--report", str(report))
    assert proc.returncode == 1
    data = json.loads(report.read_text())
    assert data["valid"] is False and data["errors"] >= 1
    problem = next(p for p in data["problems"] if p["code"] == "unresolved-child")
    assert problem["file"] == "entities/first-steps.toml"
    assert problem["field"] == "version[0].container.children[1]"
    assert problem["line"] == unit.read_text().splitlines().index(
        next(ln for ln in unit.read_text().splitlines() if ln.startswith("children"))) + 1
    # grouped by file, with a one-line summary
    assert "entities/first-steps.toml\n" in proc.stderr
    summary = proc.stderr.strip().splitlines()[-1]
    assert "INVALID" in summary and "1 error," in summary


def test_usage_errors_exit_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    cases = [
        (str(SMALL), str(tmp_path / "x.unknownsuffix")),
        (str(SMALL), str(tmp_path / "y.zip"), "--to", "no-such-format"),
        ("validate",),
        ("--no-such-option",),
    ]
    for args in cases:
        proc = run_cli(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert proc.stderr.startswith("lpconvert:") or proc.stderr.startswith("usage:"), proc.stderr


def test_missing_source_is_a_clear_error(tmp_path: Path) -> None:
    proc = run_cli("validate", str(tmp_path / "nope.zip"))
    assert proc.returncode == 1
    assert "does not exist" in proc.stderr and "source-not-found" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_info_summarises_the_package(tmp_path: Path) -> None:
    proc = run_cli("info", str(corpus("lp/synth-1000.zip")))
    assert proc.returncode == 0, proc.stderr
    assert "Synthetic 1000" in proc.stdout and "lib:Oracle:Synth1000" in proc.stdout
    as_json = run_cli("info", str(corpus("lp/synth-1000.zip")), "--json")
    info = json.loads(as_json.stdout)
    # synth-1000: 1000 components in units of 4, subsections of 3 units, sections of 3
    assert info["counts"] == {"section": 28, "subsection": 84, "unit": 250, "xblock.v1:html": 334,
                              "xblock.v1:problem": 333, "xblock.v1:video": 333}
    assert info["draft_ahead"] == 200  # every 5th component has a draft ahead of published
    assert info["collections"] == 10


def test_formats_plugins_schema_and_help() -> None:
    formats = run_cli("formats")
    assert formats.returncode == 0 and "lp-archive" in formats.stdout and ".zip" in formats.stdout
    plugins = run_cli("plugins")
    assert plugins.returncode == 0 and "lp-archive" in plugins.stdout
    schema = run_cli("schema")
    data = json.loads(schema.stdout)
    assert data["title"] == "CompletePackageInput"
    assert "entities" in data["properties"]
    helped = run_cli("--help")
    assert helped.returncode == 0
    for word in ("validate", "info", "formats", "plugins", "schema", "exit codes"):
        assert word in helped.stdout


def test_warnings_are_printed_on_conversion_too(tmp_path: Path) -> None:
    import shutil

    src = tmp_path / "lib"
    shutil.copytree(SMALL, src)
    pkg = src / "package.toml"
    pkg.write_text(pkg.read_text().replace("[learning_package]\n", "[learning_package]\ntitel = \"typo\"\n"))
    proc = run_cli(str(src), str(tmp_path / "out.zip"))
    assert proc.returncode == 0
    assert "unknown-field" in proc.stderr and "did you mean 'title'" in proc.stderr
    strict = run_cli(str(src), str(tmp_path / "strict.zip"), "--strict")
    assert strict.returncode == 1 and not (tmp_path / "strict.zip").exists()


def test_info_counts_a_course_exports_static_files() -> None:
    import tarfile

    export = corpus("olx/openedx-demo-course.tar.gz")
    with tarfile.open(export) as tar:
        expected = sum(1 for m in tar.getmembers() if m.isfile() and "/static/" in f"/{m.name.lstrip('./')}"
                       and m.name.lstrip("./").split("/")[1] == "static")
    proc = run_cli("info", str(export), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["static_files"] == expected


def test_an_archive_missing_its_package_toml_is_named_as_such(tmp_path: Path) -> None:
    """A zip of a library's entities/ and collections/ without package.toml is not 'unknown'."""
    archive = tmp_path / "lib.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(SMALL.rglob("*")):
            rel = path.relative_to(SMALL).as_posix()
            if path.is_file() and rel != "package.toml":
                zf.write(path, f"MyLib/{rel}")
    checked = run_cli("validate", str(archive))
    assert checked.returncode == 1
    assert (f"error: {archive}: a learning-package archive missing its package.toml (it has entities/ and "
            "collections/ but no package.toml at its root)") in checked.stderr
    assert "(missing-package-toml)" in checked.stderr and "no format recognises" not in checked.stderr
    assert checked.stderr.count("error:") == 1
    out = tmp_path / "lib.json"
    converted = run_cli(str(archive), str(out))
    assert converted.returncode == 1 and not out.exists()
    assert "a learning-package archive missing its package.toml" in converted.stderr.splitlines()[-1]


def test_hints_for_reading_name_only_formats_that_read(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The html plugin writes but cannot read: suggesting `--from html` would send a user nowhere."""
    from helpers.plugins import html_plugin

    from lpconvert.cli import main
    from lpconvert.testing import use_plugins

    notes = tmp_path / "notes.zip"
    with zipfile.ZipFile(notes, "w") as zf:
        zf.writestr("todo.txt", "buy milk\n")
    with use_plugins(html_plugin):
        assert main(["formats"]) == 0
        listed = capsys.readouterr().out.splitlines()
        assert next(line for line in listed if line.startswith("html ")).split()[1] == "write"
        assert main(["validate", str(notes)]) == 1
        hint = capsys.readouterr().err
        assert "try --from with one of: json, lp-archive, olx, sections, sqlite" in hint
        assert main([str(notes), str(tmp_path / "x.json"), "--from", "html"]) == 2
        refused = capsys.readouterr().err.splitlines()[0]
        assert refused == ("lpconvert: format 'html' can be written but not read; formats that read: "
                           "json, lp-archive, olx, sections, sqlite")
        assert main([str(notes), str(tmp_path / "x.json"), "--from", "htm"]) == 2
        assert "known formats: json, lp-archive, olx, sections, sqlite)" in capsys.readouterr().err
