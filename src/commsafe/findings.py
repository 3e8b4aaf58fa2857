"""Findings: measures turned into the sentences a strategic assessment prints.

This module only words numbers that ``commsafe.measures`` computed; it computes no statistics.
Counts carry thousands separators, percentages are whole numbers rounded half away from zero
(``commsafe.measures.rounding``), months are named in full and p-values have two decimals:

    Between March 2016 and February 2017 there were 1,880 incidents, an 8% increase on the
    previous 12 months (1,741); the change is statistically significant (p = 0.02).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from commsafe.measures.rounding import format_number, format_p_value, round_half_away
from commsafe.measures.trends import RollingComparison, missing_months_text

__all__ = [
    "AnalystFinding",
    "Finding",
    "and_list",
    "apply_analyst_findings",
    "change_sentence",
    "countywide_sentence",
    "findings_file_text",
    "indefinite_article",
    "indicator_detail",
    "name_text",
    "p_text",
    "rank_findings",
    "read_findings_file",
    "rolling_sentence",
    "subject_for",
    "yearly_average_sentence",
]


def _month(m: date) -> str:
    return f"{m:%B %Y}"


def _singular(subject: str) -> str:
    return subject[:-1] if subject.endswith("s") and not subject.endswith("ss") else subject


def _there_were(count: int, subject: str, singular: str | None) -> str:
    if count == 0:
        return f"there were no {subject}"
    if count == 1:
        return f"there was 1 {singular or _singular(subject)}"
    return f"there were {format_number(count)} {subject}"


def indefinite_article(number_text: str) -> str:
    """'a' or 'an' before a number as spoken: an 8, an 11, an 18, an 80, an 800, a 1,100."""
    digits = number_text.replace(",", "").lstrip("-")
    if not digits.isdigit():
        return "a"
    lead = digits[: len(digits) % 3 or 3]
    return "an" if digits.startswith("8") or lead in ("11", "18") else "a"


def p_text(p: float) -> str:
    """A p-value for a sentence: two places, three where two would read 'p = 0.05' (the
    threshold itself) or hide a tiny value ('p < 0.001')."""
    text = format_p_value(p, 2)
    # 0.045 and 0.054 both show as 0.05, which reads as the threshold itself, and a tiny
    # p-value deserves its usual 'p < 0.001': show 3 places then
    return format_p_value(p, 3) if text in ("p = 0.05", "p < 0.01") else text


def rolling_sentence(r: RollingComparison, subject: str = "incidents", *,
                     singular: str | None = None) -> str:
    """The house sentence for a rolling 12-month comparison.

    ``subject`` is plural ("incidents", "violence and sexual offences"); ``singular`` is used for
    a count of 1 (default: ``subject`` without its final s). An incomplete comparison says which
    months have no data instead of comparing.
    """
    lead = f"Between {_month(r.current.start)} and {_month(r.current.end)}"
    if not r.complete or r.current_count is None or r.previous_count is None:
        gap = missing_months_text(r.missing)
        if r.current_count is None:
            return (f"The {subject} of the 12 months from {_month(r.current.start)} to "
                    f"{_month(r.current.end)} cannot be counted or compared with the previous "
                    f"12 months: there is no data for {gap}.")
        return (f"{lead} {_there_were(r.current_count, subject, singular)}; this cannot be "
                f"compared with the previous 12 months as there is no data for {gap}.")
    now, before = r.current_count, r.previous_count
    head = f"{lead} {_there_were(now, subject, singular)}"
    if now == before:
        return f"{head}, the same as the previous 12 months."
    if before == 0:
        change = "up from none in the previous 12 months"
    else:
        pct = r.pct_change
        if pct is None:  # pragma: no cover - pct_change is None only for a zero base
            raise ValueError("rolling comparison with a non-zero base has no pct_change")
        direction = "increase" if now > before else "decrease"
        whole = abs(round_half_away(pct, 0))
        if whole == 0:
            size = "a less than 1%"
        else:
            number = format_number(whole)
            size = f"{indefinite_article(number)} {number}%"
        change = f"{size} {direction} on the previous 12 months ({format_number(before)})"
    if r.p_value is None or r.significant is None:
        return f"{head}, {change}."
    if r.significant:
        verdict = f"the change is statistically significant ({p_text(r.p_value)})"
    else:
        verdict = f"the change is within what chance alone would produce ({p_text(r.p_value)})"
    return f"{head}, {change}; {verdict}."


def _average_text(x: float) -> str:
    """Whole numbers from 100 up (612), one decimal below (10.3), rounded half away."""
    return format_number(x, 0 if abs(x) >= 100 else 1)


def yearly_average_sentence(row: Mapping[str, Any], subject: str = "incidents", *,
                            singular: str | None = None) -> str:
    """A sentence for one row of ``yearly_average_monthly``.

    "In 2024/25 there were 7,344 incidents, an average of 612 a month." A year with missing
    months says over how many months the average is taken (they are never counted as zero).
    """
    total = int(row["total"])
    months = int(row["months_with_data"])
    average = _average_text(float(row["average_monthly"]))
    head = f"In {row['period']} {_there_were(total, subject, singular)}"
    if bool(row["complete"]):
        return f"{head}, an average of {average} a month."
    span = "the one month" if months == 1 else f"the {months} months"
    return (f"{head} in {span} with data, an average of {average} a month "
            f"(the other months have no data and are not counted as zero).")


#: how each police.uk category is counted in a sentence: (plural, singular)
_SUBJECTS = {
    "Anti-social behaviour": ("ASB incidents", "ASB incident"),
    "Bicycle theft": ("bicycle thefts", "bicycle theft"),
    "Burglary": ("burglaries", "burglary"),
    "Criminal damage and arson": ("criminal damage and arson offences",
                                  "criminal damage or arson offence"),
    "Drugs": ("drug offences", "drug offence"),
    "Other crime": ("other crimes", "other crime"),
    "Other theft": ("other thefts", "other theft"),
    "Possession of weapons": ("possession of weapons offences",
                              "possession of weapons offence"),
    "Public order": ("public order offences", "public order offence"),
    "Robbery": ("robberies", "robbery"),
    "Shoplifting": ("shoplifting offences", "shoplifting offence"),
    "Theft from the person": ("thefts from the person", "theft from the person"),
    "Vehicle crime": ("vehicle crimes", "vehicle crime"),
    "Violence and sexual offences": ("violence and sexual offences",
                                     "violence or sexual offence"),
}


def subject_for(categories: Sequence[str] | None, *, asb_only: bool = False
                ) -> tuple[str, str]:
    """(plural, singular) noun for counting events of these police.uk categories."""
    if asb_only:
        return _SUBJECTS["Anti-social behaviour"]
    if not categories:
        return ("crimes", "crime")
    if len(categories) == 1:
        from commsafe import taxonomy

        name = taxonomy.standard_name(categories[0])
        return _SUBJECTS.get(name, (f"{name.lower()} offences", f"{name.lower()} offence"))
    return ("crimes of these types", "crime of these types")


# --------------------------------------------------------------------------- where

#: area level → (singular, plural) as printed
_LEVEL_WORDS = {
    "lsoa": ("LSOA", "LSOAs"),
    "ward": ("ward", "wards"),
    "district": ("district", "districts"),
    "csp": ("Community Safety Partnership", "Community Safety Partnerships"),
    "pfa": ("police force area", "police force areas"),
}


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def name_text(name: object) -> str:
    """A name as it goes into a sentence: one holding bidirectional control characters (a
    right-to-left override, say) is wrapped in a first-strong isolate (U+2068 … U+2069), so
    whatever it opens ends with it and cannot reverse the words after it; any other name is
    returned as it is."""
    text = str(name)
    if _BIDI_CONTROLS.isdisjoint(text):
        return text
    return "\u2068" + text + "\u2069"


def and_list(names: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C' (each name through :func:`name_text`)."""
    items = [name_text(n) for n in names]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def top_areas_sentence(frame: Any, *, measure: str = "annual average",
                       subject: str = "needle finds", n: int = 4, level: str | None = None,
                       column: str | None = None, quantity: str = "instances") -> str:
    """The areas with the highest value of a measure, named in one sentence.

    ``frame`` is an ``annual_average_by_area`` table (or any with ``area_name`` and the value
    ``column``: default ``annual_average``, else ``total``, ``count``). The level word comes
    from ``level`` or ``frame.attrs['level']`` (ward, lsoa, district, csp, pfa):

        The wards with the highest annual average instances of needle finds were Market,
        Petersfield, Castle and Romsey.

    Areas with nothing (0 or no value) are never named. When areas tie with the n-th, the
    sentence names those above the tie and then the tied ones, saying they are tied and on
    what value (more than 8 tied areas are counted rather than named).
    """
    from commsafe.errors import InputError

    level = level or frame.attrs.get("level")
    if level not in _LEVEL_WORDS:
        raise InputError(f"top_areas_sentence: level {level!r} is not one of "
                         f"{', '.join(_LEVEL_WORDS)}; pass level= or use a frame from "
                         "annual_average_by_area.")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"top_areas_sentence: n {n!r} must be a whole number ≥ 1.")
    if column is None:
        column = next((c for c in ("annual_average", "total", "count") if c in frame.columns),
                      None)
    if column is None or column not in frame.columns or "area_name" not in frame.columns:
        raise InputError("top_areas_sentence: the frame needs area_name and a value column "
                         f"(annual_average, total or count); it has {', '.join(frame.columns)}.")
    one, many = _LEVEL_WORDS[level]
    rows = []
    for name, code, value in zip(frame["area_name"], frame.get("area_code", frame["area_name"]),
                                 frame[column], strict=True):
        if value is None or value != value or float(value) <= 0:
            continue
        shown = name if isinstance(name, str) and name else str(code)
        rows.append((float(value), shown))
    rows.sort(key=lambda r: (-r[0], r[1]))
    what = f"{measure} {quantity} of {subject}" if quantity else f"{measure} of {subject}"
    if not rows:
        return f"None of the {many} had any {subject}."
    whole = all(v.is_integer() for v, _ in rows) and column != "annual_average"
    if len(rows) <= n or rows[n][0] != rows[n - 1][0]:
        chosen = [name for _, name in rows[:n]]
        if len(chosen) == 1:
            return f"The {one} with the highest {what} was {name_text(chosen[0])}."
        return f"The {many} with the highest {what} were {and_list(chosen)}."
    cut = rows[n - 1][0]
    above = [name for v, name in rows if v > cut]
    tied = [name for v, name in rows if v == cut]
    value_text = format_number(cut) if whole else _average_text(cut)
    on = f"{_article(measure)} {measure} of {value_text}"
    tied_text = and_list(tied) if len(tied) <= 8 else f"{len(tied)} {many}"
    if not above:
        return (f"{len(tied)} {many} tied for the highest {what}, with {on}"
                + (f": {tied_text}." if len(tied) <= 8 else "."))
    head = (f"The {one} with the highest {what} was {name_text(above[0])}" if len(above) == 1
            else f"The {many} with the highest {what} were {and_list(above)}")
    return f"{head}, followed by {tied_text}, tied on {on}."


