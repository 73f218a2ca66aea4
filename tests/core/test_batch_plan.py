"""Batch planning without a cluster: which inputs a catalogue holds, what each output is
called, what `--resume` may skip, and how a report cut short by a kill is read back.
(The cluster itself is exercised in test_batch.py.)"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from helpers.paths import corpus
from lpconvert.batch.engine import plan_jobs
from lpconvert.batch.plan import PlanError, expand_inputs
from lpconvert.batch.resume import read_report
from lpconvert.reports import BatchRecord


def make_catalogue(root: Path) -> Path:
    exports = root / "exports"
    (exports / "folder-course").mkdir(parents=True)
    shutil.copy(corpus("olx/openedx-test-problem-bank.tar.gz"), exports / "bank.tar.gz")
    shutil.copy(corpus("lp/upstream-library-backup.zip"), exports / "bank.zip")  # same stem as bank.tar.gz
    shutil.copy(corpus("lp/upstream-library-backup.zip"), exports / "Library.v2.zip")
    (exports / "folder-course" / "course.xml").write_text("<course/>")
    (exports / ".DS_Store").write_bytes(b"junk")
    (exports / ".bank.zip.x1y2.lpconvert-tmp").write_bytes(b"half")
    return exports


def test_a_directory_is_each_package_inside_and_names_never_collide(tmp_path: Path) -> None:
    exports = make_catalogue(tmp_path)
    pairs = plan_jobs([str(exports)], "json", str(tmp_path / "out"))
    outputs = {os.path.basename(job.input): os.path.basename(job.output or "") for job, _ in pairs}
    assert outputs == {"Library.v2.zip": "Library.v2.json", "bank.tar.gz": "bank.json", "bank.zip": "bank-2.json",
                       "folder-course": "folder-course.json"}
    folder = next(job for job, _ in pairs if job.input.endswith("folder-course"))
    assert folder.bytes_in is None and all(job.output and job.output.startswith(str(tmp_path / "out"))
                                           for job, _ in pairs)
    # the same catalogue always gets the same names, whatever order it is given in
    again = plan_jobs([str(exports / "bank.zip"), str(exports / "*.tar.gz"), str(exports)], "json",
                      str(tmp_path / "out"))
    assert [(j.input, j.output) for j, _ in again] == [(j.input, j.output) for j, _ in pairs]


def test_the_destination_and_the_report_are_never_inputs(tmp_path: Path) -> None:
    exports = make_catalogue(tmp_path)
    (exports / "out").mkdir()
    (exports / "out" / "bank.json").write_text("{}")
    (exports / "lpconvert-batch.jsonl").write_text("")
    pairs = plan_jobs([str(exports)], "json", str(exports / "out"), exclude=[str(exports / "lpconvert-batch.jsonl")],
                      previous=[])
    assert sorted(os.path.basename(job.input) for job, _ in pairs) == ["Library.v2.zip", "bank.tar.gz", "bank.zip",
                                                                        "folder-course"]


def test_a_format_without_a_suffix_gets_a_folder_per_package(tmp_path: Path) -> None:
    exports = make_catalogue(tmp_path)
    pairs = plan_jobs([str(exports / "*.zip")], "sections", str(tmp_path / "out"))
    assert sorted(os.path.basename(job.output or "") for job, _ in pairs) == ["Library.v2", "bank"]


def test_validating_only_names_no_output(tmp_path: Path) -> None:
    exports = make_catalogue(tmp_path)
    pairs = plan_jobs([str(exports)], None, None)
    assert len(pairs) == 4 and all(job.output is None and job.to is None for job, _ in pairs)


@pytest.mark.parametrize("args, message", [
    (["{root}/missing"], "no such file or directory"),
    (["{root}/exports/*.sqlite"], "matched nothing"),
    (["{root}/empty"], "holds no package"),
])
def test_inputs_that_hold_nothing_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    make_catalogue(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(PlanError, match=message):
        expand_inputs([a.format(root=tmp_path) for a in args])


@pytest.mark.parametrize("kwargs, message", [
    (dict(to="nope", out="{root}/out"), "unknown format 'nope'"),
    (dict(to="json", out="{root}/out", from_format="nope"), "unknown format 'nope'"),
    (dict(to="json", out=None), "--to needs --out"),
])
def test_formats_are_checked_before_anything_runs(tmp_path: Path, kwargs: dict, message: str) -> None:
    exports = make_catalogue(tmp_path)
    if kwargs.get("out"):
        kwargs["out"] = kwargs["out"].format(root=tmp_path)
    with pytest.raises(PlanError, match=message):
        plan_jobs([str(exports)], **kwargs)


def test_outputs_that_exist_are_refused_unless_forced_or_resumed(tmp_path: Path) -> None:
    exports = make_catalogue(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "bank-2.json").write_text("someone's")
    with pytest.raises(PlanError, match=r"bank-2.json already exists \(use --force"):
        plan_jobs([str(exports)], "json", str(out))
    assert len(plan_jobs([str(exports)], "json", str(out), force=True)) == 4
    assert len(plan_jobs([str(exports)], "json", str(out), previous=[])) == 4


def _ok(job, **change) -> BatchRecord:  # type: ignore[no-untyped-def]
    fields = dict(input=job.input, output=job.output, format_in="lp-archive", format_out=job.to, status="ok",
                  error=None, errors={}, warnings={}, problems=[], seconds=1.0, bytes_in=job.bytes_in, bytes_out=3,
                  fingerprint=job.fingerprint, worker="tcp://127.0.0.1:1", peak_memory=1)
    fields.update(change)
    return BatchRecord(**fields)


def test_resume_skips_only_what_is_finished_unchanged_and_still_there(tmp_path: Path) -> None:
    exports = make_catalogue(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    jobs = {os.path.basename(j.input): j for j, _ in plan_jobs([str(exports)], "json", str(out))}
    for job in jobs.values():
        Path(job.output or "").write_text("{}")
    os.remove(jobs["folder-course"].output or "")
    previous = [
        _ok(jobs["bank.tar.gz"]),                                       # finished: skipped
        _ok(jobs["bank.zip"], status="failed"), _ok(jobs["bank.zip"]),  # the last record counts
        _ok(jobs["Library.v2.zip"], fingerprint="size:1;mtime:0"),      # the input changed since
        _ok(jobs["folder-course"]),                                     # its output is gone
    ]
    done = {os.path.basename(j.input): r for j, r in plan_jobs([str(exports)], "json", str(out), previous=previous)}
    assert {name for name, r in done.items() if r is not None} == {"bank.tar.gz", "bank.zip"}
    # another output format is another batch
    other = plan_jobs([str(exports)], "sqlite", str(tmp_path / "db"), previous=previous)
    assert all(r is None for _, r in other)
    # a resumed run's `skipped` record counts as finished the next time
    resumed = [_ok(jobs["bank.tar.gz"], status="skipped", seconds=0.0)]
    again = {os.path.basename(j.input): r for j, r in plan_jobs([str(exports)], "json", str(out), previous=resumed)}
    assert again["bank.tar.gz"] is not None


def test_a_report_cut_short_by_a_kill_is_read_up_to_its_last_whole_line(tmp_path: Path) -> None:
    exports = make_catalogue(tmp_path)
    job = plan_jobs([str(exports / "bank.zip")], "json", str(tmp_path / "out"))[0][0]
    line = _ok(job).model_dump_json()
    report = tmp_path / "r.jsonl"
    report.write_text(line + "\n" + line[: len(line) // 2])
    assert [r.input for r in read_report(str(report))] == [job.input]
    assert read_report(str(tmp_path / "none.jsonl")) == []
    report.write_text(line + "\n" + json.dumps({"input": "x"}) + "\n" + line + "\n")
    with pytest.raises(PlanError, match=r"r.jsonl: line 2 is not a batch record"):
        read_report(str(report))
