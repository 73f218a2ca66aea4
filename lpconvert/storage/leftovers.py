"""The temporary siblings a sink is written into, how one is swapped into place, and how a
dead run's are cleaned up.

A writer never touches the destination: it fills a temporary sibling of it (same folder, so
the final rename is atomic), and only a finished sibling is renamed into place. A run killed
outright (SIGKILL, a power cut) cannot remove its sibling; the sibling's name carries the
run's process id and host, so the next run to the same destination recognises it as a dead
run's leftover and removes it.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket

from .names import LEFTOVER_SUFFIXES

TEMPORARY, MOVED_ASIDE = LEFTOVER_SUFFIXES
"""A sibling being written, and a replaced destination in the instant of the swap."""


def remove(path: str) -> None:
    """Remove a file or a folder (not following a link to one) if it is there."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.unlink(path)


HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"
_LEFTOVER = re.compile(r"\.lpc-(?P<pid>[0-9]+)@(?P<host>[A-Za-z0-9-]+)\.[a-z0-9_]+(?P<suffix>"
                       + "|".join(re.escape(s) for s in LEFTOVER_SUFFIXES) + ")$")
"""The tail of a temporary sibling's name: `.lpc-PID@HOST.RANDOM.lpconvert-tmp` (or `-old`).
The process id and host say whose it is, so a later run can tell a dead run's leftover from
one that a run still going (here or on another machine sharing the folder) is writing."""


def _sibling_prefix(dest: str) -> str:
    return f".{os.path.basename(dest.rstrip(os.sep))}.lpc-{os.getpid()}@{HOST}."


_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"
"""What the random part of a sibling's name is made of (as `tempfile` makes them)."""


def sibling_name(dest: str, suffix: str) -> str:
    """A fresh name for a temporary sibling of `dest` (not yet made)."""
    random = "".join(secrets.choice(_NAME_CHARS) for _ in range(8))
    return os.path.join(os.path.dirname(dest) or ".", f"{_sibling_prefix(dest)}{random}{suffix}")


def make_sibling(tmp: str, folder: bool) -> None:
    """Create the temporary sibling `tmp`, private to this user until it is committed.

    Its name is chosen (and kept by the caller) before it exists, rather than by
    `tempfile.mkdtemp`, which returns the name only after making it: a signal arriving in
    between would leave a sibling the cleanup does not know about."""
    os.makedirs(os.path.dirname(tmp), exist_ok=True)
    if folder:
        os.mkdir(tmp, 0o700)
    else:
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600))


def _is_running(pid: int) -> bool:
    """Whether process `pid` exists. Where that cannot be asked safely (Windows, whose
    `os.kill` terminates), every process counts as running, so nothing is cleaned."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, under another user
    return True


def clean_leftovers(dest: str) -> list[str]:
    """Remove the temporary siblings of `dest` that a run killed outright (SIGKILL, a power
    cut) left behind; returns their paths.

    Only this machine's leftovers whose process is gone are touched. A `.lpconvert-old`
    sibling is the previous destination, moved aside in the instant a forced replacement
    swaps the new one in: if the run died before the swap finished, so that `dest` is
    missing, it is put back rather than deleted.
    """
    parent = os.path.dirname(dest) or "."
    start = f".{os.path.basename(dest.rstrip(os.sep))}"
    cleaned = []
    try:
        names = [n for n in os.listdir(parent) if n.startswith(start) and n.endswith(LEFTOVER_SUFFIXES)]
    except OSError:
        return []
    for name in names:
        found = _LEFTOVER.fullmatch(name[len(start):])
        if not found or found["host"] != HOST or _is_running(int(found["pid"])):
            continue
        path = os.path.join(parent, name)
        try:
            if found["suffix"] == MOVED_ASIDE and not os.path.lexists(dest):
                os.rename(path, dest)
            else:
                remove(path)
        except OSError:
            continue  # another run cleaned it first, or it is not ours to remove
        cleaned.append(path)
    return cleaned


def commit_local(tmp: str, dest: str) -> None:
    """Put the finished sibling `tmp` in place of `dest`; a folder that was there is moved
    aside first, and moved back if the swap fails."""
    if os.path.isdir(dest) and not os.path.islink(dest):
        old = sibling_name(dest, MOVED_ASIDE)
        os.rename(dest, old)
        try:
            os.rename(tmp, dest)
        except BaseException:
            os.rename(old, dest)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, dest)
    if not os.path.isdir(dest):
        os.chmod(dest, 0o644)
    else:
        os.chmod(dest, 0o755)

