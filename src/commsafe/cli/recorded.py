"""`commsafe recorded`: tables from the Home Office police recorded crime open data tables
(by Community Safety Partnership or by force; ODS, XLSX or CSV as published)."""


from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from commsafe.cli._common import (
    FormatOpt,
    OutOpt,
    StoreOpt,
    TableFormat,
    _store_path,
    _write_table,
    app,
)
from commsafe.errors import CommsafeError

recorded_app = typer.Typer(help="Tables from the Home Office police recorded crime open data "
                                "tables by CSP or force (.ods, .xlsx or .csv).",
                           no_args_is_help=True)
app.add_typer(recorded_app, name="recorded")

FileArg = Annotated[Path, typer.Argument(
    help="The Home Office table: .ods or .xlsx (one sheet per year, e.g. 2018_19) or .csv.",
    show_default=False)]
CspOpt = Annotated[str | None, typer.Option(
    "--csp", help="The CSP, as the table or the ONS names it (e.g. 'Bristol').")]
ByOpt = Annotated[str, typer.Option(
    "--by", help="Rows: group (offence groups), subgroup (groups and subgroups) or "
                 "police_uk (police.uk crime types).")]


@recorded_app.command("performance")
def recorded_performance(
    file: FileArg,
    csp: CspOpt = None,
    force: Annotated[str | None, typer.Option(
        "--force", help="A police force instead of a CSP (its CSPs and its Unassigned "
                        "rows).")] = None,
    by: ByOpt = "subgroup",
    periods_text: Annotated[str | None, typer.Option(
        "--periods", help="Financial years to show, e.g. 2015/16:2018/19.")] = None,
    compare: Annotated[str | None, typer.Option(
        help="Two years to compare, base first: 2017/18,2018/19.")] = None,
    average: Annotated[str | None, typer.Option(
        help="Years to average, e.g. 2015/16:2017/18.")] = None,
    min_base: Annotated[int | None, typer.Option(
        "--min-base", help="'No calc' below this base (default 5).")] = None,
    fmt: FormatOpt = TableFormat.table,
    out_path: OutOpt = None,
) -> None:
    """The performance table of one CSP (or force) from the Home Office recorded crime
    table: counts by offence group (or police.uk type) and financial year, the average, the
    change and whether it is more than chance. Fraud is outside All crime; negative counts
    (adjustments) net off."""
    from commsafe.measures.performance import PerformanceSpec, performance_table, spec_from_text
    from commsafe.sources.home_office import read_recorded_crime, recorded_counts

    if (csp is None) == (force is None):
        raise CommsafeError("give one of --csp NAME or --force NAME.")
    data = read_recorded_crime(file)
    table, notes = recorded_counts(data, csp=csp, force=force, by=by)
    parsed = spec_from_text(periods_text, compare, average, min_base, "financial_year")
    spec = PerformanceSpec(periods=parsed.periods, compare=parsed.compare,
                           average=parsed.average, min_base=parsed.min_base,
                           notes=notes)
    frame = performance_table(counts=table, spec=spec)
    area = str(table.frame["area"].iloc[0])
    _write_table(frame, fmt, out_path, f"Police recorded crime: {area}")


@recorded_app.command("context")
def recorded_context(
    file: FileArg,
    csp: Annotated[str, typer.Option(
        "--csp", help="The CSP, as the table or the ONS names it (e.g. 'Bristol').")],
    year: Annotated[str, typer.Option("--year", help="The financial year, e.g. 2018/19.")],
    by: Annotated[str, typer.Option(
        "--by", help="Categories: police_uk (crime types) or group (offence groups).")] =
    "police_uk",
    category: Annotated[list[str] | None, typer.Option(
        help="Only these categories (repeat); default all with offences.")] = None,
    fmt: FormatOpt = TableFormat.table,
    out_path: OutOpt = None,
    store: StoreOpt = None,
) -> None:
    """The countywide view from recorded crime: the CSP beside the other CSPs of its force
    and the force, with counts, residents, rates per 1,000, ranks and funnel classes (CSV
    columns: level, area_code, area_name, category, period, count, residents, rate_per_1000,
    rank, funnel). The store gives the CSP codes and population ('commsafe reference
    load')."""
    from commsafe.measures.context import recorded_context_table
    from commsafe.sources.home_office import read_recorded_crime
    from commsafe.store import open_store

    data = read_recorded_crime(file)
    path = _store_path(store)
    if not path.is_file():
        raise CommsafeError(f"{path}: no store there. Give --store FILE (a store with the "
                            "CSP lookup and population loaded by 'commsafe reference load').")
    with open_store(path, read_only=True) as st:
        frame, _ = recorded_context_table(st, data, csp, year=year, by=by, categories=category)
    _write_table(frame, fmt, out_path, f"Police recorded crime, {year}: {csp} and its force")


@recorded_app.command("similar")
def recorded_similar(
    file: FileArg,
    csp: Annotated[str, typer.Option(
        "--csp", help="The CSP, as the table or the ONS names it (e.g. 'Bristol').")],
    year: Annotated[str, typer.Option("--year", help="The financial year, e.g. 2017/18.")],
    size: Annotated[int, typer.Option(
        "--size", help="Members of the group, the CSP included (iQuanta's is 15).")] = 15,
    by: Annotated[str, typer.Option(
        "--by", help="Categories: police_uk (crime types) or group (offence groups).")] =
    "police_uk",
    members: Annotated[bool, typer.Option(
        "--members", help="Show the group itself: each member's distance, variables and "
                          "z-scores, All crime count and rate.")] = False,
    fmt: FormatOpt = TableFormat.table,
    out_path: OutOpt = None,
    store: StoreOpt = None,
) -> None:
    """The CSP beside its most similar group of CSPs (as iQuanta's), from recorded crime: per
    category its count, rate per 1,000 residents, the group's average rate and its rank in
    the group (1 = highest). The group is worked out from the store's reference data:
    deprivation (IMD), residents per hectare and the share aged 15–24 (see docs/similar.md;
    'commsafe reference load' the lookups, district boundaries, single-year-of-age population
    and IMD files)."""
    from commsafe.measures.similar import similar_comparison
    from commsafe.sources.home_office import read_recorded_crime
    from commsafe.store import open_store

    data = read_recorded_crime(file)
    path = _store_path(store)
    if not path.is_file():
        raise CommsafeError(f"{path}: no store there. Give --store FILE (a store with the "
                            "reference data loaded by 'commsafe reference load').")
    with open_store(path, read_only=True) as st:
        result = similar_comparison(st, data, csp, year=year, size=size, by=by)
    if members:
        _write_table(result.members, fmt, out_path,
                     f"Most similar group of {csp} ({year} residents)")
    else:
        _write_table(result.table, fmt, out_path,
                     f"Police recorded crime, {year}: {csp} and its most similar group")
