"""Where the repository, its fixtures and the real corpora (../shared/corpora) are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"


def _corpora() -> Path | None:
    env = os.environ.get("LPCONVERT_CORPORA")
    for candidate in ([Path(env)] if env else []) + [ROOT.parent / "shared" / "corpora"]:
        if candidate.is_dir():
            return candidate
    return None


CORPORA = _corpora()
LP_CORPORA = sorted((CORPORA / "lp").glob("*.zip")) if CORPORA else []
OLX_CORPORA = sorted((CORPORA / "olx").glob("*.tar.gz")) if CORPORA else []


def corpus(relative: str) -> Path:
    """A corpus file, or skip the test when the corpora are not beside the checkout."""
    if CORPORA is None or not (CORPORA / relative).exists():
        pytest.skip(f"corpus {relative} not available (set LPCONVERT_CORPORA)")
    return CORPORA / relative
