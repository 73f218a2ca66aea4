"""Benchmarks: how fast lpconvert validates and converts, measured against a floor in the same run.

Not a test: it prints figures. Every figure is given as a ratio to the *floor*, measured in
the same run on the same archive, so that a busy or slow machine moves both sides:

    floor = open the generated lp-archive with zipfile, read every member, and
            tomllib.loads every .toml file (plain Python, no validation, no model)

lpconvert is timed as users run it: a subprocess of the installed `lpconvert` command
(LPCONVERT_NO_PROGRESS=1), wall-clock time, and the child's own peak RSS (from wait4's
rusage, so nothing the runner holds is counted). Every format the plugin registry has at
run time is included: `validate` of each, and `lpconvert A B` for every pair (A, B),
A == B included. The upstream oracle (openedx-core's extract + validate, ../shared/tools/
oracle) is timed on the same archive when it is available.

    python benchmarks/run.py                                  # 1K and 10K, every format, oracle
    python benchmarks/run.py --sizes 1000 --formats lp-archive,json --no-oracle   # quick
    python benchmarks/run.py --sizes 100000 --pairs hub        # 100K: via lp-archive only
    python benchmarks/run.py --json results.json               # also keep the figures

Targets (issue 7), checked and marked in the table:

* 10K components: validate within 2x the floor, lp-archive -> lp-archive within 3x, every
  other pair within 5x;
* 100K components: peak RSS under 1 GB for every conversion, and each operation at most
  12x its 10K time (when both sizes are in the same run);
* `lpconvert --help` and `lpconvert formats` in under 0.3 s.

Generated packages are kept under benchmarks/data/<size>/ (gitignored) and reused by later
runs; `--regenerate` makes them again.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
DEFAULT_DATA = BENCH / "data"
ORACLE = ROOT.parent / "shared" / "tools" / "oracle" / "oracle.py"
ORACLE_PYTHON = Path(os.environ.get("ORACLE_PYTHON", "/tmp/ocvenv/bin/python"))
MB = 1024 * 1024

# --------------------------------------------------------------------------- targets

VALIDATE_X = 2.0
ARCHIVE_TO_ARCHIVE_X = 3.0
OTHER_PAIR_X = 5.0
GROWTH_X = 12.0
RSS_LIMIT = 1024 * MB
STARTUP_LIMIT = 0.3
TARGET_SIZE = 10_000
BIG_SIZE = 100_000


@dataclass
class Run:
    """One timed operation."""

    size: int
    op: str  # "floor", "validate", "convert", "oracle", "startup"
    source: str = ""  # format read
    dest: str = ""  # format written
    seconds: float | None = None  # wall clock
    cpu: float | None = None  # user + system CPU seconds
    rss: int | None = None  # bytes
    ok: bool = True
    note: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def label(self) -> str:
        if self.op == "convert":
            return f"{self.source} -> {self.dest}"
        if self.op == "validate":
            return f"validate {self.source}"
        if self.op == "oracle":
            return "upstream validate (oracle)"
        if self.op == "floor":
            return "floor (zip + tomllib)"
        return self.source


@dataclass
class Results:
    machine: dict[str, str] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)


# --------------------------------------------------------------------------- measuring


def lpconvert_exe() -> str:
    exe = Path(sys.executable).parent / "lpconvert"
    if exe.exists():
        return str(exe)
    found = shutil.which("lpconvert")
    if not found:
        raise SystemExit("run.py: the lpconvert command is not installed in this environment")
    return found


def run_child(cmd: list[str], timeout: float) -> tuple[float, float, int, int, str, str]:
    """(wall seconds, CPU seconds, peak RSS bytes, exit code, stdout, stderr tail) of one child process.

    wait4 gives the rusage of exactly this child, so the runner's own memory (and other
    children) never leak into the figure.
    """
    env = dict(os.environ, LPCONVERT_NO_PROGRESS="1")
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    rss = usage.ru_maxrss * 1024  # kilobytes on Linux
    return seconds, usage.ru_utime + usage.ru_stime, rss, proc.returncode, stdout, stderr[-2000:]


def floor_seconds(archive: Path) -> tuple[float, float]:
    """Decompress every member of the archive and parse every TOML file, in plain Python.

    Returns (wall seconds, CPU seconds of this process).
    """
    t0, c0 = time.perf_counter(), time.process_time()
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            data = zf.read(info)
            if info.filename.endswith(".toml"):
                tomllib.loads(data.decode("utf-8"))
    return time.perf_counter() - t0, time.process_time() - c0


def best(values: list[float]) -> float:
    return min(values)


# --------------------------------------------------------------------------- formats


@dataclass
class Fmt:
    name: str
    can_read: bool
    can_write: bool
    suffix: str  # "" means a directory

    def path(self, folder: Path, stem: str) -> Path:
        return folder / f"{stem}{self.suffix}"


def registry_formats() -> list[Fmt]:
    """Every format the plugin registry has right now, with the destination suffix to use."""
    from lpconvert.plugin_manager import get_registry

    registry = get_registry()
    for failed in registry.failures():
        print(f"note: plugin {failed.name} failed to load: {failed.error}", file=sys.stderr)
    out = []
    for spec in sorted(registry.formats.values(), key=lambda s: s.name):
        if spec.output == "file":
            suffix = spec.suffixes[0] if spec.suffixes else f".{spec.name}"
        else:
            suffix = spec.suffixes[0] if spec.suffixes else ""
        out.append(Fmt(spec.name, spec.can_read, spec.can_write, suffix))
    return out


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


# --------------------------------------------------------------------------- the benchmark


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.exe = lpconvert_exe()
        self.results = Results()
        self.data = Path(args.data)
        self.baseline: list[Run] = []
        if args.baseline:
            with open(args.baseline, encoding="utf-8") as f:
                self.baseline = [Run(**r) for r in json.load(f)["runs"]]

    def add(self, run: Run) -> Run:
        self.results.runs.append(run)
        self.save()
        if not self.args.quiet:
            secs = f"{run.seconds:8.2f} s" if run.seconds is not None else "      -  "
            secs += f" {run.cpu:8.2f} s CPU" if run.cpu is not None else " " * 15
            rss = f"{run.rss / MB:7.0f} MB" if run.rss else ""
            print(f"  [{run.size:>6}] {run.label:<40} {secs} {rss} {'' if run.ok else 'FAILED ' + run.note}",
                  file=sys.stderr, flush=True)
        return run

    def save(self) -> None:
        """Write --json after every figure, so that a long run that is stopped keeps what it measured."""
        if self.args.json:
            with open(self.args.json, "w", encoding="utf-8") as f:
                json.dump({"machine": self.results.machine, "runs": [asdict(r) for r in self.results.runs]}, f,
                          indent=1)

    def timed(self, cmd: list[str]) -> tuple[float, float, int, int, str, str]:
        """Best of --repeat runs (wall and CPU, each its own minimum), the largest peak RSS seen."""
        times, cpus, rsses = [], [], []
        rc, stdout, stderr = 0, "", ""
        for _ in range(self.args.repeat):
            seconds, cpu, rss, rc, stdout, stderr = run_child(cmd, self.args.timeout)
            times.append(seconds)
            cpus.append(cpu)
            rsses.append(rss)
            if rc != 0:
                break
        return best(times), best(cpus), max(rsses), rc, stdout, stderr

    def startup(self) -> None:
        for label, argv in (("python -c pass (reference)", [sys.executable, "-c", "pass"]),
                            ("lpconvert --help", [self.exe, "--help"]),
                            ("lpconvert formats", [self.exe, "formats"])):
            times, cpus, rss = [], [], 0
            rc = 0
            for _ in range(5):
                seconds, cpu, r, rc, _, _ = run_child(argv, 60)
                times.append(seconds)
                cpus.append(cpu)
                rss = max(rss, r)
            run = Run(0, "startup", source=label, seconds=best(times), cpu=best(cpus), rss=rss, ok=rc == 0)
            if label.startswith("lpconvert"):
                run.target = f"< {STARTUP_LIMIT} s"
                run.met = run.seconds is not None and run.seconds < STARTUP_LIMIT
            self.add(run)

    def archive(self, n: int) -> Path:
        folder = self.data / str(n)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "lp-archive.zip"
        if self.args.regenerate or not path.exists():
            # Each other format's source is derived from this archive: regenerate them too.
            for child in folder.iterdir():
                remove(child)
            print(f"generating {path} ...", file=sys.stderr, flush=True)
            subprocess.run([sys.executable, str(BENCH / "generate.py"), str(n), str(path), "--force"],
                           check=True, cwd=ROOT)
        return path

    def size(self, n: int, formats: list[Fmt]) -> None:
        archive = self.archive(n)
        folder = archive.parent
        if not any(r.size == n and r.op == "floor" for r in self.results.runs):
            floors = [floor_seconds(archive) for _ in range(max(2, self.args.repeat))]
            self.add(Run(n, "floor", seconds=best([w for w, _ in floors]), cpu=best([c for _, c in floors]),
                         ratio=1.0))

        names = {f.name for f in formats}
        sources: dict[str, Path] = {}
        if "lp-archive" in names:
            sources["lp-archive"] = archive

        # Sources in every other format: lp-archive -> X, timed (it is one of the pairs).
        hub = next((f for f in formats if f.name == "lp-archive"), None)
        for fmt in formats:
            if fmt.name == "lp-archive" or not fmt.can_write:
                continue
            target = fmt.path(folder, fmt.name)
            if hub is None:
                continue
            if target.exists() and not self.args.regenerate:
                sources[fmt.name] = target
                continue
            run = self.convert(n, archive, "lp-archive", fmt, target)
            if run.ok and fmt.can_read:
                sources[fmt.name] = target
            elif run.ok:
                remove(target)

        for fmt in formats:
            if fmt.can_read and fmt.name in sources and not self._already(n, fmt, None):
                self.validate(n, sources[fmt.name], fmt.name)

        with tempfile.TemporaryDirectory(prefix="lpconvert-bench-", dir=folder) as tmp:
            for src in formats:
                if src.name not in sources:
                    continue
                for dst in formats:
                    if not dst.can_write:
                        continue
                    if self.args.pairs == "hub" and "lp-archive" not in (src.name, dst.name):
                        continue
                    if self.args.pairs == "self" and src.name != dst.name:
                        continue
                    if self._already(n, src, dst):
                        continue  # measured by the run given to --resume
                    out = dst.path(Path(tmp), f"out-{src.name}-to-{dst.name}")
                    self.convert(n, sources[src.name], src.name, dst, out)
                    # Outputs are left for the temporary folder's cleanup at the end: deleting
                    # a 100K folder tree between two timed commands took many minutes on a
                    # busy disk, and its I/O slowed the next command.

        if not self.args.no_oracle and "lp-archive" in sources and n <= self.args.oracle_max:
            self.oracle(n, archive)

    def _already(self, n: int, src: Fmt, dst: Fmt | None) -> bool:
        """Whether this conversion (or, without `dst`, this validate) has a figure already."""
        op, dest = ("convert", dst.name) if dst is not None else ("validate", "")
        return any(r.size == n and r.op == op and r.source == src.name and r.dest == dest and r.ok
                   for r in self.results.runs)

    def convert(self, n: int, source: Path, src: str, dst: Fmt, out: Path) -> Run:
        remove(out)
        cmd = [self.exe, "convert", str(source), str(out), "--from", src, "--to", dst.name, "-q", "--force"]
        seconds, cpu, rss, rc, _, stderr = self.timed(cmd)
        return self.add(Run(n, "convert", src, dst.name, seconds, cpu, rss, rc == 0,
                            "" if rc == 0 else _last_line(stderr)))

    def validate(self, n: int, source: Path, fmt: str) -> Run:
        cmd = [self.exe, "validate", str(source), "--from", fmt, "-q"]
        seconds, cpu, rss, rc, _, stderr = self.timed(cmd)
        return self.add(Run(n, "validate", fmt, "", seconds, cpu, rss, rc == 0,
                            "" if rc == 0 else _last_line(stderr)))

    def oracle(self, n: int, archive: Path) -> None:
        if not ORACLE.exists() or not ORACLE_PYTHON.exists():
            print(f"note: oracle not available ({ORACLE} / {ORACLE_PYTHON}); skipped", file=sys.stderr)
            return
        seconds, cpu, rss, rc, stdout, stderr = run_child([str(ORACLE_PYTHON), str(ORACLE), "validate", str(archive)],
                                                     self.args.timeout * 4)
        try:
            inner = float(json.loads(stdout)["seconds"])
        except (ValueError, KeyError, TypeError):
            inner = None
        note = (f"its own timer; whole process {seconds:.1f} s wall, {cpu:.1f} s CPU with Django setup"
                if inner is not None else _last_line(stderr))
        # Upstream's figure is its own wall-clock timer around extract + validate only.
        self.add(Run(n, "oracle", "upstream", "", inner, None, rss, rc == 0 and inner is not None, note))

    # -- targets ---------------------------------------------------------------------------
    def clock(self, r: Run) -> float | None:
        """The figure ratios and targets use: CPU seconds (default) or wall seconds.

        Upstream's figure is only ever wall-clock (its own timer), so the oracle's ratio is
        always wall over the floor's wall.
        """
        if r.op == "oracle" or self.args.clock == "wall":
            return r.seconds
        return r.cpu

    def judge(self) -> None:
        runs = self.results.runs
        floors = {r.size: r for r in runs if r.op == "floor"}
        for r in runs:
            floor = floors.get(r.size)
            if r.op == "floor":
                r.ratio = 1.0
            if floor is None or r.op not in ("validate", "convert", "oracle"):
                continue
            mine = self.clock(r)
            base = floor.seconds if r.op == "oracle" else self.clock(floor)
            if mine is not None and base:
                r.ratio = mine / base
            if not r.ok or r.op not in ("validate", "convert"):
                continue
            if r.size == TARGET_SIZE and r.ratio is not None:
                if r.op == "validate":
                    limit = VALIDATE_X
                elif r.source == r.dest == "lp-archive":
                    limit = ARCHIVE_TO_ARCHIVE_X
                else:
                    limit = OTHER_PAIR_X
                r.target = f"<= {limit:g}x floor"
                r.met = r.ratio <= limit
            if r.size == BIG_SIZE:
                ref = next((b for b in runs + self.baseline if b.size == TARGET_SIZE and b.op == r.op
                            and b.source == r.source and b.dest == r.dest and b.ok and b.seconds), None)
                now, then = self.clock(r), (self.clock(ref) if ref else None)
                growth = now / then if now and then else None
                parts = [f"RSS < {RSS_LIMIT // MB} MB"]
                met = r.rss is not None and r.rss < RSS_LIMIT
                if growth is not None:
                    fair = self.floor_growth(runs)
                    if fair:
                        # Judged net of the floor's own growth between the two runs (see floor_growth).
                        scaled = growth * (BIG_SIZE / TARGET_SIZE) / fair
                        parts.append(f"{growth:.1f}x 10K, {scaled:.1f}x net of the floor's {fair:.1f}x "
                                     f"(<= {GROWTH_X:g}x)")
                        met = met and scaled <= GROWTH_X
                    else:
                        parts.append(f"{growth:.1f}x 10K (<= {GROWTH_X:g}x)")
                        met = met and growth <= GROWTH_X
                r.target = ", ".join(parts)
                r.met = met
        for r in runs:
            if not r.ok:
                r.met = False

    def floor_growth(self, runs: list[Run]) -> float | None:
        """How much the floor itself grew from the 10K run to the 100K run, on the chosen clock.

        The floor reads every member once, so on a steady machine it grows 10x. When the two
        sizes were measured at different times on a shared machine, it grows by more (14.7x
        between an idle 10K run and a 100K run under a load of 6): the neighbours, not
        lpconvert. A 100K figure's growth is then judged scaled by 10 / that growth, i.e. as
        a ratio of ratios to the floor; the raw growth is printed beside it.
        """
        floors = [f for f in runs + self.baseline if f.op == "floor"]
        small = next((f for f in floors if f.size == TARGET_SIZE), None)
        big = next((f for f in floors if f.size == BIG_SIZE), None)
        if small is None or big is None or not self.clock(small) or not self.clock(big):
            return None
        return self.clock(big) / self.clock(small)  # type: ignore[operator]

    def table(self) -> str:
        lines = ["| size | operation | wall s | CPU s | x floor | peak RSS MB | target | met |",
                 "|---:|---|---:|---:|---:|---:|---|:---:|"]
        for r in self.results.runs:
            secs = f"{r.seconds:.2f}" if r.seconds is not None else "-"
            cpu = f"{r.cpu:.2f}" if r.cpu is not None else "-"
            ratio = f"{r.ratio:.2f}" if r.ratio is not None else ""
            rss = f"{r.rss / MB:.0f}" if r.rss else ""
            met = {True: "yes", False: "**NO**", None: ""}[r.met]
            label = r.label + ("" if r.ok else f" (FAILED: {r.note})") + (f" ({r.note})" if r.ok and r.note else "")
            size = f"{r.size:,}" if r.size else "-"
            lines.append(f"| {size} | {label} | {secs} | {cpu} | {ratio} | {rss} | {r.target} | {met} |")
        return "\n".join(lines)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def machine() -> dict[str, str]:
    info = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "python": platform.python_version(),
            "platform": platform.platform()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in lscpu.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("Model name", "CPU(s)", "CPU MHz", "Thread(s) per core"):
                info[key.strip()] = value.strip()
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as f:
            info["memory"] = f"{int(f.readline().split()[1]) // 1024 // 1024 + 1} GiB"
    except (OSError, ValueError, IndexError):
        pass
    try:
        info["load average"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        pass
    try:
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                        cwd=ROOT, check=False).stdout.strip()
    except OSError:
        pass
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="component counts, comma-separated "
                        "(default 1000,10000; the targets speak of 10000 and 100000)")
    parser.add_argument("--formats", default="", help="formats to include, comma-separated (default: every "
                        "format the registry has)")
    parser.add_argument("--pairs", choices=("all", "hub", "self"), default="all",
                        help="all: every pair; hub: only pairs with lp-archive on one side; self: X -> X only")
    parser.add_argument("--repeat", type=int, default=1, help="run each command N times, keep the fastest")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                        help="what ratios and targets use: the child's CPU seconds (default; steady on a "
                        "shared machine) or wall-clock seconds (what a user waits on an idle machine)")
    parser.add_argument("--no-oracle", action="store_true", help="do not time upstream's validate")
    parser.add_argument("--oracle-max", type=int, default=100_000, help="largest size to run the oracle on")
    parser.add_argument("--no-startup", action="store_true", help="do not time --help and formats")
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="where generated packages are kept")
    parser.add_argument("--regenerate", action="store_true", help="generate the packages again")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds before a command is killed")
    parser.add_argument("--json", metavar="FILE", help="also write every figure as JSON")
    parser.add_argument("--baseline", metavar="FILE", help="the --json of an earlier run on this machine: its 10K "
                        "figures are the reference for 100K growth when 10K is not run again")
    parser.add_argument("--table", nargs="+", metavar="FILE", help="measure nothing: print the table of "
                        "earlier --json files together, judged against the targets")
    parser.add_argument("--resume", metavar="FILE", help="the --json of an interrupted run: keep its figures "
                        "(and its floor) and measure only what it lacks; --json may name the same file")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress lines, only the table")
    args = parser.parse_args(argv)

    bench = Bench(args)
    if args.table:
        # Re-judge and print earlier runs together (e.g. a 10K run and a later 100K run).
        for path in args.table:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
            bench.results.machine = bench.results.machine or doc["machine"]
            bench.results.runs += [Run(**{**r, "ratio": None, "target": "", "met": None}) for r in doc["runs"]]
        bench.judge()
        print(bench.table())
        return 0
    bench.results.machine = machine()
    if args.resume:
        with open(args.resume, encoding="utf-8") as f:
            earlier = json.load(f)
        bench.results.runs = [Run(**r) for r in earlier["runs"] if r["ok"]]
        bench.results.machine["resumed"] = f"{earlier['machine'].get('date')} (commit {earlier['machine'].get('commit')})"
    formats = registry_formats()
    if args.formats:
        wanted = [f.strip() for f in args.formats.split(",") if f.strip()]
        unknown = sorted(set(wanted) - {f.name for f in formats})
        if unknown:
            raise SystemExit(f"run.py: unknown format(s) {', '.join(unknown)}; "
                             f"the registry has {', '.join(f.name for f in formats)}")
        formats = [f for f in formats if f.name in wanted]
    sizes = [int(s.replace("_", "").replace("k", "000").replace("K", "000")) for s in args.sizes.split(",")]

    print("machine: " + "; ".join(f"{k}: {v}" for k, v in bench.results.machine.items()), file=sys.stderr)
    print("formats: " + ", ".join(f.name for f in formats), file=sys.stderr, flush=True)
    if not args.no_startup:
        bench.startup()
    for n in sizes:
        bench.size(n, formats)
    bench.judge()

    print()
    print("\n".join(f"- {k}: {v}" for k, v in bench.results.machine.items()))
    print()
    print(f"x floor = {args.clock} seconds / the floor's {args.clock} seconds in this run "
          "(upstream: its own wall-clock timer / the floor's wall)")
    print()
    print(bench.table())
    missed = [r for r in bench.results.runs if r.met is False]
    print()
    print(f"{len(missed)} target(s) missed" if missed else "every target measured here is met")
    bench.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
