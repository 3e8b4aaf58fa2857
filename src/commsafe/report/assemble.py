"""The strategic assessment's content: every table, figure and finding, in document order.

:func:`assemble` reads the store for the spec's area and period, publishes the tables and
figures (:class:`~commsafe.report.publish.Publisher`) and returns the
:class:`~commsafe.report.model.Document`. The structure follows published CSP assessments:

* document details and contents;
* **executive summary**: summary, key findings, recommendations;
* **background**: crime by year (count and rate), the change on the comparison period by
  crime type;
* **one chapter per priority**: indicators against targets (on/off track), the monthly trend,
  the performance sub-table, where (ward rates, map, hotspots) and when, partner data,
  interventions and their measured outcomes;
* **appendices**: the full performance table (5 years, average, change, significance), maps,
  the recommendations register, data sources and caveats, glossary.

``kind="monitoring"`` gives the quarterly monitoring variant: summary, indicators, trends,
data quality. Numbers come from :mod:`commsafe.measures` and sentences from
:mod:`commsafe.findings`; this module only chooses and orders them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from commsafe import __version__
from commsafe.errors import CommsafeError, InputError
from commsafe.findings import (
    RANKING_RULE,
    Finding,
    and_list,
    change_score,
    change_sentence,
    countywide_sentence,
    indicator_detail,
    rank_findings,
    subject_for,
    top_areas_sentence,
)
from commsafe.measures.harm import HarmWeights, load_weights
from commsafe.measures.indicators import (
    AreaMonthly,
    Comparison,
    IndicatorResult,
    evaluate_indicator,
    history,
)
from commsafe.measures.intervals import rounded_rate
from commsafe.measures.rounding import round_half_away, whole_pct_change
from commsafe.periods import Period, months_text, parse_month
from commsafe.periods import month_label as periods_label
from commsafe.reference.areas import Area
from commsafe.report.model import Bullets, Document, Figure, Paragraph, Section, Status, Table
from commsafe.report.publish import Publisher, slug
from commsafe.spec import Priority, Spec
from commsafe.store import Store
from commsafe.taxonomy import ASB, CRIME_TYPES

__all__ = ["Assembled", "assemble", "slug"]

HISTORY_YEARS = 5
IMAGE_SOURCE = ""
"""The source drawn inside the document's chart images: none, since the document prints each
figure's source under its caption, as text (read by screen readers, kept by Word edits)."""
ALL_CRIME = "All crime"
GLOSSARY: tuple[tuple[str, str], ...] = (
    ("ASB", "Anti-social behaviour: incidents recorded by the police that are not crimes."),
    ("CSP", "Community Safety Partnership: the statutory partnership of police, council, "
            "fire, health and probation services for an area (Crime and Disorder Act 1998)."),
    ("Gi* hotspot", "An area whose count, together with its neighbours', is higher (hot) or "
                    "lower (cold) than chance would give, by the Getis-Ord Gi* statistic "
                    "with a false discovery rate correction."),
    ("LSOA", "Lower layer Super Output Area: a census area of about 1,500 residents."),
    ("No calc", "A percentage change not calculated because the earlier count is below the "
                "minimum base."),
    ("p-value", "The chance of a change at least as large as the one seen if the underlying "
                "rate had not changed (exact conditional test for two Poisson counts). A "
                "change is called statistically significant when p < 0.05."),
    ("Rate per 1,000", "Events per 1,000 residents (ONS population estimates), so that "
                       "areas of different size can be compared."),
    ("Ward", "An electoral ward of the local authority (ONS boundaries)."),
    ("<5 and [c]", "Disclosure control: small counts of sensitive offences are shown as <5, "
                   "and other cells as [c] so that they cannot be worked out from totals."),
)


@dataclass
class Assembled:
    """The document and what the build needs to write beside it."""

    document: Document
    publisher: Publisher
    findings: list[Finding]
    notes: list[str] = field(default_factory=list)
    atlas: dict[str, Any] = field(default_factory=dict)
    """The atlas payload (:mod:`commsafe.atlas`), written beside the document."""


@dataclass
class _Context:
    store: Store
    spec: Spec
    area: Area
    data: AreaMonthly
    pub: Publisher
    source: str
    population: dict[int, float | None]
    kind: str
    registers: Any = None
    notes: list[str] = field(default_factory=list)
    extract: tuple[str, str, str] | None = None
    atlas: dict[str, Any] | None = None
    """The atlas payload (made before the chapters), or None."""
    """The police extract for "who" (name, label, source), once the partner data are read."""
    findings: list[Finding] = field(default_factory=list)
    quality: Any = None
    breaks: pd.DataFrame | None = None
    """Recording breaks of the forces covering the area (:mod:`commsafe.measures.breaks`)."""
    harm: HarmWeights | None = None
    """The spec's harm weights (``harm_weights``), or None."""

    harm_counts: dict[str, int] = field(default_factory=dict)
    """The area's count of each crime type in the period assessed (for the harm ranking)."""

    def harm_factor(self, category: str) -> float:
        """How much a change in ``category`` weighs in the ranking of findings
        (:meth:`HarmWeights.relative_weight` over the area's crimes); 1 without weights."""
        return 1.0 if self.harm is None else self.harm.relative_weight(category,
                                                                       self.harm_counts)

    def break_between(self, category: str, before: Period, after: Period) -> str | None:
        """Words for a recording break of ``category`` between the start of ``before`` and
        the end of ``after`` (the comparison straddles it), or None."""
        b = self.breaks
        if b is None or b.empty:
            return None
        hits = b[(b["category"] == category)
                 & (b["month"] > periods_label(before.start))
                 & (b["month"] <= periods_label(after.end))]
        if hits.empty:
            return None
        words = []
        for _, r in hits.iterrows():
            step = "up" if float(r["ratio"]) > 1 else "down"
            first = parse_month(str(r["month"]))
            words.append(f"the {r['force']} series steps {step} from {first:%B %Y} "
                         f"({float(r['before_per_month']):,.0f} to "
                         f"{float(r['after_per_month']):,.0f} a month)")
        return " and ".join(words)

    def scope(self) -> str:
        return f"{self.area.level} = '{self.area.code}'"

    def name(self, period: Period) -> str:
        """``period`` by name, or by the months that count when only some of them have data
        (:meth:`AreaMonthly.period_name`): 'July 2018', not 'August 2017 to July 2018'."""
        return self.data.period_name(period)

    @property
    def assessed_name(self) -> str:
        return self.name(self.spec.assessed)

    @property
    def compare_name(self) -> str:
        return self.name(self.spec.compare)


# --------------------------------------------------------------------------- helpers

def _population(store: Store, area: Area, years: Sequence[int]) -> tuple[
        dict[int, float | None], list[str]]:
    """The area's residents for each year (the nearest year loaded), and the notes."""
    from commsafe.measures.rates import store_population

    out: dict[int, float | None] = {}
    notes: list[str] = []
    for y in sorted(set(years)):
        pop = store_population(store, area.level, y)
        out[y] = pop.get(area.code)
        if pop.note and pop.note not in notes:
            notes.append(pop.note)
    return out, notes


def _history_periods(spec: Spec) -> list[Period]:
    return [*history(spec.assessed, HISTORY_YEARS - 1), spec.assessed]


def _fmt(n: int | None) -> str:
    return "no data" if n is None else f"{n:,}"


def _change_rows(ctx: _Context, categories: Sequence[str], before: Period | None = None,
                 after: Period | None = None) -> pd.DataFrame:
    """category, before, after (default: the comparison and assessed periods), average (of
    the 5 periods before ``after``), change, pct_change, p_value, significant,
    months_compared. Counted like for like over the months both periods have data for
    (:meth:`AreaMonthly.compared`); ``attrs['comparison']`` says which, or why the
    comparison is refused."""
    from commsafe.measures.significance import change_test

    spec = ctx.spec
    before = before or spec.compare
    after = after or spec.assessed
    earlier = history(after, HISTORY_YEARS)
    cmp = ctx.data.compared(before, after, min_months=spec.min_months_compared)
    data = cmp.data
    rows = []
    for c in categories:
        cats = None if c == ALL_CRIME else [c]
        a = data.count(cats, before) if data else None
        b = data.count(cats, after) if data else ctx.data.count(cats, after)
        avail = ([v for p in earlier if (v := data.count(cats, p)) is not None]
                 if data else [])
        row: dict[str, Any] = {"category": c, before.label: a, after.label: b,
                               "average": (round_half_away(sum(avail) / len(avail), 1)
                                           if avail else None),
                               "change": None, "pct_change": None, "p_value": None,
                               "significant": None,
                               "months_compared": cmp.months if data else None}
        if a is not None and b is not None:
            t = change_test(a, b)
            row.update(change=b - a,
                       pct_change=("No calc" if a < spec.min_base else whole_pct_change(a, b)),
                       p_value=t.p_value, significant=t.words)
        rows.append(row)
    frame = pd.DataFrame(rows)
    for col in (before.label, after.label, "change", "months_compared"):
        frame[col] = frame[col].astype("Int64")
    frame.attrs["average_years"] = (sum(1 for p in earlier if data.available(p))
                                    if data else 0)
    frame.attrs["unit"] = "quarter" if "quarter" in after.kind else "year"
    frame.attrs["comparison"] = _comparison_words(cmp)
    frame.attrs["periods"] = {before.label: before, after.label: after}
    frame.attrs["names"] = {p.label: ctx.name(p) for p in (before, after)}
    frame.attrs["partial"] = cmp.partial or cmp.data is None
    frame.attrs["like_for_like"] = (
        f" (Like for like: the {cmp.months} months both periods have data for.)"
        if cmp.partial and cmp.data else "")
    frame.attrs["like_for_like_short"] = (f" (The same {cmp.months} months.)"
                                          if cmp.partial and cmp.data else "")
    return frame


def _period_labels(frame: pd.DataFrame) -> dict[str, str]:
    """A change table's column labels: its periods by name."""
    return {**_LABELS, **frame.attrs["names"]}


def parse_period_of(frame: pd.DataFrame, label: str) -> Period:
    """The period behind a change table's value column ``label``."""
    return frame.attrs["periods"][label]


def _comparison_words(cmp: Comparison) -> str:
    """What a change table compares, in words: the whole periods, the months they share, or
    why there is no comparison."""
    if cmp.data is None:
        return f"No comparison: {cmp.reason}."
    if not cmp.partial:
        each = f"{cmp.months} month{'' if cmp.months == 1 else 's'} each"
        return (f"{cmp.data.period_name(cmp.after)} compared with "
                f"{cmp.data.period_name(cmp.before)} ({each}).")
    after_months = cmp.data.months_in(cmp.after)
    return (f"{months_text(after_months)} compared with the same {cmp.months} months of "
            f"{cmp.before.name} ({months_text(cmp.data.months_in(cmp.before))}): no data for "
            f"{months_text(cmp.missing)}, so only the months both periods have are counted "
            "(like for like).")


