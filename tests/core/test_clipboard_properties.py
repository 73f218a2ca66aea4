"""Whatever is copied and however it is pasted, the result is valid and keeps the copied structure."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from helpers.paths import corpus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lpconvert
from lpconvert.clipboard import ON_CONFLICT, Clipboard, copy, paste
from lpconvert.package import Package
from lpconvert.validation import revalidate

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def lib():
    with lpconvert.read(str(corpus("lp/upstream-library-backup.zip"))) as result:
        assert result.package is not None
        yield result.package


def _structure(package: Package, key: str) -> tuple:
    """An entity's current content as nested data: kinds, titles, children in order, media bytes."""
    entity = package.entity(key)
    version = entity.current_version
    children = tuple(_structure(package, c) for c in version.children or ())
    media = tuple(sorted((p, package.read_media(m)) for p, m in version.media.items()))
    return (entity.container_type, version.title, children, media)


def _keys(package: Package, key: str) -> list[str]:
    version = package.entity(key).current_version
    return [key] + [k for c in version.children or () for k in _keys(package, c)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_sequence_of_pastes_stays_valid_and_keeps_structure(lib: Package, data: st.DataObject) -> None:
    keys = sorted(e.key for e in lib.entities)
    steps = data.draw(st.lists(st.tuples(st.sampled_from(keys), st.sampled_from(ON_CONFLICT)), min_size=1,
                               max_size=4))
    package = lib
    for key, mode in steps:
        clip = Clipboard.from_bytes(copy(lib, key).to_bytes())
        before = {e.key for e in package.entities}
        result = paste(clip, into=package, on_conflict=mode, now=NOW)
        assert result.package is not None, [p.render() for p in result.problems]
        assert not [p for p in revalidate(result.package.model) if p.is_error]
        new_keys = list(result.renamed.values())
        assert len(set(new_keys)) == len(new_keys) and not set(new_keys) & before
        # renamed, replaced or skipped, the pasted root shows the source's tree
        assert _structure(result.package, result.root) == _structure(lib, key)
        if mode == "rename":  # and a renamed copy shares nothing with the original
            assert set(_keys(result.package, result.root)) == set(new_keys)
        package = result.package
        assert {e.key for e in package.entities} >= before
