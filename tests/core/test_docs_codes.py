"""docs/validation.md documents every problem code lpconvert can emit, and nothing else.

A user who reads `(wrong-level)` at the end of a message must find it in the docs with an
example and a remedy; a code renamed in the table but not in the docs would leave them
stranded. The codes are the core's (`lpconvert.problems.CODES`) and each installed format's
own (`FormatSpec.problem_codes`): the built-in formats, and the html and imscc plugins.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.paths import ROOT
from helpers.plugins import SEPARATE, plugin_module

from lpconvert.formats import FormatSpec
from lpconvert.problems import CODES, known_codes
from lpconvert.testing import use_plugins

DOC = ROOT / "docs" / "validation.md"
HEADING = re.compile(r"^#### `([a-z0-9-]+)`\s*$", re.MULTILINE)
EMITTED = re.compile(
    r"""\b(?:error|warning|warn|problem|SourceError|XmlError|_add_file_problem\(r,)\(\s*(?:Severity\.\w+,\s*)?"""
    r"""["']([a-z0-9]+(?:-[a-z0-9]+)+)["']""")


@pytest.fixture(scope="module")
def formats() -> Iterator[dict[str, FormatSpec]]:
    """Every format: the installed ones and the separately distributed html and imscc."""
    modules = [plugin_module(folder) for folder in SEPARATE]
    with use_plugins(*modules) as registry:
        yield dict(registry.formats)


def _documented() -> list[str]:
    return HEADING.findall(DOC.read_text(encoding="utf-8"))


def _sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = HEADING.split(text)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_code_is_documented_once(formats: dict[str, FormatSpec]) -> None:
    documented = _documented()
    codes = known_codes(formats.values())
    assert sorted(set(documented)) == sorted(documented), "a code is documented twice"
    assert set(codes) - set(documented) == set(), "codes without documentation"
    assert set(documented) - set(codes) == set(), "documented codes that lpconvert does not have"


def test_every_documented_code_says_what_to_do() -> None:
    for code, body in _sections().items():
        assert "Fix:" in body, f"{code} has no remedy"
        assert "Error" in body or "Warning" in body or "plugin" in body, f"{code} gives no severity"


def _emitted(paths: list[Path]) -> set[str]:
    return {m.group(1) for path in paths for m in EMITTED.finditer(path.read_text(encoding="utf-8"))}


def _plugin_folders() -> dict[str, Path]:
    """Plugin package name -> its folder of sources."""
    out = {p.name: p for p in ROOT.joinpath("plugins").iterdir() if p.name.startswith("lpconvert_")}
    out.update((package, ROOT / "plugins" / folder / "src" / package) for folder, package in SEPARATE.items())
    return out


def test_the_core_emits_only_its_own_codes() -> None:
    """A code typed into the core but missing from CODES would never be documented; and the
    core names no format's code."""
    emitted = _emitted(list(ROOT.joinpath("lpconvert").rglob("*.py")))
    assert emitted - set(CODES) == set()
    assert {"wrong-level", "archive-bomb", "xml-syntax"} <= emitted  # the scan does find codes


def test_every_plugin_emits_only_core_codes_and_codes_it_declares(formats: dict[str, FormatSpec]) -> None:
    by_package: dict[str, set[str]] = {}
    for spec in formats.values():
        package = str(spec.reader or spec.writer).partition(".")[0]
        by_package.setdefault(package, set()).update(c.code for c in spec.problem_codes)
    undeclared = {}
    for package, folder in _plugin_folders().items():
        assert package in by_package, f"{package} provides no format here"
        extra = _emitted(list(folder.rglob("*.py"))) - set(CODES) - by_package[package]
        if extra:
            undeclared[package] = sorted(extra)
    assert undeclared == {}
    assert {"toml-syntax", "sqlite-error", "unknown-tag"} <= set().union(*by_package.values())


def test_a_format_declares_a_code_once_with_a_severity(formats: dict[str, FormatSpec]) -> None:
    for spec in formats.values():
        codes = [c.code for c in spec.problem_codes]
        assert sorted(set(codes)) == sorted(codes), spec.name
        assert {c.severity for c in spec.problem_codes} <= {"error", "warning"}, spec.name
        assert not set(codes) & set(CODES), f"{spec.name} redeclares a core code"
