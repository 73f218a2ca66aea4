"""docs/validation.md documents every problem code lpconvert can emit, and nothing else.

A user who reads `(wrong-level)` at the end of a message must find it in the docs with an
example and a remedy; a code renamed in the table but not in the docs would leave them
stranded.
"""

from __future__ import annotations

import re
from pathlib import Path

from lpconvert.problems import CODES

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "validation.md"
HEADING = re.compile(r"^#### `([a-z0-9-]+)`\s*$", re.MULTILINE)
EMITTED = re.compile(
    r"""\b(?:error|warning|warn|SourceError|XmlError|_add_file_problem\(r,)\(\s*(?:Severity\.\w+,\s*)?"""
    r"""["']([a-z0-9]+(?:-[a-z0-9]+)+)["']""")


def _documented() -> list[str]:
    return HEADING.findall(DOC.read_text(encoding="utf-8"))


def _sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = HEADING.split(text)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_every_code_is_documented_once() -> None:
    documented = _documented()
    assert sorted(set(documented)) == sorted(documented), "a code is documented twice"
    assert set(CODES) - set(documented) == set(), "codes without documentation"
    assert set(documented) - set(CODES) == set(), "documented codes that lpconvert does not have"


def test_every_documented_code_says_what_to_do() -> None:
    for code, body in _sections().items():
        assert "Fix:" in body, f"{code} has no remedy"
        assert "Error" in body or "Warning" in body or "plugin" in body, f"{code} gives no severity"


def test_every_code_the_sources_emit_is_in_the_table() -> None:
    """A code typed into a reader but missing from CODES would never be documented."""
    sources = [*ROOT.joinpath("lpconvert").rglob("*.py"), *ROOT.joinpath("plugins").rglob("*.py")]
    emitted = {m.group(1): path for path in sources for m in EMITTED.finditer(path.read_text(encoding="utf-8"))}
    unknown = {code: str(path.relative_to(ROOT)) for code, path in emitted.items() if code not in CODES}
    assert unknown == {}
    # the scan does find codes: it would pass vacuously if the pattern matched nothing
    assert {"wrong-level", "archive-bomb", "toml-syntax"} <= set(emitted)
