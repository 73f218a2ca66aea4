"""Format plugins use only the stable plugin API, `lpconvert.plugin`, and that API is what
`PLUGIN_API_VERSION` guards: changing it without a new version fails here."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import lpconvert.plugin
from helpers.paths import ROOT

PLUGIN_SOURCES = sorted(p for p in ROOT.joinpath("plugins").rglob("*.py") if "tests" not in p.parts)

# The surface of PLUGIN_API_VERSION 1. Adding a name is compatible; removing or renaming one
# needs a new PLUGIN_API_VERSION (and plugins say which one they were written for).
API_1 = {
    "BinaryMedia", "CONTAINER_TYPES", "Collection", "CommandError", "convert", "LpconvertError", "CompletePackageInput", "Entity", "EntityVersion",
    "FileSink", "FormatOption", "FormatSpec", "LearningPackage", "Limits", "Loc", "Locator", "LossKind",
    "MediaFile", "Meta", "NullProgress", "OLX_TAG", "is_xml_name", "Origin", "PLUGIN_API_VERSION", "Package", "PackageRoot", "Problem",
    "ProblemCode", "Progress", "RawPackage", "ReadOptions", "ResourceMedia", "Severity", "Sink", "Source",
    "SourceError", "StaticRef", "TextMedia", "TreeSink", "WriteOptions", "XmlError", "dotted", "error",
    "hookimpl", "loss_examples", "media_digest", "model_parts", "parse_xml", "scans_links", "static_references", "toml_field_lines",
    "toml_key", "toml_key_too_deep", "toml_value", "toml_nearest_line", "toml_string", "too_deep", "warning",
}


def _lpconvert_imports(path: Path) -> list[str]:
    """Every lpconvert module `path` imports (relative imports stay inside the plugin)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        elif isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        else:
            continue
        found += [m for m in modules if m == "lpconvert" or m.startswith("lpconvert.")]
    return found


def test_every_plugin_module_imports_only_the_plugin_api() -> None:
    assert len(PLUGIN_SOURCES) > 40  # the built-in plugins, html and imscc: the scan sees them
    wrong = {str(p.relative_to(ROOT)): m for p in PLUGIN_SOURCES for m in _lpconvert_imports(p)
             if m != "lpconvert.plugin"}
    assert wrong == {}


def test_the_check_sees_an_import_of_the_core(tmp_path: Path) -> None:
    module = tmp_path / "plugin.py"
    module.write_text("from lpconvert.plugin import FormatSpec\nimport lpconvert.model\n"
                      "def f():\n    from lpconvert.xmlsafe import parse_xml\n")
    assert _lpconvert_imports(module) == ["lpconvert.plugin", "lpconvert.model", "lpconvert.xmlsafe"]


def test_the_surface_is_exactly_what_the_api_version_guards() -> None:
    assert lpconvert.plugin.PLUGIN_API_VERSION == 1
    assert set(lpconvert.plugin.__all__) == API_1
    for name in lpconvert.plugin.__all__:  # every name resolves (no stale table entry)
        assert getattr(lpconvert.plugin, name) is not None


def test_importing_the_plugin_api_for_registration_stays_light() -> None:
    """A registration module imports FormatSpec and hookimpl from here; that must not pull in
    pydantic, lxml or fsspec, or `lpconvert formats` and `--help` slow down."""
    code = ("import sys\nfrom lpconvert.plugin import FormatSpec, FormatOption, LossKind, ProblemCode, hookimpl\n"
            "print(sorted(m for m in ('pydantic', 'lxml', 'fsspec', 'lpconvert.model') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_reader_or_writer_is_always_given_a_progress_reporter() -> None:
    """`options.progress` is never None, so a plugin calls it without a guard; an older caller
    that still passes None explicitly gets a silent reporter, not an AttributeError later."""
    from lpconvert.plugin import NullProgress, ReadOptions, WriteOptions

    for options in (ReadOptions(), WriteOptions(), ReadOptions(progress=None), WriteOptions(None, {"k": "v"})):
        assert isinstance(options.progress, NullProgress)
        options.progress.start(3, "reading")
        options.progress.advance()
        options.progress.finish()
    assert WriteOptions(None, {"k": "v"}).extra == {"k": "v"}
