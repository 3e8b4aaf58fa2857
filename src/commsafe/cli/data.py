"""Commands for data in and what is loaded: ingest, reference, counts, status, fetch."""


from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from commsafe.cli._common import (
    AsbOnlyOpt,
    IncludeAsbOpt,
    OutFormat,
    QuietOpt,
    StatusFormat,
    StoreOpt,
    _progress,
    _store_path,
    _table,
    app,
    err,
    fetch_app,
    out,
    reference_app,
)
from commsafe.errors import CommsafeError
from commsafe.outputs.tables import csv_writer
from commsafe.periods import rolling_12

# --- ingest ---------------------------------------------------------------------------------

@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="police.uk CSV files, folders or .zip.")],
    store: StoreOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Load police.uk street, outcomes and stop-and-search files into the store.

    Folders are read recursively and zip archives member by member. A file already loaded is
    a duplicate and adds nothing; a different file for a force-month already loaded replaces
    it. Exit status 0 only when every file loaded (rejected rows are reported, not fatal).
    """
    from commsafe.store import open_store
    from commsafe.store.ingest import ingest as run_ingest

    with open_store(_store_path(store)) as st, _progress(quiet, "ingest") as bar:
        task = bar.add_task("", total=None) if bar else None

        def tick(path: str, done: int, total: int, rows: int) -> None:
            if bar is not None and task is not None:
                bar.update(task, completed=done, total=total,
                           description=f"{rows:,} rows · {Path(path).name}")

        try:
            result = run_ingest(st, paths, progress=tick)
        except KeyboardInterrupt:
            err.print("interrupted: the store holds every batch committed before the "
                      "interruption and nothing of the one being loaded.")
            raise typer.Exit(130) from None
        has_reference = st.scalar("SELECT count(*) FROM areas")
    if not quiet:
        _print_ingest(result)
        if not has_reference and any(r.kind == "street" and r.rows_loaded
                                     for r in result.loads):
            out.print("No reference data in this store: events are not resolved to areas "
                      "yet. Load lookups with 'commsafe reference load PATH' (events are "
                      "re-resolved then).")
    for f in result.failures:
        err.print(f"[red]error:[/red] {f.message}", soft_wrap=True)
    if not result.ok:
        raise typer.Exit(1)


def _print_ingest(result: Any) -> None:
    t = _table("Ingest", ["kind"], ["files", "read", "loaded", "rejected", "duplicate"])
    by_kind: dict[str, list[Any]] = {}
    for rec in result.loads:
        by_kind.setdefault(rec.kind, []).append(rec)
    for kind, recs in sorted(by_kind.items()):
        t.add_row(kind, f"{len(recs):,}", *(f"{sum(getattr(r, k) for r in recs):,}" for k in
                  ("rows_read", "rows_loaded", "rows_rejected", "rows_duplicate")))
    out.print(t)
    for rec in result.loads:
        if rec.status == "revised":
            out.print(f"[yellow]revised:[/yellow] {rec.path}: {rec.note}", soft_wrap=True)
    dups = [r for r in result.loads if r.status == "duplicate"]
    if dups:
        out.print(f"{len(dups)} file(s) were already loaded: nothing added from them.")
    reasons: dict[str, int] = {}
    for rec in result.loads:
        for rj in rec.rejects:
            reasons[rj.reason] = reasons.get(rj.reason, 0) + 1
    if reasons:
        out.print("Rejected rows by reason: " + ", ".join(
            f"{k} {v:,}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])
        ) + " (all of them: 'commsafe status' and the rejects table). For example:")
        shown = [rj for rec in result.loads for rj in rec.rejects][:3]
        for rj in shown:
            out.print(f"  {rj.detail}", soft_wrap=True)
    for s in result.skipped:
        out.print(f"[dim]skipped {s.path}: {s.reason}[/dim]", soft_wrap=True)


# --- reference ------------------------------------------------------------------------------

@reference_app.command("load")
def reference_load(
    paths: Annotated[list[Path], typer.Argument(help="Lookup CSVs, boundary GeoJSON, "
                                                     "population CSVs, or folders of them.")],
    year: Annotated[int | None, typer.Option(help="Population year, when the file name "
                                                  "does not say.")] = None,
    store: StoreOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Load ONS lookups, boundaries and population; then re-resolve every event to areas.

    Files are recognised by their header (or GeoJSON properties), not their names.
    """
    from commsafe.reference import load_reference
    from commsafe.reference.resolve import resolve_events
    from commsafe.store import open_store

    with open_store(_store_path(store)) as st, _progress(quiet, "reference") as bar:
        task = bar.add_task("", total=None) if bar else None

        def tick(path: str, done: int, total: int) -> None:
            if bar is not None and task is not None:
                bar.update(task, completed=done, total=total, description=Path(path).name)

        records = load_reference(st, paths, year=year, progress=tick)
        with st.transaction() as con:
            methods = resolve_events(con)
    if quiet:
        return
    t = _table("Reference data", ["file", "kind", "status"], ["read", "loaded", "rejected"])
    for r in records:
        t.add_row(Path(r.path).name, r.kind.removeprefix("reference:"), r.status,
                  f"{r.rows_read:,}", f"{r.rows_loaded:,}", f"{r.rows_rejected:,}")
    out.print(t)
    if methods:
        total = sum(methods.values())
        out.print("Events re-resolved to areas: " + ", ".join(
            f"{k} {v:,} ({100 * v / total:.1f}%)" for k, v in sorted(methods.items())))


