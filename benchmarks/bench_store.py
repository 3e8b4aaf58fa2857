"""Store size benchmark: load the reference data into a fresh store and measure what it costs.

    .venv/bin/python benchmarks/bench_store.py [GEOGRAPHY POPULATION ...] --out /tmp/bench_store.md

Reports the load time (``load_reference`` plus closing the store, which checkpoints it), the
store file size, a per-table breakdown, the gzip size of the input files and the ratio of the
two. Per table it gives the rows, the storage blocks its segments touch (``pragma_storage_info``
block ids × the block size; blocks can be shared between small segments, so this is an upper
bound), the compression used, and the size of the table copied alone into an empty DuckDB file
(minus the size of an empty file): the clearest answer to "what does this table cost".

The gzip size is measured per input file with ``gzip -6`` (the gzip default), streamed, and
summed: what the inputs would take as ``.gz`` files.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import zlib
from pathlib import Path

import duckdb

from commsafe.reference.loader import find_reference_files, load_reference
from commsafe.store import REFERENCE_KEYS, SCHEMA_VERSION, check_reference_keys, open_store
from commsafe.store.ingest import ingest

DEFAULT_INPUTS = (Path("/work/shared/data/geography"), Path("/work/shared/data/population"))
TABLES = ("population_rows", "population_bands", "boundaries", "area_links", "areas", "rejects",
          "loads")
MB = 1_000_000


def gzip_size(path: Path, level: int = 6) -> int:
    """Bytes of ``gzip -<level>`` of the file (header included), streamed."""
    comp = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            size += len(comp.compress(chunk))
    return size + len(comp.flush())


def _kind(path: Path) -> str:
    if path.suffix.lower() in (".geojson", ".json"):
        return "boundaries (GeoJSON)"
    if "population" in str(path.parent) or "residents" in path.name or "persons" in path.name:
        return "population (CSV)"
    return "lookups (CSV)"


def _empty_size(tmp: Path) -> int:
    p = tmp / "empty.duckdb"
    con = duckdb.connect(str(p))
    con.execute("CREATE TABLE x (a INTEGER)")
    con.close()
    return p.stat().st_size


def table_report(store_path: Path, tmp: Path) -> list[dict[str, object]]:
    empty = _empty_size(tmp)
    con = duckdb.connect(str(store_path), read_only=True)
    block_size = int(con.execute(
        "SELECT block_size FROM pragma_database_size()").fetchall()[0][0])
    rows: list[dict[str, object]] = []
    for table in TABLES:
        n = int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
        blocks = int(con.execute(
            f"SELECT count(DISTINCT block_id) FROM pragma_storage_info('{table}') "
            "WHERE block_id >= 0").fetchall()[0][0])
        comp = con.execute(
            f"SELECT compression, sum(count) FROM pragma_storage_info('{table}') "
            "GROUP BY 1 ORDER BY 2 DESC").fetchall()
        total = sum(int(c) for _, c in comp) or 1
        mix = ", ".join(f"{name} {100 * int(c) / total:.0f}%" for name, c in comp[:4])
        alone = tmp / f"alone_{table}.duckdb"
        one = duckdb.connect(str(alone))
        one.execute(f"ATTACH '{store_path}' AS src (READ_ONLY)")
        one.execute(f"CREATE TABLE {table} AS SELECT * FROM src.{table}")
        one.close()
        rows.append({"table": table, "rows": n, "blocks": blocks,
                     "block_bytes": blocks * block_size,
                     "alone_bytes": max(alone.stat().st_size - empty, 0), "compression": mix})
        alone.unlink()
    indexes = int(con.execute("SELECT count(*) FROM duckdb_indexes()").fetchall()[0][0])
    constraints = con.execute(
        "SELECT table_name, constraint_type FROM duckdb_constraints() "
        "WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE') ORDER BY 1").fetchall()
    con.close()
    rows.append({"table": "(indexes)", "rows": indexes, "blocks": 0, "block_bytes": 0,
                 "alone_bytes": 0, "compression": "PK/UNIQUE on: " + (
                     ", ".join(sorted({t for t, _ in constraints})) or "none")})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="*", type=Path, default=list(DEFAULT_INPUTS))
    ap.add_argument("--out", type=Path, help="write the markdown section to this file")
    ap.add_argument("--keep", type=Path, help="keep the store at this path")
    ap.add_argument("--police", type=Path,
                    help="then ingest these police.uk files too and measure the whole store")
    args = ap.parse_args(argv)
    missing = [p for p in args.inputs if not p.exists()]
    if missing:
        print(f"missing inputs: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="bench_store_"))
    try:
        files = find_reference_files(args.inputs)
        raw: dict[str, int] = {}
        gz: dict[str, int] = {}
        for f in files:
            k = _kind(f)
            raw[k] = raw.get(k, 0) + f.stat().st_size
            gz[k] = gz.get(k, 0) + gzip_size(f)
        store_path = tmp / "bench.duckdb"
        t0 = time.perf_counter()
        with open_store(store_path) as st:
            recs = load_reference(st, args.inputs)
        load_s = time.perf_counter() - t0
        with open_store(store_path, read_only=True) as st:
            dup = check_reference_keys(st.con)
            long_rows = int(st.con.execute("SELECT count(*) FROM population").fetchall()[0][0])
        size = store_path.stat().st_size
        tables = table_report(store_path, tmp)
        total_gz = sum(gz.values())
        lines = [
            "## Store size: reference data",
            "",
            f"Inputs: {len(files)} files, {sum(raw.values()) / MB:.1f} MB "
            f"({', '.join(map(str, args.inputs))}); schema version {SCHEMA_VERSION}; "
            f"DuckDB {duckdb.__version__}.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| load time (`load_reference` + close) | {load_s:.1f} s |",
            f"| store file | {size / MB:.1f} MB |",
            f"| gzip -6 of the inputs | {total_gz / MB:.1f} MB |",
            f"| store / gzip | {size / total_gz:.2f}× (target ≤ 2×: "
            f"{'met' if size <= 2 * total_gz else 'not met'}; ≤ 150 MB: "
            f"{'met' if size <= 150 * MB else 'not met'}) |",
            f"| rows of the `population` view (long: area × year × sex × age band) | "
            f"{long_rows:,} |",
            f"| rows loaded | {sum(r.rows_loaded for r in recs):,} |",
            f"| keys held by more than one row | {sum(dup.values())} "
            f"({', '.join(f'{t} {n}' for t, n in dup.items())}) |",
            "",
            "| inputs | raw MB | gzip MB |",
            "|---|---:|---:|",
            *(f"| {k} | {raw[k] / MB:.1f} | {gz[k] / MB:.1f} |" for k in sorted(raw)),
            "",
            "| table | rows | blocks (× block size) MB | alone MB | compression (share of "
            "segment rows) |",
            "|---|---:|---:|---:|---|",
            *(f"| {r['table']} | {r['rows']:,} | {int(str(r['block_bytes'])) / MB:.1f} | "
              f"{int(str(r['alone_bytes'])) / MB:.1f} | {r['compression']} |" for r in tables),
            "",
            "Keys checked: " + "; ".join(f"{t} ({', '.join(k)})"
                                         for t, k in REFERENCE_KEYS.items()) + ".",
            "",
        ]
        if args.police is not None:
            csvs = sorted(args.police.rglob("*.csv"))
            police_raw = sum(f.stat().st_size for f in csvs)
            police_gz = sum(gzip_size(f) for f in csvs)
            t0 = time.perf_counter()
            with open_store(store_path) as st:
                ingest(st, [args.police])
                counts = {t: int(st.con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0])
                          for t in ("events", "outcomes", "stop_search")}
            ingest_s = time.perf_counter() - t0
            whole = store_path.stat().st_size
            both = total_gz + police_gz
            lines += [
                "### The same store after ingesting police.uk files",
                "",
                f"{len(csvs)} CSV files, {police_raw / MB:.1f} MB, gzip {police_gz / MB:.1f} MB "
                f"({args.police}); ingested in {ingest_s:.1f} s: "
                + ", ".join(f"{t} {n:,}" for t, n in counts.items()) + " rows.",
                "",
                "| measure | value |",
                "|---|---|",
                f"| store file | {whole / MB:.1f} MB |",
                f"| gzip -6 of everything it holds (reference + police.uk) | {both / MB:.1f} MB |",
                f"| store / gzip | {whole / both:.2f}× (target ≤ 2×: "
                f"{'met' if whole <= 2 * both else 'not met'}) |",
                "",
            ]
        text = "\n".join(lines)
        print(text)
        if args.out:
            args.out.write_text(text, encoding="utf-8")
        if args.keep:
            shutil.copyfile(store_path, args.keep)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
