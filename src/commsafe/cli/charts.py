"""Charts: trends, time profiles, count and rate."""


from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from commsafe.cli._common import (
    AreaOpt,
    AsbOnlyOpt,
    CategoryOpt,
    IncludeAsbOpt,
    LevelOpt,
    StoreOpt,
    TableFormat,
    WhereOpt,
    _chart_scope,
    _ensure_dir,
    _source_line,
    _store_path,
    _table,
    _within,
    _write_table,
    chart_app,
    err,
    out,
)
from commsafe.errors import CommsafeError


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
    _ensure_dir(out_dir)
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
        _ensure_dir(out_dir)
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
    _ensure_dir(out_dir)
    paths = count_rate_chart(table, title=f"{what}, {within.name}: count and rate per 1,000",
                             source=source, out_stem=out_dir / name)
    for y, p in pops.items():
        if p.note:
            err.print(f"[dim]note:[/dim] {y}: {p.note}", soft_wrap=True)
    frame = table[["period", "months_with_data", "count", "population", "rate_per_1000"]]
    _write_table(frame, TableFormat.table, None, f"{what}, {within.name}")
    out.print("wrote " + ", ".join(str(p) for p in paths))


@chart_app.command("pyramid")
def chart_pyramid(
    dataset: Annotated[str, typer.Option(
        help="A loaded partner data set with victim/offender ages and sexes (e.g. a police "
             "extract).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the PNG and SVG.")],
    period: Annotated[str | None, typer.Option(
        help="The period: 2024, 2024/25 … (default: all of the data set).")] = None,
    area: AreaOpt = None,
    level: LevelOpt = None,
    category: Annotated[list[str] | None, typer.Option(
        help="Offence categories of the data set; repeat for several (default: all).")] =
    None,
    value: Annotated[str, typer.Option(help="count (default) or share.")] = "count",
    name: Annotated[str, typer.Option(help="File name stem.")] = "pyramid",
    store: StoreOpt = None,
) -> None:
    """Who: victims and offenders by 5-year age band and sex for an area, beside the whole
    data set as an outline; counts or shares (rates need population by age and sex)."""

    from commsafe import periods as _periods
    from commsafe.outputs.pyramid_charts import pyramid_chart
    from commsafe.profiles.pyramids import people, pyramid, record_people
    from commsafe.store import open_store

    if value not in ("count", "share"):
        raise CommsafeError(f"--value {value!r}: choose count or share.")
    with open_store(_store_path(store), read_only=True) as st:
        within = _within(st, area, level)
        rows, inside = record_people(st, dataset, within=within,
                                     period=_periods.span(period) if period else None,
                                     categories=category)
    victims = pyramid(people(inside, "victim"))
    offenders = pyramid(people(inside, "offender"))
    compare = within is not None
    place = f", {within.name}" if within else ""
    _ensure_dir(out_dir)
    paths = pyramid_chart(
        victims, offenders, value=value,  # type: ignore[arg-type]
        comparison=pyramid(people(rows, "victim")) if compare else None,
        offender_comparison=pyramid(people(rows, "offender")) if compare else None,
        comparison_label=f"all of {dataset}", out_stem=out_dir / name,
        title=f"Victims and offenders by age and sex{place}"
              + (f", {period}" if period else ""),
        source=f"Source: {dataset}; commsafe")
    for frame, who in ((victims, "victims"), (offenders, "offenders")):
        for note in frame.attrs.get("notes", []):
            err.print(f"[dim]note:[/dim] {who}: {note}", soft_wrap=True)
    for frame, who in ((victims, "Victims"), (offenders, "Offenders")):
        _write_table(frame, TableFormat.table, None, f"{who}{place}")
    out.print("wrote " + ", ".join(str(p) for p in paths))