# --- counts ---------------------------------------------------------------------------------

@app.command()
def counts(
    by: Annotated[str, typer.Option(help="Comma-separated dimensions: month, financial_year, "
                                         "quarter, calendar_year, category, force, lsoa, "
                                         "lsoa11, ward, district, csp, pfa.")],
    where: Annotated[str | None, typer.Option(help="SQL condition, e.g. "
                                                   "\"force='cambridgeshire'\".")] = None,
    include_asb: IncludeAsbOpt = False,
    asb_only: AsbOnlyOpt = False,
    fmt: Annotated[OutFormat, typer.Option("--format", help="Output format.")] = OutFormat.table,
    names: Annotated[bool | None, typer.Option(
        "--names/--no-names", help="Add <dim>_name after each area dimension (default: on for "
                                   "table, off for csv and json).", show_default=False)] = None,
    store: StoreOpt = None,
) -> None:
    """Count events by dimensions. Columns: the dimensions as named, then `count`.

    Crime only by default (ASB is never crime). Area dimensions are resolved codes; events
    that resolved nowhere are counted with an empty area.
    """
    from commsafe.measures.counts import AREA_TYPES, count_events
    from commsafe.measures.rates import level_missing
    from commsafe.store import open_store

    dims = [d.strip() for d in by.split(",") if d.strip()]
    with open_store(_store_path(store), read_only=True) as st:
        table = count_events(st, dims, where=where, include_asb=include_asb, asb_only=asb_only,
                             names=(fmt is OutFormat.table) if names is None else names)
        # an area level nothing is placed in: say why every row is unknown, on stderr
        missing = [(d, why) for d in dims if d in AREA_TYPES
                   and (why := level_missing(st, d)) is not None]
    for d, why in missing:
        empty = "(unknown)" if fmt is OutFormat.table else "empty"
        err.print(f"[dim]note:[/dim] --by {d}: every event's {d} is {empty} because {why}",
                  soft_wrap=True)
    _emit(table.to_pylist(), table.column_names, fmt, title="Counts")


def _emit(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: OutFormat,
          title: str) -> None:
    if fmt is OutFormat.csv:
        w = csv_writer(sys.stdout)  # text that a spreadsheet would run is escaped
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if r[c] is None else r[c] for c in columns])
    elif fmt is OutFormat.json:
        sys.stdout.write(json.dumps(list(rows), default=str, indent=1) + "\n")
    else:
        t = Table(title=title, title_justify="left")
        for c in columns:
            t.add_column(c, justify="right" if c == "count" else "left")
        for r in rows:
            t.add_row(*("(unknown)" if r[c] is None else
                        f"{r[c]:,}" if isinstance(r[c], int) else str(r[c]) for c in columns))
        out.print(t)


# --- status ---------------------------------------------------------------------------------

@app.command()
def status(
    fmt: Annotated[StatusFormat, typer.Option("--format", help="Output format.")] =
    StatusFormat.table,
    store: StoreOpt = None,
) -> None:
    """What is loaded and how good it is.

    Force × month coverage (missing months flagged), rows without location, LSOA vintage
    mix, unresolved share, rows outside the force's area, rejects, repeated Crime IDs."""
    from commsafe.store import open_store
    from commsafe.store.status import store_status

    with open_store(_store_path(store), read_only=True) as st:
        report = store_status(st)
    if fmt is StatusFormat.json:
        sys.stdout.write(json.dumps(report, default=str, indent=1) + "\n")
        return
    _print_status(report)


