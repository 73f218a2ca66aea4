"""The one thing a `Source` asks of each kind of container: its files, and a stream of one.

A directory, a zip, a spooled tar and a single file each answer these two questions their
own way (see `directory`, `zip_read`, `tar_spool`, `single_file`); the `Source` above them
does the rest (the junk filter, the wrapper folder, limits, damage turned into problems)
once, for all of them.
"""

from __future__ import annotations

from typing import IO


class Backend:
    """How the bytes of one kind of source are reached. Paths are full paths in the backend."""

    def listing(self) -> dict[str, int]:
        """Every regular file (links left out) and its size."""
        raise NotImplementedError

    def open(self, path: str) -> IO[bytes]:
        raise NotImplementedError

    def close(self) -> None:
        pass
