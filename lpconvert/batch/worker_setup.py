"""Dask preload for the local cluster's workers: leave Ctrl-C to the client, and let the
worker's idle converter children go when it closes.

A Ctrl-C on a terminal reaches every process in the foreground group, the local workers
included; without this each would print a KeyboardInterrupt traceback while the client is
already stopping them cleanly (and saying how to resume).
"""

from __future__ import annotations

import signal
import threading
from typing import Any


def dask_setup(worker: Any) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def dask_teardown(worker: Any) -> None:
    from .converter import close_idle

    close_idle()