def _compact(n: int) -> str:
    return f"{n:,}" if n < 1000 else f"{n / 1000:.1f}k"


def _print_status(rep: dict[str, Any]) -> None:
    tot = rep["totals"]
    out.print(f"[bold]Store[/bold] {rep['store']} (schema {rep['schema_version']}): "
              f"{tot['events']:,} street events ({tot['asb']:,} ASB), "
              f"{tot['outcomes']:,} outcomes, {tot['stop_search']:,} stop and search")
    missing = {(g["force"], g["kind"]): set(g["missing_months"]) for g in rep["missing_months"]}
    for kind, rows in rep["coverage"].items():
        if not rows:
            continue
        t = Table(title=f"Coverage: {kind.replace('_', ' ')} rows per force × month "
                        "(— missing)", title_justify="left", box=box.SIMPLE_HEAD,
                  padding=(0, 1), pad_edge=False)
        t.add_column("force", no_wrap=True)
        t.add_column("year", no_wrap=True)
        for name in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                     "Nov", "Dec"):
            t.add_column(name, justify="right", no_wrap=True)
        grid: dict[tuple[str, str], dict[int, int]] = {}
        for r in rows:
            grid.setdefault((r["force"], r["month"][:4]), {})[int(r["month"][5:])] = r["rows"]
        for (force, year), months in sorted(grid.items()):
            gaps = missing.get((force, kind), set())
            cells = []
            for m in range(1, 13):
                label = f"{year}-{m:02d}"
                if m in months:
                    cells.append(_compact(months[m]))
                elif label in gaps:
                    cells.append("[red]—[/red]")
                else:
                    cells.append("")
            t.add_row(force, year, *cells)
        out.print(t)
    for g in rep["missing_months"]:
        out.print(f"[red]missing:[/red] {g['force']} {g['kind'].replace('_', ' ')} has no "
                  f"rows for {', '.join(g['missing_ranges'])}", soft_wrap=True)
    t = _table("Street rows without location, and unresolved, per force × month",
               ["force", "month"], ["rows", "no location", "%", "ASB", "unresolved"])
    for r in rep["location"]:
        t.add_row(r["force"], r["month"], f"{r['rows']:,}", f"{r['no_location']:,}",
                  f"{r['no_location_pct']:.1f}", f"{r['asb_rows']:,}", f"{r['unresolved']:,}")
    out.print(t)
    t = _table("Area resolution per force", ["force"],
               ["events", "unresolved", "%", "no district", "no CSP", "LSOA 2011", "LSOA 2021"])
    vint: dict[str, list[int]] = {}
    for r in rep["lsoa_vintages"]:
        v = vint.setdefault(r["force"], [0, 0])
        v[0] += r["lsoa_2011"]
        v[1] += r["lsoa_2021"]
    for r in rep["unresolved"]:
        v = vint.get(r["force"], [0, 0])
        t.add_row(r["force"], f"{r['events']:,}", f"{r['unresolved']:,}",
                  f"{r['unresolved_pct']:.2f}", f"{r['no_district']:,}", f"{r['no_csp']:,}",
                  f"{v[0]:,}", f"{v[1]:,}")
    out.print(t)
    methods = ", ".join(f"{r['force']} {r['resolution']} {r['events']:,} ({r['pct']}%)"
                        for r in rep["resolution"])
    if methods:
        out.print(f"Resolution methods: {methods}", soft_wrap=True)
    for r in rep["outside_force_area"]:
        out.print(f"{r['force']}: {r['outside']:,} located rows ({r['outside_pct']}%) lie outside "
                  f"its own force area ({r['home_pfa_name'] or r['home_pfa']}): 'Falls within' "
                  "is not 'inside'. Filter by area, not by force, for a partnership's figures.",
                  soft_wrap=True)
    for r in rep["repeated_crime_ids"]:
        out.print(f"{r['force']}: {r['crime_ids']:,} Crime IDs stand on more than one row "
                  f"({r['rows']:,} rows, up to {r['max_rows_per_id']} per ID); all rows kept.")
    if rep["rejects"]:
        t = _table("Rejected rows by reason", ["kind", "reason"], ["rows"], ["example"])
        for r in rep["rejects"]:
            t.add_row(r["kind"], r["reason"], f"{r['rows']:,}", r["example"])
        out.print(t)
    else:
        out.print("No rejected rows.")
    t = _table("Loads", ["kind", "status"],
               ["files", "read", "loaded", "rejected", "duplicate"])
    for r in rep["loads"]:
        t.add_row(r["kind"], r["status"], f"{r['files']:,}", f"{r['rows_read']:,}",
                  f"{r['rows_loaded']:,}", f"{r['rows_rejected']:,}", f"{r['rows_duplicate']:,}")
    out.print(t)
    if rep["reference"]:
        out.print("Reference: " + "; ".join(f"{r['what']} {r['type']} {r['rows']:,}"
                                            for r in rep["reference"]), soft_wrap=True)
    else:
        out.print("No reference data loaded: events cannot be resolved to areas. "
                  "Load lookups with 'commsafe reference load PATH'.")


