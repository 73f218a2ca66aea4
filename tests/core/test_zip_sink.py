"""Zip sinks: the archive a user gets reads back everywhere and never changes byte for byte.

The zip sink writes the zip format itself (to keep one small record per entry rather than a
`ZipInfo`); these tests hold it to the bytes Python's `zipfile` writes for the same entries,
which is what lpconvert wrote before, and read its output back with `zipfile` and, when it is
installed, Info-ZIP's `unzip -t`.
"""

from __future__ import annotations

import io
import random
import shutil
import subprocess
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lpconvert.storage import open_sink
from lpconvert.storage.zip_write import ZipSink

STAMP = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
OTHER_TIME = datetime(2001, 2, 3, 4, 5, 7, tzinfo=UTC)


def _noise(size: int, seed: int = 7) -> bytes:
    """Bytes that do not compress, so a member's compressed size is close to its size."""
    return random.Random(seed).randbytes(size)


# A step is what a writer asks of the sink: ("dir", name, None, None, mtime),
# ("bytes", name, data, None, mtime) or ("stream", name, data, declared size or None, mtime).
Step = tuple[str, str, Any, Any, Any]


def _write_with_sink(dest: Path, steps: Iterable[Step]) -> None:
    with open_sink(str(dest), "zip", timestamp=STAMP) as sink:
        for kind, name, data, size, mtime in steps:
            if kind == "dir":
                sink.mkdir(name, mtime)
            elif kind == "bytes":
                sink.write_bytes(name, data, mtime)
            else:
                sink.write_stream(name, io.BytesIO(data), size, mtime)


def _write_with_zipfile(dest: Path, steps: Iterable[Step]) -> None:
    """The same entries through `zipfile`: explicit parent folders first (755, stored), files
    644 and deflated at level 6, streams through `ZipFile.open("w")`, central directory sorted."""
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        folders: set[str] = set()

        def info(name: str, mtime: datetime | None) -> zipfile.ZipInfo:
            when = (mtime or STAMP).astimezone(UTC)
            made = zipfile.ZipInfo(name, (when.year, when.month, when.day, when.hour, when.minute, when.second))
            made.create_system = 3
            return made

        def folder(name: str, mtime: datetime | None) -> None:
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                path = "/".join(parts[:i]) + "/"
                if path not in folders:
                    folders.add(path)
                    entry = info(path, mtime)
                    entry.external_attr = (0o40755 << 16) | 0x10
                    entry.compress_type = zipfile.ZIP_STORED
                    zf.writestr(entry, b"")

        for kind, name, data, size, mtime in steps:
            if kind == "dir":
                folder(name + "/x", mtime)
                continue
            folder(name, mtime)
            entry = info(name, mtime)
            entry.external_attr = 0o100644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            if kind == "bytes" or (size is not None and size <= (1 << 20) and len(data) <= (1 << 20)):
                zf.writestr(entry, data, compresslevel=6)
                continue
            entry._compresslevel = 6  # type: ignore[attr-defined]
            if size is not None:
                entry.file_size = size
            with zf.open(entry, "w", force_zip64=size is None or size > (1 << 31)) as out:
                shutil.copyfileobj(io.BytesIO(data), out, 1 << 20)
        zf.filelist.sort(key=lambda i: i.filename)


