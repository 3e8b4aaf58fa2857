"""The `commsafe` command line: thin commands over the modules.

Errors raised on purpose (:class:`commsafe.errors.CommsafeError`) are printed as one clear
message and exit with status 2; they never show a traceback.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from commsafe import __version__
from commsafe.errors import CommsafeError

__all__ = ["app", "main"]

app = typer.Typer(
    name="commsafe",
    help="Community safety strategic assessments from police.uk and partner data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
reference_app = typer.Typer(help="Load geography lookups, boundaries and population.",
                            no_args_is_help=True)
fetch_app = typer.Typer(help="Download police.uk data or the real sample data.",
                        no_args_is_help=True)
table_app = typer.Typer(help="Measure tables: performance, rates per 1,000.",
                        no_args_is_help=True)
app.add_typer(reference_app, name="reference")
app.add_typer(fetch_app, name="fetch")
chart_app = typer.Typer(help="Charts (PNG and SVG) in the house style.", no_args_is_help=True)
map_app = typer.Typer(help="Static maps (PNG and SVG) for the document.", no_args_is_help=True)
app.add_typer(table_app, name="table")
app.add_typer(chart_app, name="chart")
app.add_typer(map_app, name="map")

# Piped or captured output is not squeezed to 80 columns: tables stay readable in logs.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 140)

StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", envvar="COMMSAFE_STORE",
                 help="The DuckDB store file (default ./commsafe.duckdb).", show_default=False),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or summaries.")]
CategoryOpt = Annotated[list[str] | None, typer.Option(
    help="police.uk crime type(s); repeat for several (default: all crime).")]
IncludeAsbOpt = Annotated[bool, typer.Option("--include-asb", help="Count ASB beside crime.")]
AsbOnlyOpt = Annotated[bool, typer.Option("--asb-only", help="Count ASB only.")]


class OutFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class TableFormat(StrEnum):
    table = "table"
    csv = "csv"
    md = "md"
    xlsx = "xlsx"


class StatusFormat(StrEnum):
    table = "table"
    json = "json"


def _store_path(store: Path | None) -> Path:
    from commsafe.store import default_store_path

    return store if store is not None else default_store_path()


@contextmanager
def _progress(quiet: bool, label: str) -> Iterator[Any]:
    if quiet or not err.is_terminal:  # no bars in logs and pipes
        yield None
        return
    progress = Progress(
        TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.description}"), console=err, transient=True,
    )
    with progress:
        yield progress


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Show the version.")] = False,
) -> None:
    if version:
        out.print(f"commsafe {__version__}")
        raise typer.Exit()


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

        def tick(path: str, done: int, total: int) -> None:
            if bar is not None and task is not None:
                bar.update(task, completed=done, total=total, description=Path(path).name)

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


def _table(title: str, left: Sequence[str], right: Sequence[str],
           after: Sequence[str] = ()) -> Table:
    """A titled table: text columns ``left``, figures ``right``, then text ``after``."""
    t = Table(title=title, title_justify="left")
    for c in left:
        t.add_column(c)
    for c in right:
        t.add_column(c, justify="right")
    for c in after:
        t.add_column(c)
    return t


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
                                         "quarter, calendar_year, category, force, lsoa, ward, "
                                         "district, csp, pfa.")],
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
    from commsafe.measures.counts import count_events
    from commsafe.store import open_store

    dims = [d.strip() for d in by.split(",") if d.strip()]
    with open_store(_store_path(store), read_only=True) as st:
        table = count_events(st, dims, where=where, include_asb=include_asb, asb_only=asb_only,
                             names=(fmt is OutFormat.table) if names is None else names)
    _emit(table.to_pylist(), table.column_names, fmt, title="Counts")


def _emit(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: OutFormat,
          title: str) -> None:
    if fmt is OutFormat.csv:
        w = csv.writer(sys.stdout, lineterminator="\n")
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
    """What is loaded and how good it is: force × month coverage (missing months flagged),
    rows without location, LSOA vintage mix, unresolved share, rejects, repeated Crime IDs."""
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


# --- table ---------------------------------------------------------------------------------

AreaOpt = Annotated[str | None, typer.Option(
    "--area", help="Limit to one area: an ONS code or a name (e.g. Cambridge).")]
LevelOpt = Annotated[str | None, typer.Option(
    "--level", help="Level of --area when a name is shared: csp, district, ward, lsoa, pfa.")]
WhereOpt = Annotated[str | None, typer.Option(
    help="SQL condition over the count dimensions, as for 'commsafe counts'.")]
FormatOpt = Annotated[TableFormat, typer.Option("--format", help="Output format.")]
OutOpt = Annotated[Path | None, typer.Option(
    "--out", help="Write to this file (needed for xlsx; csv and md go to standard output "
                  "otherwise).")]


def _write_table(frame: Any, fmt: TableFormat, out_path: Path | None, title: str) -> None:
    from commsafe.outputs.tables import (
        format_cell,
        mark_missing_rates,
        to_csv,
        to_markdown,
        to_xlsx,
    )

    notes = list(frame.attrs.get("notes", []))
    attrs = dict(frame.attrs)
    frame = mark_missing_rates(frame)
    frame.attrs.update(attrs)
    if fmt is TableFormat.xlsx:
        if out_path is None:
            raise CommsafeError("--format xlsx needs --out FILE.xlsx (a workbook cannot go to "
                                "the terminal).")
        to_xlsx(frame, out_path, title=title, notes=notes)
        out.print(f"wrote {out_path}")
    elif fmt in (TableFormat.csv, TableFormat.md):
        text = to_csv(frame) if fmt is TableFormat.csv else to_markdown(frame, title=title,
                                                                         notes=notes)
        if out_path is not None:
            out_path.write_text(text, encoding="utf-8")
            out.print(f"wrote {out_path}")
        else:
            sys.stdout.write(text)
    else:
        cols = list(frame.columns)
        t = _table(title, cols[:1], cols[1:])
        levels = frame.attrs.get("levels")
        flagged = set(frame.attrs.get("not_in_hierarchy", []))
        for i, row in enumerate(frame.itertuples(index=False)):
            cells = [format_cell(c, v, display=True) for c, v in zip(cols, row, strict=True)]
            if levels is not None:
                cells[0] = "  " * levels[i] + cells[0]
            if cells[0].strip() in flagged:
                cells[0] += " †"
            t.add_row(*cells)
        out.print(t)
    for n in notes:  # on standard error: a CSV on standard output stays clean
        err.print(f"[dim]note:[/dim] {n}", soft_wrap=True)


def _within(st: Any, area: str | None, level: str | None) -> Any:
    from commsafe.reference.areas import find_area

    return find_area(st.con, area, level) if area else None


@table_app.command("performance")
def table_performance(
    counts_file: Annotated[Path | None, typer.Option(
        "--counts", help="An aggregated counts file (CSV/XLSX: category, period, count "
                         "[, area]) instead of the store.")] = None,
    periods_text: Annotated[str | None, typer.Option(
        "--periods", help="Periods to show, e.g. 2013/14:2018/19 or 2024 Q1:2024 Q4.")] = None,
    compare: Annotated[str | None, typer.Option(
        help="Two periods to compare, base first: 2017/18,2018/19.")] = None,
    average: Annotated[str | None, typer.Option(
        help="Periods to average, e.g. 2013/14:2017/18 (those with data).")] = None,
    min_base: Annotated[int | None, typer.Option(
        "--min-base", help="'No calc' below this base (default 5).")] = None,
    period_kind: Annotated[str, typer.Option(
        "--period-kind", help="From the store: financial_year, calendar_year, quarter, "
                              "financial_quarter, academic_year.")] = "financial_year",
    area: AreaOpt = None,
    level: LevelOpt = None,
    where: WhereOpt = None,
    include_asb: Annotated[bool, typer.Option(
        "--include-asb", help="Add an ASB row (never part of All crime).")] = False,
    harm_weights: Annotated[Path | None, typer.Option(
        "--harm-weights", help="A weights CSV (category or ho_code, weight): adds harm "
                               "columns beside the counts.")] = None,
    fmt: FormatOpt = TableFormat.table,
    out_path: OutOpt = None,
    store: StoreOpt = None,
) -> None:
    """The performance table: counts by crime type and period, the average of earlier
    periods, the change, % change ('No calc' below --min-base) and an exact test of whether
    the change is more than chance. CSV columns: category, one per period, average, change,
    pct_change, p_value, significant."""
    from commsafe.measures.harm import load_weights
    from commsafe.measures.performance import performance_table, spec_from_text
    from commsafe.sources.counts import read_counts

    harm = load_weights(harm_weights) if harm_weights is not None else None
    if counts_file is not None:
        table = read_counts(counts_file)
        spec = spec_from_text(periods_text, compare, average, min_base, table.period_kind)
        frame = performance_table(counts=table, spec=spec, area=area, harm=harm)
        title = f"Performance table: {counts_file.name}"
    else:
        from commsafe.store import open_store

        spec = spec_from_text(periods_text, compare, average, min_base, period_kind)
        with open_store(_store_path(store), read_only=True) as st:
            within = _within(st, area, level)
            cond = [f"{within.level} = '{within.code}'"] if within else []
            if where:
                cond.append(f"({where})")
            frame = performance_table(store=st, spec=spec, kind=period_kind,
                                      where=" AND ".join(cond) or None,
                                      include_asb=include_asb, harm=harm)
        title = "Performance table" + (f": {within.name}" if within else "")
    _write_table(frame, fmt, out_path, title)


@table_app.command("rates")
def table_rates(
    by: Annotated[str, typer.Option(help="Area level: ward, lsoa, district, csp, pfa.")],
    period: Annotated[str, typer.Option(
        help="One period: 2024/25, 2024, 2024 Q1, 12 months to 2024-12 …")],
    category: CategoryOpt = None,
    area: AreaOpt = None,
    level: LevelOpt = None,
    where: WhereOpt = None,
    include_asb: IncludeAsbOpt = False,
    asb_only: AsbOnlyOpt = False,
    harm_weights: Annotated[Path | None, typer.Option(
        "--harm-weights", help="A weights CSV: adds harm and harm per 1,000.")] = None,
    fmt: FormatOpt = TableFormat.table,
    out_path: OutOpt = None,
    store: StoreOpt = None,
) -> None:
    """Counts and rates per 1,000 residents by area with 95% confidence intervals (exact
    Poisson). CSV columns: area_code, area_name, count, population, rate_per_1000,
    rate_ci_low, rate_ci_high, share, rank."""
    from commsafe import periods as _periods
    from commsafe.measures.harm import load_weights
    from commsafe.measures.rates import rates_table
    from commsafe.store import open_store

    chosen = _periods.parse_period_range(period)
    if len(chosen) != 1:
        raise CommsafeError(f"--period {period!r}: give one period, e.g. 2024/25.")
    with open_store(_store_path(store), read_only=True) as st:
        within = _within(st, area, level)
        frame = rates_table(st, by, period=chosen[0], categories=category, within=within,
                            where=where, include_asb=include_asb, asb_only=asb_only,
                            harm=load_weights(harm_weights) if harm_weights else None)
    what = ", ".join(category) if category else ("ASB" if asb_only else "all crime")
    title = (f"Rates per 1,000 by {by}: {what}, {chosen[0].label}"
             + (f", {within.name}" if within else ""))
    _write_table(frame, fmt, out_path, title)


@table_app.command("areas")
def table_areas(
    by: Annotated[str, typer.Option(help="Area level: ward, lsoa, district, csp, pfa.")],
    period: Annotated[str | None, typer.Option(
        help="One period for counts and rates: 2024/25, 2024, 2024 Q1 …")] = None,
    years: Annotated[str | None, typer.Option(
        help="Annual average over these years instead, e.g. 2019:2024 or 2021/22:2024/25.")] =
    None,
    compare: Annotated[str | None, typer.Option(
        help="Change per area between two periods, base first: 2024 Q1,2024 Q2.")] = None,
    top_locations: Annotated[int, typer.Option(
        "--top-locations", help="Also list the N street locations with most events.")] = 0,
    category: CategoryOpt = None,
    area: AreaOpt = None,
    level: LevelOpt = None,
    where: WhereOpt = None,
    include_asb: IncludeAsbOpt = False,
    asb_only: AsbOnlyOpt = False,
    fmt: FormatOpt = TableFormat.table,
    out_path: OutOpt = None,
    store: StoreOpt = None,
) -> None:
    """Where: counts, rates per 1,000 (95% CI), share and rank by area for one --period (CSV
    columns: area_code, area_name, count, population, rate_per_1000, rate_ci_low,
    rate_ci_high, share, rank); or the annual average over --years with the sentence naming
    the highest areas; or the change per area between two periods with its significance
    (--compare). Every table says what share of events has no location."""
    from commsafe import periods as _periods
    from commsafe.findings import subject_for, top_areas_sentence
    from commsafe.measures.areas import (
        annual_average_by_area,
        change_by_area,
        data_quality,
    )
    from commsafe.measures.areas import top_locations as top_locations_table
    from commsafe.measures.rates import rates_table
    from commsafe.store import open_store

    modes = [x for x in (period, years, compare) if x]
    if len(modes) != 1:
        raise CommsafeError("give exactly one of --period (counts and rates), --years "
                            "(annual average) or --compare (change per area).")
    plural, _ = subject_for(category, asb_only=asb_only)
    with open_store(_store_path(store), read_only=True) as st:
        within = _within(st, area, level)
        place = f", {within.name}" if within else ""
        filters = dict(categories=category, within=within, where=where,
                       include_asb=include_asb, asb_only=asb_only)
        sentence = None
        if period:
            chosen = _periods.parse_period_range(period)
            if len(chosen) != 1:
                raise CommsafeError(f"--period {period!r}: give one period, e.g. 2024.")
            quality_period = chosen[0]
            frame = rates_table(st, by, period=chosen[0], **filters)  # type: ignore[arg-type]
            title = f"{plural.capitalize()} by {by}{place}, {chosen[0].label}"
        elif years:
            chosen = _periods.parse_period_range(years)
            quality_period = chosen[-1]
            frame = annual_average_by_area(st, by, years=chosen, **filters)  # type: ignore[arg-type]
            title = (f"{plural.capitalize()}: annual average by {by}{place}, "
                     f"{chosen[0].label} to {chosen[-1].label}")
            sentence = top_areas_sentence(frame, subject=plural, level=by)
        else:
            assert compare is not None
            pair = [p.strip() for p in compare.split(",")]
            if len(pair) != 2:
                raise CommsafeError(f"--compare {compare!r}: give two periods, base first.")
            before, after = (_periods.parse_period_range(x)[0] for x in pair)
            quality_period = after
            frame = change_by_area(st, by, before=before, after=after, **filters)  # type: ignore[arg-type]
            title = f"{plural.capitalize()}: change by {by}{place}, {before.label} to {after.label}"
        quality = data_quality(st, period=quality_period, categories=category, within=within,
                               include_asb=include_asb, asb_only=asb_only)
        locations = (top_locations_table(st, period=quality_period, n=top_locations,
                                         **filters)  # type: ignore[arg-type]
                     if top_locations else None)
    frame.attrs.setdefault("notes", []).append(quality.text)
    _write_table(frame, fmt, out_path, title)
    if sentence:
        out.print(sentence, soft_wrap=True)
    if locations is not None:
        loc_out = (None if out_path is None else
                   out_path.with_name(out_path.stem + "_locations" + out_path.suffix))
        _write_table(locations, fmt, loc_out, f"Top street locations, {quality_period.label}")


@table_app.command("vulnerable")
def table_vulnerable(
    by: Annotated[str, typer.Option(help="Area level: ward, lsoa, district.")],
    period: Annotated[str, typer.Option(help="The period: 2024, 2024/25, 2024 H1 …")],
    layer: Annotated[list[str], typer.Option(
        help="A source layer: a police.uk crime type or 'ASB'; repeat (at least two).")],
    weight: Annotated[list[str] | None, typer.Option(
        help="LAYER=WEIGHT for the composite score; repeat (default: equal weights).")] =
    None,
    rates: Annotated[bool, typer.Option(
        "--rates/--counts", help="Standardise rates per 1,000 (default) or counts.")] = True,
    min_layers: Annotated[int, typer.Option(
        "--min-layers", help="Flag areas in the top decile of at least this many layers.")] =
    2,
    area: AreaOpt = None,
    level: LevelOpt = None,
    fmt: FormatOpt = TableFormat.table,
    out_path: OutOpt = None,
    store: StoreOpt = None,
) -> None:
    """Vulnerable locations: areas ranked on several sources at once (each layer's count and
    standardised score, a weighted composite), flagged when in the top decile of several."""
    from commsafe import periods as _periods
    from commsafe.measures.areas import area_names
    from commsafe.reference.areas import area_population
    from commsafe.spatial.vulnerable import layers_from_store, vulnerable_locations
    from commsafe.store import open_store

    chosen = _periods.span(period)
    spec: dict[str, dict[str, Any]] = {}
    for name in layer:
        if name.strip().lower() in ("asb", "anti-social behaviour"):
            spec["ASB"] = {"asb_only": True}
        else:
            spec[name] = {"categories": [name]}
    weights: dict[str, float] | None = None
    if weight:
        weights = {}
        for item in weight:
            key, sep, val = item.partition("=")
            try:
                weights[key.strip()] = float(val)
            except ValueError:
                raise CommsafeError(f"--weight {item!r}: give LAYER=NUMBER, e.g. "
                                    "--weight ASB=2.") from None
            if not sep:
                raise CommsafeError(f"--weight {item!r}: give LAYER=NUMBER.")
    with open_store(_store_path(store), read_only=True) as st:
        within = _within(st, area, level)
        layers = layers_from_store(st, by, chosen, spec, within=within)
        names = area_names(st, by)
        pop = area_population(st.con, by, chosen.start.year) if rates else None
    population = (dict(zip(pop.frame["area_code"], pop.frame["population"], strict=True))
                  if pop is not None else None)
    frame = vulnerable_locations(layers, weights=weights, names=names, population=population,
                                 min_layers=min_layers)
    if pop is not None and pop.note:
        frame.attrs.setdefault("notes", []).append(pop.note)
    place = f", {within.name}" if within else ""
    _write_table(frame, fmt, out_path, f"Vulnerable locations by {by}{place}, {chosen.label}")


@table_app.command("crosstab")
def table_crosstab(
    records: Annotated[Path, typer.Argument(help="A CSV of records (one row each).")],
    rows: Annotated[str, typer.Option(help="Column for the table's rows.")],
    columns: Annotated[str, typer.Option(help="Column for the table's columns.")],
    value: Annotated[str | None, typer.Option(
        help="Column of counts to sum (default: count the records).")] = None,
    counts_too: Annotated[bool, typer.Option(
        "--counts", help="Show the counts table as well as the shares.")] = False,
    fmt: FormatOpt = TableFormat.table,
    out_path: OutOpt = None,
) -> None:
    """Rows × columns as shares of the grand total, with totals (each total rounded from its
    own exact share; a share that rounds to 0% but is not nothing shows '<1%')."""
    import pandas as pd

    from commsafe.measures.crosstab import crosstab_shares

    if not records.is_file():
        raise CommsafeError(f"{records}: no such file. Check the path.")
    try:
        frame = pd.read_csv(records, dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise CommsafeError(f"{records}: cannot be read as UTF-8 CSV ({exc}). Save it as "
                            "UTF-8 CSV.") from None
    table = crosstab_shares(frame, rows, columns, value)
    shares = table.display_shares().reset_index()
    shares.columns = [str(c) for c in shares.columns]
    _write_table(shares, fmt, out_path, f"{rows} × {columns}: share of all {len(frame):,}")
    if counts_too:
        counts = table.counts.reset_index()
        counts.columns = [str(c) for c in counts.columns]
        _write_table(counts, fmt, None if out_path is None else
                     out_path.with_name(out_path.stem + "_counts" + out_path.suffix),
                     f"{rows} × {columns}: counts")


# --- chart ---------------------------------------------------------------------------------

def _chart_scope(st: Any, area: str | None, level: str | None,
                 where: str | None) -> tuple[Any, str | None]:
    within = _within(st, area, level)
    cond = [f"{within.level} = '{within.code}'"] if within else []
    if where:
        cond.append(f"({where})")
    return within, " AND ".join(cond) or None


def _source_line(st: Any, where: str | None) -> str:
    from commsafe.measures.counts import events_view_sql

    view = events_view_sql().replace("SELECT ", "SELECT e.reported_by AS _by, ", 1)
    forces = [r[0] for r in st.con.execute(
        f"SELECT DISTINCT _by FROM ({view}) v WHERE _by IS NOT NULL AND ({where or 'TRUE'}) "
        "ORDER BY 1").fetchall()]
    who = ", ".join(forces[:3]) + (" and others" if len(forces) > 3 else "")
    return f"Source: police.uk street-level crime and ASB data{', ' + who if who else ''}; commsafe"


@chart_app.command("trend")
def chart_trend(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the PNG and SVG.")],
    category: CategoryOpt = None,
    area: AreaOpt = None,
    level: LevelOpt = None,
    where: WhereOpt = None,
    include_asb: IncludeAsbOpt = False,
    asb_only: AsbOnlyOpt = False,
    year_kind: Annotated[str, typer.Option(
        "--year-kind", help="financial_year (default), calendar_year or academic_year.")] =
    "financial_year",
    start: Annotated[str | None, typer.Option("--from", help="First month, YYYY-MM.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last month, YYYY-MM.")] = None,
    title: Annotated[str | None, typer.Option(help="Chart title.")] = None,
    name: Annotated[str, typer.Option(help="File name stem.")] = "trend",
    store: StoreOpt = None,
) -> None:
    """Monthly counts with the average monthly count of each year drawn over them, and the
    rolling 12-month comparison ending in the last month, as a sentence."""
    from commsafe.findings import rolling_sentence, subject_for
    from commsafe.measures.trends import monthly_counts, rolling_comparison, yearly_average_monthly
    from commsafe.outputs.charts import trend_chart
    from commsafe.store import open_store

    with open_store(_store_path(store), read_only=True) as st:
        within, cond = _chart_scope(st, area, level, where)
        monthly = monthly_counts(st, where=cond, categories=category, include_asb=include_asb,
                                 asb_only=asb_only, start=start, end=end)
        source = _source_line(st, cond)
    if monthly.empty:
        raise CommsafeError("no months with data for this selection. Check --category, "
                            "--area and --from/--to.")
    yearly = yearly_average_monthly(monthly, year_kind)
    what = ", ".join(category) if category else ("ASB" if asb_only else "All crime")
    place = f", {within.name}" if within else ""
    first, last = monthly["month"].iloc[0], monthly["month"].iloc[-1]
    span = f"{first:%b %Y} to {last:%b %Y}" if first != last else f"{first:%b %Y}"
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = trend_chart(monthly, yearly, title=title or f"{what}{place}, {span}", source=source,
                        out_stem=out_dir / name, y_label="Per month")
    plural, singular = subject_for(category, asb_only=asb_only)
    sentence = rolling_sentence(rolling_comparison(monthly, last), subject=plural,
                                singular=singular)
    for note in monthly.attrs.get("notes", []):
        err.print(f"[dim]note:[/dim] {note}", soft_wrap=True)
    t = _table("Average per month", ["period"], ["months with data", "total", "average"])
    for _, y in yearly.iterrows():
        t.add_row(str(y["period"]), f"{y['months_with_data']}", f"{y['total']:,}",
                  f"{y['average_monthly']:,.1f}")
    out.print(t)
    out.print(sentence, soft_wrap=True)
    out.print("wrote " + ", ".join(str(p) for p in paths))


@chart_app.command("profile")
def chart_profile(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the PNG and SVG.")],
    period: Annotated[str, typer.Option(
        help="Period(s): 2024, 2023/24:2024/25 …")],
    by: Annotated[str, typer.Option(
        help="month_of_year (default), season, day_of_week, hour or day_hour.")] =
    "month_of_year",
    category: CategoryOpt = None,
    area: AreaOpt = None,
    level: LevelOpt = None,
    where: WhereOpt = None,
    include_asb: IncludeAsbOpt = False,
    asb_only: AsbOnlyOpt = False,
    name: Annotated[str, typer.Option(help="File name stem.")] = "profile",
    store: StoreOpt = None,
) -> None:
    """When: counts by month of year or season (police.uk data has months only: day of week
    and hour need a local extract with times, and say so rather than draw an empty chart)."""
    from commsafe import periods as _periods
    from commsafe.measures.timeprofile import time_profile
    from commsafe.outputs.profile_charts import month_profile_chart
    from commsafe.store import open_store

    chosen = _periods.parse_period_range(period)
    with open_store(_store_path(store), read_only=True) as st:
        within, cond = _chart_scope(st, area, level, where)
        frame = time_profile(st, period=chosen, by=by, categories=category, within=within,
                             where=where, include_asb=include_asb, asb_only=asb_only)
        source = _source_line(st, cond)
    what = ", ".join(category) if category else ("ASB" if asb_only else "All crime")
    place = f", {within.name}" if within else ""
    span = chosen[0].label if len(chosen) == 1 else f"{chosen[0].label} to {chosen[-1].label}"
    _write_table(frame, TableFormat.table, None, f"{what}{place} by {by.replace('_', ' ')}")
    if by == "month_of_year":
        out_dir.mkdir(parents=True, exist_ok=True)
        paths = month_profile_chart(frame, title=f"{what}{place} by month, {span}",
                                    source=source, out_stem=out_dir / name)
        out.print("wrote " + ", ".join(str(p) for p in paths))


@chart_app.command("count-rate")
def chart_count_rate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the PNG and SVG.")],
    area: Annotated[str, typer.Option(help="The area whose population gives the rate.")],
    level: LevelOpt = None,
    category: CategoryOpt = None,
    include_asb: IncludeAsbOpt = False,
    asb_only: AsbOnlyOpt = False,
    year_kind: Annotated[str, typer.Option(
        "--year-kind", help="calendar_year (default), financial_year or academic_year.")] =
    "calendar_year",
    name: Annotated[str, typer.Option(help="File name stem.")] = "count_rate",
    store: StoreOpt = None,
) -> None:
    """Counts (bars) and rates per 1,000 (line) by year for one area, side by side: whether
    a rise is more than population growth."""
    from commsafe.measures.trends import count_and_rate_by_year, monthly_counts
    from commsafe.outputs.charts import count_rate_chart
    from commsafe.reference.areas import area_population
    from commsafe.store import open_store

    with open_store(_store_path(store), read_only=True) as st:
        within, cond = _chart_scope(st, area, level, None)
        monthly = monthly_counts(st, where=cond, categories=category, include_asb=include_asb,
                                 asb_only=asb_only)
        years = sorted({m.year for m in monthly["month"]})
        pops = {y: area_population(st.con, within.level, y) for y in years}
        source = _source_line(st, cond)
    population = {y: p.get(within.code) for y, p in pops.items()}
    table = count_and_rate_by_year(monthly, {y: v for y, v in population.items()
                                             if v is not None}, year_kind=year_kind)
    what = ", ".join(category) if category else ("ASB" if asb_only else "All crime")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = count_rate_chart(table, title=f"{what}, {within.name}: count and rate per 1,000",
                             source=source, out_stem=out_dir / name)
    for y, p in pops.items():
        if p.note:
            err.print(f"[dim]note:[/dim] {y}: {p.note}", soft_wrap=True)
    frame = table[["period", "months_with_data", "count", "population", "rate_per_1000"]]
    _write_table(frame, TableFormat.table, None, f"{what}, {within.name}")
    out.print("wrote " + ", ".join(str(p) for p in paths))


# --- map -----------------------------------------------------------------------------------

class Scheme(StrEnum):
    quantiles = "quantiles"
    jenks = "jenks"


def _outline(st: Any, within: Any) -> Any:
    """District boundaries inside ``within`` (a CSP or district), or None."""
    from commsafe.spatial.hotspots import store_polygons

    if within is None or within.level not in ("csp", "district", "pfa"):
        return None
    if within.level == "district":
        codes = [within.code]
    else:
        codes = [r[0] for r in st.con.execute(
            "SELECT DISTINCT from_code FROM area_links WHERE from_type = 'district' "
            "AND to_type = ? AND to_code = ?", [within.level, within.code]).fetchall()]
    try:
        outline = store_polygons(st.con, "district", codes)
    except CommsafeError:
        return None
    return outline if len(outline) else None


@map_app.command("rates")
def map_rates(
    by: Annotated[str, typer.Option(help="Area level: ward or lsoa (or district, csp).")],
    period: Annotated[str, typer.Option(help="One period: 2024/25, 2024, 2024 Q1 …")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the PNG and SVG.")],
    category: CategoryOpt = None,
    area: AreaOpt = None,
    level: LevelOpt = None,
    include_asb: IncludeAsbOpt = False,
    asb_only: AsbOnlyOpt = False,
    value: Annotated[str, typer.Option(help="rate_per_1000 (default) or count.")] =
    "rate_per_1000",
    scheme: Annotated[Scheme, typer.Option(help="Class breaks.")] = Scheme.quantiles,
    classes: Annotated[int, typer.Option("--classes", help="Number of classes.")] = 5,
    label_top: Annotated[int, typer.Option(help="Label the N highest areas.")] = 3,
    name: Annotated[str | None, typer.Option(help="File name stem.")] = None,
    store: StoreOpt = None,
) -> None:
    """A choropleth of counts or rates per 1,000 by ward or LSOA, with class breaks
    (announced), the district outline, the share of events without location, and a source
    line. Writes the table behind it as CSV beside the map."""
    from commsafe import periods as _periods
    from commsafe.measures.areas import data_quality
    from commsafe.measures.rates import rates_table
    from commsafe.outputs.maps import choropleth
    from commsafe.outputs.tables import to_csv
    from commsafe.reference.areas import AREA_LEVELS
    from commsafe.spatial.hotspots import store_polygons
    from commsafe.store import open_store

    if value not in ("rate_per_1000", "count"):
        raise CommsafeError(f"--value {value!r}: choose rate_per_1000 or count.")
    chosen = _periods.parse_period_range(period)
    if len(chosen) != 1:
        raise CommsafeError(f"--period {period!r}: give one period, e.g. 2024.")
    with open_store(_store_path(store), read_only=True) as st:
        within = _within(st, area, level)
        frame = rates_table(st, by, period=chosen[0], categories=category, within=within,
                            include_asb=include_asb, asb_only=asb_only)
        if frame["count"].sum() == 0:
            raise CommsafeError(f"no events in {chosen[0].label} for this selection: nothing "
                                "to map. Check --period, --category and --area.")
        shapes = store_polygons(st.con, AREA_LEVELS[by][1], list(frame["area_code"]))
        outline = _outline(st, within)
        quality = data_quality(st, period=chosen[0], categories=category, within=within,
                               include_asb=include_asb, asb_only=asb_only)
        source = _source_line(st, f"{within.level} = '{within.code}'" if within else None)
    geo = shapes[["area_code", "geometry"]].merge(frame, on="area_code", how="inner")
    missing = sorted(set(frame["area_code"]) - set(shapes["area_code"]))
    what = ", ".join(category) if category else ("ASB" if asb_only else "All crime")
    place = f", {within.name}" if within else ""
    label = "per 1,000 residents" if value == "rate_per_1000" else "count"
    stem = out_dir / (name or f"map_{by}_{value}")
    out_dir.mkdir(parents=True, exist_ok=True)
    result = choropleth(geo, value, title=f"{what} {label}{place}, {chosen[0].label}",
                        source=f"{source}; ONS boundaries and population", out_stem=stem,
                        legend_title=f"{what} {label}", scheme=scheme.value, k=classes,
                        outline=outline, quality_note=quality.text, label_top=label_top)
    stem.with_suffix(".csv").write_text(to_csv(frame), encoding="utf-8")
    for note in [*frame.attrs.get("notes", []), *result.notes]:
        err.print(f"[dim]note:[/dim] {note}", soft_wrap=True)
    if missing:
        err.print(f"[dim]note:[/dim] {len(missing)} area(s) have no boundary loaded and are "
                  f"not drawn: {', '.join(missing[:5])}", soft_wrap=True)
    out.print(quality.text)
    out.print("wrote " + ", ".join(str(p) for p in [*result.paths, stem.with_suffix('.csv')]))


@map_app.command("points")
def map_points(
    period: Annotated[str, typer.Option(help="The period: 2024, 2024 Q1, 2024 H1 …")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the PNG and SVG.")],
    category: CategoryOpt = None,
    area: AreaOpt = None,
    level: LevelOpt = None,
    include_asb: IncludeAsbOpt = False,
    asb_only: AsbOnlyOpt = False,
    name: Annotated[str, typer.Option(help="File name stem.")] = "map_points",
    store: StoreOpt = None,
) -> None:
    """A points map of events (their police.uk snap points) over the area's wards, with the
    district outline and the share of events without location."""
    from commsafe import periods as _periods
    from commsafe.measures.areas import data_quality
    from commsafe.outputs.maps import points_map
    from commsafe.spatial.hotspots import store_points, store_polygons
    from commsafe.store import open_store

    chosen = _periods.span(period)
    with open_store(_store_path(store), read_only=True) as st:
        within = _within(st, area, level)
        points, notes = store_points(st, _hotspot_selection(st, chosen, within, category,
                                                            include_asb, asb_only),
                                     include_asb=include_asb, asb_only=asb_only)
        if len(points) == 0:
            raise CommsafeError(f"no located events in {chosen.label} for this selection: "
                                "nothing to map. Check --period, --category and --area.")
        outline = _outline(st, within)
        wards = None
        if within is not None:
            from commsafe.measures.rates import _areas_within

            codes = list(_areas_within(st, "ward", within)["area_code"])
            try:
                wards = store_polygons(st.con, "ward", codes)
            except CommsafeError:
                wards = None
        quality = data_quality(st, period=chosen, categories=category, within=within,
                               include_asb=include_asb, asb_only=asb_only)
        source = _source_line(st, f"{within.level} = '{within.code}'" if within else None)
    what = ", ".join(category) if category else ("ASB" if asb_only else "All crime")
    place = f", {within.name}" if within else ""
    out_dir.mkdir(parents=True, exist_ok=True)
    result = points_map(points, title=f"{what}{place}, {chosen.label}: {len(points):,} events",
                        source=source, out_stem=out_dir / name, areas=wards, outline=outline,
                        quality_note=quality.text)
    for n in [*notes, *result.notes]:
        err.print(f"[dim]note:[/dim] {n}", soft_wrap=True)
    out.print(quality.text)
    out.print("wrote " + ", ".join(str(p) for p in result.paths))


# --- hotspots ------------------------------------------------------------------------------

class HotspotMethod(StrEnum):
    grid = "grid"
    lsoa = "lsoa"
    kde = "kde"


def _hotspot_selection(st: Any, period: Any, within: Any, category: list[str] | None,
                       include_asb: bool, asb_only: bool) -> str:
    from commsafe.measures.rates import category_filter

    cond = [category_filter(category, include_asb=include_asb, asb_only=asb_only),
            f"month_start BETWEEN DATE '{period.start}' AND DATE '{period.end}'"]
    if within is not None:
        cond.append(f"{within.level} = '{within.code}'")
    return " AND ".join(cond)


def _run_hotspots(st: Any, method: HotspotMethod, period: Any, within: Any, study_area: Any,
                  category: list[str] | None, include_asb: bool, asb_only: bool,
                  cell_size: float | None, fdr: bool, permutations: int) -> Any:
    from commsafe.measures.rates import rates_table
    from commsafe.spatial.hotspots import gistar_grid, gistar_polygons, store_points, store_polygons

    if method is HotspotMethod.lsoa:
        frame = rates_table(st, "lsoa", period=period, categories=category, within=within,
                            include_asb=include_asb, asb_only=asb_only)
        shapes = store_polygons(st.con, "lsoa21", list(frame["area_code"]))
        counts = dict(zip(frame["area_code"], frame["count"].astype(int), strict=True))
        return gistar_polygons(shapes, counts, fdr=fdr, permutations=permutations)
    points, notes = store_points(st, _hotspot_selection(st, period, within, category,
                                                        include_asb, asb_only),
                                 include_asb=include_asb, asb_only=asb_only)
    result = gistar_grid(points, crs="EPSG:4326", cell_size=cell_size, fdr=fdr,
                         permutations=permutations, study_area=study_area)
    result.notes[:0] = notes
    return result


@app.command()
def hotspots(
    period: Annotated[str, typer.Option(
        help="The period: 2024, 2024 Q1, 2024/25, 2024 H1, 2024 Q1:2024 Q2 …")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for GeoJSON, CSV and map.")],
    method: Annotated[HotspotMethod, typer.Option(
        help="grid (Gi* on square cells, default), lsoa (Gi* on LSOA polygons) or kde.")] =
    HotspotMethod.grid,
    compare_period: Annotated[str | None, typer.Option(
        "--compare-period", help="A later period: classify hotspots as new, persistent, "
                                 "intensifying, diminishing or former.")] = None,
    category: CategoryOpt = None,
    area: AreaOpt = None,
    level: LevelOpt = None,
    include_asb: IncludeAsbOpt = False,
    asb_only: AsbOnlyOpt = False,
    cell_size: Annotated[float | None, typer.Option(
        "--cell-size", help="Grid cell size in metres (default: chosen and announced).")] =
    None,
    bandwidth: Annotated[float | None, typer.Option(
        help="KDE bandwidth in metres (default: chosen and announced).")] = None,
    permutations: Annotated[int, typer.Option(
        help="Permutations for Gi* p-values (default 0: the normal approximation).")] = 0,
    no_fdr: Annotated[bool, typer.Option(
        "--no-fdr", help="Do not correct p-values for the false discovery rate.")] = False,
    name: Annotated[str | None, typer.Option(help="File name stem.")] = None,
    store: StoreOpt = None,
) -> None:
    """Hotspots: Getis-Ord Gi* on a British National Grid grid or on LSOA polygons, with
    false-discovery-rate correction (hot / cold / not significant per cell or area), or a
    kernel density surface; optionally classified between two periods. Writes GeoJSON, CSV
    and a map (PNG, SVG); every default chosen is announced."""
    from commsafe import periods as _periods
    from commsafe.measures.areas import data_quality
    from commsafe.outputs.maps import choropleth, hotspot_map
    from commsafe.spatial.hotspots import classify_periods, store_points
    from commsafe.spatial.kde import kde_surface
    from commsafe.store import open_store

    first = [_periods.span(period)]
    second = [_periods.span(compare_period)] if compare_period else None
    out_dir.mkdir(parents=True, exist_ok=True)
    what = ", ".join(category) if category else ("ASB" if asb_only else "All crime")
    stem = out_dir / (name or f"hotspots_{method.value}")
    with open_store(_store_path(store), read_only=True) as st:
        within = _within(st, area, level)
        outline = _outline(st, within)
        study_area = None  # in WGS84, like the points given to gistar_grid
        if outline is not None and method is not HotspotMethod.lsoa:
            study_area = outline.union_all()
        place = f", {within.name}" if within else ""
        quality = data_quality(st, period=first[0], categories=category, within=within,
                               include_asb=include_asb, asb_only=asb_only)
        source = _source_line(st, f"{within.level} = '{within.code}'" if within else None)
        if method is HotspotMethod.kde:
            points, notes = store_points(st, _hotspot_selection(st, first[0], within, category,
                                                                include_asb, asb_only),
                                         include_asb=include_asb, asb_only=asb_only)
            from commsafe.spatial.grid import to_bng

            x, y = to_bng(points[:, 0], points[:, 1])
            extent = (tuple(float(v) for v in outline.to_crs("EPSG:27700").total_bounds)
                      if outline is not None else None)
            kde = kde_surface(list(zip(x, y, strict=True)), cell_size=cell_size,
                              bandwidth=bandwidth, extent=extent)
            import geopandas as gpd
            import shapely

            frame = kde.to_frame()
            frame.to_csv(stem.with_suffix(".csv"), index=False)
            # the map: drop the FFT's numerical dust (< a millionth of the peak), keep the
            # cells whose centre is inside the area, and show densities to 0.1 per km²
            shown = frame[frame["density"] >= frame["density"].max() * 1e-6].copy()
            if outline is not None:
                inside = shapely.contains_xy(outline.union_all(), shown["lon"], shown["lat"])
                shown = shown[inside]
            shown["density"] = shown["density"].round(1)
            for n in [*notes, *kde.notes]:
                err.print(f"[dim]note:[/dim] {n}", soft_wrap=True)

            half = kde.cell_size / 2
            cells = gpd.GeoDataFrame(
                shown.assign(area_code=[f"c{i}" for i in range(len(shown))], area_name=""),
                geometry=shapely.box(shown["x"] - half, shown["y"] - half, shown["x"] + half,
                                     shown["y"] + half), crs="EPSG:27700").to_crs("EPSG:4326")
            result = choropleth(cells, "density", title=f"{what}{place}: kernel density, "
                                f"{first[0].label}", source=source, out_stem=stem,
                                legend_title="Events per km²", outline=outline,
                                quality_note=quality.text)
            out.print(quality.text)
            out.print("wrote " + ", ".join(str(p) for p in
                                           [*result.paths, stem.with_suffix(".csv")]))
            return
        one = _run_hotspots(st, method, first[0], within, study_area, category, include_asb,
                            asb_only, cell_size, not no_fdr, permutations)
        two = None
        if second:
            size = one.params.get("cell_size") if method is HotspotMethod.grid else None
            two = _run_hotspots(st, method, second[0], within, study_area, category,
                                include_asb, asb_only, size or cell_size, not no_fdr,
                                permutations)
    for n in one.notes:
        err.print(f"[dim]note:[/dim] {n}", soft_wrap=True)
    one.to_geojson(stem.with_suffix(".geojson"))
    one.to_csv(stem.with_suffix(".csv"))
    cells = one.to_geodataframe()
    counts = cells["class"].value_counts().to_dict()
    unit = "cells" if method is HotspotMethod.grid else "LSOAs"
    title = f"{what}{place}: Gi* hotspots ({unit}), {first[0].label}"
    paths = hotspot_map(cells, title=title, source=source, out_stem=stem, outline=outline,
                        quality_note=quality.text, unit=unit.rstrip("s")).paths
    written = [stem.with_suffix(".geojson"), stem.with_suffix(".csv"), *paths]
    out.print(f"{first[0].label}: " + ", ".join(f"{v:,} {k}" for k, v in sorted(counts.items()))
              + f" ({unit}; p adjusted for the false discovery rate: {not no_fdr})")
    if two is not None:
        assert second is not None
        change = classify_periods(one, two)
        for n in change.attrs.get("notes", []):
            err.print(f"[dim]note:[/dim] {n}", soft_wrap=True)
        both = one.to_geodataframe()[[one.frame.columns[0], "geometry"]].merge(
            change, on=one.frame.columns[0])
        both["class"] = both["change"]
        cstem = stem.with_name(stem.name + "_change")
        both.drop(columns="geometry").to_csv(cstem.with_suffix(".csv"), index=False)
        written += [cstem.with_suffix(".csv"), *hotspot_map(
            both, title=f"{what}{place}: hotspots {first[0].label} → {second[0].label}",
            source=source, out_stem=cstem, outline=outline, quality_note=quality.text,
            unit=unit.rstrip("s")).paths]
        tally = both["change"].value_counts().to_dict()
        out.print(f"{first[0].label} → {second[0].label}: "
                  + ", ".join(f"{v:,} {k}" for k, v in sorted(tally.items())))
    out.print(quality.text)
    out.print("wrote " + ", ".join(str(p) for p in written))


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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: runs the app, turning commsafe errors into one-line messages."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="commsafe")
    except CommsafeError as exc:
        err.print(f"[red]error:[/red] {exc}", soft_wrap=True)
        return 2
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
