"""Line lookup for the TOML both lp-archive and the sections layout write: a problem found in
the hub has to point at the line an author would open, in either format's shape."""

from __future__ import annotations

from lpconvert.tomltext import field_lines, nearest_line

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
