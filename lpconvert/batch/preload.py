"""Imported by the fork server `lpconvert batch` starts (`lpconvert.batch.forkserver`):
everything a local Dask worker and its conversions need, so that each worker forked from
the server starts with it in memory instead of importing it again."""

from __future__ import annotations

import gc

import distributed  # noqa: F401
import distributed.nanny  # noqa: F401
import distributed.worker  # noqa: F401

from .task import warm_imports

warm_imports()
# the workers forked from here share these pages; keep their collections from touching them
gc.freeze()
