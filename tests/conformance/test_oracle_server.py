"""The persistent oracle answers as a cold ``oracle.py load`` does, and fails loudly, never hangs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from helpers.paths import corpus
from helpers.oracle import OracleServer, OracleServerError, cold_load, oracle_python


@pytest.mark.oracle
def test_a_server_that_restored_other_archives_answers_like_a_cold_process(oracle) -> None:
    archive = corpus("lp/upstream-library-backup.zip")
    python = oracle_python()
    assert python is not None
    cold = cold_load(python, archive)
    assert cold["status"] == "success", cold
    oracle.restore(corpus("lp/upstream-library-backup-edited.zip"))  # the same library, edited
    first = oracle.restore(archive)
    again = oracle.restore(archive)  # the same package key is already in the server's database
    assert first == again == {"status": "success", "package": cold["package"]}


def test_a_server_that_cannot_start_says_so_with_its_error(tmp_path: Path) -> None:
    # this venv's python has no Django (and ../shared may be absent): the server dies starting up
    server = OracleServer(sys.executable, tmp_path)
    with pytest.raises(OracleServerError, match=r"exited \(code 1\) while starting Django and migrating; stderr:\n(.|\n)*Error"):
        server.restore(tmp_path / "any.zip")


def test_a_server_that_stops_answering_times_out_instead_of_hanging(tmp_path: Path) -> None:
    silent = tmp_path / "silent-python"
    silent.write_text("#!/bin/sh\nexec sleep 60\n")
    silent.chmod(0o755)
    server = OracleServer(str(silent), tmp_path, startup_timeout=1)
    with pytest.raises(OracleServerError, match="no answer within 1 s"):
        server.restore(tmp_path / "any.zip")
    assert server._proc is None  # killed, so a late answer cannot be taken for the next request


@pytest.mark.oracle
def test_the_same_bytes_under_another_name_are_not_restored_again(oracle, tmp_path: Path) -> None:
    original = corpus("lp/upstream-library-backup.zip")
    expected = oracle.summary(original)
    copy = tmp_path / "renamed copy.zip"
    copy.write_bytes(original.read_bytes())
    asked = oracle.server.restores
    assert oracle.summary(copy) == expected
    assert oracle.server.restores == asked  # answered from the digest cache, not by upstream again
