"""Opening a zip with many members must not cost memory per member beyond its small index.

Memory, not time: tracemalloc counts every byte Python allocates, the same on any machine
and whatever else runs. Before the central directory was read member by member, opening an
archive peaked at about 640 bytes per member (one `ZipInfo` each, folders included), and
the process kept that memory for the rest of a conversion: at 100,000 components it was
the conversion's peak (536 MB, before any entity was read).
"""

from __future__ import annotations

import tracemalloc
import zipfile
from pathlib import Path

from lpconvert.storage import open_source

COMPONENTS = 2000


def _library_shaped_zip(path: Path) -> int:
    """A zip laid out like an lp-archive: three folder entries and one file per component."""
    members = 0
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("package.toml", "[meta]\n")
        for i in range(COMPONENTS):
            folder = f"entities/xblock.v1/html/c{i:05d}/"
            for sub in ("", "component_versions/", "component_versions/v1/"):
                zf.writestr(folder + sub, "")
            zf.writestr(folder + "component_versions/v1/block.xml", f"<html>{i}</html>")
            members += 4
    return members + 1


def test_opening_a_zip_peaks_at_a_small_index_not_one_zipinfo_per_member(tmp_path: Path) -> None:
    archive = tmp_path / "many.zip"
    members = _library_shaped_zip(archive)
    tracemalloc.start()
    try:
        source = open_source(str(archive))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    try:
        assert len(source.files) == COMPONENTS + 1  # every file is there, folders are not
        assert source.read_text(f"entities/xblock.v1/html/c{COMPONENTS - 1:05d}/component_versions/v1/block.xml") \
            == f"<html>{COMPONENTS - 1}</html>"
    finally:
        source.close()
    assert peak / members < 300, f"opening peaked at {peak / members:.0f} bytes per member"
