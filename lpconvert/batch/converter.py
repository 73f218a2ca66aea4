"""Converter processes: long-lived children of a Dask worker that convert one package at a time.

Why a child at all: a Python thread cannot be stopped, so a package that hangs (a reader
stuck on a network mount, a pathological input) would hold its worker forever. The worker
hands each package to a child and waits with a deadline; at the deadline, or when the
child's memory passes the worker's Dask memory limit, the child is killed and the package's
record says so.

Why the child lives on: forking a fresh child for every package made each one pay again for
what the first package of a process warms up (copy-on-write faults on the worker's pages,
caches filled on first use) and cost the worker a fork and a process exit per package. On
the batch benchmark that was about a third of the conversions' own time. A converter child
is forked once, from the warmed worker, and then reads jobs from a pipe and writes records
back, one package at a time, until the worker goes away (the pipe closes) or it has to be
replaced: it was killed (timeout, memory), it died, or a package left it holding much more
memory than it started with, which the next package should not inherit.

The peak memory reported for a package is the child's resident high-water mark during that
package alone: Linux lets a process reset it (`/proc/self/clear_refs`); elsewhere it is the
child's lifetime peak.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import threading
import time
import warnings
from typing import Any

from .plan import Job

POLL_SECONDS = 0.1
"""How often a waiting worker looks at its child's memory."""

GROWTH_LIMIT = 256 << 20
"""A child holding this much more memory after a package than when it was forked is
replaced before the next package: a package must not be converted in memory another one
fragmented, nor be the one that runs out of it."""

_HEADER = struct.Struct("!Q")


