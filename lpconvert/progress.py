"""Progress reporting for long runs: a bar on stderr when stderr is a terminal, else nothing.

Readers and writers call `progress.start(total, label)` then `advance()`; they never know
whether anyone is watching. The bar redraws at most ten times a second so that reporting
never costs more than the work.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """The interface readers and writers use. This base class reports nothing."""

    def start(self, total: int | None, label: str) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


class NullProgress(Progress):
    pass


class BarProgress(Progress):
    """`label [#####.....] 412/1000` on one line of a terminal."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.total: int | None = None
        self.done = 0
        self.label = ""
        self._last = 0.0
        self._active = False

    def start(self, total: int | None, label: str) -> None:
        if self._active:
            self.finish()
        self.total, self.done, self.label, self._active = total, 0, label, True
        self._draw(force=True)

    def advance(self, n: int = 1) -> None:
        self.done += n
        self._draw()

    def finish(self) -> None:
        if self._active:
            self._draw(force=True)
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._active = False

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < 0.1:
            return
        self._last = now
        if self.total:
            filled = int(self.width * min(self.done, self.total) / self.total)
            bar = "#" * filled + "." * (self.width - filled)
            text = f"{self.label} [{bar}] {self.done}/{self.total}"
        elif self.done:
            text = f"{self.label} {self.done}"
        else:  # a phase that cannot count its steps: its name is the news
            text = f"{self.label}..."
        self.stream.write("\r\x1b[2K" + text)
        self.stream.flush()


def for_terminal(stream: TextIO | None = None) -> Progress:
    """A bar if `stream` (default stderr) is a terminal, else a silent reporter."""
    stream = stream or sys.stderr
    try:
        interactive = stream.isatty()
    except (AttributeError, ValueError):
        interactive = False
    return BarProgress(stream) if interactive else NullProgress()
