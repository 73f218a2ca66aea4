"""SIGTERM and SIGHUP stop a run the way Ctrl-C does: cleaned up, with one line and 128+N.

Python's default for SIGTERM and SIGHUP is to die on the spot, so the `finally` blocks that
remove a half-written destination's temporary sibling never run. Turning the signal into
an exception (a `KeyboardInterrupt`, so that everything that already cleans up after Ctrl-C
does so here too) lets them run. Installed by the command line only: a library must not
take over its host program's signals.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

CAUGHT = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
"""The signals turned into `Terminated` (SIGHUP does not exist on Windows)."""


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by `signum`; its exit status is 128 + signum by convention."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _raise(signum: int, frame: FrameType | None) -> None:
    # A second signal while the first one's cleanup runs must not cut that cleanup short.
    for caught in CAUGHT + (signal.SIGINT,):
        signal.signal(caught, signal.SIG_IGN)
    raise Terminated(signum)


@contextmanager
def stop_cleanly() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise `Terminated`; the previous handlers come back after."""
    previous = {}
    try:
        for signum in CAUGHT:
            previous[signum] = signal.signal(signum, _raise)
        previous[signal.SIGINT] = signal.getsignal(signal.SIGINT)  # `_raise` silences it too
    except ValueError:  # not the main thread: leave the signals alone
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
