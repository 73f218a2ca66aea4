"""Running the installed `lpconvert` command in a subprocess, exactly as a user does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None,
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run `lpconvert ARGS` in a subprocess (the timeout guards against a hang; it measures nothing)."""
    exe = shutil.which("lpconvert", path=str(Path(sys.executable).parent)) or shutil.which("lpconvert")
    cmd = [exe, *args] if exe else [sys.executable, "-m", "lpconvert.cli", *args]
    full_env = {**os.environ, "LPCONVERT_NO_PROGRESS": "1", **(env or {})}
    return subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)
