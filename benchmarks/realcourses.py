"""Benchmarks where users are: real course exports, the small library, and start-up.

Not a test: it prints figures, side by side with the program each is judged against, all
measured in the same run and interleaved (A, B, C, A, B, C ...) so that a neighbour's burst
of work lands on every side alike:

* `lpconvert validate` on each real course in ../shared/corpora/olx, both the unpacked
  folder and the .tar.gz, against olxcleaner's `edx-cleaner -s` on the same folder
  (target: no slower);
* `lpconvert validate fixtures/lp-archive/small-library` against merely importing what
  lpconvert is built on, `python -c "import pydantic, lxml.etree, fsspec, pluggy"`
  (target: within 1.25x);
* `lpconvert --help` and `lpconvert formats` (target: under 0.3 s).

Each figure is the median of `--repeat` runs (default 5) of a subprocess, as users run it.
Ratios use CPU seconds (user + system, wait4's rusage of that child) unless `--clock wall`:
on a 2-core machine shared with other work, wall-clock time measures the neighbours.

Before timing, lpconvert's own modules are byte-compiled: an installed wheel ships its
bytecode, but a development checkout under PYTHONDONTWRITEBYTECODE would otherwise
recompile some forty modules on every run and time the compiler.

    python benchmarks/realcourses.py                  # every course, 5 runs each
    python benchmarks/realcourses.py --repeat 9 --json realcourses.json
    git archive 0e2a6bb lpconvert plugins | tar -x -C /tmp/base
    python benchmarks/realcourses.py --baseline /tmp/base   # before and after, in the same run

`--baseline DIR` times every lpconvert command a second time with DIR (the lpconvert/ and
plugins/ folders of another commit) first on PYTHONPATH, interleaved with the current code:
a before/after table whose two sides met the same neighbours.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import sys
import tarfile
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ROOT, lpconvert_exe, machine, run_child  # noqa: E402

CORPORA = ROOT.parent / "shared" / "corpora" / "olx"
SMALL_LIBRARY = ROOT / "fixtures" / "lp-archive" / "small-library"
IMPORT_FLOOR = "import pydantic, lxml.etree, fsspec, pluggy"
LIBRARY_X = 1.25
PEER_X = 1.0
STARTUP_LIMIT = 0.3
TIMEOUT = 300.0


@dataclass
class Row:
    """One command, timed `repeat` times; `against` names the row it is judged against."""

    label: str
    cmd: list[str]
    against: str | None = None
    limit: float | None = None  # ratio to `against`, or seconds when `against` is None
    ours: bool = True  # an lpconvert command (False: a reference it is judged against)
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    exit_codes: set[int] = field(default_factory=set)

    def median(self, clock: str) -> float:
        return statistics.median(self.cpu if clock == "cpu" else self.wall)


def edx_cleaner_exe() -> str | None:
    exe = Path(sys.executable).parent / "edx-cleaner"
    return str(exe) if exe.exists() else shutil.which("edx-cleaner")


def unpack_courses(corpora: Path, into: Path) -> list[tuple[str, Path, Path]]:
    """(name, tarball, folder holding course.xml) for every course export in `corpora`.

    Libraries are left out: olxcleaner validates courses only, so there is no peer figure."""
    courses = []
    for tarball in sorted(corpora.glob("*.tar.gz")):
        name = tarball.name.removesuffix(".tar.gz")
        with tarfile.open(tarball) as tar:
            tar.extractall(into / name, filter="data")
        found = sorted((into / name).rglob("course.xml"), key=lambda p: len(p.parts))
        if found:
            courses.append((name, tarball, found[0].parent))
    return courses


def with_baseline(rows: list[Row], baseline: Path | None) -> list[Row]:
    """Each lpconvert row followed by its twin running `baseline`'s code, judged the same way."""
    if baseline is None:
        return rows
    path = f"PYTHONPATH={baseline}{os.pathsep}{baseline / 'plugins'}"
    out = []
    for row in rows:
        out.append(row)
        if row.ours:
            out.append(Row(f"{row.label} [baseline]", ["env", path, *row.cmd], row.against, row.limit))
    return out


