"""Plugin registration for the json format: light, so listing formats imports no msgspec."""

from __future__ import annotations

from lpconvert.plugin import FormatSpec, LossKind, ProblemCode, hookimpl

LPCONVERT_API = 1

_HEAD = 4096


def probe(source) -> bool:  # type: ignore[no-untyped-def]
    """A single file named *.json, or a single file that starts like a hub document.

    The content test lets `lpconvert in out.sqlite` work on a document saved under another
    name (``package.txt``), without claiming arbitrary JSON: the hub's key must be near the top.
    """
    name = source.single_file_name
    if not source.is_single_file or name is None:
        return False
    if name.lower().endswith(".json"):
        return True
    with source.open(name) as f:
        head = f.read(_HEAD)
    return head.lstrip().startswith(b"{") and b'"learning_package"' in head


@hookimpl
def lpconvert_formats() -> list[FormatSpec]:
    return [
        FormatSpec(
            name="json",
            description="One JSON document: the hub model (lpconvert schema) with media inline, "
                        "text as text and binary as base64",
            suffixes=(".json",),
            probe=probe,
            reader="lpconvert_json.reader:read_json",
            writer="lpconvert_json.writer:write_json",
            output="file",
            cannot_hold=frozenset(),
            losses=(LossKind("non-finite-numbers", "NaN and infinity in settings or unknown fields (JSON has "
                             "neither; written as null)", "lpconvert_json.losses:non_finite_numbers"),),
            problem_codes=(
                ProblemCode("json-syntax", "error", "the JSON document does not parse"),
                ProblemCode("json-too-deep", "error",
                            "the JSON document nests arrays/objects beyond the configured depth"),
            ),
        )
    ]
