"""Sources and sinks: any fsspec location in, atomic and reproducible output."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import fsspec
import pytest
from conftest import FIXTURES

import lpconvert
from lpconvert.formats import FormatSpec, WriteOptions
from lpconvert.package import Package
from lpconvert.plugin_manager import PluginRegistry, get_registry, reset_registry
from lpconvert.storage import open_sink, open_source
from lpconvert.storage.source import SourceError

SMALL = FIXTURES / "lp-archive" / "small-library"


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)).replace(os.sep, "/"): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _keys(result: lpconvert.ReadResult) -> list[str]:
    assert result.package is not None, [p.render() for p in result.problems]
    return sorted(e.key for e in result.package.entities)


EXPECTED_KEYS = sorted(["week-1", "getting-started", "first-steps", "xblock.v1:html:intro",
                        "xblock.v1:problem:quiz1", "xblock.v1:video:welcome"])


def test_memory_filesystem_source() -> None:
    fs = fsspec.filesystem("memory")
    for name, data in _files(SMALL).items():
        with fs.open(f"/lpconvert-test/small/{name}", "wb") as f:
            f.write(data)
    with lpconvert.read("memory://lpconvert-test/small") as result:
        assert _keys(result) == EXPECTED_KEYS
        intro = result.package.entity("xblock.v1:html:intro")
        assert result.package.read_media(intro.version(2).media["static/logo.png"]).startswith(b"\x89PNG")


@pytest.mark.parametrize("mode,suffix", [("w:gz", ".tar.gz"), ("w:", ".tar"), ("w:gz", ".tgz")])
def test_tar_sources_with_a_wrapper_folder(tmp_path: Path, mode: str, suffix: str) -> None:
    archive = tmp_path / f"lib{suffix}"
    with tarfile.open(archive, mode) as tar:
        for name, data in _files(SMALL).items():
            info = tarfile.TarInfo(f"./small-library/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with lpconvert.read(str(archive)) as result:
        assert _keys(result) == EXPECTED_KEYS


def test_unpacked_tar_is_removed_when_the_package_is_closed(tmp_path: Path) -> None:
    archive = tmp_path / "lib.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(SMALL, arcname="small-library")
    source = open_source(str(archive))
    unpacked = source._backend.base  # type: ignore[attr-defined]
    assert os.path.isdir(unpacked)
    source.close()
    assert not os.path.exists(unpacked)


def _small_package() -> lpconvert.ReadResult:
    return lpconvert.read(str(SMALL))


def test_reproducible_archives_in_every_container(tmp_path: Path) -> None:
    with _small_package() as result:
        for name in ("a.zip", "b.zip", "a.tar.gz", "b.tar.gz"):
            written = lpconvert.write(result.package, str(tmp_path / name), "lp-archive")
            assert written.ok, written.problems
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert (tmp_path / "a.tar.gz").read_bytes() == (tmp_path / "b.tar.gz").read_bytes()
    # timestamps come from the package (learning_package.updated), never from the clock
    with tarfile.open(tmp_path / "a.tar.gz") as tar:
        stamps = {m.mtime for m in tar.getmembers()}
    from datetime import datetime, timezone

    assert stamps == {int(datetime(2026, 2, 20, 16, 30, tzinfo=timezone.utc).timestamp())}
    # and what was written reads back the same
    with lpconvert.read(str(tmp_path / "a.tar.gz")) as again:
        assert _keys(again) == EXPECTED_KEYS


class _Boom(RuntimeError):
    pass


def test_a_failing_writer_leaves_nothing_behind(tmp_path: Path) -> None:
    """Half the files are written, then the writer fails: no destination, no temporary sibling."""

    def failing_writer(package, sink, options):  # type: ignore[no-untyped-def]
        sink.write_bytes("package.toml", b"[meta]\n")
        sink.write_bytes("entities/a.toml", b"x" * 10000)
        raise _Boom("disk on fire")

    class Plugin:
        LPCONVERT_API = 1
        from lpconvert.hookspecs import hookimpl

        @hookimpl
        def lpconvert_formats(self) -> list[FormatSpec]:
            return [FormatSpec(name="failing", description="fails halfway", writer=failing_writer)]

    registry = PluginRegistry()
    registry.load_entry_points()
    registry.register(Plugin(), name="failing")
    previous = get_registry()
    reset_registry(registry)
    try:
        with _small_package() as result:
            for dest in ("out.zip", "out.tar.gz", "outdir"):
                with pytest.raises(_Boom):
                    lpconvert.write(result.package, str(tmp_path / dest), "failing")
    finally:
        reset_registry(previous)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_existing_destination_survives_a_failed_forced_write(tmp_path: Path) -> None:
    dest = tmp_path / "keep.zip"
    dest.write_bytes(b"the old archive")
    with pytest.raises(_Boom):
        with open_sink(str(dest), "zip", force=True) as sink:
            sink.write_bytes("a.txt", b"new")  # type: ignore[attr-defined]
            raise _Boom()
    assert dest.read_bytes() == b"the old archive"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.zip"]


def test_sinks_refuse_paths_that_escape(tmp_path: Path) -> None:
    for kind in ("dir", "zip", "tar.gz"):
        with pytest.raises(SourceError) as caught:
            with open_sink(str(tmp_path / f"o-{kind.replace('.', '')}"), kind) as sink:  # type: ignore[arg-type]
                sink.write_bytes("../escape.txt", b"x")  # type: ignore[attr-defined]
        assert caught.value.code == "unsafe-media-path"
    assert not (tmp_path.parent / "escape.txt").exists()
    assert list(tmp_path.iterdir()) == []


def test_write_to_an_fsspec_url(tmp_path: Path) -> None:
    with _small_package() as result:
        written = lpconvert.write(result.package, "memory://lpconvert-out/lib.zip")
        assert written.ok, written.problems
    with lpconvert.read("memory://lpconvert-out/lib.zip") as again:
        assert _keys(again) == EXPECTED_KEYS


def test_write_options_reach_the_writer(tmp_path: Path) -> None:
    seen: dict[str, str] = {}

    def recording_writer(package: Package, sink, options: WriteOptions):  # type: ignore[no-untyped-def]
        seen.update(options.extra)
        with sink.open() as f:
            f.write(b"ok")
        return []

    class Plugin:
        LPCONVERT_API = 1
        from lpconvert.hookspecs import hookimpl

        @hookimpl
        def lpconvert_formats(self) -> list[FormatSpec]:
            return [FormatSpec(name="recording", description="records options", writer=recording_writer,
                               output="file")]

    registry = PluginRegistry()
    registry.load_entry_points()
    registry.register(Plugin(), name="recording")
    previous = get_registry()
    reset_registry(registry)
    try:
        with _small_package() as result:
            assert lpconvert.write(result.package, str(tmp_path / "o.txt"), "recording",
                                   options={"colour": "blue"}).ok
    finally:
        reset_registry(previous)
    assert seen == {"colour": "blue"}
