"""Benchmark: a national year of police.uk street crime (England and Wales, ~6 million rows).

The data is **synthetic replication of real rows, not real national data**. Every street row
under ``<data>/police-uk`` (~660k rows: Cambridgeshire, City of London, Northumbria) is re-used
across the 43 police forces of England and Wales: for each force (police.uk name and slug) and
each month of the financial year 2024/25, one file ``YYYY-MM/YYYY-MM-<force>-street.csv`` in
the exact police.uk layout is written under ``--work``, whose rows are real rows re-labelled:

* Month set to the file's month; Reported by / Falls within set to the force's police.uk name;
* LSOA code and name replaced by a 2021 LSOA of that force (PFA → district → LSOA from
  ``geography/lookup_ltla24_csp24_pfa24.csv`` and ``geography/lookup_lsoa21_ward24_ltla24.csv``),
  each original LSOA spread over a seeded, shuffled set of the force's LSOAs;
* Longitude/Latitude = that LSOA's boundary centroid plus the original row's offset from the
  mean of its original LSOA, scaled by 0.2 (left empty where the real row had no location);
* Crime IDs made unique (64 hex digits; left empty where the real row had none, as for ASB).

Rows are shared between forces in proportion to their number of LSOAs. Then each step runs in
its own Python process (so its peak memory, ``VmHWM``, is its own; imports are included and
the resident size just before the timed call is shown as the baseline), against a store that
already holds the reference data (loaded once into a template store, copied for each run; not
timed but reported):

1. ``commsafe.store.ingest.ingest`` of all files;
2. ``performance_table`` for every CSP (``where="csp = '<code>'"``, as the CLI does);
3. ``rates_table(store, "ward", period=2024/25)`` for every ward;
4. ``context_table`` (the countywide view) for one CSP of every force;
5. Gi* (``gistar_polygons``) over all 2021 LSOAs, counts by ``count_events(store, ["lsoa"])``;
6. ``commsafe.report.build.build`` for Newcastle upon Tyne from the national store and from a
   store holding only the (synthetic) Northumbria files; the ratio is reported.

Results of each scale are kept in ``--work/results-<rows>.json``; the report (``--out``) shows
every scale found there, so 0.6M, 2M and 6M can be run one after the other::

    .venv/bin/python benchmarks/bench_national.py --rows 600000
    .venv/bin/python benchmarks/bench_national.py --rows 2000000
    .venv/bin/python benchmarks/bench_national.py            # 6,000,000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_WORK = Path(tempfile.gettempdir()) / "commsafe-bench-national"
DEFAULT_OUT = ROOT / "docs" / "benchmarks-national.md"
MONTHS = [f"{y}-{m:02d}" for y, m in [(2024, m) for m in range(4, 13)]
          + [(2025, m) for m in range(1, 4)]]
PERIOD = "2024/25"
OFFSET_SCALE = 0.2
STEP_TIMEOUT = 600
BUILD_CSP = "Newcastle upon Tyne"
BUILD_FORCE = "northumbria"
TARGET_SECONDS = 180.0
TARGET_GB = 4.0
TARGET_BUILD_RATIO = 1.5
HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude",
          "Location", "LSOA code", "LSOA name", "Crime type", "Last outcome category",
          "Context"]

#: police force area name (as in lookup_ltla24_csp24_pfa24.csv) → police.uk "Reported by"
#: name; the file slug is commsafe.sources.police_uk.force_slug of that name.
FORCES: dict[str, str] = {
    "Avon and Somerset": "Avon and Somerset Constabulary",
    "Bedfordshire": "Bedfordshire Police",
    "Cambridgeshire": "Cambridgeshire Constabulary",
    "Cheshire": "Cheshire Constabulary",
    "Cleveland": "Cleveland Police",
    "Cumbria": "Cumbria Constabulary",
    "Derbyshire": "Derbyshire Constabulary",
    "Devon & Cornwall": "Devon & Cornwall Police",
    "Dorset": "Dorset Police",
    "Durham": "Durham Constabulary",
    "Dyfed-Powys": "Dyfed-Powys Police",
    "Essex": "Essex Police",
    "Gloucestershire": "Gloucestershire Constabulary",
    "Greater Manchester": "Greater Manchester Police",
    "Gwent": "Gwent Police",
    "Hampshire": "Hampshire Constabulary",
    "Hertfordshire": "Hertfordshire Constabulary",
    "Humberside": "Humberside Police",
    "Kent": "Kent Police",
    "Lancashire": "Lancashire Constabulary",
    "Leicestershire": "Leicestershire Police",
    "Lincolnshire": "Lincolnshire Police",
    "London, City of": "City of London Police",
    "Merseyside": "Merseyside Police",
    "Metropolitan Police": "Metropolitan Police Service",
    "Norfolk": "Norfolk Constabulary",
    "North Wales": "North Wales Police",
    "North Yorkshire": "North Yorkshire Police",
    "Northamptonshire": "Northamptonshire Police",
    "Northumbria": "Northumbria Police",
    "Nottinghamshire": "Nottinghamshire Police",
    "South Wales": "South Wales Police",
    "South Yorkshire": "South Yorkshire Police",
    "Staffordshire": "Staffordshire Police",
    "Suffolk": "Suffolk Constabulary",
    "Surrey": "Surrey Police",
    "Sussex": "Sussex Police",
    "Thames Valley": "Thames Valley Police",
    "Warwickshire": "Warwickshire Police",
    "West Mercia": "West Mercia Police",
    "West Midlands": "West Midlands Police",
    "West Yorkshire": "West Yorkshire Police",
    "Wiltshire": "Wiltshire Police",
}


def log(msg: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


# --- the machine ---------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    import duckdb
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    cpu = platform.processor() or "unknown CPU"
    mem = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    except OSError:
        pass
    from commsafe import __version__

    return {"cpu": cpu, "cpus": os.cpu_count(), "ram": mem, "platform": platform.platform(),
            "python": platform.python_version(), "duckdb": duckdb.__version__,
            "pyarrow": pa.__version__, "pandas": pd.__version__, "numpy": np.__version__,
            "commsafe": __version__}


def git_state() -> str:
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True, check=True).stdout.split("\n")
        changed = [d[3:] for d in dirty if d.strip()]
        digest = hashlib.sha256()
        for f in sorted((ROOT / "src" / "commsafe").rglob("*")):
            if f.suffix in (".py", ".sql") and f.is_file():
                digest.update(f.read_bytes())
        return (head + (f" + {len(changed)} uncommitted files in src" if changed else "")
                + f" (source tree sha256 {digest.hexdigest()[:10]})")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# --- making the files ----------------------------------------------------------------------

def generate(data: Path, folder: Path, total_rows: int, seed: int = 2025) -> dict[str, Any]:
    """Write the synthetic national files under ``folder``; returns what was made."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from commsafe.sources.police_uk import force_slug

    t0 = time.perf_counter()
    files = sorted((data / "police-uk").rglob("*-street.csv"))
    real = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files],
                     ignore_index=True)
    if list(real.columns) != HEADER:
        raise SystemExit(f"unexpected street header: {list(real.columns)}")
    n_real = len(real)
    col = {c: np.asarray(real[c].to_numpy(dtype=object)) for c in
           ("Crime ID", "Location", "Crime type", "Last outcome category", "Context")}
    lon = pd.to_numeric(real["Longitude"], errors="coerce").to_numpy()
    lat = pd.to_numeric(real["Latitude"], errors="coerce").to_numpy()
    has_xy = ~(np.isnan(lon) | np.isnan(lat))
    lsoa_codes = real["LSOA code"].to_numpy()
    has_lsoa = lsoa_codes != ""
    orig_id, orig_uniques = pd.factorize(real["LSOA code"])
    n_orig = len(orig_uniques)
    # offset of each real row from the mean position of its original LSOA
    means = pd.DataFrame({"id": orig_id[has_xy], "lon": lon[has_xy], "lat": lat[has_xy]}
                         ).groupby("id")[["lon", "lat"]].mean()
    mlon = np.full(n_orig, np.nan)
    mlat = np.full(n_orig, np.nan)
    mlon[means.index.to_numpy()] = means["lon"].to_numpy()
    mlat[means.index.to_numpy()] = means["lat"].to_numpy()
    dlon = (lon - mlon[orig_id]) * OFFSET_SCALE
    dlat = (lat - mlat[orig_id]) * OFFSET_SCALE
    dlon[np.isnan(dlon)] = 0.0
    dlat[np.isnan(dlat)] = 0.0
    placed = has_lsoa & has_xy

    geo = data / "geography"
    lsoa = pd.read_csv(geo / "lookup_lsoa21_ward24_ltla24.csv", dtype=str)
    pfa = pd.read_csv(geo / "lookup_ltla24_csp24_pfa24.csv", dtype=str)
    lsoa = lsoa.merge(pfa[["ltla24_code", "pfa24_name"]].drop_duplicates(), on="ltla24_code",
                      how="inner")
    bounds = gpd.read_file(geo / "lsoa21_boundaries.geojson")
    cent = bounds.to_crs("EPSG:27700").geometry.centroid.to_crs("EPSG:4326")
    cx = dict(zip(bounds["lsoa21_code"], cent.x, strict=True))
    cy = dict(zip(bounds["lsoa21_code"], cent.y, strict=True))
    lsoa = lsoa[lsoa["lsoa21_code"].isin(cx.keys())]
    missing = sorted(set(FORCES) - set(lsoa["pfa24_name"]))
    if missing:
        raise SystemExit(f"no LSOAs for force area(s) {missing} in the lookups")
    forces = sorted(FORCES)
    sizes = {f: int((lsoa["pfa24_name"] == f).sum()) for f in forces}
    n_lsoa = sum(sizes.values())
    # rows per force in proportion to its LSOAs (largest remainder)
    quota = {f: total_rows * sizes[f] / n_lsoa for f in forces}
    alloc = {f: math.floor(q) for f, q in quota.items()}
    for f in sorted(forces, key=lambda f: alloc[f] - quota[f])[:total_rows - sum(alloc.values())]:
        alloc[f] += 1

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    n_files = 0
    bytes_written = 0
    for fi, fname in enumerate(forces):
        name = FORCES[fname]
        slug = force_slug(name)
        mine = lsoa[lsoa["pfa24_name"] == fname].sample(frac=1.0, random_state=seed + fi)
        codes = mine["lsoa21_code"].to_numpy()
        names = mine["lsoa21_name"].to_numpy()
        ccx = np.array([cx[c] for c in codes])
        ccy = np.array([cy[c] for c in codes])
        k = len(codes)
        spread = max(1, math.ceil(k / max(n_orig, 1)))
        n_force = alloc[fname]
        start = (fi * n_real) // len(forces)
        per_month = [n_force // 12 + (1 if m < n_force % 12 else 0) for m in range(12)]
        pos = 0
        for mi, month in enumerate(MONTHS):
            n = per_month[mi]
            src = (start + pos + np.arange(n)) % n_real
            spread_i = rng.integers(0, spread, n) if spread > 1 else np.zeros(n, dtype=np.int64)
            target = (orig_id[src] + n_orig * spread_i) % k
            ok_lsoa = has_lsoa[src]
            ok_xy = placed[src]
            lon_new = np.where(ok_xy, np.round(ccx[target] + dlon[src], 6), np.nan)
            lat_new = np.where(ok_xy, np.round(ccy[target] + dlat[src], 6), np.nan)
            crime = col["Crime ID"][src]
            prefix = f"{fi:02x}{mi:02x}"
            ids = [f"{prefix}{pos + j:060x}" if crime[j] else "" for j in range(n)]

            def text(x: Any, ok: Any) -> Any:
                # shortest round-trip text of the rounded value, as police.uk writes them
                return pa.array(x, mask=~ok).cast(pa.string()).fill_null("").to_numpy(
                    zero_copy_only=False)

            frame = pd.DataFrame({
                "Crime ID": ids, "Month": month, "Reported by": name, "Falls within": name,
                "Longitude": text(lon_new, ok_xy), "Latitude": text(lat_new, ok_xy),
                "Location": col["Location"][src],
                "LSOA code": np.where(ok_lsoa, codes[target], ""),
                "LSOA name": np.where(ok_lsoa, names[target], ""),
                "Crime type": col["Crime type"][src],
                "Last outcome category": col["Last outcome category"][src],
                "Context": col["Context"][src],
            }, columns=HEADER)
            out = folder / month / f"{month}-{slug}-street.csv"
            out.parent.mkdir(parents=True, exist_ok=True)
            frame.to_csv(out, index=False, lineterminator="\n")
            pos += n
            written += n
            n_files += 1
            bytes_written += out.stat().st_size
    return {"rows": written, "files": n_files, "bytes": bytes_written, "forces": len(forces),
            "lsoas": n_lsoa, "real_rows": n_real, "real_files": len(files),
            "real_no_location": int((~placed).sum()), "seconds": time.perf_counter() - t0,
            "northumbria_rows": alloc["Northumbria"]}


# --- the steps (each run in a child process) -----------------------------------------------

def _rss_mb(field: str = "VmRSS") -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _period() -> Any:
    from commsafe import periods

    return periods.parse_period_range(PERIOD)[0]


def step_reference(p: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    from commsafe.reference.loader import load_reference
    from commsafe.store import open_store

    def run() -> dict[str, Any]:
        with open_store(Path(p["store"])) as store:
            recs = load_reference(store, [Path(d) for d in p["dirs"]])
        return {"files": len(recs), "rows": sum(r.rows_loaded for r in recs)}
    return run


def step_ingest(p: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    from commsafe.store import open_store
    from commsafe.store.ingest import ingest

    store = open_store(Path(p["store"]))
    paths = [Path(x) for x in p["paths"]]

    def run() -> dict[str, Any]:
        try:
            res = ingest(store, paths)
        finally:
            store.close()
        if res.failures:
            raise RuntimeError(f"{len(res.failures)} file(s) failed, e.g. "
                               f"{res.failures[0].path}: {res.failures[0].message}")
        return {k: int(v) for k, v in res.totals().items()}
    return run


def step_performance(p: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    from commsafe.errors import CommsafeError
    from commsafe.measures.performance import performance_table
    from commsafe.measures.rates import areas_within
    from commsafe.store import open_store

    store = open_store(Path(p["store"]), read_only=True)

    def run() -> dict[str, Any]:
        csps = areas_within(store, "csp", None)
        names = dict(zip(csps["area_code"].astype(str), csps["area_name"], strict=True))
        rows = 0
        failed: dict[str, list[str]] = {}
        for code in names:
            try:
                rows += len(performance_table(store=store, where=f"csp = '{code}'"))
            except CommsafeError as exc:  # e.g. a former CSP whose districts merged: no events
                failed.setdefault(str(exc).split(".")[0], []).append(str(names[code] or code))
        store.close()
        return {"csps": len(names), "table_rows": rows,
                "csps_refused": sum(len(v) for v in failed.values()),
                "why": "; ".join(f"{len(v)}× '{m}' ({', '.join(sorted(v))})"
                                 for m, v in failed.items()) or "—"}
    return run


def step_rates(p: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    from commsafe.measures.rates import rates_table
    from commsafe.store import open_store

    store = open_store(Path(p["store"]), read_only=True)
    period = _period()

    def run() -> dict[str, Any]:
        frame = rates_table(store, "ward", period=period)
        store.close()
        return {"wards": len(frame), "events": int(frame["count"].sum()),
                "with_rate": int(frame["rate_per_1000"].notna().sum())}
    return run


def step_context(p: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    from commsafe.measures.context import context_table
    from commsafe.measures.rates import areas_within
    from commsafe.reference.areas import Area
    from commsafe.store import open_store

    store = open_store(Path(p["store"]), read_only=True)
    months = [date.fromisoformat(m + "-01") for m in MONTHS]

    def run() -> dict[str, Any]:
        pfas = areas_within(store, "pfa", None)
        rows = 0
        done = 0
        for code, name in zip(pfas["area_code"], pfas["area_name"], strict=True):
            csps = areas_within(store, "csp", Area("pfa", str(code), name))
            if csps.empty:
                continue
            frame, _ = context_table(store, str(csps["area_code"].iloc[0]),
                                     period_months=months)
            rows += len(frame)
            done += 1
        store.close()
        return {"forces": done, "table_rows": rows}
    return run


def step_gistar(p: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    import geopandas as gpd

    from commsafe.measures.counts import count_events
    from commsafe.spatial.hotspots import gistar_polygons
    from commsafe.store import open_store

    t = time.perf_counter()
    gdf = gpd.read_file(Path(p["boundaries"]))
    read_s = time.perf_counter() - t
    store = open_store(Path(p["store"]), read_only=True)

    def run() -> dict[str, Any]:
        table = count_events(store, ["lsoa"]).to_pandas()
        store.close()
        count_col = next(c for c in table.columns if c != "lsoa")
        counts = {str(k): int(v) for k, v in zip(table["lsoa"], table[count_col], strict=True)
                  if k is not None}
        res = gistar_polygons(gdf, counts, code_column="lsoa21_code")
        return {"lsoas": len(gdf), "lsoas_with_events": len(counts),
                "events": sum(counts.values()),
                "hot": int((res.frame["class"] == "hot").sum()),
                "boundaries_read_seconds_untimed": round(read_s, 2)}
    return run


def step_build(p: dict[str, Any]) -> Callable[[], dict[str, Any]]:
    from commsafe.report.build import build

    def run() -> dict[str, Any]:
        res = build(Path(p["spec"]), Path(p["out"]), store_path=Path(p["store"]))
        return {"stages": {k: round(v, 2) for k, v in res.timings.items()}}
    return run


STEPS: dict[str, Callable[[dict[str, Any]], Callable[[], dict[str, Any]]]] = {
    "reference": step_reference, "ingest": step_ingest, "performance": step_performance,
    "rates": step_rates, "context": step_context, "gistar": step_gistar, "build": step_build,
}


def child(step: str, params: str) -> int:
    run = STEPS[step](json.loads(params))
    baseline = _rss_mb()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t = time.perf_counter()
    detail = run()
    seconds = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    # VmHWM, not ru_maxrss: on Linux ru_maxrss survives exec, so it would include the RSS of
    # the parent this process was forked from
    peak_self = _rss_mb("VmHWM")
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print("RESULT " + json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_mb": peak_self,
                                  "baseline_mb": baseline, "children_peak_mb": peak_children,
                                  "detail": detail}), flush=True)
    return 0


def run_step(step: str, params: dict[str, Any]) -> dict[str, Any]:
    """Run one step in a fresh process; its result, or why there is none."""
    load_before = os.getloadavg()[0]
    t = time.perf_counter()
    log(f"step {step} …")
    try:
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", step,
                               json.dumps(params)], capture_output=True, text=True,
                              timeout=STEP_TIMEOUT, cwd=str(ROOT))
    except subprocess.TimeoutExpired:
        log(f"step {step}: over {STEP_TIMEOUT} s, stopped")
        return {"error": f"stopped after {STEP_TIMEOUT} s (over 10 minutes)",
                "load_before": load_before, "load_after": os.getloadavg()[0]}
    wall = time.perf_counter() - t
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        log(f"step {step} failed: {tail}")
        return {"error": f"failed (exit {done.returncode}): {tail[:300]}",
                "load_before": load_before, "load_after": os.getloadavg()[0]}
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT "):])
    result.update(process_seconds=wall, load_before=load_before,
                  load_after=os.getloadavg()[0])
    log(f"step {step}: {result['seconds']:.1f} s, peak {result['peak_mb']:.0f} MB")
    return result


# --- one scale -----------------------------------------------------------------------------

def template_store(work: Path, data: Path) -> tuple[Path, dict[str, Any]]:
    """A store with the reference data (loaded in a child process, like the steps)."""
    path = work / "reference-template.duckdb"
    path.unlink(missing_ok=True)  # made again each run: the schema may have changed
    info = run_step("reference", {"store": str(path),
                                  "dirs": [str(data / "geography"), str(data / "population")]})
    if "error" in info:
        raise SystemExit(f"reference load failed: {info['error']}")
    return path, info


def run_scale(rows: int, data: Path, work: Path, keep: bool, skip_build: bool
              ) -> dict[str, Any]:
    from commsafe.spec import init_spec

    scale = work / f"rows-{rows}"
    if scale.exists():
        shutil.rmtree(scale)
    scale.mkdir(parents=True)
    template, ref = template_store(work, data)
    log(f"generating {rows:,} rows …")
    files = scale / "police-uk"
    made = generate(data, files, rows)
    log(f"generated {made['rows']:,} rows in {made['files']} files "
        f"({made['bytes'] / 1e9:.2f} GB) in {made['seconds']:.0f} s")
    national = scale / "national.duckdb"
    shutil.copy2(template, national)
    results: dict[str, Any] = {"rows": rows, "made": made, "reference": ref,
                               "started": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
                               "load_before": os.getloadavg(), "code": git_state(),
                               "peak_method": "VmHWM"}
    steps: dict[str, Any] = {}
    steps["ingest"] = run_step("ingest", {"store": str(national), "paths": [str(files)]})
    results["store_mb"] = national.stat().st_size / 1e6 if national.exists() else None
    if "error" not in steps["ingest"]:
        steps["performance"] = run_step("performance", {"store": str(national)})
        steps["rates"] = run_step("rates", {"store": str(national)})
        steps["context"] = run_step("context", {"store": str(national)})
        steps["gistar"] = run_step("gistar", {
            "store": str(national),
            "boundaries": str(data / "geography" / "lsoa21_boundaries.geojson")})
    if not skip_build and "error" not in steps["ingest"]:
        single = scale / "northumbria.duckdb"
        shutil.copy2(template, single)
        force_files = sorted(files.glob(f"*/*-{BUILD_FORCE}-street.csv"))
        steps["ingest_single_force"] = run_step(
            "ingest", {"store": str(single), "paths": [str(f) for f in force_files]})
        for label, store in (("national", national), ("single", single)):
            spec_dir = scale / f"spec-{label}"
            spec, _ = init_spec(spec_dir, partnership_name=BUILD_CSP, area=BUILD_CSP,
                                period=PERIOD, overwrite=True)
            for i in range(2):
                steps[f"build_{label}_{i + 1}"] = run_step("build", {
                    "spec": str(spec), "out": str(scale / f"out-{label}"), "store": str(store)})
    results["steps"] = steps
    results["load_after"] = os.getloadavg()
    if not keep:
        shutil.rmtree(scale, ignore_errors=True)
    return results


# --- the report ----------------------------------------------------------------------------

MAIN_STEPS = [("ingest", "(1) ingest of all files"),
              ("performance", "(2) performance table, every CSP"),
              ("rates", "(3) ward rates, every ward"),
              ("context", "(4) countywide view, one CSP per force"),
              ("gistar", "(5) Gi* over all 2021 LSOAs")]


def _fmt_s(r: dict[str, Any] | None) -> str:
    if r is None:
        return "not run"
    if "error" in r:
        return f"**{r['error']}**"
    return f"{r['seconds']:.1f}"


def _fmt_mb(r: dict[str, Any] | None) -> str:
    if r is None or "error" in r:
        return "—"
    return f"{r['peak_mb']:,.0f}"


def _detail(r: dict[str, Any] | None) -> str:
    if r is None or "error" in r:
        return ""
    d = dict(r["detail"])
    d.pop("stages", None)
    return ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in d.items())


def _best_build(steps: dict[str, Any], label: str) -> dict[str, Any] | None:
    runs = [steps.get(f"build_{label}_{i}") for i in (1, 2)]
    ok = [r for r in runs if r is not None and "error" not in r]
    if ok:
        return min(ok, key=lambda r: r["seconds"])
    return next((r for r in runs if r is not None), None)


def scale_section(res: dict[str, Any]) -> list[str]:
    st = res["steps"]
    made = res["made"]
    la, lb = res["load_before"], res["load_after"]
    lines = [
        f"### {res['rows']:,} rows",
        "",
        f"Run {res['started']}; code {res['code']}. Load average (1, 5, 15 min) before "
        f"{la[0]:.2f}, {la[1]:.2f}, {la[2]:.2f}; after {lb[0]:.2f}, {lb[1]:.2f}, {lb[2]:.2f}. "
        f"Files: {made['files']} ({made['forces']} forces × 12 months), "
        f"{made['rows']:,} rows, {made['bytes'] / 1e9:.2f} GB of CSV, written in "
        f"{made['seconds']:.0f} s (not timed below). Store after ingest: "
        + (f"{res['store_mb']:,.0f} MB." if res.get("store_mb") else "—."),
        "",
        "| step | seconds | CPU s | peak RSS MB | baseline RSS MB | load avg before → after "
        "| detail |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    total = 0.0
    total_cpu = 0.0
    peak = 0.0
    complete = True
    for key, label in MAIN_STEPS:
        r = st.get(key)
        if r is None or "error" in r:
            complete = False
        else:
            total += r["seconds"]
            total_cpu += r.get("cpu_seconds", float("nan"))
            peak = max(peak, r["peak_mb"])
        load = (f"{r['load_before']:.2f} → {r['load_after']:.2f}" if r else "")
        base = f"{r['baseline_mb']:,.0f}" if r and "error" not in r else "—"
        cpu = (f"{r['cpu_seconds']:.1f}" if r and "cpu_seconds" in r else "—")
        lines.append(f"| {label} | {_fmt_s(r)} | {cpu} | {_fmt_mb(r)} | {base} | {load} | "
                     f"{_detail(r)} |")
    if res.get("peak_method") != "VmHWM":
        lines.append("| (peak RSS in this run was `ru_maxrss`, which on Linux carries over "
                     "the forking parent's ~940 MB through exec: values at 940 are that "
                     "floor, not the step) | | | | | | |")
    lines.append(f"| **(1)–(5) together** | **{total:.1f}**{'' if complete else ' (incomplete)'}"
                 f" | **{total_cpu:.1f}** | **{peak:,.0f}** (largest step) | | | |")
    lines.append("")
    time_ok = complete and total <= TARGET_SECONDS
    mem_ok = complete and peak <= TARGET_GB * 1024
    lines.append(f"Target (1)–(5) ≤ {TARGET_SECONDS / 60:.0f} min: "
                 f"**{'met' if time_ok else 'missed'}** ({total:.0f} s"
                 f"{'' if complete else ', not every step finished'}, "
                 f"{total / TARGET_SECONDS:.2f}× the target). Peak memory ≤ {TARGET_GB:.0f} GB "
                 f"per step: **{'met' if mem_ok else 'missed'}** ({peak / 1024:.2f} GB).")
    lines.append("")
    nat = _best_build(st, "national")
    one = _best_build(st, "single")
    if nat is not None or one is not None:
        lines += ["Build of one CSP (Newcastle upon Tyne, 2024/25), `commsafe.report.build."
                  "build` in its own process, two runs each (workers: the default):", "",
                  "| store | run 1 s | run 2 s | peak RSS MB (main / worker) | stages of the "
                  "faster run |", "|---|---:|---:|---:|---|"]
        for label, name in (("national", "national (all 43 forces)"),
                            ("single", "Northumbria only")):
            r1, r2 = st.get(f"build_{label}_1"), st.get(f"build_{label}_2")
            b = _best_build(st, label)
            stages = ", ".join(f"{k} {v}" for k, v in b["detail"]["stages"].items()) if (
                b and "error" not in b) else ""
            mem = (f"{b['peak_mb']:,.0f} / {b['children_peak_mb']:,.0f}"
                   if b and "error" not in b else "—")
            lines.append(f"| {name} | {_fmt_s(r1)} | {_fmt_s(r2)} | {mem} | {stages} |")
        sf = st.get("ingest_single_force")
        if sf is not None:
            lines.append("")
            lines.append(f"(The Northumbria-only store: ingest of its "
                         f"{made['northumbria_rows']:,} rows took {_fmt_s(sf)} s.)")
        if nat and one and "error" not in nat and "error" not in one:
            ratio = nat["seconds"] / one["seconds"]
            lines += ["", f"Ratio national / single-force (faster runs): **{ratio:.2f}×** — "
                      f"target ≤ {TARGET_BUILD_RATIO}×: "
                      f"**{'met' if ratio <= TARGET_BUILD_RATIO else 'missed'}**."]
        lines.append("")
    return lines


def growth_table(results: list[dict[str, Any]]) -> list[str]:
    results = sorted(results, key=lambda r: r["rows"])
    head = "| step | " + " | ".join(f"{r['rows'] / 1e6:g}M rows: wall s / CPU s / peak MB"
                                     for r in results)
    lines = [head + " | CPU time growth per 10× rows (smallest → largest scale) |",
             "|---|" + "---:|" * len(results) + "---:|"]
    keys = [*MAIN_STEPS, ("build_national", "(6) build, national store (faster run)"),
            ("build_single", "(6) build, Northumbria-only store (faster run)")]
    for key, label in keys:
        cells = []
        pts = []
        for r in results:
            s = _best_build(r["steps"], key.split("_", 1)[1]) if key.startswith("build_") \
                else r["steps"].get(key)
            if s is None or "error" in s:
                cells.append(_fmt_s(s))
            else:
                cpu = f"{s['cpu_seconds']:.0f}" if "cpu_seconds" in s else "—"
                cells.append(f"{s['seconds']:.1f} / {cpu} / {s['peak_mb']:,.0f}")
                pts.append((r["rows"], s.get("cpu_seconds", s["seconds"])))
        growth = ""
        if len(pts) >= 2 and pts[0][1] > 0 and pts[-1][0] > pts[0][0]:
            exp = math.log(pts[-1][1] / pts[0][1]) / math.log(pts[-1][0] / pts[0][0])
            growth = f"× {10 ** exp:.1f} (time ∝ rows^{exp:.2f})"
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {growth} |")
    trees = {r["code"].rsplit("sha256 ", 1)[-1].rstrip(")") for r in results}
    loads = [float(x) for r in results for x in (r["load_before"][0], r["load_after"][0])]
    loads += [float(st[k]) for r in results for st in r.get("steps", {}).values()
              if isinstance(st, dict) for k in ("load_before", "load_after") if k in st]
    busy = max(loads) > 2.5
    lines += ["", (f"The 1-minute load average went from {min(loads):.1f} to {max(loads):.1f} "
                   "on 2 cores over the runs" + (
                       " (other work on the machine), so some steps shared the CPU and their "
                       "wall times are inflated; CPU seconds are the steadier measure of "
                       "growth." if busy else ": the machine was otherwise quiet."))
              + " Builds (6) spend most of their time on fixed work (charts, maps, PDF), so "
              "they hardly depend on the store's size."]
    if len(trees) > 1:
        lines += ["", f"The package source changed between the scales ({len(trees)} different "
                  "source-tree hashes; the ingest, store and measures were being edited by "
                  "others while this ran), so scales measure slightly different code."]
    return lines


TEN_YEARS = """## Ten years (≈ 60M rows)

Not measured; what would change, from the figures above and DuckDB's documented behaviour.

- **Partitioned Parquet under the store.** Street events would live as Parquet files
  partitioned by force and year (`COPY (SELECT …) TO 'events' (FORMAT parquet,
  PARTITION_BY (force, year))`), one folder `force=<slug>/year=<yyyy>/` each, read through
  `read_parquet('events/**/*.parquet', hive_partitioning = true)`. A new month or a police.uk
  revision rewrites one force-year partition, not the table; a query for one CSP or force
  prunes to its force's partitions (filter on the partition columns), so a single-CSP build
  reads about 1/43 of the data whatever the national volume; Parquet's column statistics
  (min/max per row group) let DuckDB skip row groups on month. The DuckDB file keeps the
  reference data, loads and rejects.
- **Out of core.** DuckDB's aggregates, joins and sorts spill to disk when they pass
  `memory_limit` (default 80% of RAM; set it, e.g. `SET memory_limit = '3GB'`, to stay within a
  budget beside other work) into `temp_directory` (default `<store>.tmp` beside a file
  database; `max_temp_directory_size` caps it). The measures' group-bys (area × period × crime
  type) have far fewer groups than rows (ward × financial year × type: ~10 × 7,000 × 14 ≈ 1M
  over ten years), so they stay in memory; the finest (LSOA × month × type) can reach tens of
  millions of groups and is where the hash aggregate would spill. What grows with rows is scan
  time (linear; 2 cores, `threads = 2`) and CSV parsing at ingest. Insertion-order
  preservation (`preserve_insertion_order = false`) lowers memory of large COPY/INSERT.
  Python-side steps that materialise all rows (pandas/pyarrow tables of events) would not
  scale to 60M within 4 GB and must stay in SQL.
- **A shared multi-analyst store.** An embedded DuckDB file allows one writing process (and
  readers only while nobody writes). When several analysts (or a team across CSPs) need to
  load and read concurrently, the events and reference tables belong in a server: PostgreSQL
  (with PostGIS for boundaries) as the system of record, loaded by one ingest service; each
  analyst's DuckDB attaches it read-only through the `postgres` extension (`ATTACH
  'dbname=… host=…' AS pg (TYPE postgres, READ_ONLY)`) or works from Parquet partitions
  exported from it, so heavy aggregation still runs in DuckDB locally while PostgreSQL
  provides concurrency, roles and backups.
"""


def report(results: list[dict[str, Any]], mach: dict[str, Any], args: argparse.Namespace
           ) -> str:
    results = sorted(results, key=lambda r: r["rows"])
    ref = results[-1]["reference"] if results else {}
    lines = [
        "# Benchmarks: a national year (England and Wales)",
        "",
        f"Written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python benchmarks/"
        "bench_national.py` (one run per scale, `--rows N`; results kept in `--work` and all "
        "scales reported together).",
        "",
        "**The data is a synthetic replication of real rows, not real national data.** The "
        "real police.uk street rows in `../shared/data/police-uk` "
        f"({results[0]['made']['real_rows']:,} rows in {results[0]['made']['real_files']} "
        "files: Cambridgeshire 2018–19 and 2024, City of London 2024–25, Northumbria 2020–23) "
        "are re-labelled into the 43 police forces of England and Wales × the 12 months of "
        f"{PERIOD}, one file per force-month in the police.uk layout "
        "(`YYYY-MM/YYYY-MM-<force>-street.csv`). Month and force names are set; the LSOA "
        "becomes a 2021 LSOA of that force (from the reference lookups, so every placed row "
        "resolves); coordinates are that LSOA's boundary centroid plus the original row's "
        f"offset from its original LSOA's mean position × {OFFSET_SCALE} (empty where the "
        "real row had no location); Crime IDs are made unique (empty where the real row had "
        "none). Rows are shared out in proportion to each force's number of LSOAs, so the "
        "Metropolitan Police gets most. Counts per area therefore are not real and hot spots "
        "mean nothing; sizes, shapes and the share of rows without a location are real.",
        "",
        f"Machine: {mach['cpu']}, {mach['cpus']} logical CPUs, {mach['ram']} RAM; "
        f"{mach['platform']}; Python {mach['python']}, DuckDB {mach['duckdb']}, pyarrow "
        f"{mach['pyarrow']}, pandas {mach['pandas']}, numpy {mach['numpy']}, commsafe "
        f"{mach['commsafe']}. Other work was running on the machine (see the load averages; "
        "2 cores, so a load above 2 means steps shared the CPUs).",
        "",
        "Method: each step runs in its own Python process; *seconds* is the wall time of the "
        "call alone (imports, opening the store and reading boundaries excluded); *CPU s* is "
        "the process's user + system CPU time over the same call (all its threads, but not the "
        "build's worker processes; less disturbed by other work on the machine than wall "
        "time); *peak RSS* is "
        "that process's high-water resident size, `VmHWM` (whole life, imports and DuckDB "
        "included; build workers' peak, `RUSAGE_CHILDREN`, shown apart); *baseline* is "
        "its resident size just before the timed call. Each national step reads a copy of a "
        "template store holding the reference data (geography and population folders; "
        + (f"loading it took {ref['seconds']:.0f} s, peak {ref['peak_mb']:,.0f} MB, "
           f"{ref['detail']['files']} files, {ref['detail']['rows']:,} rows; not timed "
           "below). " if ref and "detail" in ref else "not timed below). ")
        + "The ingest is `commsafe.store.ingest.ingest` as it is in the working tree at the "
        "time (it is being rewritten for speed beside this benchmark: the code line of each "
        "scale shows which state was measured). A step over 10 minutes is stopped and shown "
        "as such.",
        "",
        "Steps: (1) `ingest(store, [folder])`; (2) `performance_table(store=…, "
        "where=\"csp = '<code>'\")` for every CSP in the reference areas (financial years; "
        "the CSP lookup also lists 14 former CSPs of districts since merged, e.g. Bournemouth, "
        "Poole, Allerdale, which no LSOA resolves to, so `performance_table` refuses them "
        "with 'no events match' — counted in the time, shown in the detail); "
        f"(3) `rates_table(store, 'ward', period={PERIOD})`; (4) `context_table(store, <first "
        "CSP of the force>, period_months=<the 12 months>)` for every force; (5) "
        "`count_events(store, ['lsoa'])` then `gistar_polygons` on the 35,672 LSOA 2021 "
        "boundaries (queen contiguity, analytical p, FDR); (6) `build(spec, out, store_path=…)` "
        "with the spec of `commsafe.spec.init_spec` for Newcastle upon Tyne, "
        f"{PERIOD} (its default priorities, Violence and sexual offences and Burglary; ward "
        "maps; every output: HTML, PDF, Word, workbook, atlas, manifest), from the national "
        "store and from a store holding only the synthetic Northumbria files of the same "
        "run; the single-force store's ingest is shown but not counted.",
        "",
        f"Targets: (1)–(5) together ≤ {TARGET_SECONDS / 60:.0f} minutes and ≤ "
        f"{TARGET_GB:.0f} GB peak memory on this 2-core machine; the CSP build from the "
        f"national store ≤ {TARGET_BUILD_RATIO}× the single-force build.",
        "",
        "## How time grows with rows",
        "",
        *growth_table(results),
        "",
        "## Each scale",
        "",
    ]
    for r in results:
        lines += scale_section(r)
    lines.append(TEN_YEARS)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        return child(argv[1], argv[2])
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=6_000_000, help="rows to make (default 6M)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="../shared/data")
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK,
                    help=f"folder for the files and stores (default {DEFAULT_WORK})")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="markdown report")
    ap.add_argument("--keep", action="store_true", help="keep the files and stores")
    ap.add_argument("--no-build", action="store_true", help="skip step (6)")
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite --out from the results already in --work")
    args = ap.parse_args(argv)
    for need in (args.data / "police-uk", args.data / "geography", args.data / "population"):
        if not need.is_dir():
            print(f"error: {need} not found (see ../shared/data/README.md)", file=sys.stderr)
            return 1
    args.work.mkdir(parents=True, exist_ok=True)
    if not args.report_only:
        res = run_scale(args.rows, args.data, args.work, args.keep, args.no_build)
        (args.work / f"results-{args.rows}.json").write_text(json.dumps(res, indent=1))
    results = [json.loads(p.read_text()) for p in sorted(args.work.glob("results-*.json"))]
    text = report(results, machine(), args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
