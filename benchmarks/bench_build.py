"""Benchmark: `commsafe build` end to end, as an analyst runs it.

Two assessments on the real Cambridgeshire 2024 police.uk files (``../shared/data``):

* **Cambridge CSP, 2024** (goal ≤ 10 s): ward maps, hotspots, two priorities, the whole
  document in HTML, PDF and Word, the workbook and the manifest;
* **one whole force-year**, Cambridgeshire police force area (E23000023), 2024 (goal ≤ 30 s).

Set-up (not timed as a build): ``commsafe init`` loads the reference files and the police.uk
files into a fresh store and writes each spec. Then ``commsafe build`` runs as a separate
process (Python start-up and imports included), three times; the first and the best are
shown, and the stage times of the best. The figures are written into ``--out`` (the
``## Build`` section of ``docs/benchmarks.md``, replaced or appended).

Run: ``python benchmarks/bench_build.py --data ../shared/data --out docs/benchmarks.md``
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REFERENCE = ("geography", "population")
RUNS = 3


def commsafe(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("commsafe")
    return subprocess.run([str(exe), *args], check=True, capture_output=True, text=True)


def timed_build(spec: Path, out: Path, store: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = commsafe("build", "--spec", str(spec), "--out", str(out), "--store", str(store))
    seconds = time.perf_counter() - start
    stages = re.search(r"\((spec [^)]*)\)", done.stdout.replace("\n", " "))
    return seconds, stages.group(1) if stages else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    police = args.data / "police-uk" / "cambridgeshire-2024"
    if not police.is_dir():
        sys.exit(f"{police} is missing: the benchmark needs ../shared/data (see its README)")
    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = root / "commsafe.duckdb"
        refs = [a for r in REFERENCE for a in ("--reference", str(args.data / r))]
        t0 = time.perf_counter()
        commsafe("init", "--csp", "Cambridge", "--data", str(police), *refs, "--period",
                 "2024", "--dir", str(root / "cambridge"), "--store", str(store))
        setup = time.perf_counter() - t0
        commsafe("init", "--csp", "E23000023", "--data", str(police), "--period", "2024",
                 "--dir", str(root / "force"), "--store", str(store))
        for name, folder, goal in (("Cambridge CSP, 2024", "cambridge", 10.0),
                                   ("Cambridgeshire force area, 2024", "force", 30.0)):
            times, stages = [], []
            for _ in range(RUNS):
                seconds, stage = timed_build(root / folder / "commsafe.toml", root / "out",
                                             store)
                times.append(seconds)
                stages.append(stage)
            best = min(range(RUNS), key=lambda i: times[i])
            built = root / "out" / ("cambridge-2024" if folder == "cambridge"
                                    else "cambridgeshire-2024")
            pages = subprocess.run(["pdfinfo", str(built / "assessment.pdf")],
                                   capture_output=True, text=True).stdout
            n_pages = re.search(r"Pages:\s+(\d+)", pages)
            rows.append((name, times[0], times[best], goal, stages[best],
                         n_pages.group(1) if n_pages else "?",
                         len(list((built / "data").glob("*.csv"))),
                         len(list((built / "figures").glob("*.png")))))
    load_after = os.getloadavg()[0]
    lines = [
        "## Build",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with",
        "",
        "```",
        "python benchmarks/bench_build.py --data ../shared/data --out docs/benchmarks.md",
        "```",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}; 1-minute load average {load_before:.2f} before, "
        f"{load_after:.2f} after.",
        "",
        f"Set-up, not part of a build: `commsafe init` loading the reference files and the "
        f"Cambridgeshire 2024 police.uk files into a fresh store took {setup:.1f} s. Each "
        f"build below is `commsafe build` in its own process (start-up and imports "
        f"included), run {RUNS} times on that store.",
        "",
        "| assessment | first s | best s | goal s | met | PDF pages | tables | figures |",
        "|---|---:|---:|---:|:---:|---:|---:|---:|",
    ]
    for name, first, best, goal, _, pages, tables, figures in rows:
        lines.append(f"| {name} | {first:.1f} | {best:.1f} | ≤ {goal:.0f} | "
                     f"{'yes' if best <= goal else 'NO'} | {pages} | {tables} | {figures} |")
    lines += ["", "Stage times of the best run (seconds):", ""]
    lines += [f"- {name}: {stage}" for name, _, _, _, stage, *_ in rows]
    section = "\n".join(lines) + "\n"
    text = args.out.read_text(encoding="utf-8") if args.out.exists() else "# Benchmarks\n\n"
    if "## Build\n" in text:
        head, _, rest = text.partition("## Build\n")
        tail = rest[rest.find("\n## ") + 1:] if "\n## " in rest else ""
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    args.out.write_text(text, encoding="utf-8")
    print(section)


if __name__ == "__main__":
    main()
