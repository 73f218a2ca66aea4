"""The command-line habits users bring from other tools (issue 15): short flags, `-` for
stdin/stdout, `--json` with published schemas, one-line errors, -q/-v, `help`, completion.
Every test runs the real `lpconvert` in a subprocess."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import jsonschema
import pytest
from helpers.cli import run_cli
from helpers.paths import FIXTURES

SMALL = FIXTURES / "lp-archive" / "small-library"


def _pipe(*args: str, stdin: bytes = b"", cwd: Path | None = None,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """`lpconvert ARGS` with `stdin` on standard input, stdout kept as bytes."""
    exe = shutil.which("lpconvert", path=str(Path(sys.executable).parent)) or "lpconvert"
    return subprocess.run([exe, *args], check=False, input=stdin, capture_output=True, cwd=cwd, timeout=600,
                          env={**os.environ, "LPCONVERT_NO_PROGRESS": "1", **(env or {})})


@pytest.fixture(scope="module")
def small_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("zip") / "small.zip"
    assert run_cli(str(SMALL), str(out)).returncode == 0
    return out


def test_every_wrong_invocation_is_one_line_starting_lpconvert(tmp_path: Path, small_zip: Path) -> None:
    existing = tmp_path / "there.zip"
    existing.write_bytes(small_zip.read_bytes())
    src = str(SMALL)
    cases = [
        ("validate",),
        ("info",),
        ("--no-such-option",),
        ("validate", src, "--no-such-option"),
        (src, str(tmp_path / "x.unknownsuffix")),
        (src, str(tmp_path / "y.zip"), "-t", "no-such-format"),
        (src, str(tmp_path / "y.zip"), "--allow-loss", "no-such-kind"),
        (src, str(tmp_path / "y.zip"), "-O", "no-equals-sign"),
        (src, str(existing)),  # already exists, without --force
        (src, src),
        ("merge", src),
        ("merge", src, src, str(existing)),
        ("validate", src, "--max-size", "12Q"),
        ("validate", src, "-q", "-v"),
        ("validate", "-"),  # stdin without --from
        (src, "-"),  # stdout without --to
        (src, "-", "-t", "sections"),  # a tree with no single-file container
        (src, "-", "-t", "olx", "--container", "dir"),
        (src, "-", "-t", "json", "--report", "-"),
        ("help", "no-such-command"),
        ("schema", "--report", "no-such-report"),
        ("completion", "tcsh"),
        ("formats", "--no-such-option"),
    ]
    for args in cases:
        proc = run_cli(*args, cwd=tmp_path)
        lines = proc.stderr.splitlines()
        assert proc.returncode == 2, (args, proc.stderr)
        assert len(lines) == 1 and lines[0].startswith("lpconvert: "), (args, proc.stderr)
    assert existing.read_bytes() == small_zip.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["there.zip"], "nothing written, not even a '-'"


def test_short_from_and_to(tmp_path: Path, small_zip: Path) -> None:
    out = tmp_path / "lib"
    proc = run_cli(str(small_zip), str(out), "-f", "lp-archive", "-t", "json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["learning_package"]["title"] == "Small Library"
    checked = run_cli("validate", str(out), "-f", "json")
    assert checked.returncode == 0 and "valid json" in checked.stderr
    first = tmp_path / "options-first"
    proc = run_cli("-t", "sqlite", "-q", str(small_zip), str(first))  # options before IN OUT: still convert
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert first.read_bytes().startswith(b"SQLite format 3\x00")


def test_stdin_to_stdout_is_the_same_as_files(tmp_path: Path, small_zip: Path) -> None:
    by_file = tmp_path / "lib.json"
    assert run_cli(str(small_zip), str(by_file)).returncode == 0
    piped = _pipe("-", "-", "-f", "lp-archive", "-t", "json", stdin=small_zip.read_bytes(), cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == by_file.read_bytes()
    assert piped.stderr.decode().splitlines()[-1].startswith("wrote standard output (json, from lp-archive)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lib.json"], "no '-' file, no spool left behind"


def test_a_tree_format_goes_to_stdout_as_its_archive(tmp_path: Path, small_zip: Path) -> None:
    olx = _pipe(str(small_zip), "-", "-t", "olx", "-q")
    assert olx.returncode == 0, olx.stderr
    assert olx.stderr == b"", "with -q and OUT -, nothing but the package is printed"
    with tarfile.open(fileobj=io.BytesIO(olx.stdout), mode="r:gz") as tar:
        assert "course/course.xml" in tar.getnames()
    sections = _pipe(str(small_zip), "-", "-t", "sections", "--container", "zip")
    assert sections.returncode == 0, sections.stderr
    assert zipfile.ZipFile(io.BytesIO(sections.stdout)).namelist()
    # and an olx tar.gz read back from stdin
    back = _pipe("info", "-", "-f", "olx", "--json", stdin=olx.stdout)
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["title"] == "Small Library"
    assert json.loads(back.stdout)["source"] == "-"


def test_stdin_takes_every_archive_a_file_path_takes(tmp_path: Path, small_zip: Path) -> None:
    """Standard input is recognised by the same rule as a file (storage's `archive_kind`): a
    course packed as .tar.bz2 reads from `-` as it reads from its path."""
    course = tmp_path / "course.tar.gz"
    assert _pipe(str(small_zip), str(course), "-t", "olx", "-q").returncode == 0
    with tarfile.open(course) as tar:
        members = [(m, tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()]  # type: ignore[union-attr]
    bz2 = io.BytesIO()
    with tarfile.open(fileobj=bz2, mode="w:bz2") as tar:
        for member, data in members:
            tar.addfile(member, io.BytesIO(data) if data is not None else None)
    (tmp_path / "course.tar.bz2").write_bytes(bz2.getvalue())
    from_file = _pipe("info", str(tmp_path / "course.tar.bz2"), "-f", "olx", "--json")
    from_stdin = _pipe("info", "-", "-f", "olx", "--json", stdin=bz2.getvalue())
    assert from_file.returncode == 0 and from_stdin.returncode == 0, from_stdin.stderr
    assert {**json.loads(from_stdin.stdout), "source": None} == {**json.loads(from_file.stdout), "source": None}


def test_stdin_that_is_not_an_archive_is_one_line(tmp_path: Path) -> None:
    proc = _pipe("validate", "-", "-f", "olx", stdin=b"just some text\n")
    assert proc.returncode == 2
    assert proc.stderr.decode().splitlines() == [
        "lpconvert: standard input (-) holds no zip or tar archive; a olx package read from stdin must be one"]
    big = _pipe("validate", "-", "-f", "json", "--max-size", "1K", stdin=b"{" + b" " * 5000 + b"}")
    assert big.returncode == 1
    assert big.stderr.decode().splitlines() == [
        "lpconvert: standard input (-) is larger than the size limit of 1024 bytes (--max-size)"]


def test_report_dash_prints_the_report_on_stdout(tmp_path: Path) -> None:
    proc = run_cli("validate", str(SMALL), "--report", "-", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["valid"] is True
    assert "valid lp-archive" in proc.stderr, "the human summary stays on stderr"
    assert not (tmp_path / "-").exists()


def _schema(name: str) -> dict[str, object]:
    proc = run_cli("schema", "--report", name)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_json_outputs_follow_their_published_schemas(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(SMALL, bad)
    unit = bad / "entities" / "first-steps.toml"
    unit.write_text(unit.read_text().replace('"xblock.v1:problem:quiz1"', '"xblock.v1:problem:missing"'))
    validated = run_cli("validate", str(bad), "--json")
    assert validated.returncode == 1
    report = json.loads(validated.stdout)
    jsonschema.validate(report, _schema("problems"))
    assert report["valid"] is False and [p["code"] for p in report["problems"]] == ["unresolved-child"]

    info = run_cli("info", str(SMALL), "--json")
    jsonschema.validate(json.loads(info.stdout), _schema("info"))

    formats = json.loads(run_cli("formats", "--json").stdout)
    jsonschema.validate(formats, _schema("formats"))
    by_name = {f["name"]: f for f in formats["formats"]}
    assert by_name["olx"]["output"] == "tree" and by_name["json"]["output"] == "file"
    assert ".zip" in by_name["lp-archive"]["suffixes"]
    assert "collections" in by_name["olx"]["loss_kinds"] and set(by_name["json"]["loss_kinds"]) == {"non-finite-numbers"}

    plugins = json.loads(run_cli("plugins", "--json").stdout)
    jsonschema.validate(plugins, _schema("plugins"))
    olx = next(p for p in plugins["plugins"] if "olx" in p["formats"])
    assert olx["status"] == "ok" and olx["error"] is None

    batch = run_cli("batch", "--schema")
    if batch.returncode == 0:  # the batch extra is installed
        assert json.loads(batch.stdout) == _schema("batch-record")


def test_every_report_has_its_schema_command() -> None:
    from lpconvert.cli import REPORT_NAMES
    from lpconvert.reports import REPORTS

    assert sorted(REPORT_NAMES) == sorted(REPORTS), "`schema --report` offers exactly the published reports"


def test_quiet_and_verbose(tmp_path: Path, small_zip: Path) -> None:
    quiet = run_cli(str(small_zip), str(tmp_path / "q.tar.gz"), "-q")
    assert quiet.returncode == 0 and quiet.stderr == "", "the loss warnings and summary are not errors"
    loud = run_cli(str(small_zip), str(tmp_path / "v.tar.gz"), "-v")
    assert loud.returncode == 0
    detail = next(line for line in loud.stderr.splitlines() if line.startswith("read "))
    assert "as lp-archive (plugin lp-archive" in detail and "wrote olx (plugin olx" in detail
    assert detail.endswith(" s")
    assert "(loss)" in loud.stderr


def test_help_command_is_the_commands_help() -> None:
    for command in ("validate", "convert", "merge", "formats"):
        assert run_cli("help", command).stdout == run_cli(command, "--help").stdout
    top = run_cli("help")
    assert top.returncode == 0 and top.stdout == run_cli("--help").stdout


def _complete(line: str, tmp_path: Path) -> list[str]:
    """Run the real completer the way bash does (argcomplete's protocol)."""
    out = tmp_path / "candidates"
    proc = run_cli(env={"_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
                        "_ARGCOMPLETE_STDOUT_FILENAME": str(out), "_ARGCOMPLETE_IFS": "\n"}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return sorted(c.strip() for c in out.read_text().split("\n") if c.strip())


def test_completion_of_commands_options_formats_and_kinds(tmp_path: Path) -> None:
    assert _complete("lpconvert va", tmp_path) == ["validate"]
    assert "merge" in _complete("lpconvert ", tmp_path)
    assert _complete("lpconvert validate lib.zip --st", tmp_path) == ["--strict"]
    assert _complete("lpconvert lib.zip out --to ", tmp_path) == ["json", "lp-archive", "olx", "sections",
                                                                  "sqlite"]
    assert _complete("lpconvert convert lib.zip out -t s", tmp_path) == ["sections", "sqlite"]
    assert _complete("lpconvert -t j", tmp_path) == ["json"]
    assert "collections" in _complete("lpconvert lib.zip out.tar.gz --allow-loss co", tmp_path)
    script = run_cli("completion", "bash")
    assert script.returncode == 0 and "complete " in script.stdout and "lpconvert" in script.stdout


def test_completion_offers_declared_option_keys(tmp_path: Path) -> None:
    """-O keys come from the format's declared writer options (issue 15, helper G's FormatSpec
    fields); before those land no format declares any, so there is nothing to offer."""
    from lpconvert.plugin_manager import get_registry

    olx = get_registry().formats["olx"]
    declared = sorted(f"{o.name}=" for o in getattr(olx, "writer_options", ()))
    assert _complete("lpconvert lib.zip out -t olx -O ", tmp_path) == declared
