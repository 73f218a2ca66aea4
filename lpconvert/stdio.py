"""`-` as IN (standard input) and as OUT (standard output) on the command line.

Readers and writers work on paths (a zip is read by seeking, a SQLite database is a file),
so a stream is spooled: standard input into a temporary file the reader opens like any
other, and standard output is filled from a temporary file once the writer has finished
and the package is complete, so a failed conversion never sends half a package down a
pipe. The temporary folder is removed on every exit, signals included.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

STREAM = "-"
CHUNK = 1 << 20
CONTAINER_SUFFIXES = {"zip": ".zip", "tar.gz": ".tar.gz", "tar": ".tar"}
"""A `--container` value -> the file name suffix that makes the sink bundle a tree that way."""


class StreamError(Exception):
    """`-` used where it cannot work: a usage error, one line."""


class StreamTooLarge(Exception):
    """Standard input is larger than the size limit: an input error, one line."""


@contextmanager
def stdin_as_file(spec: Any, max_bytes: int, stream: IO[bytes] | None = None) -> Iterator[str]:
    """Copy standard input into a temporary file named for `spec` and yield its path.

    A one-file format (json, sqlite) gets its own suffix; a tree format (olx, lp-archive)
    must arrive as a zip or tar, recognised by its first bytes. More than `max_bytes` (the
    `--max-size` limit) raises `StreamTooLarge` rather than filling the disk.
    """
    stream = stream or sys.stdin.buffer
    with tempfile.TemporaryDirectory(prefix="lpconvert-stdin-") as folder:
        head = stream.read(CHUNK)
        if not head:
            raise StreamError("standard input (-) is empty")
        if spec.output == "file":
            suffix = spec.suffixes[0] if spec.suffixes else ""
        else:
            from .storage.source import archive_kind

            kind = archive_kind(head)
            if kind is None:
                raise StreamError(f"standard input (-) holds no zip or tar archive; a {spec.name} package read "
                                  "from stdin must be one")
            suffix = f".{kind}"
        path = os.path.join(folder, f"stdin{suffix}")
        copied = 0
        with open(path, "wb") as out:
            chunk = head
            while chunk:
                copied += len(chunk)
                if copied > max_bytes:
                    raise StreamTooLarge(f"standard input (-) is larger than the size limit of {max_bytes} bytes "
                                         "(--max-size)")
                out.write(chunk)
                chunk = stream.read(CHUNK)
        yield path


def stdout_suffix(spec: Any, container: str | None) -> str:
    """The suffix of the temporary file a package for standard output is written to.

    A one-file format is its own file. A tree format has to be bundled into one file to go
    down a pipe: as `--container` says (zip, tar.gz, tar), else as its default suffix does
    when that names an archive (lp-archive -> .zip, olx -> .tar.gz, and a suffix the format
    declares a zip, `FormatSpec.zip_suffixes`, such as .imscc). A tree with neither is
    refused: there is no single file to send.
    """
    if spec.output == "file":
        if container is not None:
            raise StreamError(f"--container does not apply to {spec.name}, which is one file")
        return spec.suffixes[0] if spec.suffixes else ""
    if container == "dir":
        raise StreamError("a directory cannot be written to standard output (-); use --container zip, tar.gz "
                          "or tar")
    if container is not None:
        return CONTAINER_SUFFIXES[container]
    zipped = set(getattr(spec, "zip_suffixes", ()) or ())  # a zip under the format's own name (.imscc)
    for suffix in spec.suffixes:
        if suffix in CONTAINER_SUFFIXES.values() or suffix == ".tgz" or suffix in zipped:
            return suffix
    raise StreamError(f"{spec.name} is many files; to write it to standard output (-) give --container zip, "
                      "tar.gz or tar")


@contextmanager
def stdout_spool(suffix: str) -> Iterator[str]:
    """A path to write to; `send` it to standard output once written. Removed on exit."""
    with tempfile.TemporaryDirectory(prefix="lpconvert-stdout-") as folder:
        yield os.path.join(folder, f"stdout{suffix}")


def send(path: str, stream: IO[bytes] | None = None) -> None:
    """Copy the finished file at `path` to standard output."""
    stream = stream or sys.stdout.buffer
    with open(path, "rb") as f:
        shutil.copyfileobj(f, stream, CHUNK)
    stream.flush()
