"""Benchmark: `commsafe build` end to end, as an analyst runs it, and its atlas in Chromium.

Two assessments on the real Cambridgeshire 2024 police.uk files (``../shared/data``):

* **Cambridge CSP, 2024** (goal ≤ 10 s): ward maps, hotspots, two priorities, the whole
  document in HTML, PDF and Word, the workbook and the manifest;
* **one whole force-year**, Cambridgeshire police force area (E23000023), 2024 (goal ≤ 30 s).

Set-up (not timed as a build): ``commsafe init`` loads the reference files and the police.uk
files into a fresh store and writes each spec. Then ``commsafe build`` runs as a separate
process (Python start-up and imports included), three times; the first and the best are
shown, and the stage times of the best. Each build's ``atlas.html`` is then opened in
headless Debian Chromium (Playwright, network blocked): time to the map drawn (goal ≤ 1.5 s
for Cambridge's wards, ≤ 4 s for the whole force at LSOA level) and to each indicator switch
(goal ≤ 100 ms). The figures are written into ``--out`` (the ``## Build`` section of
``docs/benchmarks.md``, replaced or appended).

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
ATLAS_RUNS = 3
ATLAS_GOALS: dict[str, float] = {}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def time_atlas(name: str, path: Path, level: str, goal: float
               ) -> list[tuple[str, str, int, int, float, float, float, float]]:
    """Open the atlas in Chromium: time to the map drawn and to each indicator switch."""
    from playwright.sync_api import sync_playwright

    ATLAS_GOALS[name] = goal
    url = path.as_uri() + f"#level={level}"
    drawn: list[float] = []
    switches: list[float] = []
    areas = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for _ in range(ATLAS_RUNS):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.route("**/*", lambda r: r.continue_() if r.request.url.split("#")[0]
                          == url.split("#")[0] else r.abort())
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector("html[data-atlas-ready]")
            drawn.append(page.evaluate(
                "performance.getEntriesByName('atlas-map-drawn')[0].startTime"))
            areas = page.evaluate(
                "JSON.parse(document.getElementById('atlas-data').textContent)"
                f".levels['{level}'].areas.length")
            options = page.evaluate(
                "[...document.querySelectorAll('#indicator option')].map(o => o.value)")
            for value in options[1:] + options[:1]:
                page.evaluate("performance.clearMarks()")
                page.select_option("#indicator", value)
                page.wait_for_function(
                    "performance.getEntriesByName('atlas-switch-done').length > 0")
                switches.append(page.evaluate(
                    "performance.getEntriesByName('atlas-switch-done')[0].startTime - "
                    "performance.getEntriesByName('atlas-switch-start')[0].startTime"))
            context.close()
        browser.close()
    return [(name, level, areas, path.stat().st_size, min(drawn), max(drawn), min(switches),
             max(switches))]


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
    atlas_rows: list[tuple[str, str, int, int, float, float, float, float]] = []
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
            atlas_rows.extend(time_atlas(name, built / "atlas.html",
                                         "lsoa" if folder == "force" else "ward",
                                         1.5 if folder == "cambridge" else 4.0))
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
    lines += [
        "",
        "### Atlas",
        "",
        f"Each build's `atlas.html` opened {ATLAS_RUNS} times in headless Debian Chromium "
        "(Playwright, network blocked). *Map drawn*: the page's `atlas-map-drawn` "
        "performance mark, from navigation start. *Switch*: from `atlas-switch-start` to "
        "`atlas-switch-done` when the indicator select changes (map recoloured, legend "
        "redrawn), over every indicator in turn. Best and worst of the runs.",
        "",
        "| atlas | level | areas | file bytes | map drawn best ms | worst ms | goal ms | "
        "switch best ms | worst ms | goal ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, level, areas, size, d_best, d_worst, s_best, s_worst in atlas_rows:
        goal = ATLAS_GOALS[name]
        lines.append(f"| {name} | {level} | {areas:,} | {size:,} | {d_best:.0f} | "
                     f"{d_worst:.0f} | ≤ {goal * 1000:.0f} | {s_best:.0f} | {s_worst:.0f} | "
                     "≤ 100 |")
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
