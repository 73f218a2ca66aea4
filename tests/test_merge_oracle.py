"""The merged backup restores in upstream exactly as the edited backup does.

The two corpus archives are one library before and after edits; upstream restored the
second under a new key. Applying the edited one to the original must give, for upstream,
the same content as the edited one: same entities, versions, titles, children, media and
collections. The expected side is upstream's own restore of the edited archive.
"""

from __future__ import annotations

from conftest import corpus

import lpconvert
from lpconvert.merge import merge


def test_merged_backup_restores_in_upstream_like_the_edited_one(oracle, tmp_path) -> None:
    out = tmp_path / "merged.zip"
    with lpconvert.read(str(corpus("lp/upstream-library-backup.zip"))) as base, \
            lpconvert.read(str(corpus("lp/upstream-library-backup-edited.zip"))) as edited:
        assert base.package is not None and edited.package is not None
        result = merge(base.package, edited.package)
        assert result.package is not None
        assert lpconvert.write(result.package, str(out)).ok
    assert oracle.summary(out) == oracle.summary(corpus("lp/upstream-library-backup-edited.zip"))
