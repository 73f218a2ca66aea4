"""Fuzzing every reader: a damaged input gives clean problems, never an exception.

The seeds are valid packages of each readable format the registry has: the fixtures under
fixtures/<format>/, and the small library written by the format's own writer. So a format
that another plugin adds is fuzzed as soon as it is installed, with no change here.

Each example damages one seed the way real files get damaged or attacked (a flipped byte, a
truncation, an inserted DTD or invalid UTF-8, a missing or duplicated file, a broken
container) and reads it. The only assertion is the one a user cares about: `lpconvert.read`
returns problems with known codes (and at least one error when it returns no package), and
does not raise. The run is bounded by hypothesis' example count, not by a clock.
"""

from __future__ import annotations

import io
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lpconvert
from lpconvert.plugin_manager import get_registry
from lpconvert.problems import Severity, known_codes
from helpers.paths import ROOT

FIXTURES = ROOT / "fixtures"
SMALL = FIXTURES / "lp-archive" / "small-library"

SNIPPETS = [
    b"\xff\xfe\xfd",  # not UTF-8
    b"\x00",
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
    b'<!DOCTYPE x SYSTEM "file:///etc/passwd">',
    b"&b;",
    b"<" * 3 + b"a>" * 300,
    b"[" * 2000,
    b"{" * 2000,
    b'"',
    b"]]>",
    b"\n[entity]\n",
    b"\n[[version]]\nversion_num = 0\n",
    b'key = "x"\n',
    b"= = =",
    b"1e99999",
    b"null",
    b"-1",
    b"/static/../../etc/passwd",
    b"../" * 5,
    b"\r\n",
]

Tree = dict[str, bytes]


def _tree(folder: Path) -> Tree:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _seeds_for(spec_name: str, work: Path) -> list[Tree | bytes]:
    """Valid inputs of one format: its fixtures, and the small library written in it."""
    spec = get_registry().get(spec_name)
    assert spec is not None
    seeds: list[Tree | bytes] = []
    folder = FIXTURES / spec_name
    if folder.is_dir():
        for child in sorted(folder.iterdir()):
            if child.is_dir():
                seeds.append(_tree(child))
            elif child.is_file():
                seeds.append(child.read_bytes())
    if spec.can_write:
        with lpconvert.read(str(SMALL)) as result:
            assert result.package is not None
            suffix = spec.suffixes[0] if spec.output == "file" and spec.suffixes else ""
            dest = work / f"{spec_name}-seed{suffix}"
            written = lpconvert.write(result.package, str(dest), spec_name,
                                      container=None if spec.output == "file" else "dir")
        if written.written:
            seeds.append(dest.read_bytes() if dest.is_file() else _tree(dest))
    return seeds


_SEEDS: dict[str, list[Tree | bytes]] = {}


def seeds(spec_name: str) -> list[Tree | bytes]:
    if spec_name not in _SEEDS:
        work = Path(tempfile.mkdtemp(prefix="lpconvert-fuzz-seeds-"))
        _SEEDS[spec_name] = _seeds_for(spec_name, work)
    return _SEEDS[spec_name]


READABLE = sorted(spec.name for spec in get_registry().readable())


def _mutate_bytes(data: bytes, draw: st.DrawFn) -> bytes:
    op = draw(st.sampled_from(["flip", "truncate", "insert", "replace", "empty"]))
    pos = draw(st.integers(0, max(len(data) - 1, 0)))
    if op == "flip" and data:
        return data[:pos] + bytes([draw(st.integers(0, 255))]) + data[pos + 1:]
    if op == "truncate":
        return data[:pos]
    if op == "insert":
        snippet = draw(st.sampled_from(SNIPPETS) | st.binary(min_size=1, max_size=16))
        return data[:pos] + snippet + data[pos:]
    if op == "replace":
        target = draw(st.sampled_from([b'"', b"=", b"<", b">", b"]", b"[", b"1", b":", b"{", b","]))
        at = data.find(target, pos)
        if at >= 0:
            return data[:at] + draw(st.sampled_from(SNIPPETS)) + data[at + len(target):]
        return data
    return b""


