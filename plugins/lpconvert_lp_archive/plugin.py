"""Plugin registration: light on purpose (no TOML, no zip), so listing formats stays fast."""

from __future__ import annotations

import re

from lpconvert.plugin import FormatSpec, LossKind, ProblemCode, hookimpl

LPCONVERT_API = 1


def probe(source) -> bool:  # type: ignore[no-untyped-def]
    """An lp-archive has package.toml at its root (after looking through a wrapper folder).

    Other layouts may also have a package.toml; they say so with a ``[layout]`` table
    (the sections format does), which an lp-archive never has. A source with the archive's
    entity files (``entities/*.toml``) but no package.toml is claimed too, so that the
    reader can say what is missing instead of "no format recognises this source".
    """
    if not source.exists("package.toml"):
        return _has_entity_files(source)
    try:
        text = source.read_text("package.toml")
    except Exception:  # noqa: BLE001 - unreadable: let the lp-archive reader report it
        return True
    return re.search(r"(?m)^\s*\[\s*layout\s*\]", text) is None


def _has_entity_files(source) -> bool:  # type: ignore[no-untyped-def]
    """entities/NAME.toml or entities/NAMESPACE/TYPE/NAME.toml: where only an lp-archive keeps them."""
    return any(path.endswith(".toml") and path.count("/") in (1, 3) for path in source.list("entities/"))


@hookimpl
def lpconvert_formats() -> list[FormatSpec]:
    return [
        FormatSpec(
            name="lp-archive",
            description="Learning-package backup archive (openedx-core lp_dump/lp_load, v2 libraries), "
                        "format_version 1: TOML files and media in a zip",
            suffixes=(".zip",),
            probe=probe,
            reader="lpconvert_lp_archive.reader:read_archive",
            writer="lpconvert_lp_archive.writer:write_archive",
            cannot_hold=frozenset({"other-versions", "root", "package-files", "version-attributes",
                                  "version-times"}),
            losses=(
                LossKind("top-level-values", "unknown top-level fields that are not tables (package.toml has "
                         "no place for them)", "lpconvert_lp_archive.losses:top_level_values"),
                LossKind("unknown-field-nulls", "nulls inside unknown fields (TOML has no null; omitted)",
                         "lpconvert_lp_archive.losses:nested_nulls"),
            ),
            problem_codes=(
                ProblemCode("missing-package-toml", "error",
                            "a learning-package archive (entities/, collections/) has no package.toml"),
                ProblemCode("toml-syntax", "error", "a TOML file does not parse"),
                ProblemCode("toml-structure", "error",
                            "a TOML file parses but has the wrong shape (missing table, scalar outside a table)"),
                ProblemCode("toml-too-deep", "error", "a TOML value nests arrays/tables beyond the configured depth"),
                ProblemCode("stray-file", "warning", "a file that no entity or collection claims (ignored)"),
            ),
        )
    ]
