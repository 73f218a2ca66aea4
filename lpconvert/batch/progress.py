"""The batch's progress line on a terminal: done / failed / running, throughput, time left.

Only when stderr is a terminal (a log file or a pipe gets the summary table alone), and at
most five redraws a second, so that watching never slows the batch.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


class QuietBatchProgress:
    """A batch nobody watches (stderr is no terminal, or LPCONVERT_NO_PROGRESS): the calls, no output.

    What `for_terminal` gives instead of None, so the batch command reports without a guard."""

    def start(self, slots: int) -> None:
        pass

    def record(self, status: str) -> None:
        pass

    def finish(self) -> None:
        pass


class BatchProgress(QuietBatchProgress):
    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total = total
        self.done = 0
        self.ran = 0  # done in this run: what throughput counts (skipped packages cost nothing)
        self.failed = 0
        self.slots = 1
        self._started = time.monotonic()
        self._last = 0.0

    def start(self, slots: int) -> None:
        """Called when the tasks are submitted; `slots` is how many can run at once."""
        self.slots = slots
        self._started = time.monotonic()
        self._draw(force=True)

    def record(self, status: str) -> None:
        self.done += 1
        self.ran += status != "skipped"
        if status in ("failed", "timeout"):
            self.failed += 1
        self._draw()

    def finish(self) -> None:
        self.stream.write("\r\x1b[2K")
        self.stream.flush()

    def line(self) -> str:
        elapsed = time.monotonic() - self._started
        running = min(self.slots, self.total - self.done)
        rate = self.ran / elapsed if elapsed > 0 and self.ran else 0.0
        left = (self.total - self.done) / rate if rate else None
        eta = f"{int(left) // 60}:{int(left) % 60:02d} left" if left is not None else "time left unknown"
        return (f"batch: {self.done}/{self.total} done, {self.failed} failed, {running} running; "
                f"{rate:.1f} packages/s, {eta}")

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < 0.2 and self.done < self.total:
            return
        self._last = now
        self.stream.write("\r\x1b[2K" + self.line())
        self.stream.flush()


def for_terminal(total: int, stream: TextIO | None = None) -> QuietBatchProgress:
    """A progress line when `stream` (default stderr) is a terminal and LPCONVERT_NO_PROGRESS
    is not set, as for single conversions; else a quiet one."""
    if os.environ.get("LPCONVERT_NO_PROGRESS"):
        return QuietBatchProgress()
    stream = stream or sys.stderr
    try:
        return BatchProgress(total, stream) if stream.isatty() else QuietBatchProgress()
    except (AttributeError, ValueError):
        return QuietBatchProgress()
