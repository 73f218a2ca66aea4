"""Batch mode against the shell loop it replaces, on one catalogue, in one run.

    .venv/bin/python benchmarks/batch.py                 # 200+ packages, about five minutes on 2 cores
    .venv/bin/python benchmarks/batch.py --copies 10     # a smaller catalogue, for a quick look

The catalogue (under benchmarks/data/batch/, gitignored) is lp-archives of varied sizes from
generate.py, each copied under several names, plus copies of the corpora's OLX exports and
learning-package archives; everything is converted to lp-archive. It then times, each into
a fresh destination:

1. the shell loop a user writes today: `for f in ...; do lpconvert "$f" out/... ; done`;
2. `lpconvert batch --workers 1`;
3. `lpconvert batch` with one worker per core (the default);
4. `lpconvert batch --resume` of the finished run of 3 (nothing left to do);
5. `--pairs` more interleaved pairs of 2 and 3 (default 3), whose medians give the speed-up
   of every core over one worker with less of a single run's spread.

Per-package overhead is the time a worker slot spends on a package beyond its conversion:
(wall seconds x slots - the conversions' own seconds from the report) / packages. Peak
memory per worker is the largest peak resident memory of the conversions each worker ran
(the report's `peak_memory`). CPU is the whole process tree's, waited for (the benchmark makes
itself a subreaper so that the workers, which outlive the command by a moment, are counted).
Figures, not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402
from run import ROOT, lpconvert_exe, machine  # noqa: E402

DATA = HERE / "data" / "batch"
SIZES = (10, 30, 60, 120, 250, 500)
"""Components per generated package: small libraries to a mid-sized one."""
CORPORA = ("olx/olx-example-course.tar.gz", "olx/openedx-test-problem-bank.tar.gz",
           "olx/openedx-demo-content-library.tar.gz", "lp/upstream-library-backup.zip")


def build_catalogue(copies: int) -> Path:
    """`copies` copies of each generated size and of each corpus file (the same every run)."""
    catalogue = DATA / f"catalogue-{copies}"
    if catalogue.is_dir():
        return catalogue
    work = DATA / "generated"
    work.mkdir(parents=True, exist_ok=True)
    staging = DATA / f".staging-{copies}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    corpora = Path(os.environ.get("LPCONVERT_CORPORA", ROOT.parent / "shared" / "corpora"))
    sources = []
    for n in SIZES:
        archive = work / f"lib-{n}.zip"
        if not archive.exists():
            generate(n, str(archive))
        sources.append(archive)
    sources += [corpora / rel for rel in CORPORA if (corpora / rel).exists()]
    for source in sources:
        stem, suffix = source.name.split(".", 1)
        for i in range(copies):
            shutil.copy(source, staging / f"{stem}-{i:03d}.{suffix}")
    staging.rename(catalogue)
    return catalogue


def load() -> str:
    """The 1-minute load average: on a shared machine, what the figure beside it competed with."""
    return f"{os.getloadavg()[0]:.2f}"


def become_subreaper() -> bool:
    """Linux: processes orphaned below this one (the fork server's workers and their
    converter children outlive `lpconvert batch` by a moment) are re-parented here, so
    their CPU can be waited for and counted. Elsewhere the CPU column misses them."""
    try:
        import ctypes

        return ctypes.CDLL(None).prctl(36, 1) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _reap_orphans(limit: float = 30.0) -> None:
    """Wait for every descendant re-parented here (see `become_subreaper`)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def timed(cmd: list[str] | str, shell: bool = False) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds of the whole process tree, exit code, stderr tail).

    The CPU figure is the rusage of every descendant, waited for (the shell's lpconvert
    calls; the client, the fork server, the workers and their converter children), which a
    busy machine moves far less than wall-clock time. Wall time ends when the command exits."""
    env = dict(os.environ, LPCONVERT_NO_PROGRESS="1")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, shell=shell, env=env, stdout=subprocess.DEVNULL, stderr=err, cwd=DATA)
        _, status, _ = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        _reap_orphans()
        err.seek(0)
        tail = err.read().decode("utf-8", "replace")[-600:]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, os.waitstatus_to_exitcode(status), tail


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def report_figures(report: Path, wall: float, slots: int) -> dict[str, object]:
    records = [json.loads(line) for line in report.read_text().splitlines()]
    converting = sum(r["seconds"] for r in records)
    peaks: dict[str, int] = defaultdict(int)
    for r in records:
        if r["worker"] and r["peak_memory"]:
            peaks[r["worker"]] = max(peaks[r["worker"]], r["peak_memory"])
    statuses: dict[str, int] = defaultdict(int)
    for r in records:
        statuses[r["status"]] += 1
    return {"packages": len(records), "statuses": dict(statuses), "converting_seconds": round(converting, 2),
            "overhead_per_package": round((wall * slots - converting) / max(len(records), 1), 4),
            "peak_memory_per_worker_mib": sorted(round(p / 2**20) for p in peaks.values())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=20, help="copies of each source (default 20: 200 packages)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--pairs", type=int, default=3,
                        help="interleaved pairs of `--workers 1` and every core after the main runs, for the "
                             "median speed-up (default 3; 0 for none)")
    args = parser.parse_args(argv)
    become_subreaper()

    exe = lpconvert_exe()
    catalogue = build_catalogue(args.copies)
    inputs = sorted(p for p in catalogue.iterdir() if not p.name.startswith("."))
    cores = os.cpu_count() or 1
    info = machine()
    print(f"catalogue: {len(inputs)} packages, {sum(p.stat().st_size for p in inputs) / 1e6:.1f} MB; "
          f"{cores} cores; load average before: {info.get('load average')}; commit {info.get('commit')}")
    runs: dict[str, dict[str, object]] = {}

    out = fresh(DATA / "out-loop")
    out.mkdir()
    loop = "for f in " + " ".join(f"'{p}'" for p in inputs) + \
        f"; do '{exe}' \"$f\" '{out}'/\"$(basename \"$f\")\".zip --to lp-archive -q || true; done"
    seconds, cpu, _, _ = timed(loop, shell=True)
    runs["shell loop"] = {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "packages": len(inputs),
                          "load_after": load()}
    print(f"{'shell loop of lpconvert':<26} {seconds:7.1f} s  CPU {cpu:6.1f} s  load {load()}")

    for label, workers in (("batch --workers 1", 1), (f"batch ({cores} workers)", cores)):
        out = fresh(DATA / f"out-{workers}")
        report = DATA / f"report-{workers}.jsonl"
        seconds, cpu, code, err = timed([exe, "batch", str(catalogue), "--to", "lp-archive", "--out", str(out),
                                         "--workers", str(workers), "--report", str(report), "-q"])
        figures = report_figures(report, seconds, workers)
        runs[label] = {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "exit": code, **figures,
                       "load_after": load()}
        print(f"{label:<26} {seconds:7.1f} s  CPU {cpu:6.1f} s  load {load()}  "
              f"overhead/package {figures['overhead_per_package']:.3f} s  "
              f"peak MiB per worker {figures['peak_memory_per_worker_mib']}  {figures['statuses']}"
              + (f"\n  {err.strip().splitlines()[-1]}" if code not in (0, 1) else ""))

    report = DATA / f"report-{cores}.jsonl"
    seconds, cpu, code, _ = timed([exe, "batch", str(catalogue), "--to", "lp-archive", "--out",
                                   str(DATA / f"out-{cores}"), "--report", str(report), "--resume", "-q"])
    runs["batch --resume (all done)"] = {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "exit": code}
    print(f"{'batch --resume (all done)':<26} {seconds:7.1f} s  CPU {cpu:6.1f} s")

    pairs = []
    for i in range(args.pairs):
        pair = []
        for workers in (1, cores):
            out = fresh(DATA / f"out-pair-{workers}")
            seconds, _, _, _ = timed([exe, "batch", str(catalogue), "--to", "lp-archive", "--out", str(out),
                                      "--workers", str(workers), "--report", str(DATA / "report-pair.jsonl"), "-q"])
            pair.append(round(seconds, 2))
        pairs.append(pair)
        print(f"pair {i + 1}: --workers 1 {pair[0]:.1f} s, {cores} workers {pair[1]:.1f} s: "
              f"{pair[0] / pair[1]:.2f}x  load {load()}")
    if pairs:
        one_median = statistics.median(p[0] for p in pairs)
        every_median = statistics.median(p[1] for p in pairs)
        runs["pairs"] = {"seconds": pairs, "median_workers_1": one_median, "median_every_core": every_median,
                         "speedup_of_medians": round(one_median / every_median, 3)}
        print(f"pairs: median --workers 1 {one_median:.1f} s / median {cores} workers {every_median:.1f} s = "
              f"{one_median / every_median:.2f}x (target 1.7x)")

    loop_s = float(runs["shell loop"]["seconds"])  # type: ignore[arg-type]
    one = float(runs["batch --workers 1"]["seconds"])  # type: ignore[arg-type]
    every = float(runs[f"batch ({cores} workers)"]["seconds"])  # type: ignore[arg-type]
    resume = float(runs["batch --resume (all done)"]["seconds"])  # type: ignore[arg-type]
    print(f"batch on every core: {loop_s / every:.1f}x the shell loop (target 3x), {one / every:.2f}x "
          f"--workers 1 (target 1.7x); resume {resume / every:.3f} of the batch (target < 0.1)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "runs": runs}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
