"""Plugin registration: light on purpose (no lxml import), so listing formats stays fast."""

from __future__ import annotations

from lpconvert.plugin import FormatOption, FormatSpec, LossKind, ProblemCode, hookimpl

LPCONVERT_API = 1
_HERE = "lpconvert_olx.losses"

LOSS_KINDS: tuple[LossKind, ...] = (
    LossKind("drafts-outside-units", "a draft ahead of the published version, outside units (sections, "
             "subsections, components no unit holds)", f"{_HERE}:drafts_outside_units"),
    LossKind("unpublished-outside-units", "never-published sections, subsections and components outside "
             "units (written as published)", f"{_HERE}:unpublished_outside_units"),
    LossKind("deleted-entities", "deleted entities (neither draft nor published)", f"{_HERE}:deleted_entities"),
    LossKind("library-containers", "containers, in a v1 library (-O olx_layout=library)",
             f"{_HERE}:library_containers"),
    LossKind("version-numbers", "version numbers (read back, published is 1 and a draft ahead 2)",
             f"{_HERE}:version_numbers"),
    LossKind("package-key", "a package key other than a course's or a v1 library's (a v2 library's lib:...)",
             f"{_HERE}:package_key"),
    LossKind("titles", "a title other than the block's display_name", f"{_HERE}:titles"),
    LossKind("component-files", "a component's files outside static/", f"{_HERE}:component_files"),
    LossKind("static-conflicts", "different files under one static/ path", f"{_HERE}:static_conflicts"),
    LossKind("xml-characters", "values XML cannot carry (control characters, attribute names that are not "
             "XML names)", f"{_HERE}:xml_characters"),
)
"""OLX's own loss kinds (detectors in losses.py), listed by `lpconvert formats` after the core's."""


def probe(source) -> bool:  # type: ignore[no-untyped-def]
    """OLX has course.xml (a course) or library.xml (a v1 library) at its root.

    The source has already looked through one wrapper folder (Studio's ``course/`` or
    ``library/``), so both names are checked at the top only.
    """
    return bool(source.exists("course.xml") or source.exists("library.xml"))


@hookimpl
def lpconvert_formats() -> list[FormatSpec]:
    return [
        FormatSpec(
            name="olx",
            description="Open edX OLX: a Studio course export or a v1 content library export "
                        "(course.xml or library.xml, one file per block, static/, policies/, drafts/)",
            suffixes=(".tar.gz", ".tgz"),
            probe=probe,
            reader="lpconvert_olx.reader:read_olx",
            writer="lpconvert_olx.writer:write_olx",
            cannot_hold=frozenset({"collections", "other-versions", "unknown-fields", "meta", "package-description",
                                   "timestamps", "can-stand-alone"}),
            losses=LOSS_KINDS,
            problem_codes=(
                ProblemCode("unknown-tag", "warning",
                            "an OLX element is not where OLX puts blocks, or names a file with another root "
                            "(kept as is)"),
                ProblemCode("json-syntax", "warning",
                            "a policy JSON file (policies/*.json, assets.json) or a JSON attribute does not parse"),
                ProblemCode("json-too-deep", "warning",
                            "a policy JSON file or a JSON attribute nests beyond the configured depth"),
            ),
            writer_options=(
                FormatOption("olx_layout", "course: a course export; library: a v1 content library "
                             "(library.xml). Unset, the package's own root decides and a v2 library "
                             "becomes a course", choices=("course", "library")),
            ),
        )
    ]