def _period_phrase(period: Any) -> str:
    """'2024', '2024/25', '2024 Q1', 'April 2023 to March 2024', 'May 2023 to June 2024'."""
    if period.kind == "rolling_12":
        return str(period.name)
    if period.kind in ("calendar_year", "financial_year", "academic_year", "quarter",
                       "financial_quarter"):
        return str(period.label)
    if period.start == period.end:
        return _month(period.start)
    return f"{_month(period.start)} to {_month(period.end)}"


def quality_sentence(*, total: int, no_location: int, unresolved: int, subject: str,
                     period: Any, scope: str | None = None, forces: int = 1) -> str:
    """The data-quality caveat printed under a map or an area table.

    "12% of ASB incidents in 2024 (1,234 of 10,456) have no location and are not shown." With
    ``scope`` (an area's name) the counts are of the force(s) covering it, and the sentence says
    so. Events with a location that no area holds (``unresolved``) get a second sentence.
    """
    from commsafe.measures.rounding import format_share

    when = _period_phrase(period)
    where = ""
    if scope:
        where = f" in the {'force' if forces == 1 else 'forces'} covering {scope}"
    if total == 0:
        return f"There are no {subject} in {when}{where} to check for locations."
    if no_location == 0:
        text = f"All {subject} in {when}{where} have a location."
    else:
        text = (f"{format_share(no_location / total)} of {subject} in {when}{where} "
                f"({format_number(no_location)} of {format_number(total)}) have no location "
                f"and are not shown.")
    if unresolved:
        text += (f" A further {format_share(unresolved / total)} "
                 f"({format_number(unresolved)}) have a location that the loaded reference "
                 "data places in no area.")
    return text