def _unzip_test(path: Path) -> None:
    """Info-ZIP's own integrity test (CRC of every member), when unzip is installed."""
    unzip = shutil.which("unzip")
    if unzip is None:
        return
    done = subprocess.run([unzip, "-tqq", str(path)], check=False, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


MIXED: list[Step] = [
    ("bytes", "package.toml", b"[meta]\nformat_version = 1\n", None, None),
    ("dir", "entities", None, None, None),
    ("dir", "collections", None, None, None),
    ("bytes", "entities/a.toml", b"x = 1\n" * 50, None, None),
    ("bytes", "entities/a-b.toml", b"", None, None),
    ("dir", "entities/xblock.v1/html/a/component_versions/v1/static", None, None, None),
    ("stream", "entities/xblock.v1/html/a/component_versions/v1/static/logo.png", _noise(3000), 3000, None),
    ("stream", "entities/xblock.v1/html/a/component_versions/v1/static/d/e.txt", b"hello " * 400, 2400, None),
    ("bytes", "entities/caf\u00e9/\u00fcber.toml", "stra\u00dfe = 1\n".encode(), None, OTHER_TIME),
    ("bytes", "entities/Zed.toml", b"z", None, None),
    ("stream", "media/unsized.bin", _noise(1_300_000, 1), None, None),
    ("stream", "media/sized.bin", b"0123456789" * 150_000, 1_500_000, None),
    ("stream", "media/understated.bin", _noise(1_100_000, 2), 10, None),
    ("bytes", "collections/c.toml", b"[collection]\n", None, None),
]


@pytest.fixture(params=[None, 4], ids=["directory-in-memory", "directory-spilled"])
def run_size(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int | None:
    """Whether the sink's central-directory records stay in memory or go to disk in sorted
    runs (which a 100K library does): the archive must be the same either way."""
    if request.param is not None:
        monkeypatch.setattr(ZipSink, "_RUN", request.param)
    return request.param


def test_zip_bytes_are_the_ones_zipfile_writes(tmp_path: Path, run_size: int | None) -> None:
    ours, theirs = tmp_path / "ours.zip", tmp_path / "theirs.zip"
    _write_with_sink(ours, MIXED)
    _write_with_zipfile(theirs, MIXED)
    assert ours.read_bytes() == theirs.read_bytes()


def test_zip_reads_back_with_sorted_names_and_exact_content(tmp_path: Path) -> None:
    dest = tmp_path / "out.zip"
    _write_with_sink(dest, MIXED)
    _unzip_test(dest)
    with zipfile.ZipFile(dest) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert names == sorted(names)
        for kind, name, data, _, _ in MIXED:
            if kind != "dir":
                assert zf.read(name) == data, name
        assert zf.getinfo("entities/caf\u00e9/\u00fcber.toml").date_time == (2001, 2, 3, 4, 5, 6)
        assert zf.getinfo("entities/").is_dir()
        assert zf.getinfo("entities/xblock.v1/html/a/component_versions/v1/static/").is_dir()


def test_a_large_stream_of_unknown_size_reads_back(tmp_path: Path) -> None:
    data = _noise(2_500_000, 3) + b"tail" * 100_000
    dest = tmp_path / "big.zip"
    _write_with_sink(dest, [("stream", "media/big.bin", data, None, None), ("bytes", "z.txt", b"after", None, None)])
    _unzip_test(dest)
    with zipfile.ZipFile(dest) as zf:
        assert zf.read("media/big.bin") == data
        assert zf.read("z.txt") == b"after"
        assert zf.getinfo("media/big.bin").file_size == len(data)


def _many(count: int) -> list[Step]:
    return [("bytes", f"f/{i // 1000:03d}/{i:05d}.txt", str(i).encode(), None, None) for i in range(count)]


def test_more_entries_than_a_plain_zip_can_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past 65,535 entries the count lives in the zip64 end records; every reader must still
    see every entry (here with the directory spilled to disk in runs, as at 100K)."""
    monkeypatch.setattr(ZipSink, "_RUN", 9_000)
    dest = tmp_path / "many.zip"
    _write_with_sink(dest, _many(70_000))
    _unzip_test(dest)
    with zipfile.ZipFile(dest) as zf:
        names = zf.namelist()
        assert len(names) == 70_000 + 71  # the files, "f/" and its 70 sub-folders
        assert names == sorted(names)
        assert zf.read("f/069/69999.txt") == b"69999"
        assert zf.read("f/000/00000.txt") == b"0"


@pytest.mark.slow
@pytest.mark.parametrize("run", [None, 9_000], ids=["directory-in-memory", "directory-spilled"])
def test_more_entries_than_a_plain_zip_can_count_same_bytes_as_zipfile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: int | None) -> None:
    if run is not None:
        monkeypatch.setattr(ZipSink, "_RUN", run)
    ours, theirs = tmp_path / "ours.zip", tmp_path / "theirs.zip"
    _write_with_sink(ours, _many(70_000))
    _write_with_zipfile(theirs, _many(70_000))
    assert ours.read_bytes() == theirs.read_bytes()


def test_a_duplicate_member_fails_and_leaves_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "dup.zip"
    with (pytest.raises(ValueError, match="duplicate archive member 'a/b.txt'"),
          open_sink(str(dest), "zip", timestamp=STAMP) as sink):
        sink.write_bytes("a/b.txt", b"one")
        sink.write_bytes("a/c.txt", b"two")
        sink.write_bytes("a/b.txt", b"three")
    assert list(tmp_path.iterdir()) == []


def test_an_empty_zip_is_a_valid_empty_archive(tmp_path: Path) -> None:
    dest = tmp_path / "empty.zip"
    _write_with_sink(dest, [])
    theirs = tmp_path / "theirs.zip"
    _write_with_zipfile(theirs, [])
    assert dest.read_bytes() == theirs.read_bytes()
    with zipfile.ZipFile(dest) as zf:
        assert zf.namelist() == []