def _mutate_tree(tree: Tree, draw: st.DrawFn) -> Tree:
    tree = dict(tree)
    names = sorted(tree)
    name = draw(st.sampled_from(names))
    op = draw(st.sampled_from(["bytes", "bytes", "bytes", "delete", "duplicate", "add"]))
    if op == "bytes":
        tree[name] = _mutate_bytes(tree[name], draw)
    elif op == "delete" and len(tree) > 1:
        del tree[name]
    elif op == "duplicate":
        folder = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
        tree[folder + "copy-" + name.rsplit("/", 1)[-1]] = tree[name]
    else:
        tree[draw(st.sampled_from(["extra.toml", "entities/extra.toml", "course/extra.xml", "x/y/z.xml"]))] = \
            draw(st.sampled_from(SNIPPETS))
    return tree


def _zip(tree: Tree) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in tree.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _targz(tree: Tree) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in tree.items():
            info = tarfile.TarInfo("pkg/" + name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _materialise(seed: Tree | bytes, draw: st.DrawFn, where: Path, suffix: str) -> Path:
    """Write a damaged copy of `seed` under `where`; return the path to read."""
    if isinstance(seed, bytes):
        path = where / f"input{suffix}"
        path.write_bytes(_mutate_bytes(seed, draw))
        return path
    tree = _mutate_tree(seed, draw)
    container = draw(st.sampled_from(["zip", "zip", "tar.gz", "dir", "broken-zip"]))
    if container == "dir":
        folder = where / "input"
        for name, data in tree.items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return folder
    if container == "tar.gz":
        path = where / "input.tar.gz"
        path.write_bytes(_targz(tree))
        return path
    data = _zip(tree)
    if container == "broken-zip":
        data = _mutate_bytes(data, draw)
    path = where / "input.zip"
    path.write_bytes(data)
    return path


def _assert_clean(result: lpconvert.ReadResult) -> None:
    spec = get_registry().get(result.format) if result.format else None
    codes = known_codes([spec] if spec is not None else [])  # the core's and the reading format's own
    for problem in result.problems:
        assert problem.code in codes, problem
        assert problem.severity in (Severity.ERROR, Severity.WARNING)
        assert isinstance(problem.message, str) and problem.message
        assert problem.line is None or problem.line >= 1
    if result.package is None:
        assert any(p.is_error for p in result.problems), "no package and no error to say why"


@pytest.mark.parametrize("format_name", READABLE)
def test_every_format_has_a_seed(format_name: str) -> None:
    """The fuzzing below is only as good as its seeds: each must be valid to begin with."""
    found = seeds(format_name)
    assert found, f"no valid {format_name} input to fuzz"
    with tempfile.TemporaryDirectory() as tmp:
        for i, seed in enumerate(found):
            spec = get_registry().get(format_name)
            suffix = spec.suffixes[0] if spec and spec.suffixes and isinstance(seed, bytes) else ""
            path = Path(tmp) / f"seed{i}{suffix}"
            if isinstance(seed, bytes):
                path.write_bytes(seed)
            else:
                path.write_bytes(_zip(seed))
                path = path.rename(path.with_suffix(".zip"))
            with lpconvert.read(str(path), format_name) as result:
                assert result.package is not None, [p.render() for p in result.problems if p.is_error]


@pytest.mark.parametrize("format_name", READABLE)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
          database=None)
@given(data=st.data())
def test_damaged_input_gives_clean_problems(format_name: str, data: st.DataObject) -> None:
    spec = get_registry().get(format_name)
    assert spec is not None
    found = seeds(format_name)
    if not found:
        pytest.skip(f"no {format_name} seed")
    seed = data.draw(st.sampled_from(found))
    suffix = spec.suffixes[0] if spec.suffixes else ""
    with tempfile.TemporaryDirectory() as tmp:
        path = _materialise(seed, data.draw, Path(tmp), suffix)
        given_format = data.draw(st.sampled_from([format_name, None]))
        with lpconvert.read(str(path), given_format) as result:
            _assert_clean(result)