__all__ += ["quality_sentence", "top_areas_sentence"]


# --------------------------------------------------------------------------- assessment findings

@dataclass(frozen=True)
class Finding:
    """A finding in an assessment: one sentence with its numbers, the table or figure it rests
    on (``cite``: the id of a table/figure in the document, "" for none), a ``kind``
    (``change``, ``indicator``, ``hotspot``, ``quality``, ``analyst``) and the ``section`` it
    belongs to (``summary`` or a priority's slug). ``id`` is stable across builds, so that an
    analyst's edits in the findings file stay attached to it."""

    id: str
    text: str
    cite: str = ""
    kind: str = "change"
    section: str = "summary"
    score: float = 0.0
    """How much the finding matters, for ordering the key findings (:func:`rank_findings`);
    not written to the findings file."""


#: how close to an average counts as "close to" it (a fraction of the average)
CLOSE_TO_AVERAGE = 0.10


def change_sentence(name: str, before: int, after: int, *, pct: int | None,
                    p_value: float, significant: bool, average: float | None = None,
                    average_years: int | None = None, min_base: int = 5,
                    unit: str = "year", recording_break: str | None = None) -> str:
    """A change between two periods in words, never stronger than the evidence.

    ``recording_break`` (e.g. "the series steps up from October 2023") names a level shift
    detected between the two periods (:mod:`commsafe.measures.breaks`): the change is then
    not called a rise or fall in crime but said to be most likely a change in recording.

    "Burglary fell 17% (680 → 567), a statistically significant fall (p < 0.001), and is now
    close to its 5-year average (528)." A change that could be chance says so; below
    ``min_base`` no percentage is given. The
    average is of ``average_years`` periods of ``unit`` ("year", or e.g. "quarter").
    """
    name = name_text(name)
    if after == before:
        head = f"{name} was unchanged ({format_number(after)})"
    else:
        verb = "rose" if after > before else "fell"
        size = f" {abs(pct)}%" if pct is not None and before >= min_base else ""
        head = f"{name} {verb}{size} ({format_number(before)} → {format_number(after)})"
    if after == before:
        evidence = ""
    elif significant:
        kind = "rise" if after > before else "fall"
        evidence = f", a statistically significant {kind} ({p_text(p_value)})"
    else:
        evidence = (", a change that is not statistically significant and could be chance "
                    f"({p_text(p_value)})")
    tail = ""
    # an "average" of one period is the comparison period itself: saying it again adds nothing
    if average is not None and average > 0 and average_years and average_years > 1:
        if unit == "year":
            span = f"{average_years}-year average" if average_years > 1 else "previous year"
        else:
            span = (f"average of the previous {average_years} {unit}s" if average_years > 1
                    else f"previous {unit}")
        shown = _average_text(average)
        if abs(after - average) <= CLOSE_TO_AVERAGE * average:
            tail = f", and is now close to its {span} ({shown})"
        elif after > average:
            tail = f", and is above its {span} ({shown})"
        else:
            tail = f", and is below its {span} ({shown})"
    sentence = f"{head}{evidence}{tail}."
    if recording_break:
        verb = "went" if after > before else "came"
        word = "up" if after > before else "down"
        sentence = (f"{name} {verb} {word} from {format_number(before)} to "
                    f"{format_number(after)}, but {recording_break}, most likely a change in "
                    "recording: the comparison is not like for like and is not a measure of "
                    "a change in crime.")
    return sentence[0].upper() + sentence[1:]


