"""Pasted packages restore in upstream openedx-core with the copied content.

A component, a unit, a subsection and a section are copied, carried as a blob and pasted,
one after another, into the package they came from (every key renamed) and into another
package (keys kept); each result is written as an lp-archive and restored by upstream. What upstream restored
for each pasted entity must be what the source holds: the title, the children (under their
new keys), and the sha256 of every media file, computed here from the source's own bytes.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest

from helpers.paths import corpus

import lpconvert
from lpconvert.clipboard import Clipboard, copy, paste
from lpconvert.package import Package

pytestmark = pytest.mark.oracle  # every test here restores with upstream openedx-core

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)
LIB_PICKS = ["xblock.v1:html:e32d5479-9492-41f6-9222-550a7346bc37", "unit1-b7eafb", "subsection1-48afa3",
             "section1-8ca126"]
SYNTH_PICKS = ["xblock.v1:html:c000000", "unit-9", "sub-6", "sec-3"]


def _expected(source: Package, key: str, renamed: dict[str, str]) -> dict:
    entity = source.entity(key)
    version = entity.current_version
    media = {p: hashlib.sha256(source.read_media(m)).hexdigest()[:16] for p, m in version.media.items()}
    out = {"kind": entity.kind, "draft": 1, "published": None, "versions": {"1": {"title": version.title}}}
    if entity.container_type is not None:
        out["versions"]["1"]["children"] = [renamed.get(c, c) for c in version.children]
    else:
        out["versions"]["1"]["media"] = media
    return out


def _restored(summary: dict, key: str) -> dict:
    got = summary["entities"][key]
    versions = {n: {k: v for k, v in ver.items() if k in ("title", "children", "media")}
                for n, ver in got["versions"].items()}
    return {"kind": got["kind"], "draft": got["draft"], "published": got["published"], "versions": versions}


def _paste_all(source: Package, picks: list[str], into: Package) -> tuple[Package, list[tuple[str, dict]]]:
    pasted = into
    done = []
    for key in picks:
        # through the blob, as a clipboard kept between a copy and a paste would be
        result = paste(Clipboard.from_bytes(copy(source, key).to_bytes()), into=pasted, now=NOW)
        assert result.package is not None, [p.render() for p in result.problems]
        done.append((key, result.renamed))
        pasted = result.package
    return pasted, done


def _check(oracle, source: Package, pasted: Package, done, tmp_path, name: str) -> None:
    out = tmp_path / name
    written = lpconvert.write(pasted, str(out))
    assert written.ok, [p.render() for p in written.problems]
    summary = oracle.summary(out)
    for key, renamed in done:
        for old in [k for k in _tree(source, key)]:
            new = renamed.get(old, old)
            assert _restored(summary, new) == _expected(source, old, renamed), new


def _tree(package: Package, key: str) -> list[str]:
    out, stack = [], [key]
    while stack:
        k = stack.pop()
        out.append(k)
        stack.extend(package.entity(k).current_version.children or ())
    return out


def test_pasted_into_the_same_package_restores_upstream(oracle, tmp_path) -> None:
    with lpconvert.read(str(corpus("lp/upstream-library-backup.zip"))) as lib:
        source = lib.package
        pasted, done = _paste_all(source, LIB_PICKS, source)
        assert all(renamed for _, renamed in done)  # every paste renamed its keys
        _check(oracle, source, pasted, done, tmp_path, "same.zip")


def test_pasted_into_another_package_restores_upstream_with_keys_kept(oracle, tmp_path) -> None:
    with lpconvert.read(str(corpus("lp/synth-1000.zip"))) as synth, \
            lpconvert.read(str(corpus("lp/upstream-library-backup.zip"))) as lib:
        pasted, done = _paste_all(synth.package, SYNTH_PICKS, lib.package)
        assert all(renamed == {} for _, renamed in done)
        _check(oracle, synth.package, pasted, done, tmp_path, "other.zip")
