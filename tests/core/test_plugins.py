"""Plugins arrive through the `lpconvert` entry-point group, for real, and fail alone."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from helpers.cli import run_cli
from helpers.paths import FIXTURES

from lpconvert.formats import FormatSpec
from lpconvert.plugin_manager import PluginRegistry

SMALL = FIXTURES / "lp-archive" / "small-library"

GOOD_PLUGIN = '''
from lpconvert.formats import FormatSpec
from lpconvert.hookspecs import hookimpl

LPCONVERT_API = 1

def write_titles(package, sink, options):
    with sink.open() as f:
        for entity in sorted(package.entities, key=lambda e: e.key):
            version = entity.current_version
            f.write(f"{entity.key}\\t{version.title if version else ''}\\n".encode())
    return []

@hookimpl
def lpconvert_formats():
    return [FormatSpec(name="titles", description="One line per entity: key and title",
                       suffixes=(".titles",), writer=write_titles, output="file")]
'''

BROKEN_PLUGIN = "import this_module_does_not_exist\n"

FUTURE_PLUGIN = '''
from lpconvert.formats import FormatSpec
from lpconvert.hookspecs import hookimpl

LPCONVERT_API = 99

@hookimpl
def lpconvert_formats():
    return [FormatSpec(name="future", description="from the future")]
'''


def make_distribution(root: Path, dist: str, version: str, module: str, code: str, entry_name: str) -> None:
    """A throwaway installed distribution: a module and a .dist-info with entry_points.txt."""
    (root / f"{module}.py").write_text(textwrap.dedent(code))
    info = root / f"{dist}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[lpconvert]\n{entry_name} = {module}\n")
    (info / "RECORD").write_text("")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    root.mkdir()
    make_distribution(root, "lpconvert_titles", "1.2.3", "lpconvert_titles_plugin", GOOD_PLUGIN, "titles")
    make_distribution(root, "lpconvert_broken", "0.0.1", "lpconvert_broken_plugin", BROKEN_PLUGIN, "broken")
    make_distribution(root, "lpconvert_future", "9.0", "lpconvert_future_plugin", FUTURE_PLUGIN, "future")
    return root


def test_entry_point_plugins_load_in_process(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(site))
    registry = PluginRegistry()
    registry.load_entry_points()
    titles = registry.plugins["titles"]
    assert (titles.status, titles.distribution, titles.version, titles.formats) == (
        "ok", "lpconvert_titles", "1.2.3", ["titles"])
    assert registry.get("titles") is not None and registry.get("titles").plugin == "titles"
    broken = registry.plugins["broken"]
    assert broken.status == "failed" and "this_module_does_not_exist" in (broken.error or "")
    future = registry.plugins["future"]
    assert future.status == "failed" and "plugin API 99" in (future.error or "")
    assert registry.get("future") is None
    # the built-in format still works beside the failures
    assert registry.get("lp-archive") is not None


def test_entry_point_plugins_through_the_command_line(site: Path, tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(site)}
    plugins = run_cli("plugins", env=env)
    assert plugins.returncode == 0
    line = next(ln for ln in plugins.stdout.splitlines() if ln.startswith("titles"))
    assert "lpconvert_titles 1.2.3" in line and "formats: titles" in line
    assert any(ln.startswith("broken") and "failed" in ln for ln in plugins.stdout.splitlines())

    formats = run_cli("formats", env=env)
    assert formats.returncode == 0
    assert "titles" in formats.stdout
    assert "plugin broken failed to load" in formats.stderr

    out = tmp_path / "lib.titles"
    converted = run_cli(str(SMALL), str(out), env=env)
    assert converted.returncode == 0, converted.stderr
    lines = out.read_text().splitlines()
    assert "xblock.v1:html:intro\tIntroduction" in lines
    assert "week-1\tWeek 1" in lines


def test_disabled_plugins_are_not_imported(site: Path) -> None:
    env = {"PYTHONPATH": str(site), "LPCONVERT_DISABLE_PLUGINS": "titles,broken"}
    plugins = run_cli("plugins", env=env)
    rows = {ln.split()[0]: ln for ln in plugins.stdout.splitlines() if ln and not ln.startswith(" ")}
    assert "disabled" in rows["titles"] and "disabled" in rows["broken"]
    formats = run_cli("formats", env=env)
    assert not any(line.startswith("titles ") for line in formats.stdout.splitlines()), "no format line"
    assert "broken" not in formats.stderr


def test_direct_registration_works_like_an_entry_point() -> None:
    registry = PluginRegistry()

    class Plugin:
        LPCONVERT_API = 1

        from lpconvert.hookspecs import hookimpl

        @hookimpl
        def lpconvert_formats(self) -> list[FormatSpec]:
            return [FormatSpec(name="direct", description="registered directly")]

    info = registry.register(Plugin(), name="direct-plugin")
    assert info.status == "ok" and info.formats == ["direct"]
    assert registry.get("direct").plugin == "direct-plugin"


def test_a_plugin_cannot_take_over_an_existing_format_name() -> None:
    registry = PluginRegistry()
    registry.load_entry_points()

    class Impostor:
        LPCONVERT_API = 1

        from lpconvert.hookspecs import hookimpl

        @hookimpl
        def lpconvert_formats(self) -> list[FormatSpec]:
            return [FormatSpec(name="lp-archive", description="not really")]

    info = registry.register(Impostor(), name="impostor")
    assert info.status == "failed" and "already provided" in (info.error or "")
    assert registry.get("lp-archive").plugin == "lp-archive"


def test_core_imports_no_format() -> None:
    """The core knows no format: importing lpconvert's modules pulls in no plugin package."""
    code = ("import sys, lpconvert.api, lpconvert.cli, lpconvert.validation, lpconvert.model;"
            "print(sorted(m for m in sys.modules if m.startswith('lpconvert_')))")
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_disabled_plugins_format_is_explained(site: Path, tmp_path: Path) -> None:
    env = {"PYTHONPATH": str(site), "LPCONVERT_DISABLE_PLUGINS": "titles"}
    proc = run_cli(str(SMALL), str(tmp_path / "x.out"), "--to", "titles", env=env)
    assert proc.returncode == 2
    assert "disabled by LPCONVERT_DISABLE_PLUGINS" in proc.stderr
    assert not (tmp_path / "x.out").exists()