#: the order of the key findings: kinds first by this weight, then by score
KIND_WEIGHT = {"quality": 5.0, "break": 4.0, "indicator": 3.0, "context": 2.5, "change": 2.0,
               "hotspot": 1.5, "analyst": 6.0}
RANKING_RULE = (
    "Key findings are ordered by: the analyst's own findings; data-quality warnings that "
    "change how every figure reads; recording breaks; indicators off track; areas above the "
    "countywide 99.8% control limit; then changes ranked by size × significance (the "
    "absolute change in count, times the strength of evidence -log10(p), times, where harm "
    "weights are set, the type's weight over the average weight of the area's crimes); then "
    "new hotspots. At most 8 are in the summary; the rest stay in their chapters.")
MAX_KEY_FINDINGS = 8


def countywide_sentence(name: object, partnerships: int, period: str) -> str:
    """What the countywide view table beside it shows, for a force of ``partnerships`` CSPs."""
    name = name_text(name)
    if partnerships <= 1:
        return (f"How {name}, the only partnership of its police force, compares with the force "
                f"area as a whole in {period}: rate per 1,000 residents, and where it lies on "
                "a funnel plot of rates against population (95% and 99.8% control limits).")
    others = "other partnership" if partnerships == 2 else \
        f"other {partnerships - 1} partnerships"
    return (f"How {name} compares with the {others} of its police force and with the "
            f"force area as a whole, in {period}: rate per 1,000 residents, rank among the "
            f"{partnerships} (1 = highest rate) and where it lies on a funnel plot of rates "
            "against population (95% and 99.8% control limits).")


