"""Benchmark: Gi* over every 2021 LSOA of England and Wales, grid Gi* and kernel density on
100,000 points.

Inputs are real: the 35,672 LSOA boundaries (``geography/lsoa21_boundaries.geojson``) with
counts from the Cambridgeshire 2024 street files placed by their published LSOA code (zero
elsewhere), and those files' street points that lie inside the Cambridgeshire police force
area (``geography/pfa20_boundaries.geojson``; police.uk also files events from all over
England under the force), topped up to 100,000 with copies jittered by up to 50 m (seeded).
The grid is clipped to the force area, as the CLI does with a study area. Nothing is written
except the markdown report.

Run: ``python benchmarks/bench_spatial.py --data ../shared/data --out docs/benchmarks-spatial.md``
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import scipy
import shapely
from esda import G_Local
from libpysal.graph import Graph
from libpysal.weights import Queen

from commsafe.spatial.grid import to_bng
from commsafe.spatial.hotspots import gistar_grid, gistar_polygons
from commsafe.spatial.kde import kde_surface

N_POINTS = 100_000


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gb() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GB"
    except OSError:
        pass
    return "unknown"


def read_street(folder: Path) -> pd.DataFrame:
    files = sorted(folder.rglob("*-street.csv"))
    if not files:
        raise SystemExit(f"error: no street files under {folder}")
    cols = ["Longitude", "Latitude", "LSOA code"]
    return pd.concat([pd.read_csv(f, usecols=cols) for f in files], ignore_index=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="../shared/data")
    ap.add_argument("--out", type=Path, required=True, help="markdown file to write")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    lsoa_file = args.data / "geography" / "lsoa21_boundaries.geojson"
    pfa_file = args.data / "geography" / "pfa20_boundaries.geojson"
    street = args.data / "police-uk" / "cambridgeshire-2024"
    for need in (lsoa_file, pfa_file, street):
        if not need.exists():
            print(f"error: {need} not found: the benchmark needs ../shared/data beside the "
                  "checkout", file=sys.stderr)
            return 1

    print("reading inputs …", flush=True)
    t = time.perf_counter()
    gdf = gpd.read_file(lsoa_file)
    read_s = time.perf_counter() - t
    events = read_street(street)
    by_lsoa = events["LSOA code"].dropna().value_counts()
    counts = {str(k): int(v) for k, v in by_lsoa.items()}
    in_lsoas = int(by_lsoa[by_lsoa.index.isin(gdf["lsoa21_code"])].sum())
    located = events.dropna(subset=["Longitude", "Latitude"])
    x, y = to_bng(located["Longitude"].to_numpy(), located["Latitude"].to_numpy())
    pfa = gpd.read_file(pfa_file).to_crs("EPSG:27700")
    force_area = pfa.loc[pfa["pfa20_name"] == "Cambridgeshire", "geometry"].union_all()
    inside = shapely.contains_xy(force_area, x, y)
    real = np.column_stack([x, y])[inside]
    rng = np.random.default_rng(2024)
    extra = real[rng.integers(0, len(real), N_POINTS - len(real))]
    extra = extra + rng.uniform(-50, 50, extra.shape)
    points = np.vstack([real, extra])

    rows: list[tuple[str, float, str]] = []

    # --- LSOAs: weights and statistic separately, then the whole call -----------------------
    print("LSOA Gi* …", flush=True)
    geom = gdf.geometry
    graph_s, graph = best(lambda: Graph.build_contiguity(geom, rook=False), args.repeat)

    def queen() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "not fully connected", the island
            return Queen.from_dataframe(gdf, use_index=False)

    queen_s, w = best(queen, 1)
    y_arr = np.array([counts.get(c, 0) for c in gdf["lsoa21_code"]], dtype=float)
    stat_s, _ = best(lambda: G_Local(y_arr, graph, transform="B", star=True, permutations=0),
                     args.repeat)
    whole_s, res = best(lambda: gistar_polygons(gdf, counts, code_column="lsoa21_code"),
                        args.repeat)
    n_hot = int((res.frame["class"] == "hot").sum())
    rows += [
        ("queen contiguity weights, `libpysal.graph.Graph.build_contiguity` (used)", graph_s,
         f"{graph.n:,} areas, {graph.n_edges:,} links, {len(graph.isolates)} island"),
        ("queen contiguity weights, `libpysal.weights.Queen.from_dataframe` (for comparison)",
         queen_s, f"mean {w.mean_neighbors:.2f} neighbours"),
        ("Gi* statistic alone (`esda.G_Local`, binary, star, analytical p)", stat_s, ""),
        ("**`gistar_polygons` whole call** (weights + Gi* + BH + output frame)", whole_s,
         f"{in_lsoas:,} events in {len(by_lsoa):,} LSOAs; {n_hot:,} hot LSOAs"),
    ]
    lsoa_ok = whole_s <= 10

    # --- grid ---------------------------------------------------------------------------------
    print("grid Gi* …", flush=True)
    grid_results = []
    for cell in (None, 250.0, 100.0):
        s, r = best(partial(gistar_grid, points, cell_size=cell, study_area=force_area),
                    args.repeat)
        grid_results.append((cell, s, r))
        label = "automatic" if cell is None else f"{cell:,.0f} m"
        rows.append((f"`gistar_grid`, {N_POINTS:,} points, cell size {label}", s,
                     f"{r.params['cell_size']:,.0f} m cells, {r.params['n_cells']:,} analysed, "
                     f"{int((r.frame['class'] == 'hot').sum()):,} hot"))
    grid_ok = grid_results[0][1] <= 5
    r250 = grid_results[1][2]
    geo_s, _ = best(lambda: r250._make_geometry(), args.repeat)
    rows.append(("cell polygons in WGS84 for the 250 m grid (made on demand)", geo_s, ""))

    # --- KDE ----------------------------------------------------------------------------------
    print("KDE …", flush=True)
    for cell, bw in ((None, None), (100.0, 500.0)):
        s, k = best(partial(kde_surface, points, cell_size=cell, bandwidth=bw), args.repeat)
        label = ("automatic cell size and bandwidth" if cell is None
                 else f"{cell:,.0f} m cells, {bw:,.0f} m bandwidth")
        rows.append((f"`kde_surface`, {N_POINTS:,} points, {label}", s,
                     f"{k.cell_size:,.0f} m cells, bandwidth {k.bandwidth:,.0f} m, "
                     f"{k.density.size:,} cells; integral {k.total():,.3f}"))

    lines = [
        "# Benchmarks: spatial statistics",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python benchmarks/bench_spatial.py "
        f"--data ../shared/data --out {args.out}` (best of {args.repeat}; the "
        "`Queen.from_dataframe` comparison once).",
        "",
        f"Machine: {cpu_name()}, {os.cpu_count()} logical CPUs, {memory_gb()} RAM; "
        f"{platform.platform()}; Python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, shapely {shapely.__version__}, libpysal "
        f"{libpysal.__version__}, esda {esda.__version__}, geopandas {gpd.__version__}.",
        "",
        f"Inputs: the {len(gdf):,} LSOA 2021 boundaries (read in {read_s:.2f} s, not counted "
        f"below); the Cambridgeshire 2024 street files ({len(events):,} rows, "
        f"{len(located):,} located, {len(real):,} of them inside the Cambridgeshire police "
        f"force area), topped up to {N_POINTS:,} points with copies jittered by up to 50 m "
        "(seeded); grid Gi* clipped to the force area (the cells that touch it).",
        "",
        "| what | seconds | detail |",
        "|---|---:|---|",
        *[f"| {what} | {s:.3f} | {detail} |" for what, s, detail in rows],
        "",
        "Goals:",
        "",
        f"- Gi* over all {len(gdf):,} LSOAs, weights included, ≤ 10 s: "
        f"**{'reached' if lsoa_ok else 'not reached'}** ({whole_s:.2f} s).",
        f"- Grid Gi* on {N_POINTS:,} points (automatic cell size) ≤ 5 s: "
        f"**{'reached' if grid_ok else 'not reached'}** ({grid_results[0][1]:.2f} s).",
        "",
        "Weights: `Graph.build_contiguity` gives the same queen neighbours as "
        "`Queen.from_dataframe` (checked in `tests/test_hotspots.py` through identical z-scores) "
        f"in {graph_s:.2f} s against {queen_s:.2f} s, and esda's Gi* on a `Graph` avoids "
        "rebuilding a `W` to add the self-weights, so commsafe uses it.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0 if (lsoa_ok and grid_ok) else 2


if __name__ == "__main__":
    sys.exit(main())
