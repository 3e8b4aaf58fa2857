"""The performance table: one row per crime category, one column per period, the average of
earlier periods, the change between two periods and whether it is more than chance.

Rules (the published figures analysts are held to):

* a period with no data is *not available* (blank), never zero; the average is taken over
  the chosen periods that have data, shown to one decimal rounded half away from zero;
* % change is rounded to a whole percent, half away from zero; when the base is below
  ``min_base`` it reads ``No calc`` (the threshold differs between publications: a setting);
* every change gets a two-sided exact test for two Poisson counts (conditional binomial),
  its p-value and a plain-words flag.

From the store, a period is available when every one of its months holds data for the
selection (a partly loaded period is shown but left out of the average, and a note says so).
From a counts file, a category's period is available when the file has a row for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from commsafe import hierarchy, periods, taxonomy
from commsafe.errors import InputError
from commsafe.measures.harm import HarmWeights
from commsafe.measures.rounding import round_half_away
from commsafe.measures.significance import change_test
from commsafe.periods import Period
from commsafe.sources.counts import CountsTable
from commsafe.store import Store

__all__ = ["ALL_CRIME", "DEFAULT_MIN_BASE", "NO_CALC", "PerformanceSpec", "performance_table"]

NO_CALC = "No calc"
DEFAULT_MIN_BASE = 5
ALL_CRIME = "All crime"


@dataclass
class PerformanceSpec:
    """What the table covers; None means "choose a default and announce it"."""

    periods: Sequence[Period] | None = None
    compare: tuple[Period, Period] | None = None
    average: Sequence[Period] | None = None
    min_base: int | None = None
    notes: list[str] = field(default_factory=list)


def _parse_list(text: str | None, kind: str | None) -> list[periods.Period] | None:
    if text is None:
        return None
    out: list[periods.Period] = []
    for part in text.split(","):
        part = part.strip()
        if part:
            out.extend(periods.parse_period_range(part, kind) if ":" in part
                       else [periods.parse_period(kind or periods.parse_period_range(part)[0]
                                                  .kind, part)])
    return out


def spec_from_text(periods_text: str | None, compare_text: str | None,
                   average_text: str | None, min_base: int | None,
                   kind: str | None = None) -> PerformanceSpec:
    """A spec from CLI-style text: ``2013/14:2018/19``, ``2017/18,2018/19``."""
    compare = _parse_list(compare_text, kind)
    if compare is not None and len(compare) != 2:
        raise InputError(f"--compare {compare_text!r}: give exactly two periods, the base "
                         "first, e.g. --compare 2017/18,2018/19.")
    return PerformanceSpec(
        periods=_parse_list(periods_text, kind),
        compare=(compare[0], compare[1]) if compare else None,
        average=_parse_list(average_text, kind),
        min_base=min_base,
    )


# --- counts per (category, period) ----------------------------------------------------------

@dataclass
class _Counts:
    values: dict[tuple[str, str], int]       # (category, period label) → count
    available: dict[tuple[str, str], bool]   # where a value is a real figure
    complete: dict[str, bool]                # period label → every month covered (store)
    categories: list[str]
    present: list[periods.Period]            # periods the data holds at all
    source: str


def _from_counts(table: CountsTable, area: str | None) -> _Counts:
    frame = table.frame
    areas = sorted(set(frame["area"]))
    if area is not None:
        frame = frame[frame["area"].str.lower() == area.lower()]
        if frame.empty:
            raise InputError(f"{table.path}: no rows for area {area!r}. Areas in the file: "
                             f"{', '.join(a for a in areas if a) or '(none)'}.")
    elif len(areas) > 1:
        raise InputError(f"{table.path}: rows for several areas ({', '.join(areas)}). "
                         "Choose one with --area.")
    values = {(r.category, r.period): int(r.count) for r in frame.itertuples()}
    labels = {p.label: p for p in table.periods()}
    present = sorted({labels[lbl] for lbl in frame["period"]}, key=lambda p: p.start)
    return _Counts(values, dict.fromkeys(values, True), {p.label: True for p in present},
                   list(dict.fromkeys(frame["category"])), present, str(table.path))


def _from_store(store: Store, kind: str, where: str | None, include_asb: bool) -> _Counts:
    label = periods.sql_label(kind, "month_start")
    cond = f"({where})" if where else "TRUE"
    from commsafe.measures.counts import events_view_sql

    view = f"({events_view_sql()}) v"
    try:
        rows = store.con.execute(
            f"SELECT category, {label} AS period, count(*) "
            f"FROM {view} WHERE {cond} GROUP BY ALL").fetchall()
        months = [r[0] for r in store.con.execute(
            f"SELECT DISTINCT month_start FROM {view} WHERE {cond} ORDER BY 1").fetchall()]
    except Exception as exc:  # DuckDB binder/parser errors from --where
        from commsafe.errors import QueryError

        raise QueryError(f"--where {where!r} cannot run: {str(exc).splitlines()[0]}.") from None
    if not months:
        raise InputError("no events match this selection in the store. Check --where/--area, "
                         "or load data with 'commsafe ingest'.")
    covered = set(months)
    present: dict[str, periods.Period] = {}
    for m in months:
        p = periods.period_of(kind, m)
        present[p.label] = p
    complete = {lbl: all(m in covered for m in p.months()) for lbl, p in present.items()}
    values: dict[tuple[str, str], int] = {}
    for category, period, n in rows:
        if category == taxonomy.ASB and not include_asb:
            continue
        values[(category, period)] = int(n)
    categories = [ALL_CRIME, *hierarchy.police_uk_order()]
    for lbl in present:
        total = sum(n for (c, p), n in values.items() if p == lbl and c != taxonomy.ASB)
        values[(ALL_CRIME, lbl)] = total
        for c in categories:
            values.setdefault((c, lbl), 0)  # a covered period with no such events is zero
    extra = sorted({c for c, _ in values} - set(categories) - {taxonomy.ASB})
    categories += extra
    if include_asb:
        categories.append(taxonomy.ASB)
        for lbl in present:
            values.setdefault((taxonomy.ASB, lbl), 0)
    return _Counts(values, dict.fromkeys(values, True), complete, categories,
                   sorted(present.values(), key=lambda p: p.start), "store")


# --- the table -------------------------------------------------------------------------------

def _check_periods(chosen: Sequence[periods.Period], data: _Counts, what: str) -> None:
    kinds = {p.kind for p in data.present}
    for p in chosen:
        if p.kind not in kinds:
            raise InputError(f"{what} {p.label}: a {p.kind.replace('_', ' ')}, but the data "
                             f"is by {', '.join(sorted(kinds)).replace('_', ' ')}.")


def _add_harm(rows: list[dict[str, object]], weights: HarmWeights,
              chosen: Sequence[Period], compare: tuple[Period, Period] | None,
              notes: list[str]) -> None:
    """Harm columns beside the counts (weights × counts); All crime sums its crime types."""
    unweighted = []
    for record in rows:
        c = str(record["category"])
        if c == ALL_CRIME:
            continue
        w = weights.weight_for(c)
        if w is None:
            unweighted.append(c)
        for p in chosen:
            n = record[p.label]
            record[f"harm_{p.label}"] = (n * w if w is not None and isinstance(n, int | float)
                                         else None)
    types = set(hierarchy.police_uk_order())
    for record in (r for r in rows if r["category"] == ALL_CRIME):
        for p in chosen:
            parts = [float(v) for r in rows if r["category"] in types
                     and isinstance(v := r[f"harm_{p.label}"], int | float)]
            record[f"harm_{p.label}"] = None if record[p.label] is None else sum(parts)
    for record in rows:
        record["harm_change"] = None
        if compare:
            a = record.get(f"harm_{compare[0].label}")
            b = record.get(f"harm_{compare[1].label}")
            if isinstance(a, int | float) and isinstance(b, int | float):
                record["harm_change"] = float(b) - float(a)
    notes.append(f"harm: counts × weights from {weights.path}")
    if unweighted:
        notes.append("no harm weight (harm left blank): " + ", ".join(unweighted))


def _display_levels(rows: Sequence[hierarchy.CategoryRow]) -> list[int]:
    """Indent each row under the rows of the table that contain it (not under groups the
    table does not show): police.uk types under All crime sit one level in."""
    present = {r.group.key for r in rows if r.group is not None}
    has_all = any(r.name == ALL_CRIME for r in rows)
    by_key = {g.key: g for g in hierarchy.HIERARCHY}
    levels = []
    for r in rows:
        if r.name == ALL_CRIME or (r.group is not None and r.group.level == 0):
            levels.append(0)
            continue
        depth = 1 if has_all else 0
        parent = r.group.parent if r.group is not None else None
        while parent:
            g = by_key[parent]
            if g.level > 0 and g.key in present:
                depth += 1
            parent = g.parent
        levels.append(depth)
    return levels


def performance_table(*, store: Store | None = None, counts: CountsTable | None = None,
                      spec: PerformanceSpec | None = None, kind: str = "financial_year",
                      where: str | None = None, area: str | None = None,
                      include_asb: bool = False, alpha: float = 0.05,
                      harm: HarmWeights | None = None) -> pd.DataFrame:
    """The performance table as a DataFrame (columns: ``category``, one per period label,
    ``average``, ``change``, ``pct_change``, ``p_value``, ``significant``).

    ``df.attrs`` holds ``notes`` (defaults announced, periods not available), ``levels``
    (hierarchy depth per row), ``not_in_hierarchy`` (categories kept but flagged), and the
    chosen ``periods``, ``compare``, ``average`` labels and ``min_base``.

    With ``harm`` weights, columns ``harm_<period>`` (count × weight; All crime sums its
    crime types) and ``harm_change`` follow; a category without a weight is left blank and
    named in the notes.
    """
    spec = spec or PerformanceSpec()
    notes = list(spec.notes)
    if (store is None) == (counts is None):
        raise InputError("give either a store or a counts file, not both or neither.")
    if counts is not None:
        data = _from_counts(counts, area)
    else:
        assert store is not None
        data = _from_store(store, kind, where, include_asb)
    present = {p.label for p in data.present}

    chosen = list(spec.periods) if spec.periods else list(data.present)
    if not spec.periods:
        notes.append(f"periods: all in the data ({chosen[0].label} to {chosen[-1].label}); "
                     "choose with --periods")
    _check_periods(chosen, data, "--periods")
    if spec.compare:
        compare = spec.compare
    elif len(chosen) >= 2 and not {chosen[-2].label, chosen[-1].label} <= present:
        compare = None
        absent = [p.label for p in chosen[-2:] if p.label not in present]
        notes.append(f"no change shown: {' and '.join(absent)} ha{'ve' if len(absent) > 1 else 's'}"
                     " no data loaded")
    elif len(chosen) >= 2:
        compare = (chosen[-2], chosen[-1])
        notes.append(f"compare: {compare[0].label} with {compare[1].label} (the last two "
                     "periods); choose with --compare")
    else:
        compare = None
    if compare:
        _check_periods(compare, data, "--compare")
        for p in compare:
            if p.label not in present:
                raise InputError(
                    f"--compare {p.label}: this period is absent from the data. Periods in "
                    f"the data: {', '.join(sorted(present))}."
                )
    if spec.average is not None:
        average = list(spec.average)
    else:
        later = compare[1].start if compare else chosen[-1].start
        average = [p for p in chosen if p.start < later]
        if average:
            span = (f"{average[0].label} alone" if len(average) == 1
                    else f"{average[0].label} to {average[-1].label}")
            notes.append(f"average: of {span}, over the periods with data; choose with "
                         "--average")
    min_base = spec.min_base
    if min_base is None:
        min_base = DEFAULT_MIN_BASE
        notes.append(f"'No calc' where the base is below {DEFAULT_MIN_BASE} (the default); "
                     "choose with --min-base")
    for p in [*chosen, *average]:
        if p.label not in present:
            notes.append(f"{p.label}: no data loaded for this period: shown blank (not "
                         "available), never as zero")
        elif not data.complete.get(p.label, True):
            notes.append(f"{p.label}: only part of this period is loaded: shown, but left "
                         "out of the average and not comparable")

    def value(category: str, p: periods.Period) -> int | None:
        if p.label not in present:
            return None
        return data.values.get((category, p.label))

    rows = []
    negative: list[str] = []
    ordered = hierarchy.order_categories(data.categories)
    for row in ordered:
        c = row.name
        record: dict[str, object] = {"category": c}
        for p in chosen:
            record[p.label] = value(c, p)
        avail = [v for p in average if data.complete.get(p.label, True)
                 and (v := value(c, p)) is not None]
        record["average"] = round_half_away(sum(avail) / len(avail), 1) if avail else None
        record.update(change=None, pct_change=None, p_value=None, significant=None)
        if compare:
            a, b = value(c, compare[0]), value(c, compare[1])
            comparable = all(data.complete.get(p.label, True) for p in compare)
            if a is not None and b is not None and comparable:
                record["change"] = b - a
                if a < 0 or b < 0:
                    # a net count below 0 (Home Office adjustments outweighing offences) is
                    # no count of events: neither a % change nor a test of one means anything
                    record["pct_change"] = NO_CALC
                    record["significant"] = NO_CALC
                    negative.append(c)
                else:
                    record["pct_change"] = (NO_CALC if a < min_base
                                            else int(round_half_away(100 * (b - a) / a)))
                    test = change_test(a, b, alpha=alpha)
                    record["p_value"] = test.p_value
                    record["significant"] = test.words
        rows.append(record)
    if negative:
        notes.append(f"{NO_CALC} for {', '.join(negative)}: a net count below 0 in a compared "
                     "period (adjustments outweigh the offences) gives no % change or test")
    if harm is not None:
        _add_harm(rows, harm, chosen, compare, notes)
    frame = pd.DataFrame.from_records(rows)
    for p in chosen:
        frame[p.label] = frame[p.label].astype("Int64")
    frame["change"] = frame["change"].astype("Int64")
    unknown = [r.name for r in ordered if not r.in_hierarchy and r.name != ALL_CRIME
               and r.marker is None]
    if unknown:
        notes.append("not in the Home Office hierarchy (kept, listed last): "
                     + ", ".join(unknown))
    frame.attrs.update(
        notes=list(dict.fromkeys(notes)), levels=_display_levels(ordered),
        not_in_hierarchy=unknown, periods=[p.label for p in chosen],
        compare=[p.label for p in compare] if compare else [],
        average=[p.label for p in average], min_base=min_base, source=data.source,
    )
    return frame
