"""`--jobs 1` against every core, side by side, on one large package (issue 16).

Figures, not tests. For each size, each command (`validate` and `convert` to lp-archive and
to olx of the generated lp-archive) runs with `--jobs 1` and with `--jobs 0` (every core),
interleaved, `--repeat` times; the table gives the median wall-clock seconds, the CPU
seconds of the whole process tree (the workers are waited for, so their CPU counts) and the
peak RSS of the main process. A pool can only win wall-clock time on cores nothing else is
using: run it on a quiet machine (the load average is printed before and after).

    .venv/bin/python benchmarks/jobs.py                       # 10K and 100K, 3 repeats
    .venv/bin/python benchmarks/jobs.py --sizes 10000 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from run import ROOT, lpconvert_exe, run_child

BENCH = Path(__file__).resolve().parent


def _archive(n: int) -> Path:
    path = BENCH / "data" / str(n) / "lp-archive.zip"
    if not path.exists():
        import subprocess

        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"generating {path} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, str(BENCH / "generate.py"), str(n), str(path), "--force"], check=True, cwd=ROOT)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="components, comma-separated")
    parser.add_argument("--jobs", default="1,0", help="the --jobs values to compare (0: every core)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command per --jobs value")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--commands", default="validate,convert -> lp-archive,convert -> olx",
                        help="which commands, comma-separated (default all three)")
    args = parser.parse_args(argv)
    exe = lpconvert_exe()
    jobs = args.jobs.split(",")
    print(f"cpus: {os.cpu_count()}; load before: {os.getloadavg()[0]:.2f}")
    print(f"{'size':>7} {'command':<24} {'--jobs':>6} {'wall s':>8} {'CPU s':>8} {'peak MB':>8} {'vs --jobs ' + jobs[0]:>12}")
    with tempfile.TemporaryDirectory(prefix="lpconvert-jobs-") as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            archive = _archive(n)
            commands = {
                "validate": ["validate", str(archive), "-q"],
                "convert -> lp-archive": ["convert", str(archive), f"{tmp}/out.zip", "--to", "lp-archive", "-q", "--force"],
                "convert -> olx": ["convert", str(archive), f"{tmp}/out.tar.gz", "--to", "olx", "-q", "--force"],
            }
            wanted = [c.strip() for c in args.commands.split(",")]
            for label, cmd in ((label, commands[label]) for label in wanted):
                figures: dict[str, list[tuple[float, float, int]]] = {j: [] for j in jobs}
                for _ in range(args.repeat):
                    for j in jobs:  # interleaved, so a neighbour's burst hits both alike
                        seconds, cpu, rss, rc, _, err = run_child([exe, *cmd, "--jobs", j], args.timeout)
                        if rc != 0:
                            print(f"{n:>7} {label:<24} {j:>6} failed: {err.strip()}")
                            return 1
                        figures[j].append((seconds, cpu, rss))
                first = statistics.median(f[0] for f in figures[jobs[0]])
                for j in jobs:
                    wall = statistics.median(f[0] for f in figures[j])
                    cpu = statistics.median(f[1] for f in figures[j])
                    peak = max(f[2] for f in figures[j]) / 2**20
                    print(f"{n:>7} {label:<24} {j:>6} {wall:>8.2f} {cpu:>8.2f} {peak:>8.0f} {first / wall:>11.2f}x",
                          flush=True)
    print(f"load after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
