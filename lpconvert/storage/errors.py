"""What storage raises: one `StorageError` base, with a source side and a sink side.

Reading and writing fail for different reasons and are caught in different places: a reader
turns a `SourceError` into a problem about the file it could not read, while the write path
(`api.write`) has to turn *any* storage failure into a problem, whether the sink refused a
path, the destination was in the way, or a media file streamed from the source turned out
to be damaged. Catching `StorageError` says the second; catching `SourceError` the first.
"""

from __future__ import annotations

import lzma
import zipfile
import zlib

from ..problems import Problem, error

READ_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, OSError, EOFError, zlib.error, lzma.LZMAError, NotImplementedError, RuntimeError,
    ValueError,
)
"""What decompressing a damaged member can raise: all of it means 'corrupt archive'."""


class StorageError(Exception):
    """A storage failure that carries the problem to report (its code, message and file)."""

    def __init__(self, code: str, message: str, file: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.file = file

    def problem(self) -> Problem:
        return error(self.code, self.message, file=self.file)


class SourceError(StorageError):
    """A source, or a file in it, that cannot be read."""


class MissingFileError(SourceError, FileNotFoundError):
    """A reader asked for a file the source does not have.

    Still a FileNotFoundError for readers that test for one, and a SourceError, so a reader
    that forgot to check becomes a clean `missing-file` problem instead of a traceback.
    """

    def __init__(self, path: str) -> None:
        SourceError.__init__(self, "missing-file", f"{path} is missing", path)


class SinkError(StorageError):
    """A sink that refuses what a writer asked of it (an unsafe path, an entry too large)."""


class DestinationExists(SinkError):
    """The destination is already there and the caller did not say `force`."""

    def __init__(self, destination: str) -> None:
        super().__init__("destination-exists", f"{destination} already exists (use --force to replace it)",
                         destination)