# --- partner data -------------------------------------------------------------------------

sample_app = typer.Typer(help="Write example data (synthetic, for demos, tests and templates).",
                         no_args_is_help=True)
app.add_typer(sample_app, name="sample")


@app.command()
def load(
    data: Annotated[Path, typer.Argument(help="A partner CSV or XLSX file.")],
    mapping: Annotated[Path, typer.Option(
        help="Its mapping file (TOML): kind, dataset name, which column is which field.")],
    store: StoreOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Load a partner dataset (police extract, ED assaults, needle finds, …) through its
    declared mapping. Every row is loaded, rejected with a reason, or a duplicate; personal
    columns named in the mapping are never stored. See docs/datasets.md."""
    from commsafe.sources.mapped import load_dataset
    from commsafe.store import open_store

    with open_store(_store_path(store)) as st:
        rec = load_dataset(st, data, mapping)
    if quiet:
        return
    t = _table("Partner data", ["file", "kind", "status"],
               ["read", "loaded", "rejected", "duplicate"])
    t.add_row(data.name, rec.kind.removeprefix("partner:"), rec.status, f"{rec.rows_read:,}",
              f"{rec.rows_loaded:,}", f"{rec.rows_rejected:,}", f"{rec.rows_duplicate:,}")
    out.print(t)
    if rec.note:
        out.print(rec.note, soft_wrap=True)
    for rj in rec.rejects[:3]:
        out.print(f"  {rj.detail}", soft_wrap=True)


@sample_app.command("partner-data")
def sample_partner_data(
    area: Annotated[str, typer.Option(
        help="A CSP or district (code or name) from the loaded reference data.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write into.")] =
    Path("partner-samples"),
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 0,
    level: Annotated[str | None, typer.Option(
        "--level", help="csp or district, when a name is shared.")] = None,
    store: StoreOpt = None,
) -> None:
    """Write realistic SYNTHETIC datasets of every partner kind for a real area (its LSOAs,
    wards and population), each with its mapping file: for demos, tests and as templates."""
    from commsafe.reference.areas import find_area
    from commsafe.sources.synthetic import write_partner_samples
    from commsafe.store import open_store

    with open_store(_store_path(store), read_only=True) as st:
        found = find_area(st.con, area, level)
        if found.level not in ("csp", "district"):
            raise CommsafeError(f"--area {area!r} is a {found.level}; give a CSP or district.")
        paths = write_partner_samples(st.con, out_dir, area_code=found.code, seed=seed)
    out.print(f"{len(paths)} files written to {out_dir} for {found.name} (synthetic; seed "
              f"{seed}). Load one with: commsafe load {out_dir}/SYNTHETIC_ed_assaults.csv "
              f"--mapping {out_dir}/SYNTHETIC_ed_assaults.toml")


# --- init --------------------------------------------------------------------------------

@app.command()
def init(
    csp: Annotated[str, typer.Option("--csp", help="The partnership: a CSP (or district) "
                                                   "name or code.")],
    data: Annotated[list[Path], typer.Option(help="police.uk data folders or files; repeat.")],
    reference: Annotated[list[Path] | None, typer.Option(
        help="Reference data folders or files (lookups, boundaries, population); repeat.")] =
    None,
    dataset: Annotated[list[str] | None, typer.Option(
        help="A partner data set: DATA=MAPPING, or DATA alone when its mapping is DATA with a "
             ".toml suffix; repeat.")] = None,
    out_dir: Annotated[Path, typer.Option("--dir", help="Folder for commsafe.toml.")] =
    Path("."),
    period: Annotated[str | None, typer.Option(
        help="The period assessed, e.g. 2024/25 (default: the last complete financial "
             "year).")] = None,
    store: StoreOpt = None,
) -> None:
    """Write a commented commsafe.toml for a partnership that builds straight away, with two
    starting priorities chosen from the data (announced). The data and reference files named
    are loaded into the store first (only what is new)."""
    from commsafe.errors import ReferenceDataError
    from commsafe.measures.counts import count_events, events_view_sql
    from commsafe.reference.areas import find_area
    from commsafe.spec import init_spec
    from commsafe.store import open_store

    pairs = []
    for item in dataset or []:
        data_text, _, mapping_text = item.partition("=")
        data_file = Path(data_text)
        mapping_file = Path(mapping_text) if mapping_text else data_file.with_suffix(".toml")
        for f, what in ((data_file, "data file"), (mapping_file, "mapping file")):
            if not f.is_file():
                raise CommsafeError(f"--dataset {item!r}: the {what} {f} does not exist. Give "
                                    "DATA=MAPPING, or DATA with its mapping beside it as "
                                    "DATA.toml.")
        pairs.append((data_file, mapping_file))
    name, code, counts = csp, csp, {}
    path = _store_path(store)
    with open_store(path) as st:  # load what is new, so priorities come from the data
        from commsafe.store.ingest import ingest as run_ingest

        if reference:
            from commsafe.reference.loader import load_reference

            load_reference(st, list(reference))
        result = run_ingest(st, list(data))
        new = sum(r.rows_loaded for r in result.loads if r.status in ("loaded", "revised"))
        if new:
            err.print(f"[dim]note:[/dim] loaded {new:,} new police.uk rows into {path}",
                      soft_wrap=True)
        for failure in result.failures[:3]:
            err.print(f"[yellow]warning:[/yellow] {failure.path}: {failure.message}",
                      soft_wrap=True)
    if path.exists():
        with open_store(path, read_only=True) as st:
            try:
                area = find_area(st.con, csp, None)
                name, code = area.name or csp, area.code
                scope = f"{area.level} = '{area.code}'"
            except ReferenceDataError:
                err.print(f"[dim]note:[/dim] {csp!r} is not in the reference data loaded: "
                          "recorded as given, and priorities chosen from all the events in "
                          "the store", soft_wrap=True)
                scope = "TRUE"
            table = count_events(st, ["category"], where=scope, include_asb=True)
            counts = {r["category"]: int(r["count"]) for r in table.to_pylist()}
            last = st.scalar(f"SELECT max(month_start) FROM ({events_view_sql()}) v "
                             f"WHERE {scope}")
        if period is None and last is not None:
            period = f"{last:%Y-%m}"  # the 12 months to the latest month with data
            err.print(f"[dim]note:[/dim] period not given: assessing "
                      f"{rolling_12(period).name}, the 12 months to the latest month with "
                      "data", soft_wrap=True)
    written, notes = init_spec(out_dir, partnership_name=name, area=code, police_uk=data,
                               reference=reference or [], datasets=pairs, period=period,
                               category_counts=counts or None)
    for note in notes:
        err.print(f"[dim]note:[/dim] {note}", soft_wrap=True)
    out.print(f"wrote {written}: edit its priorities, targets and register paths.")


# --- fetch ----------------------------------------------------------------------------------

@fetch_app.command("police-uk")
def fetch_police_uk(
    force: Annotated[str, typer.Option(help="Force name or slug, e.g. cambridgeshire.")],
    start: Annotated[str, typer.Option("--from", help="First month, YYYY-MM.")],
    end: Annotated[str, typer.Option("--to", help="Last month, YYYY-MM.")],
    dest: Annotated[Path, typer.Option(help="Folder to write YYYY-MM/ files into.")] =
    Path("police-uk"),
    base_url: Annotated[str, typer.Option(help="Archive location.")] =
    "https://data.police.uk/data/archive/",
    quiet: QuietOpt = False,
) -> None:
    """Download monthly archives from data.police.uk and extract one force's months."""
    from commsafe.sources.fetch import fetch_police_uk as run

    files = run(force, start, end, dest, base_url=base_url)
    if not quiet:
        out.print(f"{len(files)} file(s) written under {dest}. Next: commsafe ingest {dest}")


@fetch_app.command("sample")
def fetch_sample(
    dest: Annotated[Path, typer.Option(help="Cache folder for the sample.")] =
    Path(".commsafe-cache/sample"),
    quiet: QuietOpt = False,
) -> None:
    """Obtain real sample data from the package index (West Yorkshire police.uk street files,
    Census 2011 population, LSOA lookups and 2011 LSOA boundaries)."""
    from commsafe.sources.fetch import fetch_sample as run

    paths = run(dest)
    if not quiet:
        out.print(f"Sample data in {dest}: police.uk files in {paths.police_uk}, "
                  f"reference files in {paths.reference} ({len(paths.files)} files).")


