"""Start the local cluster's worker processes warm, while the client is still starting.

Why: Dask starts each local worker by spawning a new interpreter, which imports Dask and
then lpconvert and every plugin before it can take a task: about 0.8 s of one core per
worker, after the client has itself spent as long importing Dask and planning. On a small
catalogue that start-up is a large share of the batch, and it is the same whether one
worker or every core converts, so it also hides what more workers gain.

Instead, `lpconvert batch` starts multiprocessing's fork server first thing, before it
imports Dask itself. The fork server is a fresh single-threaded process that imports Dask,
lpconvert and every format (`lpconvert.batch.preload`) on the second core while the client
imports and plans on the first; the cluster's workers are then forked from it, already
warm, in milliseconds. Forking from a single-threaded server is safe, unlike forking the
client, whose event-loop thread may hold a lock at that moment.

Only the command line does this: it owns its process. A program calling
`lpconvert.batch.convert_many` keeps Dask's default (spawn) unless it starts a fork server
itself (`start`), because the fork server and its preloaded modules are per process.
"""

from __future__ import annotations

import multiprocessing

PRELOAD = "lpconvert.batch.preload"
METHOD = "forkserver"


_started = False


def start() -> bool:
    """Start the fork server with lpconvert preloaded, if this platform has one (Linux,
    macOS); True when local workers should be started from it. Returns at once: the server
    imports in the background, and the first worker waits for it only if it is not done."""
    global _started
    if METHOD not in multiprocessing.get_all_start_methods():
        return False
    from multiprocessing import forkserver

    multiprocessing.get_context(METHOD).set_forkserver_preload([PRELOAD])
    forkserver.ensure_running()
    _started = True
    return True


def start_method() -> str | None:
    """The start method for local workers: the fork server when `start` started it."""
    return METHOD if _started else None