def build_rows(exe: str, cleaner: str | None, courses: list[tuple[str, Path, Path]]) -> list[Row]:
    rows = [Row("import floor", [sys.executable, "-c", IMPORT_FLOOR], ours=False),
            Row("validate small-library", [exe, "validate", str(SMALL_LIBRARY)], "import floor", LIBRARY_X),
            Row("lpconvert --help", [exe, "--help"], None, STARTUP_LIMIT),
            Row("lpconvert formats", [exe, "formats"], None, STARTUP_LIMIT)]
    for name, tarball, folder in courses:
        peer = f"edx-cleaner -s {name}"
        if cleaner is not None:
            rows.append(Row(peer, [cleaner, "-s", "-c", str(folder / "course.xml")], ours=False))
        judged = peer if cleaner is not None else None
        rows.append(Row(f"validate {name} (folder)", [exe, "validate", str(folder)], judged,
                        PEER_X if judged else None))
        rows.append(Row(f"validate {name}.tar.gz", [exe, "validate", str(tarball)], judged,
                        PEER_X if judged else None))
    return rows


def measure(rows: list[Row], repeat: int) -> None:
    """Every row once per round, `repeat` rounds: interleaved, so load drifts hit all rows."""
    for _ in range(repeat):
        for row in rows:
            wall, cpu, _rss, code, _out, _err = run_child(row.cmd, TIMEOUT)
            row.wall.append(wall)
            row.cpu.append(cpu)
            row.exit_codes.add(code)


def table(rows: list[Row], clock: str) -> str:
    by_label = {r.label: r for r in rows}
    lines = [f"| command | exit | wall s | CPU s | judged against | its {clock} s | ratio | target | met |",
             "|---|---:|---:|---:|---|---:|---:|---|:---:|"]
    for row in rows:
        mine = row.median(clock)
        ref = by_label.get(row.against) if row.against else None
        ratio = mine / ref.median(clock) if ref else None
        if row.limit is None:
            target, met = "", ""
        elif ref is not None:
            target, met = f"<= {row.limit:g}x", "yes" if ratio <= row.limit else "no"
        else:
            target, met = f"< {row.limit:g} s", "yes" if mine < row.limit else "no"
        codes = ",".join(map(str, sorted(row.exit_codes)))
        lines.append(f"| {row.label} | {codes} | {row.median('wall'):.3f} | {row.median('cpu'):.3f} | "
                     f"{row.against or ''} | {f'{ref.median(clock):.3f}' if ref else ''} | "
                     f"{f'{ratio:.2f}x' if ratio is not None else ''} | {target} | {met} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command; the median is shown (5)")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="what ratios use (cpu)")
    parser.add_argument("--corpora", type=Path, default=CORPORA, help="folder of course .tar.gz exports")
    parser.add_argument("--json", metavar="FILE", help="also write every figure as JSON")
    parser.add_argument("--baseline", type=Path, metavar="DIR", help="also time lpconvert with DIR/lpconvert "
                        "and DIR/plugins (another commit's code) first on PYTHONPATH")
    args = parser.parse_args(argv)

    for tree in (ROOT, *([args.baseline.resolve()] if args.baseline else [])):
        for package in ("lpconvert", "plugins"):
            compileall.compile_dir(tree / package, quiet=1)
    cleaner = edx_cleaner_exe()
    if cleaner is None:
        print("edx-cleaner not found (pip install olxcleaner): courses are timed without their peer")
    info = machine()
    with tempfile.TemporaryDirectory(prefix="lpconvert-realcourses-") as tmp:
        rows = build_rows(lpconvert_exe(), cleaner, unpack_courses(args.corpora, Path(tmp)))
        rows = with_baseline(rows, args.baseline.resolve() if args.baseline else None)
        measure(rows, args.repeat)
    info["load average after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"commit {info.get('commit')}, {info.get('Model name', '?')} x {info.get('CPU(s)', '?')}, "
          f"load average before {info.get('load average')}, after {info['load average after']}; "
          f"medians of {args.repeat}, ratios on {args.clock} seconds")
    print(table(rows, args.clock))
    if args.json:
        runs = [dict(asdict(r), exit_codes=sorted(r.exit_codes)) for r in rows]
        Path(args.json).write_text(json.dumps({"machine": info, "clock": args.clock, "rows": runs}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
