"""The merged backup restores in upstream exactly as the edited backup does.

The two corpus archives are one library before and after edits; upstream restored the
second under a new key. Applying the edited one to the original must give, for upstream,
the same content as the edited one: same entities, versions, titles, children, media and
collections. The expected side is upstream's own restore of the edited archive.
"""

from __future__ import annotations

import pytest

from helpers.paths import corpus

import lpconvert
from lpconvert.merge import merge

pytestmark = pytest.mark.oracle  # every test here restores with upstream openedx-core


def test_merged_backup_restores_in_upstream_like_the_edited_one(oracle, tmp_path) -> None:
    out = tmp_path / "merged.zip"
    with lpconvert.read(str(corpus("lp/upstream-library-backup.zip"))) as base, \
            lpconvert.read(str(corpus("lp/upstream-library-backup-edited.zip"))) as edited:
        assert base.package is not None and edited.package is not None
        result = merge(base.package, edited.package)
        assert result.package is not None
        assert lpconvert.write(result.package, str(out)).ok
    assert oracle.summary(out) == oracle.summary(corpus("lp/upstream-library-backup-edited.zip"))


def test_imported_versions_newer_than_published_restore_in_upstream(oracle, tmp_path) -> None:
    """The original applied to the edited library: drafts jump to v4/v5 above published v2/v3."""
    out = tmp_path / "reverse.zip"
    with lpconvert.read(str(corpus("lp/upstream-library-backup-edited.zip"))) as base, \
            lpconvert.read(str(corpus("lp/upstream-library-backup.zip"))) as incoming:
        result = merge(base.package, incoming.package)
        assert result.package is not None
        assert lpconvert.write(result.package, str(out)).ok
    entities = oracle.summary(out)["entities"]
    unit = entities["unit1-b7eafb"]
    assert (unit["draft"], unit["published"]) == (4, 2)
    assert unit["versions"]["4"]["children"] == ["xblock.v1:video:22601ebd-9da8-430b-9778-cfe059a98568"]
    dnd = entities["xblock.v1:drag-and-drop-v2:4d1b2fac-8b30-42fb-872d-6b10ab580b27"]
    assert (dnd["draft"], dnd["published"]) == (5, 3)
    assert (dnd["versions"]["5"]["title"], dnd["versions"]["3"]["title"]) == ("Drag and Drop", "rewritten 0")
