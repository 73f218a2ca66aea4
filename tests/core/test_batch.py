"""`lpconvert batch` on real Dask: a LocalCluster, a `dask scheduler` with `dask worker`s started
here, a moto S3 server; packages that hang, workers killed mid-run, a batch killed and resumed.

Every cluster listens on 127.0.0.1 only and has at most two workers (the machine has two
cores). Outputs are checked by reading them back with lpconvert, as a user would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import lpconvert
import lpconvert.api as lpconvert_api
from helpers.paths import ROOT, corpus
from lpconvert.reports import BatchRecord

pytest.importorskip("distributed")

LPCONVERT = str(Path(sys.executable).with_name("lpconvert"))
DASK = str(Path(sys.executable).with_name("dask"))
pytestmark = pytest.mark.slow

TEST_PLUGIN = '''
"""Test-only formats: `*.hang` never finishes reading; `*.slowjson` is a json document read
after a pause, and notes which worker process read it (its child's parent); `*.greedy` takes
400 MB and holds it; writing `stuck` gets stuck after its first file; `*.crash` kills the
process reading it, `*.killer` its worker; `*.hungry` uses 300 MB for a moment and `*.hoard` keeps 300 MB for good,
then both read a json document."""
import os, time
from lpconvert.formats import FormatSpec
from lpconvert.hookspecs import hookimpl

LPCONVERT_API = 1

def _named(suffix):
    return lambda source: bool(source.is_single_file and (source.single_file_name or "").endswith(suffix))

def read_hang(source, options):
    with open(os.environ["BATCH_TEST_MARKS"], "a") as f:
        f.write(f"hang {os.getpid()}\\n")
    while True:
        time.sleep(1)

def read_slow(source, options):
    with open(os.environ["BATCH_TEST_MARKS"], "a") as f:
        f.write(f"slow {os.getppid()} {source.label}\\n")
    time.sleep(float(os.environ.get("BATCH_TEST_PAUSE", "3")))
    from lpconvert_json.reader import read_json
    return read_json(source, options)

def read_greedy(source, options):
    hoard = b"x" * (400 << 20)  # written, so resident
    time.sleep(60)
    return hoard

def read_killer(source, options):
    import signal
    os.kill(os.getppid(), signal.SIGKILL)  # the worker converting it
    time.sleep(60)

def read_crash(source, options):
    import signal
    os.kill(os.getpid(), signal.SIGKILL)

_HOARD = []

def _mark(what, source):
    with open(os.environ["BATCH_TEST_MARKS"], "a") as f:
        f.write(f"{what} {os.getppid()} {source.label}\\n")

def read_hungry(source, options):
    _mark("hungry", source)
    hoard = b"x" * (300 << 20)
    del hoard
    from lpconvert_json.reader import read_json
    return read_json(source, options)

def read_hoard(source, options):
    _mark("hoard", source)
    _HOARD.append(b"x" * (300 << 20))
    from lpconvert_json.reader import read_json
    return read_json(source, options)

def write_stuck(package, sink, options):
    sink.write_bytes("part-1.txt", b"written before getting stuck")
    while True:
        time.sleep(1)

@hookimpl
def lpconvert_formats():
    return [FormatSpec(name="hang", description="never finishes", probe=_named(".hang"),
                       reader="lpconvert_batch_test_plugin:read_hang"),
            FormatSpec(name="slowjson", description="json, slowly", probe=_named(".slowjson"), suffixes=(".slowjson",),
                       reader="lpconvert_batch_test_plugin:read_slow"),
            FormatSpec(name="greedy", description="wants 400 MB", probe=_named(".greedy"),
                       reader="lpconvert_batch_test_plugin:read_greedy"),
            FormatSpec(name="killer", description="kills its worker", probe=_named(".killer"),
                       reader="lpconvert_batch_test_plugin:read_killer"),
            FormatSpec(name="crash", description="kills its reader", probe=_named(".crash"),
                       reader="lpconvert_batch_test_plugin:read_crash"),
            FormatSpec(name="hungry", description="json, after 300 MB for a moment", probe=_named(".hungry"),
                       reader="lpconvert_batch_test_plugin:read_hungry"),
            FormatSpec(name="hoard", description="json, keeping 300 MB", probe=_named(".hoard"),
                       reader="lpconvert_batch_test_plugin:read_hoard"),
            FormatSpec(name="stuck", description="gets stuck writing", suffixes=(".stuck",),
                       writer="lpconvert_batch_test_plugin:write_stuck")]
'''


@pytest.fixture
def plugin_site(tmp_path: Path) -> Path:
    """The test-only plugin as an installed distribution, on the workers' PYTHONPATH."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "lpconvert_batch_test_plugin.py").write_text(textwrap.dedent(TEST_PLUGIN))
    info = site / "lpconvert_batch_test-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lpconvert_batch_test\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[lpconvert]\nbatchtest = lpconvert_batch_test_plugin\n")
    (info / "RECORD").write_text("")
    return site