def change_score(before: int, after: int, p_value: float, harm: float = 1.0) -> float:
    """The ranking score of a change: |after - before| × harm × -log10(p) (p floored)."""
    return abs(after - before) * harm * -math.log10(max(p_value, 1e-300))


def rank_findings(findings: Sequence[Finding], *, limit: int = MAX_KEY_FINDINGS
                  ) -> tuple[list[Finding], list[Finding]]:
    """The summary's findings ranked by :data:`RANKING_RULE`: (the first ``limit``, the
    rest). Ties keep their order."""
    order = sorted(range(len(findings)), key=lambda i: (
        -KIND_WEIGHT.get(findings[i].kind, 0.0), -findings[i].score, i))
    ranked = [findings[i] for i in order]
    return ranked[:limit], ranked[limit:]


FINDINGS_COLUMNS: tuple[str, ...] = ("id", "action", "section", "text", "cite")
FINDINGS_ACTIONS: tuple[str, ...] = ("keep", "edit", "drop", "add")


@dataclass(frozen=True)
class AnalystFinding:
    """A row of the findings file: ``action`` keep (as built), edit (use ``text``), drop, or
    add (a finding of the analyst's own)."""

    id: str
    action: str
    section: str
    text: str
    cite: str
    line: int


def read_findings_file(path: Any) -> list[AnalystFinding]:
    """Read the analyst's findings file (CSV: id, action, section, text, cite). Missing file:
    no rows. Errors name the file, line, column and value."""
    import csv
    from pathlib import Path

    from commsafe.errors import InputError
    from commsafe.outputs.tables import csv_unsafe

    p = Path(path)
    if not p.exists():
        return []
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read the findings file ({exc}); save it as UTF-8 CSV"
                         ) from None
    reader = csv.reader(text.splitlines(keepends=True))
    header = next(reader, None)
    if header is None:
        return []
    cols = [h.strip().lower() for h in header]
    missing = [c for c in FINDINGS_COLUMNS if c not in cols]
    if missing:
        raise InputError(f"{p}, line 1: missing column(s) {', '.join(missing)}; the findings "
                         f"file needs {', '.join(FINDINGS_COLUMNS)} (found {', '.join(cols)})")
    out: list[AnalystFinding] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(c.strip() for c in row):
            continue
        rec = {c: (csv_unsafe(row[i].strip()) if i < len(row) else "")
               for i, c in enumerate(cols)}
        action = rec["action"].lower() or "keep"
        if action not in FINDINGS_ACTIONS:
            raise InputError(f"{p}, line {line}, column action: {rec['action']!r} is not an "
                             f"action; use one of {', '.join(FINDINGS_ACTIONS)}")
        fid = rec["id"] or f"analyst-{line}"
        if fid in seen:
            raise InputError(f"{p}, line {line}, column id: {fid!r} is also on line "
                             f"{seen[fid]}; give each finding its own id")
        seen[fid] = line
        if action in ("edit", "add") and not rec["text"]:
            raise InputError(f"{p}, line {line}, column text: empty; an {action!r} row needs "
                             "the finding's text")
        out.append(AnalystFinding(fid, action, rec["section"] or "summary", rec["text"],
                                  rec["cite"], line))
    return out


