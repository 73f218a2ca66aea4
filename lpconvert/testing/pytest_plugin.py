"""lpconvert's pytest plugin: round-trip fixtures for format plugin authors.

Installed with lpconvert through the ``pytest11`` entry point, so any project that has
lpconvert installed gets these fixtures without configuration:

* ``lpconvert_sample``: the `lpconvert.testing.sample_package()` package;
* ``lpconvert_use_plugins(*modules)``: register plugin modules (not yet installed) for the
  rest of the test, restoring the registry afterwards;
* ``lpconvert_roundtrip(package, format, **kw)``: `assert_roundtrip` into the test's tmp_path.

This module is imported by every pytest run in an environment with lpconvert, including
projects that never use it, so it imports nothing but pytest at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture
def lpconvert_sample() -> Iterator[Any]:
    """lpconvert's sample package (outline, drafts, a loose component, a collection, a PNG, tricky titles)."""
    from lpconvert.testing import sample_package

    with sample_package() as package:
        yield package


@pytest.fixture
def lpconvert_use_plugins() -> Iterator[Callable[..., Any]]:
    """Call with plugin modules to make their formats available until the test ends."""
    from contextlib import ExitStack

    from lpconvert.testing import use_plugins

    with ExitStack() as stack:
        def register(*modules: Any, entry_points: bool = True) -> Any:
            return stack.enter_context(use_plugins(*modules, entry_points=entry_points))

        yield register


@pytest.fixture
def lpconvert_roundtrip(tmp_path: Any) -> Callable[..., None]:
    """Call as (package, format, **kw): write, probe, read back, and fail on any undeclared loss."""
    from lpconvert.testing import assert_roundtrip

    counter = iter(range(1_000_000))

    def run(package: Any, format: str, **kwargs: Any) -> None:
        directory = tmp_path / f"roundtrip-{next(counter)}"
        directory.mkdir()
        assert_roundtrip(package, format, directory, **kwargs)

    return run
