"""Measure tables: performance, rates, areas, vulnerable locations, cross-tabulations."""


from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from commsafe.cli._common import (
    AreaOpt,
    AsbOnlyOpt,
    ByOpt,
    CategoryOpt,
    FormatOpt,
    IncludeAsbOpt,
    LevelOpt,
    OutOpt,
    StoreOpt,
    TableFormat,
    WhereOpt,
    _area_level,
    _store_path,
    _within,
    _write_table,
    out,
    table_app,
)
from commsafe.errors import CommsafeError


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
        "--harm-weights", help="A weights CSV (category or ho_code, weight) or the ONS Crime "
        "Severity Score workbook (.xlsx/.ods, its 'List of weights' sheet): adds harm "
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
    by: ByOpt,
    period: Annotated[str, typer.Option(
        help="One period: 2024/25, 2024, 2024 Q1, 12 months to 2024-12 …")],
    category: CategoryOpt = None,
    area: AreaOpt = None,
    level: LevelOpt = None,
    where: WhereOpt = None,
    include_asb: IncludeAsbOpt = False,
    asb_only: AsbOnlyOpt = False,
    harm_weights: Annotated[Path | None, typer.Option(
        "--harm-weights", help="A weights CSV or the ONS Crime Severity Score "
        "workbook: adds harm and harm per 1,000.")] = None,
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
        by, level_notes = _area_level(st, by)
        frame = rates_table(st, by, period=chosen[0], categories=category, within=within,
                            where=where, include_asb=include_asb, asb_only=asb_only,
                            harm=load_weights(harm_weights) if harm_weights else None)
        frame.attrs["notes"] = [*level_notes, *frame.attrs.get("notes", [])]
    what = ", ".join(category) if category else ("ASB" if asb_only else "all crime")
    title = (f"Rates per 1,000 by {by}: {what}, {chosen[0].label}"
             + (f", {within.name}" if within else ""))
    _write_table(frame, fmt, out_path, title)


@table_app.command("areas")
def table_areas(
    by: ByOpt,
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
        asked = by
        by, level_notes = _area_level(st, by)
        if by == "lsoa11" and not period:
            raise CommsafeError(
                f"--by {asked}: " + ("no 2021 LSOAs are loaded, and " if asked != by else "")
                + "2011 LSOAs give counts and rates for one --period only; --years and "
                "--compare need wards or 2021 LSOAs (load lookup_lsoa21_ward24_ltla24.csv and "
                "lsoa21_boundaries.geojson with 'commsafe reference load').")
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
    frame.attrs["notes"] = [*level_notes, *frame.attrs.get("notes", []), quality.text]
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