def env_with(**extra: str) -> dict[str, str]:
    env = dict(os.environ, LPCONVERT_NO_PROGRESS="1")
    env.update(extra)
    return env


def batch(*args: str, cwd: Path, env: dict[str, str] | None = None,
          timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([LPCONVERT, "batch", *args], cwd=cwd, env=env or env_with(), capture_output=True,
                          text=True, timeout=timeout)


def records(path: Path) -> list[BatchRecord]:
    return [BatchRecord.model_validate_json(line) for line in path.read_text().splitlines()]


def by_name(recs: list[BatchRecord]) -> dict[str, BatchRecord]:
    return {os.path.basename(r.input): r for r in recs}


def assert_valid(path: str | Path) -> None:
    result = lpconvert.validate(str(path))
    assert result.valid, [p.render() for p in result.problems if p.is_error]


def catalogue(root: Path) -> Path:
    """Two OLX exports, a learning-package archive, and a broken archive."""
    inputs = root / "exports"
    inputs.mkdir()
    for rel in ("olx/olx-example-course.tar.gz", "olx/openedx-test-problem-bank.tar.gz",
                "lp/upstream-library-backup.zip"):
        shutil.copy(corpus(rel), inputs)
    (inputs / "broken.zip").write_bytes(b"PK\x03\x04 this is not a zip archive")
    return inputs


def json_copy(root: Path, name: str) -> Path:
    """A small json package (the upstream archive converted), under `name`."""
    out = root / name
    result = lpconvert.convert(str(corpus("lp/upstream-library-backup.zip")), str(out), to="json")
    assert result.ok
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


# -- a local cluster over real packages ---------------------------------------------------------

def test_local_cluster_converts_a_catalogue_and_reports_the_broken_package(tmp_path: Path) -> None:
    inputs = catalogue(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(inputs / "olx-example-course.tar.gz", other / "olx-example-course.tgz")  # same stem
    out = tmp_path / "libraries"
    report = tmp_path / "report.jsonl"
    done = batch(str(inputs), str(other / "*.tgz"), "--to", "lp-archive", "--out", str(out), "--workers", "2",
                 "--report", str(report), cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    recs = by_name(records(report))
    assert set(recs) == {"olx-example-course.tar.gz", "olx-example-course.tgz", "openedx-test-problem-bank.tar.gz",
                         "upstream-library-backup.zip", "broken.zip"}
    broken = recs.pop("broken.zip")
    assert broken.status == "failed" and broken.errors == {"archive-corrupt": 1}
    assert "is not a readable zip archive" in (broken.error or "")
    assert broken.output and not os.path.exists(broken.output)
    assert f"{inputs / 'broken.zip'}: " in done.stderr and "is not a readable zip archive" in done.stderr
    outputs = set()
    for name, rec in recs.items():
        assert rec.status == "ok", (name, rec.error)
        assert rec.format_out == "lp-archive" and rec.bytes_out == os.path.getsize(rec.output or "")
        assert_valid(rec.output or "")
        outputs.add(os.path.basename(rec.output or ""))
    # the two inputs named olx-example-course get distinct outputs
    assert outputs == {"olx-example-course.zip", "olx-example-course-2.zip", "openedx-test-problem-bank.zip",
                       "upstream-library-backup.zip"}
    assert recs["olx-example-course.tar.gz"].format_in == "olx"
    assert recs["upstream-library-backup.zip"].format_in == "lp-archive"
    assert sorted(os.listdir(out)) == sorted(outputs)  # nothing half-written beside them
    # the summary table counts every status; no progress line when stderr is not a terminal
    assert "ok                4" in done.stderr and "failed            1" in done.stderr
    assert "packages/s" not in done.stderr


def test_progress_on_a_terminal(tmp_path: Path) -> None:
    import pty

    inputs = tmp_path / "in"
    inputs.mkdir()
    json_copy(inputs, "one.json")
    json_copy(inputs, "two.json")
    master, slave = pty.openpty()
    proc = subprocess.Popen([LPCONVERT, "batch", str(inputs), "--to", "sqlite", "--out", str(tmp_path / "out"),
                             "--workers", "1"], cwd=tmp_path, env={k: v for k, v in env_with().items()
                                                                   if k != "LPCONVERT_NO_PROGRESS"},
                            stderr=slave, stdout=subprocess.DEVNULL)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed: the batch has exited
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=60) == 0
    os.close(master)
    text = seen.decode()
    assert "batch: 0/2 done, 0 failed, 1 running" in text
    assert "batch: 2/2 done, 0 failed, 0 running;" in text and "packages/s" in text


def test_report_lines_follow_the_published_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    shown = subprocess.run([LPCONVERT, "batch", "--schema"], capture_output=True, text=True, check=True)
    schema = json.loads(shown.stdout)
    inputs = tmp_path / "in"
    inputs.mkdir()
    json_copy(inputs, "lib.json")
    (inputs / "empty.json").write_text("")
    done = batch(str(inputs), "--workers", "1", cwd=tmp_path)  # no --to: validate only
    assert done.returncode == 1
    lines = [json.loads(line) for line in (tmp_path / "lpconvert-batch.jsonl").read_text().splitlines()]
    assert len(lines) == 2
    for line in lines:
        jsonschema.validate(line, schema)
        assert line["output"] is None and line["format_out"] is None
    assert {line["status"] for line in lines} == {"ok", "failed"}
    doc = (ROOT / "docs" / "batch.md").read_text()
    for field in schema["properties"]:
        assert f"`{field}`" in doc, f"docs/batch.md does not describe {field}"


def test_usage_errors_are_one_line_and_touch_nothing(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    json_copy(inputs, "lib.json")
    out = tmp_path / "out"
    out.mkdir()
    (out / "lib.zip").write_bytes(b"mine")
    report = tmp_path / "r.jsonl"
    report.write_text("kept\n")
    for args, words in (((str(inputs), "--to", "lp-archive", "--out", str(out), "--report", str(report)),
                         "already exists"),
                        ((str(tmp_path / "nothing-*.zip"), "--to", "json", "--out", str(out)), "matched nothing"),
                        ((str(inputs), "--to", "nope", "--out", str(out)), "unknown format"),
                        ((str(inputs), "--to", "json"), "--out"),
                        ((str(inputs), "--report", str(tmp_path / "no" / "r.jsonl")), "directory does not exist"),
                        ((str(inputs), "--memory-limit", "lots"), "is not a size")):
        done = batch(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        first = done.stderr.splitlines()[0]
        assert first.startswith("lpconvert: ") and words in first and "Traceback" not in done.stderr
    unreachable = f"tcp://127.0.0.1:{free_port()}"
    done = batch(str(inputs), "--to", "json", "--out", str(tmp_path / "new"), "--scheduler", unreachable,
                 "--report", str(report), cwd=tmp_path, env=env_with(DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT="2s"))
    assert done.returncode == 2
    assert done.stderr.startswith(f"lpconvert: cannot reach the Dask scheduler at {unreachable}: ")
    assert (out / "lib.zip").read_bytes() == b"mine" and report.read_text() == "kept\n"


def test_strict_and_allow_loss_reach_every_package(tmp_path: Path) -> None:
    """--strict makes the collection OLX cannot hold an error; --allow-loss accepts the losses again."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(corpus("lp/upstream-library-backup.zip"), inputs)
    args = (str(inputs), "--to", "olx", "--out", str(tmp_path / "out"), "--workers", "1", "--strict", "--force")
    strict = batch(*args, cwd=tmp_path)
    assert strict.returncode == 1
    (rec,) = records(tmp_path / "lpconvert-batch.jsonl")
    assert rec.status == "failed" and rec.errors.get("loss", 0) >= 1 and "collection" in (rec.error or "")
    assert not os.path.exists(rec.output or "")
    from lpconvert.losses import known_kinds

    every_kind = ",".join(known_kinds(lpconvert_api.get_registry().formats.values()))
    allowed = batch(*args, "--allow-loss", every_kind, cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    (rec,) = records(tmp_path / "lpconvert-batch.jsonl")
    assert rec.status == "ok" and rec.warnings.get("loss", 0) >= 1
    typo = batch(*args, "--allow-loss", "colections", cwd=tmp_path)
    assert typo.returncode == 2 and typo.stderr.startswith("lpconvert: unknown loss kind 'colections'")


def test_without_dask_batch_says_how_to_install_it(tmp_path: Path) -> None:
    blocker = textwrap.dedent("""
        import sys
        class NoDask:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("dask", "distributed"):
                    raise ImportError(f"No module named {name!r}")
        sys.meta_path.insert(0, NoDask())
        from lpconvert.cli import main
        sys.exit(main(sys.argv[1:]))
    """)
    done = subprocess.run([sys.executable, "-c", blocker, "batch", str(tmp_path), "--to", "json", "--out",
                           str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == "lpconvert: batch mode needs Dask; install it with: " \
                                          "pip install 'lpconvert[batch]'"
    assert not (tmp_path / "out").exists()


# -- a running cluster -------------------------------------------------------------------------

def test_a_running_scheduler_and_its_workers_do_the_work(tmp_path: Path) -> None:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = env_with()
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    try:
        for _ in range(2):
            procs.append(subprocess.Popen([DASK, "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                           "--no-dashboard", "--memory-limit", "2GB"], env=env, cwd=tmp_path,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                          start_new_session=True))
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
            workers = set(client.scheduler_info()["workers"])
        inputs = tmp_path / "in"
        inputs.mkdir()
        for rel in ("olx/openedx-test-problem-bank.tar.gz", "olx/olx-example-course.tar.gz",
                    "lp/upstream-library-backup.zip"):
            shutil.copy(corpus(rel), inputs)
        done = batch(str(inputs), "--to", "json", "--out", str(tmp_path / "out"), "--scheduler", address,
                     cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        recs = records(tmp_path / "lpconvert-batch.jsonl")
        assert len(recs) == 3 and all(r.status == "ok" for r in recs)
        assert {r.worker for r in recs} <= workers
        for r in recs:
            assert_valid(r.output or "")
    finally:
        for proc in reversed(procs):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=30)


# -- packages that hang, workers that die, batches that are killed -----------------------------

def test_packages_that_hang_or_outgrow_the_memory_limit_are_stopped_and_the_rest_go_on(
        tmp_path: Path, plugin_site: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "stuck.hang").write_text("never read")
    (inputs / "huge.greedy").write_text("greedy")
    json_copy(inputs, "fine.json")
    marks = tmp_path / "marks"
    env = env_with(PYTHONPATH=str(plugin_site), BATCH_TEST_MARKS=str(marks))
    done = batch(str(inputs), "--to", "lp-archive", "--out", str(tmp_path / "out"), "--workers", "2",
                 "--timeout", "6", "--memory-limit", "250MB", cwd=tmp_path, env=env)
    assert done.returncode == 1, done.stderr
    recs = by_name(records(tmp_path / "lpconvert-batch.jsonl"))
    assert recs["stuck.hang"].status == "timeout" and "timed out after 6 s" in (recs["stuck.hang"].error or "")
    assert recs["huge.greedy"].status == "failed"
    assert "memory limit (238 MiB)" in (recs["huge.greedy"].error or "")
    assert recs["fine.json"].status == "ok"
    assert_valid(recs["fine.json"].output or "")
    assert os.listdir(tmp_path / "out") == ["fine.zip"]
    # the process that hung is gone, not left running
    pid = int(marks.read_text().split()[1])
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_package_stuck_while_writing_leaves_nothing_behind(tmp_path: Path, plugin_site: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    json_copy(inputs, "lib.json")
    out = tmp_path / "out"
    env = env_with(PYTHONPATH=str(plugin_site), BATCH_TEST_MARKS=str(tmp_path / "marks"))
    done = batch(str(inputs), "--to", "stuck", "--out", str(out), "--workers", "1", "--timeout", "3",
                 cwd=tmp_path, env=env)
    assert done.returncode == 1, done.stderr
    (rec,) = records(tmp_path / "lpconvert-batch.jsonl")
    assert rec.status == "timeout" and rec.output == str(out / "lib.stuck")
    assert os.listdir(out) == []  # neither the output nor the temporary it was filling


def test_one_worker_goes_on_after_packages_that_hang_or_crash(tmp_path: Path, plugin_site: Path) -> None:
    """Each package is converted in a child of its worker, which the next package reuses; a
    child that was killed (timeout) or died is replaced, so the packages after it convert."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "a.hang").write_text("never read")
    json_copy(inputs, "b.json")
    (inputs / "c.crash").write_text("kills its reader")
    json_copy(inputs, "d.json")
    env = env_with(PYTHONPATH=str(plugin_site), BATCH_TEST_MARKS=str(tmp_path / "marks"))
    done = batch(str(inputs), "--to", "lp-archive", "--out", str(tmp_path / "out"), "--workers", "1",
                 "--timeout", "4", cwd=tmp_path, env=env)
    assert done.returncode == 1, done.stderr
    recs = by_name(records(tmp_path / "lpconvert-batch.jsonl"))
    assert recs["a.hang"].status == "timeout"
    assert recs["c.crash"].status == "failed"
    assert recs["c.crash"].error == "the conversion process died (signal 9)"
    for name in ("b.json", "d.json"):
        assert recs[name].status == "ok", recs[name].error
        assert_valid(recs[name].output or "")
    assert sorted(os.listdir(tmp_path / "out")) == ["b.zip", "d.zip"]


def test_peak_memory_is_each_packages_own(tmp_path: Path, plugin_site: Path) -> None:
    """A package converted after one that needed 300 MB, by the same worker, reports its own
    peak, not the earlier package's; a package that left 300 MB behind does not hand it on."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("a.hungry", "b.slowjson", "c.hoard", "d.slowjson"):
        json_copy(inputs, name)
    marks = tmp_path / "marks"
    env = env_with(PYTHONPATH=str(plugin_site), BATCH_TEST_MARKS=str(marks), BATCH_TEST_PAUSE="0")
    done = batch(str(inputs), "--to", "lp-archive", "--out", str(tmp_path / "out"), "--workers", "1",
                 cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    order = [line.split() for line in marks.read_text().splitlines()]
    assert [os.path.basename(m[2]) for m in order] == ["a.hungry", "b.slowjson", "c.hoard", "d.slowjson"]
    assert len({m[1] for m in order}) == 1  # one worker converted them all, one after the other
    peak = {name: (rec.peak_memory or 0) >> 20 for name, rec in by_name(records(tmp_path / "lpconvert-batch.jsonl")).items()}
    assert peak["a.hungry"] >= 300 and peak["c.hoard"] >= 300, peak
    assert peak["b.slowjson"] < 250 and peak["d.slowjson"] < 250, peak


def test_a_converter_that_died_while_idle_is_replaced_without_failing_the_next_package(tmp_path: Path) -> None:
    """The worker's converter child can die between packages (the kernel's OOM killer, an
    operator): the next package must not be reported as having crashed."""
    script = textwrap.dedent(f"""
        import os, signal
        from lpconvert.batch import converter, task
        from lpconvert.batch.engine import plan_jobs
        jobs = [job for job, _ in plan_jobs([{str(corpus("lp/upstream-library-backup.zip"))!r},
                                             {str(corpus("olx/olx-example-course.tar.gz"))!r}],
                                            "lp-archive", {str(tmp_path / "out")!r})]
        first = task.run_job(jobs[0])
        (idle,) = converter._idle
        os.kill(idle.pid, signal.SIGKILL)
        os.waitid(os.P_PID, idle.pid, os.WEXITED | os.WNOWAIT)  # dead, not yet reaped
        second = task.run_job(jobs[1])
        print(first["status"], second["status"], second["error"])
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["ok", "ok", "None"]
    assert_valid(tmp_path / "out" / "olx-example-course.zip")


def test_a_killed_worker_is_replaced_and_its_package_retried(tmp_path: Path, plugin_site: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    json_copy(inputs, "slow.slowjson")
    json_copy(inputs, "quick.json")
    marks = tmp_path / "marks"
    env = env_with(PYTHONPATH=str(plugin_site), BATCH_TEST_MARKS=str(marks), BATCH_TEST_PAUSE="3")
    proc = subprocess.Popen([LPCONVERT, "batch", str(inputs), "--to", "lp-archive", "--out", str(tmp_path / "out"),
                             "--workers", "2"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        wait_for(lambda: marks.exists() and marks.read_text().count("slow") >= 1, 60, "the slow package to start")
        worker_pid = int(marks.read_text().split()[1])
        os.kill(worker_pid, signal.SIGKILL)
        _, stderr = proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, stderr
    attempts = [line.split() for line in marks.read_text().splitlines() if line.startswith("slow")]
    assert len(attempts) == 2 and attempts[0][1] != attempts[1][1]  # read again, by another worker process
    recs = by_name(records(tmp_path / "lpconvert-batch.jsonl"))
    assert recs["slow.slowjson"].status == "ok" and recs["quick.json"].status == "ok"
    assert_valid(recs["slow.slowjson"].output or "")


def test_a_package_that_kills_its_worker_twice_is_failed_and_the_rest_go_on(
        tmp_path: Path, plugin_site: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "deadly.killer").write_text("kills the worker reading it")
    json_copy(inputs, "fine.json")
    env = env_with(PYTHONPATH=str(plugin_site))
    done = batch(str(inputs), "--to", "lp-archive", "--out", str(tmp_path / "out"), "--workers", "2",
                 cwd=tmp_path, env=env)
    assert done.returncode == 1, done.stderr
    recs = by_name(records(tmp_path / "lpconvert-batch.jsonl"))
    assert recs["deadly.killer"].status == "failed"
    assert recs["deadly.killer"].error == "its worker died 2 times while converting it (killed, or out of memory)"
    assert recs["fine.json"].status == "ok"
    assert_valid(recs["fine.json"].output or "")


def test_a_killed_batch_resumes_without_losing_or_redoing_anything(tmp_path: Path, plugin_site: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("a.json", "b.json", "c.json"):
        json_copy(inputs, name)
    for name in ("x.slowjson", "y.slowjson", "z.slowjson"):
        json_copy(inputs, name)
    out = tmp_path / "out"
    report = tmp_path / "lpconvert-batch.jsonl"
    marks = tmp_path / "marks"
    env = env_with(PYTHONPATH=str(plugin_site), BATCH_TEST_MARKS=str(marks), BATCH_TEST_PAUSE="1.5")
    args = [LPCONVERT, "batch", str(inputs), "--to", "sqlite", "--out", str(out), "--workers", "1"]
    proc = subprocess.Popen(args, cwd=tmp_path, env=env, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(lambda: report.exists() and len(report.read_text().splitlines()) >= 3, 90, "three packages")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the batch and its cluster, as a kill of the job would
        proc.wait()
    first = records(report)
    finished = {r.input: r for r in first if r.status == "ok"}
    assert 3 <= len(finished) < 6
    before = {r.output: (os.stat(r.output or "").st_ino, os.stat(r.output or "").st_mtime_ns)
              for r in finished.values()}
    for path in before:
        assert_valid(path or "")  # nothing the killed batch finished is lost or partial

    done = batch(*args[2:], "--resume", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    second = records(report)[len(first):]
    assert len(second) == 6
    for r in second:
        if r.input in finished:
            assert r.status == "skipped"  # not redone...
            assert (os.stat(r.output or "").st_ino, os.stat(r.output or "").st_mtime_ns) == before[r.output]
        else:
            assert r.status == "ok"
        assert_valid(r.output or "")
    # ...nor read again: a slow package the first run finished was read once in all
    reads = [line.split()[2] for line in marks.read_text().splitlines() if line.startswith("slow")]
    for path in finished:
        if path.endswith(".slowjson"):
            assert reads.count(path) == 1, path
    assert not [n for n in os.listdir(out) if n.startswith(".")]  # no temporaries left behind
    assert sorted(os.listdir(out)) == ["a.sqlite", "b.sqlite", "c.sqlite", "x.sqlite", "y.sqlite", "z.sqlite"]


# -- object storage ----------------------------------------------------------------------------

def test_inputs_and_outputs_on_s3(tmp_path: Path) -> None:
    pytest.importorskip("s3fs")
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        creds = dict(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
        s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing",
                          aws_secret_access_key="testing", region_name="us-east-1")
        s3.create_bucket(Bucket="catalogue")
        for rel in ("olx/openedx-test-problem-bank.tar.gz", "olx/olx-example-course.tar.gz"):
            s3.upload_file(str(corpus(rel)), "catalogue", f"exports/{Path(rel).name}")
        s3.put_object(Bucket="catalogue", Key="exports/broken.tar.gz", Body=b"not gzip at all")
        env = env_with(FSSPEC_S3_ENDPOINT_URL=endpoint, **creds)
        args = ("s3://catalogue/exports/*.tar.gz", "--to", "lp-archive", "--out", "s3://catalogue/libraries",
                "--workers", "2")
        done = batch(*args, cwd=tmp_path, env=env)
        assert done.returncode == 1, done.stderr
        recs = by_name(records(tmp_path / "lpconvert-batch.jsonl"))
        assert recs["broken.tar.gz"].status == "failed"
        for name in ("openedx-test-problem-bank.tar.gz", "olx-example-course.tar.gz"):
            rec = recs[name]
            assert rec.status == "ok" and rec.output == f"s3://catalogue/libraries/{name[:-7]}.zip"
            assert rec.fingerprint.startswith("etag:")
            local = tmp_path / f"{name[:-7]}.zip"
            s3.download_file("catalogue", f"libraries/{name[:-7]}.zip", str(local))
            assert_valid(local)
        listed = s3.list_objects_v2(Bucket="catalogue", Prefix="libraries/")["Contents"]
        assert sorted(o["Key"] for o in listed) == ["libraries/olx-example-course.zip",
                                                   "libraries/openedx-test-problem-bank.zip"]
        again = batch(*args, "--resume", cwd=tmp_path, env=env)
        resumed = by_name(records(tmp_path / "lpconvert-batch.jsonl")[3:])
        assert again.returncode == 1  # the broken one fails again; the converted ones are skipped
        assert {n: r.status for n, r in resumed.items()} == {"openedx-test-problem-bank.tar.gz": "skipped",
                                                            "olx-example-course.tar.gz": "skipped",
                                                            "broken.tar.gz": "failed"}
    finally:
        server.stop()


def test_a_warmed_worker_hands_its_children_every_module_a_conversion_needs(tmp_path: Path) -> None:
    """Each package is converted in a child forked from the worker; whatever the child has to
    import itself it imports again for every package. After the worker's warm-up, converting an
    archive, a course and a library imports no further lpconvert module or text codec."""
    inputs = [corpus("lp/upstream-library-backup.zip"), corpus("olx/olx-example-course.tar.gz"),
              corpus("olx/openedx-demo-content-library.tar.gz")]
    script = textwrap.dedent(f"""
        import sys
        from lpconvert.batch import task
        from lpconvert.batch.engine import plan_jobs
        jobs = [job for job, _ in plan_jobs({[str(p) for p in inputs]!r}, "lp-archive", {str(tmp_path / "out")!r})]
        task._warm_up(jobs[0])
        before = set(sys.modules)
        for job in jobs:
            assert task.convert_one(job)["status"] == "ok", job
        late = sorted(m for m in set(sys.modules) - before if m.startswith(("lpconvert", "encodings")))
        print(" ".join(late))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == [], f"imported by each child instead of once per worker: {proc.stdout}"
