"""Plugin registration for the sections layout: light, and a probe that reads one small file.

Light means nothing beyond what registration needs: `lpconvert formats` imports this module,
so the TOML parser is imported by the probe, when there is a package.toml to read.
"""

from __future__ import annotations

from lpconvert.plugin import FormatSpec, ProblemCode, hookimpl

LPCONVERT_API = 1

LAYOUT_NAME = "sections"
PACKAGE_TOML = "package.toml"


def layout_of(source) -> str | None:  # type: ignore[no-untyped-def]
    """The `[layout] format` named in package.toml, or None (lp-archives have no [layout])."""
    if source.is_single_file or not source.exists(PACKAGE_TOML):
        return None
    import re
    import tomllib

    from lpconvert.plugin import toml_key_too_deep

    try:
        text = source.read_text(PACKAGE_TOML)
        if toml_key_too_deep(text, source.limits.max_nesting) is not None:
            raise RecursionError  # parsing it would take minutes: judge by the text alone
        doc = tomllib.loads(text)
    except RecursionError:
        # Nested too deep to parse: ours if it says so, and the reader then names the problem.
        return LAYOUT_NAME if re.search(r"(?m)^\s*\[\s*layout\s*\]", text) else None
    except Exception:  # noqa: BLE001 - an unreadable package.toml is not ours to claim
        return None
    layout = doc.get("layout")
    return layout.get("format") if isinstance(layout, dict) else None


def probe(source) -> bool:  # type: ignore[no-untyped-def]
    return layout_of(source) == LAYOUT_NAME


@hookimpl
def lpconvert_formats() -> list[FormatSpec]:
    return [
        FormatSpec(
            name="sections",
            description="Authoring layout for a text editor and git: one TOML file per section with its "
                        "subsections and units, one folder per component (block.xml and static files); "
                        "current versions only",
            suffixes=(),
            probe=probe,
            foreign_files="lpconvert_sections.layout:foreign_files",
            reader="lpconvert_sections.reader:read_sections",
            writer="lpconvert_sections.writer:write_sections",
            cannot_hold=frozenset({"history", "published-behind-draft"}),
            problem_codes=(
                ProblemCode("toml-syntax", "error", "a TOML file does not parse"),
                ProblemCode("toml-structure", "error",
                            "a TOML file parses but has the wrong shape (missing table, scalar outside a table)"),
                ProblemCode("toml-too-deep", "error", "a TOML value nests arrays/tables beyond the configured depth"),
                ProblemCode("json-syntax", "error",
                            "a JSON value inside a TOML file (attributes, extra fields) does not parse"),
                ProblemCode("json-too-deep", "error",
                            "a JSON value inside a TOML file nests beyond the configured depth"),
                ProblemCode("stray-file", "warning", "a file the sections layout does not use (ignored)"),
            ),
        )
    ]