def test_when_two_probes_accept_a_source_the_matching_suffix_wins(tmp_path: Path) -> None:
    from lpconvert.api import detect_format
    from lpconvert.plugin_manager import get_registry, reset_registry
    from lpconvert.storage import open_source

    def everything(source) -> bool:  # type: ignore[no-untyped-def]
        return True

    def specs(name: str, suffix: str) -> type:
        class Plugin:
            LPCONVERT_API = 1
            from lpconvert.hookspecs import hookimpl

            @hookimpl
            def lpconvert_formats(self) -> list[FormatSpec]:
                return [FormatSpec(name=name, description=name, suffixes=(suffix,), probe=everything,
                                   reader="x:y")]
        return Plugin

    registry = PluginRegistry()
    registry.register(specs("aaa-lines", ".lines")(), name="a")
    registry.register(specs("zzz-doc", ".doc")(), name="z")
    previous = get_registry()
    reset_registry(registry)
    try:
        for name, expected in (("x.doc", "zzz-doc"), ("x.lines", "aaa-lines"), ("x.other", "aaa-lines")):
            path = tmp_path / name
            path.write_text("{}")
            with open_source(str(path)) as source:
                assert detect_format(source).name == expected, name
    finally:
        reset_registry(previous)


def test_registering_a_second_plugin_under_a_taken_name_is_refused() -> None:
    registry = PluginRegistry()
    registry.load_entry_points()
    info = registry.register(object(), name="lp-archive")
    assert info.status == "failed" and "already registered" in (info.error or "")
    assert registry.plugins["lp-archive"].status == "ok"


MISSPELT_PLUGIN = '''
from lpconvert.plugin import FormatSpec, hookimpl

LPCONVERT_API = 1

@hookimpl
def lpconvert_format():
    return [FormatSpec(name="misspelt", description="never seen")]
'''

COMMAND_PLUGIN = '''
from lpconvert.plugin import CommandError, hookimpl

LPCONVERT_API = 1

@hookimpl
def register_commands(subparsers):
    p = subparsers.add_parser("shout", help="print WORD in capitals")
    p.add_argument("word")
    p.set_defaults(handler=run)

def run(args):
    if not args.word.isalpha():
        raise CommandError(f"shout needs letters, not {args.word!r}")
    print(args.word.upper())
    return 0
'''

TAKEOVER_PLUGIN = '''
from lpconvert.plugin import hookimpl

LPCONVERT_API = 1

@hookimpl
def register_commands(subparsers):
    subparsers.add_parser("validate", help="mine now")
'''


def test_a_misspelt_hook_is_reported_with_the_plugins_name(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    make_distribution(root, "lpconvert_misspelt", "0.1", "lpconvert_misspelt_plugin", MISSPELT_PLUGIN, "misspelt")
    plugins = run_cli("plugins", env={"PYTHONPATH": str(root)})
    assert plugins.returncode == 0
    line = next(ln for ln in plugins.stdout.splitlines() if ln.startswith("misspelt"))
    assert "failed" in line
    assert "unknown hook 'lpconvert_format' (did you mean 'lpconvert_formats'?)" in plugins.stdout
    assert run_cli("formats", env={"PYTHONPATH": str(root)}).stdout.count("misspelt") == 0


def test_a_plugin_adds_a_subcommand_and_cannot_take_a_core_one(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    make_distribution(root, "lpconvert_shout", "0.1", "lpconvert_shout_plugin", COMMAND_PLUGIN, "shout")
    make_distribution(root, "lpconvert_takeover", "0.1", "lpconvert_takeover_plugin", TAKEOVER_PLUGIN, "takeover")
    env = {"PYTHONPATH": str(root)}
    shouted = run_cli("shout", "hello", env=env)
    assert (shouted.returncode, shouted.stdout) == (0, "HELLO\n"), shouted.stderr
    refused = run_cli("shout", "h3llo", env=env)
    assert refused.returncode == 2
    assert refused.stderr.splitlines()[0] == "lpconvert: shout needs letters, not 'h3llo'"
    assert "shout" in run_cli("--help", env=env).stdout
    plugins = run_cli("plugins", env=env).stdout
    assert "formats: -; commands: shout" in next(ln for ln in plugins.splitlines() if ln.startswith("shout"))
    takeover = next(ln for ln in plugins.splitlines() if ln.startswith("takeover"))
    assert "failed" in takeover
    assert "command 'validate' is already lpconvert's or another plugin's" in plugins
    validated = run_cli("validate", str(SMALL), env=env)  # still the core's validate
    assert validated.returncode == 0 and "valid" in validated.stderr
