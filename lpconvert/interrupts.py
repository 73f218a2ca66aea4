"""SIGTERM and SIGHUP stop a run the way Ctrl-C does: cleaned up, with one line and 128+N.

Python's default for SIGTERM and SIGHUP is to die on the spot, so the `finally` blocks that
remove a half-written destination's temporary sibling never run. Turning the signal into
an exception (a `KeyboardInterrupt`, so that everything that already cleans up after Ctrl-C
does so here too) lets them run. Installed by the command line only: a library must not
take over its host program's signals.

An exception raised by a signal handler can be lost: when the handler happens to run inside
a finaliser (a stream closed as its last reference goes), Python reports "Exception ignored"
and carries on. So the stop is also remembered: a tree sink asks `check_stop` before each
entry, every sink asks just before it moves its output into place, and so a run asked to
stop never commits, whatever swallowed the exception; the report of the lost exception is
not shown. The sink also says when it did commit (`mark_written`), so that the closing line
never claims "nothing was written" about a destination that was.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

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


@dataclass
class _State:
    """What this run has been asked and has done (one run per process: the CLI)."""

    stop: int | None = None
    written: list[str] = field(default_factory=list)


_state = _State()


def check_stop() -> None:
    """Raise `Terminated` if a stop was asked for, even if its exception was lost on the way."""
    if _state.stop is not None:
        raise Terminated(_state.stop)


def mark_written(destination: str) -> None:
    """A sink moved `destination` into place: it is written, whatever happens next."""
    _state.written.append(destination)


def written() -> list[str]:
    """The destinations this run has moved into place."""
    return list(_state.written)


def _raise(signum: int, frame: FrameType | None) -> None:
    # A second signal while the first one's cleanup runs must not cut that cleanup short.
    for caught in CAUGHT + (signal.SIGINT,):
        signal.signal(caught, signal.SIG_IGN)
    _state.stop = signum
    raise Terminated(signum)


@contextmanager
def stop_cleanly() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise `Terminated`; the previous handlers come back after."""
    previous = {}
    _state.stop, _state.written = None, []  # a new run (tests call `main` more than once)
    try:
        for signum in CAUGHT:
            previous[signum] = signal.signal(signum, _raise)
        previous[signal.SIGINT] = signal.getsignal(signal.SIGINT)  # `_raise` silences it too
    except ValueError:  # not the main thread: leave the signals alone
        pass
    hook = sys.unraisablehook

    def quiet(unraisable: Any) -> None:
        # A `Terminated` lost in a finaliser is remembered (see above), not a traceback to show.
        if not isinstance(unraisable.exc_value, Terminated):
            hook(unraisable)

    sys.unraisablehook = quiet
    try:
        yield
        check_stop()  # asked to stop, but the exception was swallowed: still a stop
    finally:
        _state.stop = None  # honoured (raised) by now; it must not stop whatever runs next
        sys.unraisablehook = hook
        for signum, handler in previous.items():
            signal.signal(signum, handler)
