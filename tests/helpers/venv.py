"""A throwaway venv that sees the running environment and has one plugin distribution
pip-installed offline: how the plugin install tests meet a plugin as a user gets it."""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

import pytest


class Venv:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.python = str(path / "bin" / "python")

    def run(self, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        full_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LPCONVERT_DISABLE_PLUGINS")}
        full_env.update({"LPCONVERT_NO_PROGRESS": "1", "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
        full_env.update(env or {})
        return subprocess.run([self.python, *args], capture_output=True, text=True, timeout=timeout, env=full_env,
                              cwd=str(self.path.parent), check=False)

    def lpconvert(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return self.run("-m", "lpconvert.cli", *args, env=env)


def venv_with_plugin(tmp_path_factory: pytest.TempPathFactory, plugin: Path, module: str) -> Venv:
    """A fresh venv that sees the running environment (lpconvert, pip, hatchling) and has the
    plugin distribution at `plugin` installed offline, as a user would: `pip install`."""
    base = tmp_path_factory.mktemp(plugin.name)
    made = subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(base / "venv")],
                          capture_output=True, text=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot create a venv here: {made.stderr.strip()[-300:]}")
    env = Venv(base / "venv")
    purelib = env.run("-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    # The running environment's site-packages (lpconvert, pydantic, pip, hatchling ...), added
    # with addsitedir so that its own .pth files (the editable lpconvert) are honoured too.
    dirs = [d for d in site.getsitepackages() if os.path.isdir(d)]
    Path(purelib, "_lpconvert_parent_env.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({d!r})" for d in dirs) + "\n")
    probe = env.run("-c", "import lpconvert, pip, hatchling")
    if probe.returncode != 0:
        pytest.skip(f"the running environment lacks lpconvert, pip or hatchling: {probe.stderr.strip()[-300:]}")
    if env.run("-c", f"import {module}").returncode == 0:
        pytest.skip(f"{module} is already importable here, so the test could not tell it was installed")
    installed = env.run("-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", str(plugin))
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    return env
