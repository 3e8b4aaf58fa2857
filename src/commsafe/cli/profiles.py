"""Who and what works: the Cardiff model for licensed premises, and intervention evaluation.

Both read a CSV an analyst has (one row per incident) until partner datasets are in the
store; the column names are the contract documented in docs/cli.md.
"""

from __future__ import annotations

import contextlib
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from commsafe.cli._common import (
    FormatOpt,
    OutOpt,
    StoreOpt,
    TableFormat,
    _ensure_dir,
    _store_path,
    _write_table,
    app,
    chart_app,
    out,
    table_app,
)
from commsafe.errors import CommsafeError

cardiff_app = typer.Typer(help="The Cardiff model: licensed premises scored on violence.",
                          no_args_is_help=True)
app.add_typer(cardiff_app, name="cardiff")


def _read_csv(path: Path, what: str) -> object:
    import pandas as pd

    if not path.is_file():
        raise CommsafeError(f"{path}: no such file. Give the {what} CSV.")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CommsafeError(f"{path}: cannot be read as a UTF-8 CSV ({exc}). Save it as "
                            "UTF-8 CSV with a header row.") from None


def _bands(text: str | None) -> dict[str, float] | None:
    if text is None:
        return None
    bands: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        try:
            bands[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise CommsafeError(f"--bands {text!r}: give NAME=THRESHOLD pairs, e.g. "
                                "low=0,medium=3,high=6.")
    return bands


def _premises_from_store(dataset: str, store: Path | None) -> object:
    from commsafe.store import open_store

    with open_store(_store_path(store), read_only=True) as st:
        kinds = dict(st.con.execute("SELECT dataset, kind FROM datasets").fetchall())
        if kinds.get(dataset) != "premises_incidents":
            loaded = [d for d, k in kinds.items() if k == "premises_incidents"]
            raise CommsafeError(f"--dataset {dataset!r} is not a loaded premises_incidents "
                                f"data set. Loaded: {', '.join(loaded) or 'none'} (load one "
                                "with 'commsafe load').")
        return st.con.execute(
            "SELECT premises_id, premises_name, CAST(coalesce(occurred_at, month) AS DATE) "
            "AS date, CASE WHEN list_contains(flags, 'violent') THEN 'yes' ELSE 'no' END "
            "AS violent FROM records WHERE dataset = ? ORDER BY date", [dataset]).df()


@cardiff_app.command("scores")
def cardiff_scores(
    incidents: Annotated[Path | None, typer.Argument(
        help="CSV of premises incidents: premises_id, premises_name, date, violent "
             "[, severity] (or use --dataset).")] = None,
    dataset: Annotated[str | None, typer.Option(
        help="A loaded premises_incidents data set instead of a CSV.")] = None,
    window: Annotated[int, typer.Option(help="Rolling window in months.")] = 6,
    bands: Annotated[str | None, typer.Option(
        help="Band thresholds, e.g. low=0,medium=3,high=6 (the default).")] = None,
    rise_months: Annotated[int, typer.Option(
        "--rise-months", help="Flag a rise of a band within this many months.")] = 3,
    premises: Annotated[str | None, typer.Option(
        help="Show one premises' monthly trajectory instead of the latest scores.")] = None,
    chart: Annotated[Path | None, typer.Option(
        help="Also draw the scores month by month (the 4 highest premises, or --premises) "
             "to this file stem (PNG and SVG).")] = None,
    fmt: FormatOpt = TableFormat.table,
    out_path: OutOpt = None,
    store: StoreOpt = None,
) -> None:
    """Score each premises on violent incidents over a rolling window, band it, and flag
    early warnings (a rise of a band within --rise-months, or verging on the top band)."""
    import pandas as pd

    from commsafe.profiles.cardiff import band_trajectory, early_warnings, premises_scores

    if (incidents is None) == (dataset is None):
        raise CommsafeError("give a premises incidents CSV or --dataset NAME (one of them).")
    frame = (_read_csv(incidents, "premises incidents") if incidents is not None
             else _premises_from_store(dataset or "", store))
    assert isinstance(frame, pd.DataFrame)
    scores = premises_scores(frame, window_months=window, bands=_bands(bands))
    if chart is not None:
        from commsafe.outputs.profile_charts import cardiff_chart

        latest_month = scores["month"].max()
        top = (scores[scores["month"] == latest_month].sort_values("score", ascending=False)
               ["premises_id"].head(4).tolist())
        chosen = [premises] if premises is not None else top
        _ensure_dir(chart.parent)
        paths = cardiff_chart(scores, premises=chosen, bands=scores.attrs["bands"],
                              title=f"Cardiff model: violent incidents over {window} months",
                              source="Source: licensed premises incidents; commsafe",
                              out_stem=chart)
        out.print("wrote " + ", ".join(str(p) for p in paths))
    if premises is not None:
        _write_table(band_trajectory(scores, premises), fmt, out_path,
                     f"Cardiff model: premises {premises}, month by month")
        return
    latest = scores[scores["month"] == scores["month"].max()].sort_values(
        "score", ascending=False)
    _write_table(latest.reset_index(drop=True), fmt, out_path,
                 f"Cardiff model: scores over {window} months to {latest['month'].max()}")
    warnings = early_warnings(scores, rise_months=rise_months, bands=_bands(bands))
    new = warnings[warnings["new"]] if "new" in warnings.columns else warnings
    if len(new):
        warn_out = (None if out_path is None else
                    out_path.with_name(out_path.stem + "_warnings" + out_path.suffix))
        _write_table(new.reset_index(drop=True), fmt, warn_out,
                     "Early warnings (first month of each run)")
    else:
        out.print("No early warnings.")


@app.command()
def evaluate(
    events: Annotated[Path, typer.Argument(
        help="CSV of events in the intervention area: date (or month) [, count].")],
    date: Annotated[str, typer.Option("--date", help="Intervention date, YYYY-MM-DD.")],
    window: Annotated[int, typer.Option(help="Months before and after.")] = 6,
    comparison: Annotated[Path | None, typer.Option(
        help="CSV of events in a comparison area: adds the weighted displacement "
             "difference.")] = None,
    subject: Annotated[str, typer.Option(help="What the events are, plural.")] = "incidents",
) -> None:
    """Evaluate an intervention: counts in equal windows before and after (the intervention
    month excluded), an exact Poisson test, and with --comparison the weighted displacement
    difference; printed as one paragraph in plain words."""
    import pandas as pd

    from commsafe.profiles.interventions import evaluate_intervention

    def numeric_counts(table: object) -> object:
        # counts arrive as text; a cell that is not a number stays text and is reported
        if isinstance(table, pd.DataFrame) and "count" in table.columns:
            with contextlib.suppress(ValueError):
                table["count"] = pd.to_numeric(table["count"])
        return table

    frame = numeric_counts(_read_csv(events, "events"))
    other = (numeric_counts(_read_csv(comparison, "comparison events"))
             if comparison is not None else None)
    assert isinstance(frame, pd.DataFrame)
    result = evaluate_intervention(frame, date, window_months=window,
                                   comparison=other if isinstance(other, pd.DataFrame)
                                   else None, subject=subject)
    out.print(result.paragraph, soft_wrap=True)


class PartnerTable(StrEnum):
    ed_assaults = "ed-assaults"
    ambulance = "ambulance"
    needle_finds = "needle-finds"
    needle_wards = "needle-wards"
    schools = "schools"
    needs = "needs"


@table_app.command("partner")
def table_partner(
    what: Annotated[PartnerTable, typer.Argument(
        help="ed-assaults, ambulance, needle-finds, needle-wards, schools or needs.")],
    dataset: Annotated[str, typer.Option(help="The loaded data set (name from its mapping).")],
    years: Annotated[str | None, typer.Option(
        help="needle-wards: years to average, e.g. 2023/24:2024/25.")] = None,
    year_kind: Annotated[str, typer.Option(
        "--year-kind", help="needle-finds/needle-wards: financial_year (default), "
                            "calendar_year or academic_year.")] = "financial_year",
    academic_year: Annotated[str | None, typer.Option(
        "--academic-year", help="schools: the year to rank (default: the latest).")] = None,
    snapshot: Annotated[str | None, typer.Option(
        help="needs: the snapshot month YYYY-MM (default: the latest).")] = None,
    fmt: FormatOpt = TableFormat.table,
    out_path: OutOpt = None,
    store: StoreOpt = None,
) -> None:
    """Partner trend tables: ED assault attendances per month (all, knife/sharp, glass/bottle,
    share admitted), ambulance assault call-outs per quarter by district, needle finds per
    year and the wards with the highest annual average, schools ranked by persistent absence,
    and the offender needs profile per district against the others."""
    from commsafe.findings import top_areas_sentence
    from commsafe.measures import partner
    from commsafe.profiles.needs import needs_profile
    from commsafe.store import open_store

    sentence = None
    with open_store(_store_path(store), read_only=True) as st:
        if what is PartnerTable.ed_assaults:
            frame = partner.ed_assaults_monthly(st, dataset)
        elif what is PartnerTable.ambulance:
            frame = partner.ambulance_by_quarter(st, dataset)
        elif what is PartnerTable.needle_finds:
            frame = partner.needle_finds_by_year(st, dataset, year_kind=year_kind)
        elif what is PartnerTable.needle_wards:
            if not years:
                raise CommsafeError("needle-wards needs --years, e.g. 2023/24:2024/25.")
            frame = partner.needle_finds_by_ward(st, dataset, years, year_kind=year_kind)
            ranked = frame.rename(columns={"ward_code": "area_code",
                                           "ward_name": "area_name"})
            sentence = top_areas_sentence(ranked, subject="needle finds", level="ward",
                                          column="annual_average_instances")
        elif what is PartnerTable.schools:
            frame = partner.schools_ranked(st, dataset, academic_year)
        else:
            frame = needs_profile(st, dataset, snapshot=snapshot)
    _write_table(frame, fmt, out_path, f"{what.value.replace('-', ' ').capitalize()}: {dataset}")
    if sentence:
        out.print(sentence, soft_wrap=True)


@chart_app.command("partner")
def chart_partner(
    what: Annotated[str, typer.Argument(
        help="ed-assaults, needle-finds, ambulance or schools.")],
    dataset: Annotated[str, typer.Option(help="The loaded data set (name from its mapping).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the PNG and SVG.")],
    year_kind: Annotated[str, typer.Option(
        "--year-kind", help="financial_year (default), calendar_year or academic_year.")] =
    "financial_year",
    name: Annotated[str | None, typer.Option(help="File name stem.")] = None,
    store: StoreOpt = None,
) -> None:
    """Partner trends as charts: ED assault attendances or needle finds per month with the
    average per month of each year drawn over them; ambulance assault call-outs per quarter
    by district; overall absence by academic year for the schools with the highest
    persistent absence."""
    from commsafe.measures import partner
    from commsafe.measures.trends import yearly_average_monthly
    from commsafe.outputs.charts import trend_chart
    from commsafe.store import open_store

    if what in ("ambulance", "schools"):
        _chart_partner_table(what, dataset, out_dir, name, store)
        return
    if what not in ("ed-assaults", "needle-finds"):
        raise CommsafeError(f"{what!r}: choose ed-assaults, needle-finds, ambulance or "
                            "schools.")
    kind = "ed_assaults" if what == "ed-assaults" else "needle_finds"
    with open_store(_store_path(store), read_only=True) as st:
        monthly = partner.records_monthly(st, dataset, kind)
    yearly = yearly_average_monthly(monthly, year_kind)
    label = "ED assault attendances" if kind == "ed_assaults" else "Needle finds"
    _ensure_dir(out_dir)
    paths = trend_chart(monthly, yearly, title=f"{label} per month: {dataset}",
                        source=f"Source: {dataset}; commsafe",
                        out_stem=out_dir / (name or what), y_label="Per month")
    out.print("wrote " + ", ".join(str(p) for p in paths))


def _chart_partner_table(what: str, dataset: str, out_dir: Path, name: str | None,
                         store: Path | None) -> None:
    from commsafe.measures import partner
    from commsafe.outputs.profile_charts import grouped_bar_chart, line_chart
    from commsafe.store import open_store

    with open_store(_store_path(store), read_only=True) as st:
        if what == "ambulance":
            table = partner.ambulance_by_quarter(st, dataset)
            names = dict(st.con.execute(
                "SELECT area_code, any_value(area_name) FROM areas WHERE area_type = "
                "'district' GROUP BY 1").fetchall())
        else:
            ranked = partner.schools_ranked(st, dataset)
            top = ranked["school"].head(5).tolist()
            table = partner.schools_absence(st, dataset)
            table = table[table["school"].isin(top)]
    _ensure_dir(out_dir)
    if what == "ambulance":
        table = table.assign(district=[names.get(c, c or "(no district)")
                                       for c in table["district_code"]])
        paths = grouped_bar_chart(table, x="period", group="district", value="count",
                                  title=f"Ambulance assault call-outs per quarter: {dataset}",
                                  source=f"Source: {dataset}; commsafe",
                                  out_stem=out_dir / (name or what), y_label="Call-outs")
    else:
        paths = line_chart(table, x="academic_year", series="school",
                           value="overall_absence_pct",
                           title="Overall absence by academic year: the 5 schools with the "
                                 "highest persistent absence",
                           source=f"Source: {dataset}; commsafe",
                           out_stem=out_dir / (name or what), y_label="Overall absence (%)")
    out.print("wrote " + ", ".join(str(p) for p in paths))