def apply_analyst_findings(auto: Sequence[Finding], rows: Sequence[AnalystFinding]
                           ) -> list[Finding]:
    """The findings to publish: the automatic ones, edited or dropped as the analyst said,
    then the analyst's own (``add``) in file order. A row for an id the build no longer makes
    is ignored (it stays in the file)."""
    by_id = {r.id: r for r in rows}
    out: list[Finding] = []
    for f in auto:
        r = by_id.get(f.id)
        if r is None or r.action == "keep":
            out.append(f)
        elif r.action == "edit":
            out.append(Finding(f.id, r.text, r.cite or f.cite, "analyst", f.section))
    out.extend(Finding(r.id, r.text, r.cite, "analyst", r.section)
               for r in rows if r.action == "add")
    return out


def findings_file_text(auto: Sequence[Finding], rows: Sequence[AnalystFinding]) -> str:
    """The findings file to write back: every automatic finding (action keep, or the
    analyst's edit/drop with their text), then rows for ids no longer built and the analyst's
    own, so nothing the analyst wrote is lost."""
    import io

    from commsafe.outputs.tables import csv_writer

    by_id = {r.id: r for r in rows}
    buf = io.StringIO()
    w = csv_writer(buf)  # every cell through csv_safe: the file is opened in spreadsheets
    w.writerow(FINDINGS_COLUMNS)
    built = set()
    for f in auto:
        built.add(f.id)
        r = by_id.get(f.id)
        if r is not None and r.action in ("edit", "drop"):
            w.writerow([f.id, r.action, f.section, r.text or f.text, r.cite or f.cite])
        else:
            w.writerow([f.id, "keep", f.section, f.text, f.cite])
    for r in rows:
        if r.id not in built:
            w.writerow([r.id, r.action, r.section, r.text, r.cite])
    return buf.getvalue()


def _indicator_value(measure: str, value: float | None) -> str:
    if value is None:
        return "no data"
    if measure == "count":
        return f"{int(value):,}"
    if measure == "rate":
        return f"{round_half_away(value, 1):,.1f} per 1,000"
    return f"{round_half_away(value, 1):.1f}% of all crime"


def indicator_detail(r: Any, *, assessed: str | None = None, compare: str | None = None
                     ) -> str:
    """Why an indicator (:class:`commsafe.measures.indicators.IndicatorResult`) is on or off
    track, or has no data, in words with its numbers. ``assessed`` and ``compare`` name the
    periods (default their :attr:`~commsafe.periods.Period.name`; e.g. 'July 2018' when only
    that month of a rolling year has data)."""
    assessed = assessed or r.assessed.name
    compare = compare or r.compare.name
    if r.reason == "incomplete":
        return f"{assessed}: not every month has data"
    if r.reason == "no_average":
        years = int(r.target_value or 5)
        return (f"no earlier period of the {years} before {assessed} has data, so there is no "
                "average to compare with")
    over = (f" (the {r.months} month{'' if r.months == 1 else 's'} both periods have data "
            "for)" if getattr(r, "partial", False) else "")
    if r.reason == "average":
        years = int(r.target_value or 5)
        span = (f"the average of {r.earlier} earlier period{'s' if r.earlier != 1 else ''}"
                + (f" (of the {years} asked for, the rest have no data)"
                   if r.earlier < years else ""))
        months = (f", each over the same {r.months} month{'' if r.months == 1 else 's'}"
                  if getattr(r, "partial", False) else "")
        return (f"{_indicator_value(r.measure, r.value)} against {span}{months}: "
                f"{_indicator_value(r.measure, r.baseline)}")
    if r.reason == "no_compare":
        return f"the comparison period {compare} has no data"
    if r.reason == "compare_zero":
        return f"{compare} is zero: no % change"
    if r.reason == "change":
        goal = float(r.target_value or 0)
        return (f"{int(round_half_away(r.pct)):+d}% on {compare} "
                f"({_indicator_value(r.measure, r.baseline)} → "
                f"{_indicator_value(r.measure, r.value)}){over}; target "
                f"{int(goal) if goal.is_integer() else goal:+}%")
    t = r.test
    return f"{t.before:,} in {compare} → {t.after:,} in {assessed}{over}: {t.words}"