_LABELS = {"category": "Crime type", "average": "Average", "change": "Change",
           "pct_change": "% change", "p_value": "p-value", "significant": "Significance",
           "area_name": "Area", "area_code": "Code", "count": "Count",
           "population": "Residents", "rate_per_1000": "Rate per 1,000", "rank": "Rank",
           "share": "Share", "months_compared": "Months compared"}


def _derived_of(periods_: Sequence[str], compare: Sequence[str]) -> dict[str, list[str]]:
    return {"average": list(periods_), "change": list(compare),
            "pct_change": list(compare), "p_value": list(compare),
            "significant": list(compare)}


# --------------------------------------------------------------------------- sections

def _details(ctx: _Context, built: date) -> list[tuple[str, str]]:
    spec = ctx.spec
    last = max(ctx.data.covered) if ctx.data.covered else None
    return [
        ("Title", _title(ctx, ctx.kind)),
        ("Date", f"{built:%-d %B %Y}"),
        ("Period", _period_detail(ctx)),
        ("Produced by", f"{spec.partnership_name}, with commsafe {__version__}"),
        ("Geographic coverage", f"{ctx.area.name or ctx.area.code} ({ctx.area.code}, "
                                f"{ctx.area.level.upper()})"),
        ("Data to", f"{last:%B %Y}" if last else "no data"),
        ("Status", "Draft for analyst review (generated; edit the Word version)"),
    ]


def _period_detail(ctx: _Context) -> str:
    spec = ctx.spec
    n = len(ctx.data.months_in(spec.assessed))
    if n == len(spec.assessed):
        return f"{_both_names(spec.assessed)}, compared with {_both_names(spec.compare)}"
    return (f"{ctx.assessed_name} (the {n} month{'' if n == 1 else 's'} of "
            f"{_both_names(spec.assessed)} with data), compared with {ctx.compare_name}")


def _both_names(p: Period) -> str:
    """A period's name, with its months when the name does not give them (2023/24)."""
    return p.name if p.name == p.long_name else f"{p.name} ({p.long_name})"


def _covering(ctx: _Context) -> str:
    """The assessed period by what it covers: 'July 2018 (1 month with data)' when only some
    of its months have data, else its name."""
    n = len(ctx.data.months_in(ctx.spec.assessed))
    if n == len(ctx.spec.assessed):
        return ctx.assessed_name
    return f"{ctx.assessed_name} ({n} month{'' if n == 1 else 's'} with data)"


def _title(ctx: _Context, kind: str) -> str:
    what = "Quarterly monitoring report" if kind == "monitoring" else "Strategic assessment"
    return f"{ctx.spec.partnership_name}: {what} {_covering(ctx)}"


