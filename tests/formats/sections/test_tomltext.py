"""The TOML both lp-archive and the sections layout write: one value encoder for both, and the
line lookup (a problem found in the hub has to point at the line an author would open, in
either format's shape)."""

from __future__ import annotations

import tomllib
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import lpconvert
from lpconvert.model import CompletePackageInput
from lpconvert.package import Package
from lpconvert.tomltext import field_lines, nearest_line
from lpconvert.tomltext import value as toml_value

ARCHIVE_ENTITY = """\
[entity]
key = "xblock.v1:html:intro"
can_stand_alone = true

[entity.draft]
version_num = 2

[entity.container.unit]

[[version]]
title = "Intro"
version_num = 1

[[version]]
title = "Intro, again"
version_num = 2

[version.container]
children = ["a", "b"]
"""

SECTION_FILE = """\
key = "section-1"
title = "Week 1"

[[subsection]]
key = "sub-1"

[[subsection]]
key = "sub-2"
title = "Second"

[[subsection.unit]]
key = "unit-1"

[[subsection.unit]]
key = "unit-2"
components = ["x"]
"""


def test_archive_fields_and_the_latest_version_table() -> None:
    lines = field_lines(ARCHIVE_ENTITY)
    assert lines["entity.key"] == 2
    assert lines["entity.draft.version_num"] == 6
    assert lines["version[1].title"] == 15
    # [version.container] belongs to the second [[version]], not to a third one
    assert nearest_line(lines, "version[1].container.children[1]") == 19
    # entity.container is only written as [entity.container.unit]: point there
    assert nearest_line(lines, "entity.container") == 8


def test_sections_arrays_are_numbered_within_their_parent() -> None:
    lines = field_lines(SECTION_FILE)
    assert lines["title"] == 2
    assert lines["subsection[1].title"] == 9
    assert lines["subsection[1].unit[0].key"] == 12
    assert lines["subsection[1].unit[1].components"] == 16
    # a field the file does not have points at its table
    assert nearest_line(lines, "subsection[1].unit[1].title") == 14
    assert nearest_line(lines, "subsection[0].unit[0]") == 4


# --------------------------------------------------------------------------- values


def test_values_are_toml_that_reads_back_as_the_same_value() -> None:
    """One encoder for both formats: every kind of value the hub holds, read back by tomllib."""
    cases = {
        "nan": float("nan"), "inf": float("inf"), "-inf": float("-inf"), "1e+20": 1e20, "0.1": 0.1,
        "2024-05-01T08:00:00Z": datetime(2024, 5, 1, 8, tzinfo=UTC),
        "2024-05-01T10:00:00+02:00": datetime(2024, 5, 1, 10, tzinfo=timezone(timedelta(hours=2))),
        "2024-05-01T10:00:00": datetime(2024, 5, 1, 10),  # a local date-time stays one
        "2024-05-01": date(2024, 5, 1),  # a date stays a date, not a string
        '["a", 2, true]': ["a", 2, True],
        '{x = 1, "a b" = "c"}': {"x": 1, "a b": "c"},
    }
    for text, v in cases.items():
        assert toml_value(v) == text
        assert repr(tomllib.loads(f"v = {text}")["v"]) == repr(v)


def test_a_null_inside_a_value_is_left_out_and_one_alone_is_refused() -> None:
    assert toml_value([1, None, 2]) == "[1, 2]"
    assert toml_value({"a": None, "b": 1}) == "{b = 1}"
    with pytest.raises(TypeError, match="no null"):
        toml_value(None)
    with pytest.raises(TypeError, match="set"):
        toml_value({1, 2})


NON_FINITE = {"ratio": float("nan"), "ceiling": float("inf"), "floor": float("-inf"), "mixed": [1.5, float("nan")]}


@pytest.mark.parametrize(("fmt", "name"), [("lp-archive", "out.zip"), ("sections", "out")])
def test_nan_and_infinity_survive_both_toml_formats(fmt: str, name: str, tmp_path: Path) -> None:
    """The sections layout used to turn NaN into null without a word, while lp-archive kept it."""
    html = {"version_num": 1, "title": "T", "media": {"block.xml": {"text": "<html/>"}}}
    model = CompletePackageInput.model_validate({
        "learning_package": {"key": "lib:x:y", "title": "T", "tool": NON_FINITE},
        "entities": [{"key": "xblock.v1:html:a", "draft_version": 1, "weird": {"n": float("inf")},
                      "versions": [html]}]})
    out = tmp_path / name
    written = lpconvert.write(Package(model), str(out), fmt)
    assert written.ok and written.problems == [], written.problems
    if fmt == "lp-archive":
        with zipfile.ZipFile(out) as zf:
            package_toml = zf.read("package.toml").decode()
    else:
        package_toml = (out / "package.toml").read_text()
    assert "ratio = nan" in package_toml and "floor = -inf" in package_toml  # TOML's own words
    with lpconvert.read(str(out), fmt) as back:
        assert back.package is not None, back.problems
        assert repr(back.package.model.learning_package.model_extra["tool"]) == repr(NON_FINITE)
        assert back.package.model.entities[0].model_extra == {"weird": {"n": float("inf")}}