class ChildDied(Exception):
    """The child ended without sending a record; `reason` says how. `before_job`: it was
    already gone when the job was sent (it died while idle), so the package never started."""

    def __init__(self, reason: str, before_job: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.before_job = reason, before_job


class Stopped(Exception):
    """The child was killed while converting; `why` is the record's error, `status` its status."""

    def __init__(self, why: str, status: str) -> None:
        super().__init__(why)
        self.why, self.status = why, status


class Converter:
    """One converter child and the worker's ends of its two pipes."""

    def __init__(self) -> None:
        job_read, self._job_write = os.pipe()
        self._record_read, record_write = os.pipe()
        worker_pid = os.getpid()
        with warnings.catch_warnings():
            # the worker has threads; the child touches none of the locks they could hold
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, seen through its records
            os.close(self._job_write)
            os.close(self._record_read)
            _close_other_converters()
            _serve(job_read, record_write, worker_pid)
        os.close(job_read)
        os.close(record_write)
        self.pid = pid
        self.alive = True
        _open_fds.update((self._job_write, self._record_read))

    def convert(self, job: Job, deadline: float, memory_limit: int | None) -> dict[str, Any]:
        """The child's record for `job`. Raises `Stopped` when the deadline or the memory
        limit stopped the child, `ChildDied` when it ended by itself; either way the child is
        gone afterwards."""
        try:
            _send(self._job_write, pickle.dumps(job))
        except OSError:
            raise ChildDied(self._reap(), before_job=True) from None
        payload = self._receive(job, deadline, memory_limit)
        record: dict[str, Any] = pickle.loads(payload)
        if record.pop("_child_grown", 0) > GROWTH_LIMIT:
            self.close()
        return record

    def _receive(self, job: Job, deadline: float, memory_limit: int | None) -> bytes:
        import psutil

        child = psutil.Process(self.pid)
        buffer = bytearray()
        wanted: int | None = None
        while wanted is None or len(buffer) < wanted:
            left = deadline - time.perf_counter()
            if left <= 0:
                self.kill()
                raise Stopped(f"timed out after {job.timeout:g} s; the conversion was stopped", "timeout")
            ready, _, _ = select.select([self._record_read], [], [], min(left, POLL_SECONDS))
            if ready:
                chunk = os.read(self._record_read, 1 << 20)
                if not chunk:
                    raise ChildDied(self._reap())
                buffer += chunk
                if wanted is None and len(buffer) >= _HEADER.size:
                    wanted = _HEADER.size + _HEADER.unpack_from(buffer)[0]
                continue
            if memory_limit and _rss(child) > memory_limit:
                self.kill()
                raise Stopped(f"used more than the worker's memory limit ({memory_limit >> 20} MiB); "
                              "the conversion was stopped", "failed")
        return bytes(buffer[_HEADER.size:])

    def kill(self) -> None:
        """Stop the child at once (it may be in the middle of a package)."""
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._reap()

    def close(self) -> None:
        """Let an idle child go: its job pipe closes, it exits."""
        if not self.alive:
            return
        self._close_pipes()
        self.alive = False
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass

    def _reap(self) -> str:
        """Wait for a child that is ending; how it ended, for a record."""
        self._close_pipes()
        self.alive = False
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            return "it was already gone"
        how = os.waitstatus_to_exitcode(status)
        return f"signal {-how}" if how < 0 else f"exit status {how}"

    def _close_pipes(self) -> None:
        for fd in (self._job_write, self._record_read):
            _open_fds.discard(fd)
            try:
                os.close(fd)
            except OSError:
                pass


# -- the worker's converters ------------------------------------------------------------

_idle: list[Converter] = []
_lock = threading.Lock()
_open_fds: set[int] = set()
"""The worker's ends of every converter's pipes. A new child closes them: a child holding
another child's record pipe open would hide that child's death from the worker."""


def take() -> Converter:
    """An idle converter of this worker, or a new one (one per task running at once)."""
    with _lock:
        while _idle:
            converter = _idle.pop()
            if converter.alive:
                return converter
        return Converter()


def give_back(converter: Converter) -> None:
    if converter.alive:
        with _lock:
            _idle.append(converter)


def close_idle() -> None:
    """Let every idle converter of this worker go and wait for it (the worker is closing):
    no child outlives its worker unreaped."""
    with _lock:
        idle, _idle[:] = list(_idle), []
    for converter in idle:
        converter.close()


def _close_other_converters() -> None:  # pragma: no cover - runs in the child
    for fd in list(_open_fds):
        try:
            os.close(fd)
        except OSError:
            pass
    _open_fds.clear()
    _idle.clear()


# -- the child's side --------------------------------------------------------------------

def _serve(jobs: int, records: int, worker_pid: int) -> None:  # pragma: no cover - runs in the child
    """Convert jobs until the worker closes the pipe; never returns."""
    from .task import convert_one

    code = 0
    try:
        _die_with_parent()
        if os.getppid() != worker_pid:  # the worker died before the line above took effect
            raise SystemExit(1)
        started_rss = _own_rss()
        while True:
            payload = _receive_whole(jobs)
            if payload is None:
                break
            job: Job = pickle.loads(payload)
            peak_resettable = _reset_peak()
            record = convert_one(job)
            record["peak_memory"] = _own_peak(peak_resettable)
            record["_child_grown"] = _own_rss() - started_rss
            _send(records, pickle.dumps(record))
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: the child is killed with its worker, so a killed worker leaves no stray child
    writing an output the retried task is also writing."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _reset_peak() -> bool:  # pragma: no cover - runs in the child
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets the resident high-water mark (Linux 4.0+)
        return True
    except OSError:
        return False


def _own_peak(resettable: bool) -> int:  # pragma: no cover - runs in the child
    if resettable:
        peak = _status_kib("VmHWM")
        if peak:
            return peak * 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _own_rss() -> int:  # pragma: no cover - runs in the child
    return _status_kib("VmRSS") * 1024


def _status_kib(field: str) -> int:  # pragma: no cover - runs in the child
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


# -- messages: a length, then a pickle ---------------------------------------------------

def _send(fd: int, payload: bytes) -> None:
    data = memoryview(_HEADER.pack(len(payload)) + payload)
    while data:
        data = data[os.write(fd, data):]


def _receive_whole(fd: int) -> bytes | None:  # pragma: no cover - runs in the child
    """One message, or None when the pipe closed between messages."""
    header = _read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    payload = _read_exactly(fd, _HEADER.unpack(header)[0])
    if payload is None:
        raise EOFError("the worker closed the pipe in the middle of a job")
    return payload


def _read_exactly(fd: int, n: int) -> bytes | None:  # pragma: no cover - runs in the child
    parts = bytearray()
    while len(parts) < n:
        chunk = os.read(fd, n - len(parts))
        if not chunk:
            return None
        parts += chunk
    return bytes(parts)


def _rss(process: Any) -> int:
    try:
        return int(process.memory_info().rss)
    except Exception:
        return 0