def _from_first_data(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """``rows`` (periods, oldest first) from the first with data under ``key``: years before
    any data was loaded are left out, a gap between years with data stays (blank)."""
    first = next((i for i, r in enumerate(rows) if r[key] is not None), len(rows) - 1)
    return rows[first:]


def _part_year_notes(ctx: _Context, frame: pd.DataFrame) -> list[str]:
    """A note for each year of a by-year table counted over only some of its months."""
    full = len(ctx.data.months_in(ctx.spec.assessed))
    return [f"{r['period']}: {int(r['months_with_data'])} of {full} months have data; the "
            "count covers those months only, so no rate is given (it would not compare with "
            "a whole year)." for _, r in frame.iterrows()
            if 0 < int(r["months_with_data"]) < full]


def _overview(ctx: _Context, sec: Section) -> Table:
    """Total crime by year, count and rate (background)."""
    spec = ctx.spec
    rows = []
    for p in _history_periods(spec):
        n, months = ctx.data.count_covered(None, p)
        pop = ctx.population.get(p.start.year)
        whole = months == len(ctx.data.months_in(p))
        rate = rounded_rate(n, pop) if n is not None and whole else None
        rows.append({"period": ctx.name(p), "count": n, "population": pop,
                     "rate_per_1000": rate, "months_with_data": months})
    frame = pd.DataFrame(_from_first_data(rows, "count"))
    frame["count"] = frame["count"].astype("Int64")
    frame["population"] = frame["population"].astype("Int64")
    notes = ["Blank: no data loaded for that period (never zero).",
             *_part_year_notes(ctx, frame)]
    table = ctx.pub.table(
        "overview_by_year", frame.drop(columns="months_with_data"),
        title=f"All crime by year: count and rate per 1,000 "
        f"residents, {ctx.area.name}", keys=["period"],
        query={"measure": "count and rate per 1,000 by year", "area": ctx.area.code,
               "periods": list(frame["period"])},
        labels={"period": "Period", **_LABELS}, source=ctx.source, notes=notes)
    sec.add(table)
    if frame["population"].isna().all():
        sec.add(Paragraph(f"No population is loaded for {ctx.area.name}: rates per 1,000 "
                          "residents cannot be given.", "note"))
    elif frame["count"].notna().sum() >= 1:
        from commsafe.outputs.charts import count_rate_chart

        chart = frame.dropna(subset=["count"])
        full = len(ctx.data.months_in(spec.assessed))
        chart = chart.assign(complete=[m == full for m in chart["months_with_data"]])
        chart["rate_per_1000"] = chart["rate_per_1000"].astype(float)

        def draw(stem: Path) -> list[Path]:
            return count_rate_chart(chart, title=f"All crime, {ctx.area.name}: count and "
                                    "rate per 1,000 residents", source=IMAGE_SOURCE,
                                    out_stem=stem)
        try:
            sec.add(ctx.pub.figure("overview_count_rate", draw, caption="All crime by year: "
                                   "count and rate per 1,000 residents",
                                   alt=f"Bar and line chart of all crime by year in "
                                       f"{ctx.area.name}; the figures are in Table "
                                       f"{table.number}.",
                                   query={"figure": "count and rate by year"},
                                   source=ctx.source))
        except InputError as exc:  # a chart that cannot be drawn is noted, not fatal
            ctx.notes.append(f"overview chart not drawn: {exc}")
    return table


def _asb(ctx: _Context, sec: Section) -> list[Finding]:
    """Disorder beside crime: ASB incidents by year with rates (``asb_by_year``), the
    monthly trend, the change on the comparison period and the wards with most incidents."""
    rows = []
    for p in _history_periods(ctx.spec):
        n, months = ctx.data.count_covered([ASB], p)
        pop = ctx.population.get(p.start.year)
        whole = months == len(ctx.data.months_in(p))
        rows.append({"period": ctx.name(p), "incidents": n, "residents": pop,
                     "rate_per_1000": rounded_rate(n, pop) if n is not None and whole
                     else None, "months_with_data": months})
    frame = pd.DataFrame(_from_first_data(rows, "incidents")).astype(
        {"incidents": "Int64", "residents": "Int64"})
    if frame["incidents"].isna().all() or not frame["incidents"].fillna(0).any():
        sec.add(Paragraph(f"No anti-social behaviour incidents are loaded for "
                          f"{ctx.area.name}.", "note"))
        return []
    notes = ["Blank: no data loaded for that period (never zero).",
             *_part_year_notes(ctx, frame),
             "ASB incidents are recorded by the police but are not crimes; they are "
             "counted apart from crime throughout."]
    table = ctx.pub.table(
        "asb_by_year", frame.drop(columns="months_with_data"),
        title=f"Anti-social behaviour incidents by year: count and "
        f"rate per 1,000 residents, {ctx.area.name}", keys=["period"],
        query={"measure": "ASB count and rate per 1,000 by year", "area": ctx.area.code},
        labels={"period": "Year", "incidents": "Incidents", "residents": "Residents",
                "rate_per_1000": "Rate per 1,000"}, source=ctx.source,
        notes=notes)
    sec.add(table)
    _trend_figure(ctx, sec, [ASB], "asb_trend",
                  f"Anti-social behaviour: monthly incidents, {ctx.area.name}")
    change = _change_rows(ctx, [ASB])
    pair = [ctx.spec.compare.label, ctx.spec.assessed.label]
    ctable = ctx.pub.table(
        "asb_change", change, title=f"Anti-social behaviour: {ctx.assessed_name} "
        f"compared with {ctx.compare_name}", keys=["category"],
        query={"measure": "ASB change", "area": ctx.area.code, "compare": pair},
        labels={**_period_labels(change), "category": "Category"}, source=ctx.source,
        notes=[change.attrs["comparison"]])
    sec.add(ctable)
    found = _change_findings(ctx, change, ctable, prefix="asb")
    sec.add(*found)
    _where(ctx, sec.sub("asb-where", "Where: anti-social behaviour"), [ASB], "asb",
           "Anti-social behaviour", "ASB incidents")
    return found


def _partnership_view(ctx: _Context, sec: Section, frame: pd.DataFrame, name: str,
                      period: str, *, source: str, notes: Sequence[str]) -> int:
    """The partnership's own rows of a countywide view (:data:`CONTEXT_COLUMNS` frame) beside
    the force's rate, with a sentence saying what they are; returns the number of CSPs."""
    code = str(frame.attrs.get("area") or ctx.area.code)
    mine = frame[(frame["level"] == "csp") & (frame["area_code"] == code)]
    peers = int(((frame["level"] == "csp") & (frame["category"] == ALL_CRIME)).sum())
    shown = mine.merge(frame[frame["level"] == "pfa"][["category", "rate_per_1000"]],
                       on="category", suffixes=("", "_force"), how="left")
    shown = shown[["category", "count", "rate_per_1000", "rate_per_1000_force", "rank",
                   "funnel"]]
    sec.add(Paragraph(countywide_sentence(ctx.area.name, peers, period)))
    sec.add(ctx.pub.table(
        name, shown.reset_index(drop=True),
        title=f"{ctx.area.name} in the countywide view, {period}",
        keys=["category"], query={"measure": "countywide view", "area": code,
                                  "period": period},
        labels={**_LABELS, "rate_per_1000_force": "Force rate per 1,000",
                "funnel": "Funnel plot", "category": "Category"},
        source=source, notes=list(notes), value_columns=["count"], category_column="category",
        derived={"rate_per_1000": ["count"], "rank": ["count"], "funnel": ["count"]}))
    return peers


def _context(ctx: _Context, sec: Section) -> list[Finding]:
    """Understanding the wider context: the partnership beside the other CSPs of its
    force(s) and the force area (``context``), with a funnel plot of all crime, and a
    finding naming the types where it is above the 99.8% limit."""
    from commsafe.measures.context import above_limit, context_table
    from commsafe.outputs.charts import funnel_chart

    spec = ctx.spec
    months = [m for m in spec.assessed.months() if m in ctx.data.covered]
    try:
        frame, notes = context_table(ctx.store, ctx.area.code, period_months=months)
    except InputError as exc:
        sec.add(Paragraph(f"No countywide view: {exc}", "note"))
        return []
    if not (frame["level"] == "csp").any():
        sec.add(Paragraph("No countywide view: no partnership of the force is in the "
                          "reference data.", "note"))
        return []
    frame["period"] = ctx.assessed_name if len(months) == len(spec.assessed) else \
        months_text(months)
    ctx.pub.table("context", frame, title="Countywide view: every CSP of the force and the "
                  f"force area, {ctx.assessed_name}",
                  keys=["level", "area_code", "category"],
                  query={"measure": "countywide view", "area": ctx.area.code,
                         "months": [f"{m:%Y-%m}" for m in months]},
                  source=ctx.source + "; ONS population", notes=notes,
                  value_columns=["count"], category_column="category",
                  derived={"rate_per_1000": ["count"], "rank": ["count"],
                           "funnel": ["count"]})
    own = str(frame.attrs["area"])  # the partnership's row: its CSP code
    peers = _partnership_view(ctx, sec, frame, "context_partnership", ctx.assessed_name,
                              source=ctx.source + "; ONS population", notes=notes)

    def draw(stem: Path) -> list[Path]:
        return funnel_chart(frame, category=ALL_CRIME, highlight=own,
                            title=f"All crime: rate per 1,000 residents by CSP against "
                                  f"population, {ctx.assessed_name}", source=IMAGE_SOURCE,
                            out_stem=stem)
    try:
        sec.add(ctx.pub.figure("context_funnel", draw, caption="All crime: funnel plot of "
                               "the force's partnerships", alt=f"Funnel plot of all crime "
                               f"rates of the {peers} CSPs of the force against their "
                               f"population, {ctx.area.name} marked; the figures are in "
                               "context.csv.", query={"figure": "funnel plot"},
                               source=ctx.source))
    except InputError as exc:
        ctx.notes.append(f"funnel plot not drawn: {exc}")
    found: list[Finding] = []
    high = above_limit(frame, area_code=own)
    if high:
        found.append(Finding("context:above-99.8", f"{ctx.area.name} is above the 99.8% "
                             f"control limit of its force's partnerships for "
                             f"{and_list(high)}: more than chance or population size would "
                             "give.", "", "context", "summary", score=float(len(high))))
    return found


def _change_table(ctx: _Context, sec: Section) -> tuple[Table, pd.DataFrame]:
    spec = ctx.spec
    frame = _change_rows(ctx, [ALL_CRIME, *CRIME_TYPES])
    years = frame.attrs["average_years"]
    pair = [spec.compare.label, spec.assessed.label]
    table = ctx.pub.table(
        "change_by_type", frame,
        title=f"Crime by type: {ctx.assessed_name} compared with {ctx.compare_name}",
        keys=["category"], query={"measure": "change by crime type", "area": ctx.area.code,
                                  "compare": pair, "min_base": spec.min_base},
        labels=_period_labels(frame), source=ctx.source, value_columns=pair,
        category_column="category",
        total_rows=[ALL_CRIME], derived=_derived_of(pair, pair),
        emphasis=[c == ALL_CRIME for c in frame["category"]],
        notes=[frame.attrs["comparison"],
               (f"Average: of the {years} earlier periods with data, of the "
                f"{HISTORY_YEARS} before {ctx.assessed_name}." if years != 1 else
                f"Average: the only earlier period with data, of the {HISTORY_YEARS} "
                f"before {ctx.assessed_name}."),
               f"'No calc': % change not given when the earlier count is below "
               f"{spec.min_base}.", "Significance: exact conditional test, p < 0.05."])
    if frame.attrs["partial"]:
        sec.add(Paragraph(str(frame.attrs["comparison"]), "note"))
    sec.add(table)
    return table, frame


def _change_findings(ctx: _Context, frame: pd.DataFrame, table: Table, *,
                     section: str = "summary", only_significant: bool = True,
                     prefix: str = "change") -> list[Finding]:
    spec = ctx.spec
    out: list[Finding] = []
    years = int(frame.attrs.get("average_years", 0))
    first, second = str(frame.columns[1]), str(frame.columns[2])
    for _, r in frame.iterrows():
        a, b = r[first], r[second]
        if pd.isna(a) or pd.isna(b) or r["p_value"] is None or pd.isna(r["p_value"]):
            continue
        significant = str(r["significant"]).startswith("significant")
        if only_significant and not significant:
            continue
        if ctx.pub.rules.is_protected(r["category"]) and min(a, b) < ctx.pub.rules.threshold:
            continue  # never word a count disclosure control would hide
        pct = r["pct_change"] if isinstance(r["pct_change"], int) else None
        stepped = ctx.break_between(str(r["category"]), parse_period_of(frame, first),
                                    parse_period_of(frame, second))
        text = change_sentence(str(r["category"]), int(a), int(b), pct=pct,
                               p_value=float(r["p_value"]), significant=significant,
                               average=(None if pd.isna(r["average"]) else float(r["average"])),
                               average_years=years or None, min_base=spec.min_base,
                               unit=str(frame.attrs.get("unit", "year")),
                               recording_break=stepped)
        # the like-for-like months in full on the first sentence, shortly on the others
        text += (str(frame.attrs.get("like_for_like", "")) if not out
                 else str(frame.attrs.get("like_for_like_short", "")))
        out.append(Finding(f"{prefix}:{slug(str(r['category']))}:{section}", text, table.id,
                           "break" if stepped else "change", section,
                           score=change_score(int(a), int(b), float(r["p_value"]),
                                              harm=ctx.harm_factor(str(r["category"])))))
    return out


def _latest_quarter(ctx: _Context, background: Section) -> list[Finding]:
    """The monitoring report's focus: the latest quarter of the period with data, against
    the quarter before it and the same quarter a year earlier."""
    from commsafe.periods import add_months, financial_quarter, quarter

    spec = ctx.spec
    of = financial_quarter if spec.assessed.kind == "financial_year" else quarter
    latest = of(spec.assessed.end)
    while not ctx.data.available(latest) and latest.start > spec.assessed.start:
        latest = of(add_months(latest.start, -1))
    sec = background.sub("latest-quarter", f"Latest quarter: {latest.name}")
    if not ctx.data.available(latest):
        sec.add(Paragraph("No quarter of the period has data for every month.", "note"))
        return []
    found: list[Finding] = []
    for name, before in (("previous quarter", of(add_months(latest.start, -1))),
                         ("same quarter a year earlier", of(add_months(latest.start, -12)))):
        frame = _change_rows(ctx, [ALL_CRIME, *CRIME_TYPES], before, latest)
        pair = [before.label, latest.label]
        table = ctx.pub.table(
            f"quarter_vs_{slug(name)}", frame, title=f"Crime by type: {latest.name} "
            f"compared with the {name} ({before.name})", keys=["category"],
            query={"measure": "change by crime type", "area": ctx.area.code,
                   "compare": pair}, labels=_period_labels(frame), source=ctx.source,
            value_columns=pair,
            category_column="category", total_rows=[ALL_CRIME],
            derived=_derived_of(pair, pair), emphasis=[c == ALL_CRIME for c in frame["category"]],
            notes=[frame.attrs["comparison"],
                   "Blank: no data loaded for that quarter (never zero).",
                   f"Average: of the {frame.attrs['average_years']} quarter(s) with data of the "
                   f"{HISTORY_YEARS} before {latest.name}."])
        sec.add(table)
        found += _change_findings(ctx, frame, table, prefix=f"quarter-{slug(name)}")
    return found


def _priority_chapter(ctx: _Context, pr: Priority, number: int) -> Section:
    spec = ctx.spec
    key = f"priority-{number}"
    sec = Section(key, f"Priority {number}: {pr.name}")
    if pr.rationale:
        sec.add(Paragraph(pr.rationale, "lead"))
    if pr.owner:
        sec.add(Paragraph(f"Lead: {pr.owner}.", "note"))
    subject = subject_for(list(pr.categories))[0]
    # indicators
    ind_sec = sec.sub(f"{key}-indicators", "Measures of success")
    results: list[tuple[IndicatorResult, bool, str]] = []
    mark = ctx.pub.rules.primary_mark
    for ind in pr.indicators:
        data, cats = ctx.data, list(ind.categories)
        if ind.dataset is not None:  # a partner data set's records in the area
            data, cats = AreaMonthly.for_dataset(ctx.store, ind.dataset, ctx.area), [ind.dataset]
            _dataset_trend(ctx, trend_for_datasets(sec, key), ind.dataset, data, key)
        # like for like over the months the periods compared share (as the change tables;
        # the earlier periods of an average are counted over the same months)
        data = data.compared(spec.compare, spec.assessed,
                             min_months=spec.min_months_compared).data or data
        named = ctx.name if ind.dataset is None else data.period_name
        res = evaluate_indicator(data, name=ind.name, measure=ind.measure,
                                 categories=cats, target_kind=ind.target.kind,
                                 target_value=ind.target.value, assessed=spec.assessed,
                                 compare=spec.compare, population=ctx.population)
        # a protected category's small counts are not published, nor the words around them
        small = [n for n in (res.count, res.compare_count,
                             res.baseline if ind.measure == "count" else None)
                 if n is not None and 0 < n < ctx.pub.rules.threshold]
        withheld = bool(small) and _protected_subject(ctx, ind.categories) is not None
        detail = (f"figures withheld: counts below {ctx.pub.rules.threshold} in a protected "
                  "category are not published") if withheld else indicator_detail(
                      res, assessed=named(spec.assessed), compare=named(spec.compare))
        results.append((res, withheld, detail))
        value = res.value
        shown = ("no data" if value is None else mark if withheld else
                 f"{int(value):,}" if ind.measure == "count" else
                 f"{round_half_away(value, 1):,.1f}")
        ind_sec.add(Status(ind.name, _target_words(ind.target.kind, ind.target.value),
                           shown, res.status, detail))
    if results:
        frame = pd.DataFrame([{"indicator": r.name, "measure": r.measure,
                               "target": r.target,
                               "value": mark if withheld and r.value is not None else r.value,
                               "baseline": (mark if withheld and r.baseline is not None
                                            else r.baseline),
                               "status": r.status, "detail": detail}
                              for r, withheld, detail in results])
        ctx.pub.table(f"{key}_indicators", frame, title=f"{pr.name}: measures of success",
                      keys=["indicator"], query={"priority": pr.name, "measure": "indicators"},
                      source=ctx.source)
        for r, _, detail in results:
            if r.status == "off track":
                ctx.findings.append(Finding(f"indicator:{slug(r.name)}",
                                            f"{r.name} is off track: {detail}.", "",
                                            "indicator", "summary"))
    else:
        ind_sec.add(Paragraph("No indicators are set for this priority: add measures of "
                              "success under [[priorities.indicators]] in the spec.", "note"))
    # trend
    trend = sec.sub(f"{key}-trend", "Trend")
    _trend_figure(ctx, trend, list(pr.categories), f"{key}_trend",
                  f"{pr.name}: monthly count, {ctx.area.name}")
    frame = _change_rows(ctx, list(pr.categories))
    pair = [spec.compare.label, spec.assessed.label]
    table = ctx.pub.table(
        f"{key}_performance", frame, title=f"{pr.name}: {ctx.assessed_name} compared "
        f"with {ctx.compare_name}", keys=["category"],
        query={"priority": pr.name, "measure": "change by crime type", "compare": pair},
        labels=_period_labels(frame), source=ctx.source, value_columns=pair,
        category_column="category",
        derived=_derived_of(pair, pair), notes=[frame.attrs["comparison"]])
    trend.add(table)
    found = _change_findings(ctx, frame, table, section=key, only_significant=False)
    trend.add(*found)
    # where
    if ctx.kind != "monitoring":
        where = sec.sub(f"{key}-where", "Where")
        _where(ctx, where, list(pr.categories), key, pr.name, subject)
        if ctx.extract is not None:
            _who(ctx, sec.sub(f"{key}-who", "Who: victims and offenders"), ctx.extract[0],
                 ctx.extract[1], ctx.extract[2], police_uk=list(pr.categories), key=key)
        _interventions(ctx, sec, pr, key)
    # partner data (made while measuring indicators) read best after trend and where
    partner = [c for c in sec.children if c.id == f"{key}-partner"]
    if partner:
        sec.children.remove(partner[0])
        at = next((i for i, c in enumerate(sec.children) if c.id.endswith("-interventions")),
                  len(sec.children))
        sec.children.insert(at, partner[0])
    return sec


def _protected_subject(ctx: _Context, categories: Sequence[str]) -> str | None:
    """The first protected category among ``categories`` (a table of their sum is protected
    as a whole), or None."""
    return next((c for c in categories if ctx.pub.rules.is_protected(c)), None)


def trend_for_datasets(sec: Section, key: str) -> Section:
    """The chapter's "Partner data" sub-section (made on first use)."""
    for child in sec.children:
        if child.id == f"{key}-partner":
            return child
    return sec.sub(f"{key}-partner", "Partner data")


def _dataset_trend(ctx: _Context, sec: Section, dataset: str, data: AreaMonthly,
                   key: str) -> None:
    """A partner data set's monthly records in the area, once per chapter."""
    from commsafe.measures.trends import yearly_average_monthly
    from commsafe.outputs.charts import trend_chart

    stem = f"{key}_{slug(dataset)}_trend"
    if any(isinstance(b, Figure) and b.png.stem == stem for b in sec.blocks):
        return
    monthly = data.monthly([dataset])
    if monthly.empty:
        sec.add(Paragraph(f"{dataset} has no records in {ctx.area.name}.", "note"))
        return
    title = ctx.store.con.execute("SELECT coalesce(title, dataset), synthetic FROM datasets "
                                  "WHERE dataset = ?", [dataset]).fetchall()[0]
    label = str(title[0])
    kind = ctx.spec.assessed.kind if ctx.spec.assessed.kind in (
        "financial_year", "calendar_year") else "financial_year"
    yearly = yearly_average_monthly(monthly, kind)
    source = f"{label}{' (synthetic)' if title[1] else ''}; commsafe"

    def draw(stem_path: Path) -> list[Path]:
        return trend_chart(monthly, yearly, title=f"{label}: records by month, "
                           f"{ctx.area.name}", source=IMAGE_SOURCE, out_stem=stem_path)

    sec.add(ctx.pub.figure(stem, draw, caption=f"{label}: records by month, {ctx.area.name}",
                           alt=f"Monthly bar chart of {label} records in {ctx.area.name}.",
                           query={"figure": "records by month", "dataset": dataset,
                                  "area": ctx.area.code}, source=source))


def _target_words(kind: str, value: float | None) -> str:
    if kind == "below_average":
        return f"Below the {int(value or 5)}-year average"
    if kind == "change":
        v = float(value or 0)
        return f"{v:+g}% on the comparison period"
    return "No statistically significant increase"


def _trend_figure(ctx: _Context, sec: Section, categories: list[str] | None, name: str,
                  title: str) -> None:
    from commsafe.measures.trends import yearly_average_monthly
    from commsafe.outputs.charts import trend_chart

    monthly = ctx.data.monthly(categories)
    if monthly.empty:
        sec.add(Paragraph("No months with data: no trend to show.", "note"))
        return
    kind = ctx.spec.assessed.kind if ctx.spec.assessed.kind in (
        "financial_year", "calendar_year") else "financial_year"
    yearly = yearly_average_monthly(monthly, kind)

    def draw(stem: Path) -> list[Path]:
        return trend_chart(monthly, yearly, title=title, source=IMAGE_SOURCE, out_stem=stem)

    sec.add(ctx.pub.figure(name, draw, caption=title,
                           alt=f"Monthly bar chart: {title}. Dashed lines mark each year's "
                               "average month; months without data are shaded.",
                           query={"figure": "monthly trend", "categories": categories or
                                  [ALL_CRIME], "area": ctx.area.code}, source=ctx.source))


def _where(ctx: _Context, sec: Section, categories: list[str], key: str, name: str,
           subject: str) -> None:
    from commsafe.measures.rates import rates_table

    spec = ctx.spec
    level = spec.geography
    frame = rates_table(ctx.store, level, period=spec.assessed, categories=categories,
                        within=ctx.area)
    if frame.empty or int(frame["count"].sum()) == 0:
        if _where_2011(ctx, sec, categories, key, name, subject):
            return
        sec.add(Paragraph(f"No {subject} in {ctx.assessed_name} were placed in a "
                          f"{level}.", "note"))
        return
    frame = frame.sort_values(["count", "area_code"], ascending=[False, True]).reset_index(
        drop=True)
    show = ["area_name", "count", "population", "rate_per_1000", "rank"]
    table = ctx.pub.table(
        f"{key}_{level}s", frame, title=f"{name} by {level}, {ctx.assessed_name}: count and "
        "rate per 1,000 residents", keys=["area_code", "area_name"],
        query={"priority": name, "measure": f"rates by {level}", "period": spec.assessed.label},
        labels=_LABELS, source=ctx.source + "; ONS population", value_columns=["count"],
        subject=_protected_subject(ctx, categories),
        derived={"rate_per_1000": ["count"], "rate_ci_low": ["count"],
                 "rate_ci_high": ["count"], "share": ["count"], "rank": ["count"]},
        show=show, max_rows=10, notes=list(frame.attrs.get("notes", [])))
    top = " ".join(
        top_areas_sentence(frame, measure=measure, subject=subject, n=3, level=level,
                           column=column, quantity="")
        for measure, column in (("number", "count"),
                                ("rate per 1,000 residents", "rate_per_1000"))
        if frame[column].notna().any()) if not _protected_subject(ctx, categories) else ""
    if top:
        sec.add(Paragraph(top))
    if len(frame) and not _protected_subject(ctx, categories):
        _map_figure(ctx, sec, frame, level, f"{key}_map", f"{name}: rate per 1,000 residents "
                    f"by {level}, {ctx.assessed_name}", categories)
    sec.add(table)
    _hotspots(ctx, sec, categories, key, subject)


def _where_2011(ctx: _Context, sec: Section, categories: list[str], key: str, name: str,
                subject: str) -> bool:
    """Where, on the 2011 LSOAs the events were placed by, when no ward or 2021 LSOA is
    loaded (the atlas computed them, disclosure applied); False when there are none."""
    level = (ctx.atlas or {}).get("levels", {}).get("lsoa11")
    from commsafe.atlas.data import indicator_id

    ind = indicator_id(categories, name) if categories else "all-crime"
    block = (ctx.atlas or {}).get("values", {}).get("lsoa11", {}).get(ind, {}).get(
        ctx.spec.assessed.label)
    if level is None or block is None:
        return False
    marks = block["marks"]
    frame = pd.DataFrame({
        "area_code": [a["code"] for a in level["areas"]],
        "area_name": [a["name"] for a in level["areas"]],
        "count": [marks.get(str(i), c) for i, c in enumerate(block["count"])],
        "rate_per_1000": block["rate"], "rank": pd.array(block["rank"], dtype="Int64")})
    shown = frame[[not isinstance(c, str) for c in frame["count"]]]
    if shown.empty or int(shown["count"].sum()) == 0:
        return False
    frame = frame.sort_values("rank", na_position="last", kind="stable").reset_index(drop=True)
    sec.add(Paragraph("No ward or 2021 LSOA boundaries are loaded: areas are the 2011 LSOAs "
                      "the events were placed by.", "note"))
    protected = _protected_subject(ctx, categories)
    if not protected:
        sec.add(Paragraph(top_areas_sentence(
            shown.assign(count=shown["count"].astype(int)), measure="number", subject=subject,
            n=3, level="lsoa", column="count", quantity="")))
        _map_figure(ctx, sec, frame.assign(count=pd.to_numeric(frame["count"],
                                                               errors="coerce")),
                    "lsoa11", f"{key}_map", f"{name}: rate per 1,000 residents by 2011 LSOA, "
                    f"{ctx.assessed_name}", categories)
    sec.add(ctx.pub.table(
        f"{key}_lsoa11s", frame, title=f"{name} by 2011 LSOA, {ctx.assessed_name}",
        keys=["area_code", "area_name"],
        query={"priority": name, "measure": "counts and rates by 2011 LSOA",
               "period": ctx.spec.assessed.label},
        labels=_LABELS, source=ctx.source, show=["area_name", "count", "rate_per_1000",
                                                 "rank"],
        max_rows=10, notes=[ctx.pub.rules.rule_text()] if marks else []))
    return True


def _map_figure(ctx: _Context, sec: Section, frame: pd.DataFrame, level: str, name: str,
                title: str, categories: list[str] | None) -> None:
    from commsafe.outputs.maps import choropleth
    from commsafe.reference.areas import AREA_LEVELS
    from commsafe.spatial.hotspots import district_outline, store_polygons

    try:
        area_type = "lsoa11" if level == "lsoa11" else AREA_LEVELS[level][1]
        shapes = store_polygons(ctx.store.con, area_type, list(frame["area_code"]))
    except InputError as exc:
        ctx.notes.append(f"{name}: no map ({exc})")
        return
    geo = shapes[["area_code", "geometry"]].merge(frame, on="area_code", how="inner")
    if geo.empty:
        return
    outline = district_outline(ctx.store.con, ctx.area)
    value = "rate_per_1000" if geo["rate_per_1000"].notna().any() else "count"

    def draw(stem: Path) -> list[Path]:
        return choropleth(geo, value, title=title, source=IMAGE_SOURCE, out_stem=stem,
                          legend_title="Rate per 1,000" if value == "rate_per_1000" else
                          "Count", outline=outline,
                          quality_note=ctx.quality.text if ctx.quality else None,
                          label_top=3).paths

    sec.add(ctx.pub.figure(name, draw, caption=title,
                           alt=f"Map of {title}; the figures are in the table that follows.",
                           query={"figure": "choropleth", "level": level, "value": value,
                                  "categories": categories or [ALL_CRIME]},
                           source=ctx.source + "; ONS boundaries and population"))


def _hotspots(ctx: _Context, sec: Section, categories: list[str], key: str,
              subject: str) -> None:
    from commsafe.measures.areas import count_by_area
    from commsafe.spatial.hotspots import gistar_polygons, store_polygons

    spec = ctx.spec
    try:
        counts = count_by_area(ctx.store, "lsoa", period=spec.assessed, categories=categories,
                               within=ctx.area)
        polys = store_polygons(ctx.store.con, "lsoa21", list(counts.index))
        if len(polys) < 10 or int(counts.sum()) < 30:
            sec.add(Paragraph("Too few areas or events for a hotspot analysis.", "note"))
            return
        result = gistar_polygons(polys, {str(k): int(v) for k, v in counts.items()})
    except InputError as exc:
        sec.add(Paragraph(f"No hotspot analysis: {exc}", "note"))
        return
    hot = result.frame[result.frame["class"] == "hot"].sort_values("gi_z", ascending=False)
    names = dict(ctx.store.con.execute(
        "SELECT area_code, any_value(area_name) FROM areas WHERE area_type = 'lsoa21' "
        "GROUP BY 1").fetchall())
    moved = _hotspot_change(ctx, polys, categories, result)
    if moved is not None:
        new = moved[moved["change"] == "new"].sort_values("gi_z_second", ascending=False)
        counts_by = moved["change"].value_counts()
        if len(new):
            shown = ", ".join(str(names.get(c, c)) for c in new["area_code"].head(5))
            extra = f" and {len(new) - 5} more" if len(new) > 5 else ""
            text = (f"{len(new)} LSOA{'s are' if len(new) != 1 else ' is a'} new "
                    f"hotspot{'s' if len(new) != 1 else ''} of {subject} in "
                    f"{ctx.assessed_name}, not hot in {ctx.compare_name}: "
                    f"{shown}{extra}.")
            ctx.findings.append(Finding(f"hotspot-new:{key}", text, "", "hotspot", "summary"))
        sec.add(Paragraph(
            f"Compared with {ctx.compare_name}: "
            + ", ".join(f"{int(counts_by.get(c, 0))} {c}" for c in
                        ("new", "persistent", "intensifying", "diminishing", "former"))
            + " hotspot LSOAs (a hotspot is 'intensifying' or 'diminishing' when its Gi* z "
            "changed by more than 1)."))
    if hot.empty:
        sec.add(Paragraph(f"No LSOA is a statistically significant hotspot of {subject} in "
                          f"{ctx.assessed_name} (Getis-Ord Gi*, false discovery rate 5%)."))
        return
    listed = ", ".join(f"{names.get(c, c)}" for c in hot["area_code"].head(5))
    more = f" and {len(hot) - 5} more" if len(hot) > 5 else ""
    text = (f"{len(hot)} of {len(result.frame)} LSOAs form statistically significant "
            f"hotspots of {subject} in {ctx.assessed_name} (Getis-Ord Gi*, false discovery "
            f"rate 5%): {listed}{more}.")
    frame = hot[["area_code", "count", "gi_z", "p_adjusted"]].rename(
        columns={"p_adjusted": "p_value"})
    frame.insert(1, "area_name", [names.get(c, c) for c in frame["area_code"]])
    frame["gi_z"] = frame["gi_z"].round(2)
    frame["p_value"] = frame["p_value"].astype(float)
    table = ctx.pub.table(f"{key}_hotspots", frame.reset_index(drop=True),
                          title=f"Hotspot LSOAs: {subject}, {ctx.assessed_name}",
                          keys=["area_code", "area_name"],
                          query={"measure": "Gi* hotspots, LSOA", "categories": categories,
                                 **result.params},
                          labels={**_LABELS, "gi_z": "Gi* z", "p_value": "p (FDR-adjusted)"},
                          source=ctx.source, value_columns=["count"],
                          subject=_protected_subject(ctx, categories),
                          derived={"gi_z": ["count"], "p_value": ["count"]},
                          max_rows=10, notes=result.notes)
    sec.add(Paragraph(text), table)
    ctx.findings.append(Finding(f"hotspot:{key}", text, table.id, "hotspot", key))


def _hotspot_change(ctx: _Context, polys: Any, categories: list[str],
                    result: Any) -> pd.DataFrame | None:
    """How the hotspots moved since the comparison period (None when it has no data)."""
    from commsafe.measures.areas import count_by_area
    from commsafe.spatial.hotspots import classify_periods, gistar_polygons

    spec = ctx.spec
    if not ctx.data.available(spec.compare) or ctx.data.offsets is not None:
        return None
    before = count_by_area(ctx.store, "lsoa", period=spec.compare, categories=categories,
                           within=ctx.area)
    codes = set(result.frame["area_code"])
    earlier = gistar_polygons(polys, {str(k): int(v) for k, v in before.items()
                                      if str(k) in codes})
    return classify_periods(earlier, result)


def _interventions(ctx: _Context, sec: Section, pr: Priority, key: str) -> None:
    log = ctx.registers.get("interventions") if ctx.registers else None
    if log is None:
        return
    from commsafe.profiles.interventions import intervention_paragraph
    from commsafe.reference.areas import find_area

    chosen = [iv for iv in log
              if not iv.categories or set(iv.categories) & set(pr.categories)]
    if not chosen:
        return
    out = sec.sub(f"{key}-interventions", "Interventions and their outcomes")
    for iv in chosen:
        cats = list(iv.categories) or list(pr.categories)
        try:
            where = find_area(ctx.store.con, iv.area)
            events = _monthly_events(ctx, where, cats)
            comparison = None
            if iv.comparison_area:
                comparison = _monthly_events(ctx, find_area(ctx.store.con, iv.comparison_area),
                                             cats)
            res = iv.evaluate(events, comparison=comparison, subject=subject_for(cats)[0])
            text = intervention_paragraph(res, subject=subject_for(cats)[0])
        except InputError as exc:
            text = f"Not evaluated: {exc}"
        out.add(Paragraph(f"{iv.what} ({iv.area}, from {iv.start:%-d %B %Y})", "lead"),
                Paragraph(text))


def _monthly_events(ctx: _Context, where: Area, categories: list[str]) -> pd.DataFrame:
    """month, count of ``categories`` in ``where`` for every month with data."""
    return AreaMonthly.read(ctx.store, where).monthly(categories)


def _partner(ctx: _Context, sec: Section) -> None:
    """Each partner data set named in the spec: records by month and year, and for police
    extracts (victim and offender ages) who is involved: the age and sex pyramid."""
    from commsafe.measures.partner import records_monthly
    from commsafe.measures.trends import yearly_average_monthly
    from commsafe.outputs.charts import trend_chart
    from commsafe.sources.mapped import read_mapping

    spec = ctx.spec
    used: set[str] = set()
    for ds in spec.datasets:
        m = read_mapping(ds.mapping)
        title = m.title or m.name
        label = (f"{title} (SYNTHETIC: made-up data, never evidence)"
                 if m.synthetic and "synthetic" not in title.lower() else title)
        sub = sec.sub(f"partner-{slug(m.name)}", label)
        monthly = records_monthly(ctx.store, m.name, m.kind)
        year_kind = spec.assessed.kind if spec.assessed.kind in (
            "financial_year", "calendar_year") else "financial_year"
        yearly = yearly_average_monthly(monthly, year_kind)
        source = f"{title}{' (synthetic)' if m.synthetic else ''}; commsafe"

        def draw(stem: Path, monthly: pd.DataFrame = monthly, yearly: pd.DataFrame = yearly,
                 label: str = label) -> list[Path]:
            return trend_chart(monthly, yearly, title=f"{label}: records by month",
                               source=IMAGE_SOURCE, out_stem=stem)

        sub.add(Paragraph(" ".join(str(n) for n in monthly.attrs.get("notes", [])), "note"))
        short = _short_name(m.kind, used)
        sub.add(ctx.pub.figure(f"{short}_trend", draw,
                               caption=f"{label}: records by month",
                               alt=f"Monthly bar chart of {label} records.",
                               query={"figure": "records by month", "dataset": m.name},
                               source=source))
        table = yearly[["period", "months_with_data", "total", "average_monthly"]].copy()
        table["average_monthly"] = table["average_monthly"].astype(float).round(1)
        sub.add(ctx.pub.table(f"{short}_by_year", table,
                              title=f"{label}: records by year", keys=["period"],
                              query={"measure": "records by year", "dataset": m.name},
                              labels={"period": "Year", "months_with_data": "Months with data",
                                      "total": "Records", "average_monthly": "Average a month"},
                              source=source))
        if m.kind == "police_extract":
            _who(ctx, sub, m.name, label, source)
            if ctx.extract is None:
                ctx.extract = (m.name, label, source)


def _short_name(kind: str, used: set[str]) -> str:
    """A file and sheet name for a partner data set: its kind, numbered when repeated."""
    name, n = kind, 1
    while name in used:
        n += 1
        name = f"{kind}_{n}"
    used.add(name)
    return name


def _who(ctx: _Context, sec: Section, dataset: str, label: str, source: str, *,
         police_uk: list[str] | None = None, key: str = "") -> None:
    """The victim/offender pyramid from a police extract: all its records, or (for a
    priority) those whose Home Office offence code police.uk publishes under ``police_uk``."""
    from commsafe.outputs.pyramid_charts import pyramid_chart
    from commsafe.profiles.pyramids import people, pyramid, record_people

    spec = ctx.spec
    what = f" ({', '.join(police_uk)})" if police_uk else ""
    try:
        rows, inside = record_people(ctx.store, dataset, within=ctx.area, period=spec.assessed,
                                     police_uk=police_uk)
    except InputError as exc:
        sec.add(Paragraph(f"No victim and offender profile{what}: {exc}", "note"))
        return
    if inside.empty:
        sec.add(Paragraph(f"{label} has no records{what} in {ctx.area.name} in "
                          f"{ctx.assessed_name}.", "note"))
        return
    if police_uk and any(ctx.pub.rules.is_protected(c) for c in police_uk):
        sec.add(Paragraph("Not shown: the pyramid of a protected category would publish "
                          "small counts.", "note"))
        return
    victims, offenders = pyramid(people(inside, "victim")), pyramid(people(inside, "offender"))
    whole_v, whole_o = pyramid(people(rows, "victim")), pyramid(people(rows, "offender"))
    title = (f"Victims and offenders by age and sex{what}, {ctx.area.name}, "
             f"{ctx.assessed_name}")
    if police_uk:
        sec.add(Paragraph(f"From {label}: the {len(inside):,} records in {ctx.area.name} "
                          f"whose Home Office offence code police.uk publishes under "
                          f"{' or '.join(police_uk)}."))

    known = {"victims": int(victims["count"].sum()), "offenders": int(offenders["count"].sum())}
    if not any(known.values()):
        sec.add(Paragraph(f"No victim or offender of known age and sex{what} in "
                          f"{ctx.area.name} in {ctx.assessed_name}.", "note"))
        return
    if not all(known.values()):
        missing = next(k for k, v in known.items() if not v)
        title = title.replace("Victims and offenders",
                              "Offenders" if missing == "victims" else "Victims", 1)
        sec.add(Paragraph(f"No {missing} of known age and sex{what} are recorded (for "
                          "example, the victims of shoplifting are businesses): only the "
                          f"{'offenders' if missing == 'victims' else 'victims'} are shown.",
                          "note"))

    def draw(stem: Path) -> list[Path]:
        if not known["victims"]:
            return pyramid_chart(offenders, None, value="share", comparison=whole_o,
                                 comparison_label=f"all of {label}", title=title,
                                 source=IMAGE_SOURCE, out_stem=stem,
                                 panel_titles=("Offenders", ""))
        return pyramid_chart(victims, offenders if known["offenders"] else None,
                             value="share", comparison=whole_v,
                             offender_comparison=whole_o if known["offenders"] else None,
                             comparison_label=f"all of {label}", title=title,
                             source=IMAGE_SOURCE, out_stem=stem)

    stem = f"{key}_who" if key else "who"
    sec.add(ctx.pub.figure(stem, draw, caption=title,
                           alt=f"Age and sex pyramid of victims and offenders in "
                               f"{ctx.area.name}; the counts are in the tables that follow.",
                           query={"figure": "pyramid", "dataset": dataset,
                                  "period": spec.assessed.label,
                                  "police_uk": police_uk or "all"}, source=source))
    names = []
    for who, frame in (("victims", victims), ("offenders", offenders)):
        notes = [str(n) for n in frame.attrs.get("notes", [])]
        name = f"{stem}_{who}"
        ctx.pub.table(name, frame.reset_index(drop=True),
                      title=f"{who.capitalize()} by age band and sex{what}, {ctx.area.name}",
                      keys=["age_band", "sex"],
                      query={"measure": f"{who} by age and sex", "dataset": dataset,
                             "period": spec.assessed.label, "police_uk": police_uk or "all"},
                      source=source, notes=notes)
        names.append(f"data/{name}.csv")
        if notes:
            sec.add(Paragraph(f"{who.capitalize()}: " + "; ".join(notes) + ".", "note"))
    sec.add(Paragraph(f"The counts behind the pyramid are in {' and '.join(names)} and "
                      "tables.xlsx.", "note"))


def _recommendations(ctx: _Context, sec: Section, *, appendix: bool) -> None:
    reg = ctx.registers.get("recommendations") if ctx.registers else None
    if reg is None:
        sec.add(Paragraph("No recommendations register is set: add one with "
                          "recommendations = \"register.csv\" in the spec (columns id, date, "
                          "document, theme, text, owner, status, due date, update).", "note"))
        return
    from commsafe.sources.registers import register_table, status_summary

    as_of = ctx.spec.assessed.end
    as_of = date(as_of.year + (as_of.month == 12), as_of.month % 12 + 1, 1)
    table = register_table(reg, as_of=as_of)
    if appendix:
        sec.add(ctx.pub.table("recommendations", table, title="Recommendations register",
                              keys=["id"], query={"register": str(ctx.spec.recommendations),
                                                  "as_of": as_of.isoformat()}))
        summary = status_summary(reg, as_of)
        sec.add(ctx.pub.table("recommendations_status", summary,
                              title="Recommendations by status", keys=[str(summary.columns[0])],
                              query={"register": str(ctx.spec.recommendations)}))
    else:
        open_ = table[~table["status"].isin(["Complete", "Closed", "Superseded"])]
        items = [f"{r['id']}: {r['recommendation']} ({r['status']}"
                 + (f", owner {r['owner']}" if r.get("owner") else "") + ")"
                 for _, r in open_.iterrows()]
        sec.add(Bullets(tuple(items)) if items else Paragraph(
            "Every recommendation in the register is complete or closed."))


def _sources(ctx: _Context, sec: Section) -> None:
    from commsafe.outputs.manifest import current_inputs

    inputs = current_inputs(ctx.store)
    frame = pd.DataFrame([{"file": Path(i.path).name, "kind": i.kind,
                           "rows_read": i.rows_read, "rows_loaded": i.rows_loaded,
                           "sha256": i.sha256[:12]} for i in inputs])
    if frame.empty:
        frame = pd.DataFrame(columns=["file", "kind", "rows_read", "rows_loaded", "sha256"])
    frame = frame.sort_values(["kind", "file", "sha256"]).reset_index(drop=True)
    frame["rows_read"] = frame["rows_read"].astype("Int64")
    frame["rows_loaded"] = frame["rows_loaded"].astype("Int64")
    sec.add(Paragraph("Every input the store held when this document was built. The full "
                      "list with SHA-256 checksums, and every table and figure with the query "
                      "that made it, is in manifest.json beside this document."))
    sec.add(ctx.pub.table("sources", frame,  # keyed by file, never by row position
                          title="Data sources", keys=["kind", "file", "sha256"],
                          query={"inputs": "loads table"}, show=["file", "kind", "rows_read",
                                                                  "rows_loaded", "sha256"],
                          labels={"file": "File", "kind": "Kind", "rows_read": "Rows read",
                                  "rows_loaded": "Rows loaded", "sha256": "SHA-256 (start)"},
                          max_rows=25))
    _coverage(ctx, sec)
    caveats = [
        "police.uk data are as published by the force at the time of download and are "
        "revised later; a rebuild lists which published figures changed "
        "(changes-since-last-build.md).",
        "police.uk locations are snapped to anonymous map points, so street-level detail is "
        "approximate; areas are found from the LSOA code or the point.",
        "Recorded crime reflects reporting and recording as well as crime: changes in "
        "recording practice move some types (violence without injury, public order, "
        "stalking and harassment).",
        RANKING_RULE,
        *ctx.notes,
    ]
    if ctx.quality is not None:
        caveats.insert(0, ctx.quality.text)
    sec.add(Bullets(tuple(caveats)))


def _coverage(ctx: _Context, sec: Section) -> None:
    """Which force-months of the periods assessed and compared have data
    (``data/coverage.csv``), and the missing ones in words."""
    from commsafe.measures.areas import coverage
    from commsafe.measures.breaks import METHOD

    spec = ctx.spec
    months = sorted({*spec.compare.months(), *spec.assessed.months()})
    frame = coverage(ctx.store, within=ctx.area, months=months)
    gaps = frame[frame["status"] == "missing"]
    if gaps.empty:
        text = (f"Every force covering {ctx.area.name} published street-level data for every "
                f"month of {spec.compare.name} and {spec.assessed.name}.")
    else:
        by_force = gaps.groupby("force")["month"].apply(list)
        text = "; ".join(f"{force} published no street-level data for "
                         f"{months_text([parse_month(m) for m in ms])}"
                         for force, ms in by_force.items()) + (
            ". Counts over those months are not zero but unknown: comparisons use only the "
            "months both periods have.")
    sec.add(Paragraph(text))
    if ctx.breaks is not None:
        breaks = ctx.breaks
        untested = [str(n) for n in breaks.attrs.get("notes", [])[1:]]  # too short to test
        sec.add(ctx.pub.table(
            "recording_breaks", breaks, title="Recording breaks: level shifts detected in "
            "each force's monthly series", keys=["force", "category", "month"],
            query={"measure": "recording breaks", "method": METHOD},
            labels={"force": "Force", "category": "Category", "month": "First month at new "
                    "level", "before_per_month": "Before (a month)", "after_per_month":
                    "After (a month)", "ratio": "Ratio"}, source=ctx.source,
            notes=[METHOD, *untested]))
        if breaks.empty and untested:
            sec.add(Paragraph("No recording break is reported, and none could be looked for "
                              f"where a series is too short: {'; '.join(untested)}", "note"))
        elif breaks.empty:
            sec.add(Paragraph("No recording break was found in any force's monthly series "
                              f"of any category. {METHOD}", "note"))
    ctx.pub.table("coverage", frame, title=f"Coverage: street-level data by force and month, "
                  f"{spec.compare.name} and {spec.assessed.name}", keys=["force", "month"],
                  query={"measure": "coverage by force-month", "area": ctx.area.code},
                  source=ctx.source)


# --------------------------------------------------------------------------- the document

def assemble(store: Store, spec: Spec, area: Area, pub: Publisher, *, kind: str = "assessment",
             registers: dict[str, Any] | None = None, built: date | None = None,
             analyst: Sequence[Any] = ()) -> Assembled:
    """Compute everything and lay out the document (see the module docstring)."""
    from commsafe.findings import apply_analyst_findings
    from commsafe.measures.areas import (
        coverage,
        data_quality,
        force_monthly,
        forces_covering,
        source_line,
    )
    from commsafe.measures.breaks import recording_breaks

    data = AreaMonthly.read(store, area)
    partial: Finding | None = None
    if not data.available(spec.assessed):
        offsets = data.covered_offsets(spec.assessed)
        if not offsets:
            have = sorted(data.covered)
            span = (f"{have[0]:%B %Y} to {have[-1]:%B %Y} ({len(have)} months)" if have
                    else "none")
            cov = coverage(store, within=area, months=list(spec.assessed.months()))
            absent = sorted(f for f, part in cov.groupby("force")
                            if (part["status"] == "missing").all())
            why = (f": {and_list(absent)} published no street-level data for any month of it"
                   f" (a force covering part of {area.name or area.code}, so any count would "
                   "be short)" if absent else "")
            raise InputError(f"the period assessed, {spec.assessed.name}, has no data in "
                             f"{area.name or area.code}{why}. Months with data: {span}. Fix: "
                             f"set [period] in {spec.path or 'the spec'} to a period inside "
                             "them, or load the missing force's files for it.")
        data.offsets = offsets
        months = data.months_in(spec.assessed)
        lacking = [m for m in spec.assessed.months() if m not in months]
        partial = Finding(
            "quality:partial-period", f"Only {len(months)} of the {len(spec.assessed)} months "
            f"of {spec.assessed.name} have data ({months_text(months)}; no data for "
            f"{months_text(lacking)}): every count covers those months only, and every "
            "comparison uses the same months of the earlier periods (like for like).", "",
            "quality", "summary")
    years = [p.start.year for p in [*history(spec.assessed, HISTORY_YEARS), spec.assessed]]
    population, pop_notes = _population(store, area, years)
    ctx = _Context(store, spec, area, data, pub, source_line(store, f"{area.level} = "
                                                             f"'{area.code}'"),
                   population, kind, registers or {}, notes=list(pop_notes))
    if spec.harm_weights is not None:  # a missing or broken file fails the build, said so
        ctx.harm = load_weights(spec.harm_weights)
        ctx.harm_counts = {c: n for c in CRIME_TYPES if (n := data.count([c], spec.assessed))}
        ctx.notes.extend(getattr(ctx.harm, "notes", ()))
    ctx.quality = data_quality(store, period=spec.assessed, within=area)
    ctx.breaks, break_notes = recording_breaks(force_monthly(store, forces_covering(
        store, area, None)))
    ctx.notes.extend(break_notes)
    built = built or date.today()

    summary = Section("summary", "Executive summary")
    background = Section("background", "Background")
    overview = background.sub("overview", "Overview of crime and disorder")
    from commsafe.atlas.data import spec_payload

    atlas: dict[str, Any] = {}
    try:
        atlas = spec_payload(store, spec)
    except InputError as exc:  # e.g. no ward or LSOA boundaries loaded: no atlas, said so
        ctx.notes.append(f"no atlas: {exc}")
    ctx.atlas = atlas
    if atlas:
        overview.add(Paragraph("The interactive community safety atlas beside this "
                               "document (atlas.html: open it in a browser, no network "
                               "needed) maps every crime type, ASB and partner data set by "
                               "ward and LSOA, with a ranked chart, each area's trend and the "
                               "victim and offender pyramid.", "note"))
    _overview(ctx, overview)
    changes = background.sub("changes", f"Changes since {ctx.compare_name}")
    change_table, change_frame = _change_table(ctx, changes)
    change_findings = _change_findings(ctx, change_frame, change_table)
    if kind != "monitoring":
        change_findings += _asb(ctx, background.sub("asb", "Anti-social behaviour"))
        change_findings += _context(ctx, background.sub(
            "context", "Understanding the wider context: countywide view"))
    quarter_findings: list[Finding] = []
    if kind == "monitoring":
        quarter_findings = _latest_quarter(ctx, background)
    if spec.datasets and kind != "monitoring":
        _partner(ctx, background.sub("partner-data", "Partner data"))
    chapters = [_priority_chapter(ctx, pr, i) for i, pr in enumerate(spec.priorities, 1)]
    _trend_figure(ctx, overview, None, "all_crime_trend",
                  f"All crime: monthly count, {area.name}")

    # quality warnings surface as findings
    if partial is not None:
        ctx.findings.insert(0, partial)
    q = ctx.quality
    if q is not None and q.total and q.share_no_location >= 0.05:
        ctx.findings.append(Finding("quality:no-location", q.text, "", "quality", "summary"))
    cmp = data.compared(spec.compare, spec.assessed, min_months=spec.min_months_compared)
    if cmp.data is None:
        ctx.findings.append(Finding("quality:compare-missing",
                                    f"No change on {ctx.compare_name} is given: "
                                    f"{cmp.reason}.", "", "quality", "summary"))
    elif cmp.partial:
        ctx.findings.append(Finding("quality:compare-partial",
                                    str(change_frame.attrs["comparison"]), "", "quality",
                                    "summary"))

    auto = [*quarter_findings, *change_findings, *ctx.findings]
    findings = apply_analyst_findings(auto, list(analyst))
    all_now = data.count(None, spec.assessed)
    pop = population.get(spec.assessed.start.year)
    lead = (f"In {ctx.assessed_name} there were {_fmt(all_now)} crimes recorded in "
            f"{area.name}")
    rate = rounded_rate(all_now, pop) if all_now is not None else None
    if rate is not None:
        lead += f", {rate:,.1f} per 1,000 residents"
    if cmp.data is not None:
        now, before = cmp.data.count(None, spec.assessed), cmp.data.count(None, spec.compare)
        if cmp.partial:
            lead += (f"; over the {cmp.months} months both periods have data for, "
                     f"{now:,} against {before:,} in {ctx.compare_name}")
        else:
            lead += f", against {before:,} in {ctx.compare_name}"
    else:
        lead += f"; there is no comparison with {ctx.compare_name} ({cmp.reason})"
    summary.add(Paragraph(lead + ".", "lead"))
    key = summary.sub("key-findings", "Key findings")
    top, rest = rank_findings([f for f in findings if f.section == "summary"])
    if rest:
        more = changes.sub("more-findings", "Further findings")
        more.add(*rest)
    key.add(*(top or [Finding("none", "No statistically significant change and no "
                               "indicator off track.", "", "quality", "summary")]))
    rec = summary.sub("recommendations", "Recommendations")
    _recommendations(ctx, rec, appendix=False)
    # an analyst's edit or addition stays in the section its finding belongs to
    where = {s.id: s for top_sec in (background, *chapters) for s in top_sec.walk()}
    for f in findings:
        if f.kind == "analyst" and f.section in where:
            where[f.section].add(f)

    sections = [summary, background, *chapters]
    if kind != "monitoring":
        sections.extend(_appendices(ctx))
    else:
        quality = Section("data-quality", "Data quality")
        _sources(ctx, quality)
        sections.append(quality)
    doc = Document(title=_title(ctx, kind), subtitle=f"{area.name} ({area.code})",
                   details=_details(ctx, built), sections=sections, kind=kind,
                   footer=f"{spec.partnership_name} — {_title(ctx, kind)}")
    _number(doc)
    return Assembled(doc, pub, auto, ctx.notes, atlas=atlas)


def _number(doc: Document) -> None:
    """Number tables and figures in the order the document shows them (ids stay as made, so
    citations still find them)."""
    from dataclasses import replace

    counts = {"table": 0, "figure": 0}
    for sec in doc.walk():
        for i, block in enumerate(sec.blocks):
            if isinstance(block, Table | Figure):
                key = "table" if isinstance(block, Table) else "figure"
                counts[key] += 1
                sec.blocks[i] = replace(block, number=counts[key])


def _rolling_counts(ctx: _Context, chosen: Sequence[Period],
                    data: AreaMonthly | None = None) -> Any:
    """The area's counts by crime type for each period (``data``: e.g. like for like over
    some months; default the area's), as a counts table (the performance table's input);
    periods without data for every month counted are left out."""
    from commsafe.sources.counts import CountsTable

    data = data or ctx.data
    rows = []
    for p in chosen:
        total = data.count(None, p)
        if total is None:
            continue
        rows.append((ALL_CRIME, p, total))
        rows += [(c, p, n) for c in CRIME_TYPES if (n := data.count([c], p)) is not None]
    frame = pd.DataFrame([{"area": "", "category": c, "period": p.label, "kind": p.kind,
                           "start": p.start, "count": int(n), "line": i + 2}
                          for i, (c, p, n) in enumerate(rows)])
    return CountsTable(Path("store"), frame, "rolling_12")


def _recorded_performance(ctx: _Context, sec: Section) -> None:
    """The partnership's Home Office police recorded crime by offence group and subgroup,
    by financial year (``recorded_crime`` in the spec), as the published tables give it."""
    from commsafe.measures.performance import PerformanceSpec, performance_table
    from commsafe.sources.home_office import read_recorded_crime, recorded_counts

    assert ctx.spec.recorded_crime is not None
    data = read_recorded_crime(ctx.spec.recorded_crime)  # a broken file fails the build
    try:
        counts, notes = recorded_counts(data, csp=ctx.area.name or ctx.area.code)
        frame = performance_table(counts=counts,
                                  spec=PerformanceSpec(min_base=ctx.spec.min_base))
    except InputError as exc:
        sec.add(Paragraph(f"No recorded crime table: {exc}", "note"))
        return
    years = [c for c in frame.columns if c not in ("category", "average", "change",
                                                   "pct_change", "p_value", "significant")]
    sec.add(ctx.pub.table(
        "recorded_performance", frame, title="Police recorded crime by offence group and "
        f"financial year, {ctx.area.name}", keys=["category"],
        query={"measure": "performance table", "source": "Home Office police recorded crime "
               "by CSP", "file": data.path.name, "area": ctx.area.name},
        labels=_LABELS, source=f"Home Office police recorded crime open data tables by "
        f"Community Safety Partnership ({data.path.name})", value_columns=years,
        category_column="category", total_rows=[ALL_CRIME],
        derived=_derived_of(years, years[-2:]), levels=list(frame.attrs.get("levels", [])),
        emphasis=[c == ALL_CRIME for c in frame["category"]],
        notes=[*notes, *(str(n) for n in frame.attrs.get("notes", [])
                         if not str(n).startswith(("compare:", "average:", "periods:")))]))
    _recorded_context(ctx, sec, data, years[-1])


def _recorded_context(ctx: _Context, sec: Section, data: Any, year: str) -> None:
    """The countywide view from the Home Office table: the partnership beside the other CSPs
    of its force and the force, by offence group, in the table's latest financial year."""
    from commsafe.measures.context import recorded_context_table

    try:
        frame, notes = recorded_context_table(ctx.store, data, ctx.area.name or ctx.area.code,
                                              year=year, by="group")
    except InputError as exc:
        sec.add(Paragraph(f"No countywide view from the recorded crime table: {exc}", "note"))
        return
    ctx.pub.table("recorded_context", frame, title="Countywide view from police recorded "
                  f"crime: every CSP of the force and the force area, {year}",
                  keys=["level", "area_name", "category"],
                  query={"measure": "countywide view", "source": "Home Office police "
                         "recorded crime by CSP", "file": data.path.name, "year": year},
                  source=f"Home Office police recorded crime ({data.path.name}); ONS "
                  "population", notes=notes, value_columns=["count"],
                  category_column="category",
                  derived={"rate_per_1000": ["count"], "rank": ["count"], "funnel": ["count"]})
    _partnership_view(ctx, sec, frame, "recorded_context_partnership", year,
                      source=f"Home Office police recorded crime ({data.path.name}); ONS "
                      "population", notes=notes)
    _recorded_similar(ctx, sec, data, year)


def _recorded_similar(ctx: _Context, sec: Section, data: Any, year: str) -> None:
    """The partnership beside its most similar group of CSPs in England and Wales (by
    deprivation, density and the share aged 15–24), from the Home Office table."""
    from commsafe.measures.similar import similar_comparison

    try:
        found = similar_comparison(ctx.store, data, ctx.area.name or ctx.area.code,
                                   year=year, by="group")
    except CommsafeError as exc:
        sec.add(Paragraph(f"No most similar group comparison: {exc}", "note"))
        return
    members = found.members
    source = (f"Home Office police recorded crime ({data.path.name}); ONS population, "
              "boundaries and Indices of Deprivation")
    sec.add(Paragraph(
        f"How {ctx.area.name} compares with the {len(members) - 1} partnerships of England "
        "and Wales most like it in deprivation (share of residents in the most deprived 20% "
        "of neighbourhoods), residents per hectare and the share aged 15–24, in "
        f"{year}: its rate per 1,000 residents beside the group's average rate and its rank "
        f"in the group (1 = highest rate). The group is the {len(members) - 1} partnerships "
        "nearest to it when the three measures are put on one scale (z-scores) and distances taken "
        "across all three."))
    sec.add(ctx.pub.table(
        "recorded_similar", found.table, title=f"{ctx.area.name} and its most similar group "
        f"of partnerships, {year}", keys=["category"],
        query={"measure": "most similar group", "file": data.path.name, "year": year},
        labels={**_LABELS, "category": "Category",
                "msg_rate_per_1000": "Group average rate per 1,000",
                "members_ranked": "Members ranked", "residents": "Residents"},
        source=source, notes=found.notes, value_columns=["count"], category_column="category",
        derived={"rate_per_1000": ["count"], "msg_rate_per_1000": ["count"],
                 "rank": ["count"]}))
    shown = members[["rank", "csp_name", "distance", "deprived_share", "density",
                     "young_share", "count", "rate_per_1000", "data"]]
    sec.add(ctx.pub.table(
        "recorded_similar_members", shown.reset_index(drop=True),
        title=f"The most similar group of {ctx.area.name}", keys=["csp_name"],
        query={"measure": "most similar group members", "year": year},
        labels={**_LABELS, "rank": "Rank", "csp_name": "Partnership",
                "distance": "Distance", "deprived_share": "Share in most deprived 20%",
                "density": "Residents per hectare", "young_share": "Share aged 15–24",
                "count": "All crime", "rate_per_1000": "All crime per 1,000",
                "data": "Data"},
        source=source, value_columns=["count"], category_column="csp_name",
        derived={"rate_per_1000": ["count"]}))


def _performance_notes(ctx: _Context, chosen: Sequence[Period], frame: pd.DataFrame
                       ) -> list[str]:
    """The performance table's notes in the document's words (the table's own notes are the
    command line's, with its options)."""
    spec = ctx.spec
    notes = [str(frame.attrs["like_for_like"])] if "like_for_like" in frame.attrs else []
    notes.append(f"Change, % change and significance: {ctx.assessed_name} compared with "
                 f"{ctx.compare_name} (exact conditional test, p < 0.05).")
    if len(chosen) > 1:
        notes.append(f"Average: of {ctx.name(chosen[0])} to {ctx.name(chosen[-2])}, over the "
                     "periods with data." if len(chosen) > 2 else
                     f"Average: {ctx.name(chosen[0])}, the only earlier period with data.")
    notes += [f"{ctx.name(p)}: no data loaded: shown blank (not available), never as zero."
              for p in chosen if ctx.data.count(None, p) is None]
    notes += [str(n) for n in frame.attrs.get("notes", [])
              if not str(n).startswith(("compare:", "average:", "'No calc' where"))
              and "no data loaded for this period" not in str(n)]
    notes.append(f"'No calc': % change not given when the earlier count is below "
                 f"{spec.min_base}.")
    return notes


def _appendices(ctx: _Context) -> list[Section]:
    from commsafe.measures.performance import PerformanceSpec, performance_table

    spec = ctx.spec
    out: list[Section] = []
    perf = Section("appendix-performance", "Appendix A: Performance table", appendix=True)
    chosen = _history_periods(spec)
    first = next((i for i, p in enumerate(chosen) if ctx.data.count(None, p) is not None), 0)
    chosen = chosen[first:]  # years before any data was loaded are not columns
    try:
        harm = ctx.harm
        cmp = ctx.data.compared(spec.compare, spec.assessed,
                                min_months=spec.min_months_compared)
        if cmp.partial and cmp.data is not None:  # like for like over the shared months
            frame = performance_table(counts=_rolling_counts(ctx, chosen, cmp.data),
                                      spec=PerformanceSpec(periods=chosen,
                                                           min_base=spec.min_base),
                                      harm=harm)
            frame.attrs["like_for_like"] = _comparison_words(cmp)
        elif spec.assessed.kind in ("financial_year", "calendar_year"):
            frame = performance_table(
                store=ctx.store, kind=spec.assessed.kind, where=ctx.scope(),
                spec=PerformanceSpec(periods=chosen, min_base=spec.min_base), harm=harm)
        else:  # rolling 12 months: the same 12 months of each earlier year
            frame = performance_table(counts=_rolling_counts(ctx, chosen),
                                      spec=PerformanceSpec(periods=chosen,
                                                           min_base=spec.min_base),
                                      harm=harm)
    except InputError as exc:
        frame = None
        perf.add(Paragraph(f"No performance table: {exc}", "note"))
    if frame is not None:
        labels = [c for c in frame.columns if c not in ("category", "average", "change",
                                                        "pct_change", "p_value",
                                                        "significant")
                  and not str(c).startswith("harm")]
        levels = list(frame.attrs.get("levels", []))
        rolling = spec.assessed.kind == "rolling_12"
        span = {"financial_year": "financial year", "calendar_year": "calendar year",
                "rolling_12": f"year to {spec.assessed.end:%B}"}.get(spec.assessed.kind,
                                                                     spec.assessed.kind)
        short = {p.label: (ctx.name(p) if ctx.data.offsets is not None else
                           f"{p.start:%b %Y} to {p.end:%b %Y}") for p in chosen} \
            if rolling else {}
        perf.add(ctx.pub.table(
            "performance", frame, title=f"Performance by crime type and {span}, "
            f"{ctx.area.name}", keys=["category"],
            query={"measure": "performance table", "area": ctx.area.code,
                   "kind": spec.assessed.kind, "min_base": spec.min_base},
            labels={**_LABELS, **short}, source=ctx.source, value_columns=labels,
            category_column="category", total_rows=[ALL_CRIME],
            derived={**_derived_of(labels, labels[-2:]),
                     **{c: [c.removeprefix("harm_")] for c in map(str, frame.columns)
                        if c.removeprefix("harm_") in labels and c.startswith("harm_")},
                     "harm_change": labels[-2:]}, levels=levels,
            emphasis=[c == ALL_CRIME for c in frame["category"]],
            notes=_performance_notes(ctx, chosen, frame)))
    if spec.recorded_crime is not None:
        _recorded_performance(ctx, perf)
    out.append(perf)
    maps = Section("appendix-maps", "Appendix B: Maps", appendix=True)
    from commsafe.measures.rates import rates_table

    level = spec.geography
    frame_all = rates_table(ctx.store, level, period=spec.assessed, within=ctx.area)
    if len(frame_all) and int(frame_all["count"].sum()):
        frame_all = frame_all.sort_values(["count", "area_code"], ascending=[False, True])
        _map_figure(ctx, maps, frame_all, level, "all_crime_map", f"All crime: rate per 1,000 "
                    f"residents by {level}, {ctx.assessed_name}", None)
        maps.add(ctx.pub.table(
            f"all_crime_{level}s", frame_all.reset_index(drop=True),
            title=f"All crime by {level}, {ctx.assessed_name}", keys=["area_code", "area_name"],
            query={"measure": f"rates by {level}", "period": spec.assessed.label},
            labels=_LABELS, source=ctx.source + "; ONS population",
            show=["area_name", "count", "population", "rate_per_1000", "rank"]))
    elif not _where_2011(ctx, maps, [], "all_crime", ALL_CRIME, "crimes"):
        maps.add(Paragraph(f"No map: no crimes in {ctx.assessed_name} were placed in an area "
                           "with boundaries loaded. Load ward or LSOA boundaries with "
                           "'commsafe reference load'.", "note"))
    out.append(maps)
    recs = Section("appendix-recommendations", "Appendix C: Recommendations register",
                   appendix=True)
    _recommendations(ctx, recs, appendix=True)
    if spec.schedule:
        sched = pd.DataFrame([{"quarter": s.quarter, "theme": s.theme, "date": s.date}
                              for s in spec.schedule])
        recs.add(ctx.pub.table("schedule", sched, title="The year's schedule of documents and "
                               "themes", keys=["quarter", "theme"],
                               query={"spec": "schedule"},
                               labels={"quarter": "Quarter", "theme": "Theme",
                                       "date": "Date"}))
    out.append(recs)
    src = Section("appendix-sources", "Appendix D: Data sources and caveats", appendix=True)
    _sources(ctx, src)
    out.append(src)
    glossary = Section("appendix-glossary", "Appendix E: Glossary", appendix=True)
    glossary.add(ctx.pub.table("glossary", pd.DataFrame(GLOSSARY, columns=["term", "meaning"]),
                               title="Glossary", keys=["term"], query={"glossary": "fixed"},
                               labels={"term": "Term", "meaning": "Meaning"}))
    out.append(glossary)
    return out
