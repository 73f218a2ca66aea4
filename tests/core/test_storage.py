"""Sources and sinks: any fsspec location in, atomic and reproducible output."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import tarfile
from pathlib import Path

import fsspec
import pytest
from helpers.paths import FIXTURES

import lpconvert
from lpconvert.formats import FormatOption, FormatSpec, WriteOptions
from lpconvert.package import Package
from lpconvert.plugin_manager import PluginRegistry, get_registry, reset_registry
from lpconvert.storage import open_sink, open_source
from lpconvert.storage.errors import SinkError

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


def test_reading_a_tar_leaves_nothing_in_the_temp_folder_even_when_killed(tmp_path: Path) -> None:
    """A .tar.gz is spooled to an anonymous (already unlinked) temporary file: a user whose
    conversion is killed half-way must not find lpconvert-src-* leftovers in /tmp."""
    archive = tmp_path / "lib.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(SMALL, arcname="small-library")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    script = (
        "import os, signal, sys\n"
        "from lpconvert.storage import open_source\n"
        "source = open_source(sys.argv[1])\n"
        "assert source.read_bytes('package.toml')\n"
        "print(len(source.files), sorted(os.listdir(os.environ['TMPDIR'])), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(archive)], capture_output=True, text=True,
                          env={**os.environ, "TMPDIR": str(scratch)}, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    count, listed = done.stdout.split(" ", 1)
    assert int(count) == len(_files(SMALL))
    assert listed.strip() == "[]"  # nothing visible while open
    assert list(scratch.iterdir()) == []  # and nothing after the kill


def test_tar_members_read_back_byte_for_byte_in_any_order(tmp_path: Path) -> None:
    archive = tmp_path / "lib.tar.gz"
    big = os.urandom(3 << 20)  # larger than any read buffer
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in [("b.bin", big), ("a/empty.txt", b""), ("a/x.txt", b"x" * 10)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with open_source(str(archive)) as source:
        assert source.files == {"a/empty.txt": 0, "a/x.txt": 10, "b.bin": len(big)}
        assert source.read_bytes("a/x.txt") == b"x" * 10
        with source.open("b.bin") as stream:
            head = stream.read(5)
            assert source.read_bytes("a/empty.txt") == b""  # another read in between
            assert head + stream.read() == big
        assert source.read_bytes("b.bin") == big


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


def _with_format(name: str, writer, **spec: object) -> PluginRegistry:  # type: ignore[no-untyped-def]
    """A registry with the built-in formats and one more, write-only format `name`."""

    class Plugin:
        LPCONVERT_API = 1
        from lpconvert.hookspecs import hookimpl

        @hookimpl
        def lpconvert_formats(self) -> list[FormatSpec]:
            return [FormatSpec(name=name, description="a test writer", writer=writer, **spec)]  # type: ignore[arg-type]

    registry = PluginRegistry()
    registry.load_entry_points()
    registry.register(Plugin(), name=name)
    return registry


def test_a_failing_writer_leaves_nothing_behind(tmp_path: Path) -> None:
    """Half the files are written, then the writer fails: no destination, no temporary sibling."""

    def failing_writer(package, sink, options):  # type: ignore[no-untyped-def]
        sink.write_bytes("package.toml", b"[meta]\n")
        sink.write_bytes("entities/a.toml", b"x" * 10000)
        raise _Boom("disk on fire")

    previous = get_registry()
    reset_registry(_with_format("failing", failing_writer))
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
        with pytest.raises(SinkError) as caught:
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

    previous = get_registry()
    reset_registry(_with_format("recording", recording_writer, output="file",
                                writer_options=(FormatOption("colour", "the colour to record"),)))
    try:
        with _small_package() as result:
            assert lpconvert.write(result.package, str(tmp_path / "o.txt"), "recording",
                                   options={"colour": "blue"}).ok
    finally:
        reset_registry(previous)
    assert seen == {"colour": "blue"}


def test_a_sink_refusing_a_path_is_a_problem_of_the_write_not_a_traceback(tmp_path: Path) -> None:
    def escaping_writer(package, sink, options):  # type: ignore[no-untyped-def]
        sink.write_bytes("package.toml", b"[meta]\n")
        sink.write_bytes("../escape.txt", b"x")

    previous = get_registry()
    reset_registry(_with_format("escaping", escaping_writer))
    try:
        with _small_package() as result:
            for dest in ("out.zip", "out.tar.gz", "outdir"):
                written = lpconvert.write(result.package, str(tmp_path / dest), "escaping")
                assert not written.ok
                assert [(p.code, p.file) for p in written.problems] == [("unsafe-media-path", "../escape.txt")]
    finally:
        reset_registry(previous)
    assert list(tmp_path.iterdir()) == []
    assert not (tmp_path.parent / "escape.txt").exists()


def test_a_file_url_reads_and_writes_like_its_path(tmp_path: Path) -> None:
    with lpconvert.read(SMALL.as_uri()) as result:
        assert _keys(result) == EXPECTED_KEYS
        assert lpconvert.write(result.package, (tmp_path / "lib.zip").as_uri()).ok
    with lpconvert.read(str(tmp_path / "lib.zip")) as again:
        assert _keys(again) == EXPECTED_KEYS


def test_local_paths_never_import_fsspec(tmp_path: Path) -> None:
    """fsspec is for URLs; reading and writing local folders, archives and files must not pay
    for importing it (tens of milliseconds of every run's start-up)."""
    with tarfile.open(tmp_path / "lib.tar.gz", "w:gz") as tar:
        tar.add(SMALL, arcname="small-library")
    import zipfile

    with zipfile.ZipFile(tmp_path / "lib.zip", "w") as zf:
        for name, data in _files(SMALL).items():
            zf.writestr(f"small-library/{name}", data)
    inputs = [SMALL, tmp_path / "lib.zip", tmp_path / "lib.tar.gz", FIXTURES / "json" / "small-library.json",
              FIXTURES / "sqlite" / "small-library.sqlite"]
    script = (
        "import sys\n"
        "import lpconvert\n"
        "for given in sys.argv[2:]:\n"
        "    with lpconvert.read(given) as result:\n"
        "        assert result.package is not None, (given, result.problems)\n"
        "        for out, fmt in (('out.zip', 'lp-archive'), ('out.tar.gz', 'olx'), ('out', 'sections')):\n"
        "            written = lpconvert.write(result.package, sys.argv[1] + '/' + out, fmt, force=True)\n"
        "            assert written.ok, written.problems\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'fsspec'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path), *map(str, inputs)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_every_spelling_of_a_local_path_reads_the_same_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Local paths are reached without fsspec now; each way a user may spell one must still
    find the package: relative with '..', a trailing '/', '~', a file:// URL, a ':' in the name."""
    archive = tmp_path / "home" / "odd:name.zip"
    archive.parent.mkdir()
    with _small_package() as result:
        assert lpconvert.write(result.package, str(archive)).ok
    monkeypatch.setenv("HOME", str(archive.parent))
    monkeypatch.chdir(tmp_path)
    for spelling in ("home/../home/odd:name.zip", f"{archive}/", "~/odd:name.zip", f"file://{archive}",
                     f"./home/{archive.name}"):
        with lpconvert.read(spelling) as again:
            assert _keys(again) == EXPECTED_KEYS, spelling
    with lpconvert.read("home/missing.zip") as missing:
        assert [(p.code, p.file) for p in missing.problems] == [("source-not-found", "home/missing.zip")]
