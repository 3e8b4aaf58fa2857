"""The Cardiff model for licensed premises: rolling scores, bands and early warnings.

Each licensed premises is scored, for every month, on the **violent incidents attributed to it
in the rolling window of ``window_months`` months ending with that month** (6 by default: the
score for June 2024 counts January … June 2024). Non-violent incidents are ignored. With
``weight="severity"`` the score is the sum of that column over the violent incidents instead of
their number (the ``severity`` column is otherwise accepted and ignored).

Scores are banded by thresholds (default ``{'low': 0, 'medium': 3, 'high': 6}``): a premises is
in the **highest band whose threshold its score reaches** — with the defaults a score of 0–2 is
low, 3–5 medium, 6 or more high. The lowest threshold must be 0 or less, so that every score
has a band. The band with the highest threshold is "the high band".

A month's window is *full* when all its months lie within the data (from the first to the last
month with any incident); ``full_window`` says so. Early in the data a window is partial and
the score an undercount, so :func:`early_warnings` looks only at full windows (a rise that is
just the data starting would otherwise be flagged).

:func:`early_warnings` flags a premises in a month when

* its band **rose by at least one band within** ``rise_months`` months: the band this month is
  higher than its lowest band in the ``rise_months`` months before; or
* it is **verging on the high band**: not in the high band, but its score is at least the high
  threshold − 1 (one incident short).

A premises stays flagged while a condition holds; ``new`` marks the first month of a run of
flagged months. Premises already in the high band and not rising are not early warnings.

Incidents need ``premises_id``, ``premises_name``, ``date`` and ``violent`` (a bool; also
accepted: 1/0 and yes/no/true/false/y/n text). Dates are read as in
:mod:`commsafe.profiles.interventions` (ISO, ``YYYY-MM``, UK ``DD/MM/YYYY``). A premises whose
name varies takes its name from its latest incident.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from commsafe.errors import InputError
from commsafe.measures.rounding import format_number
from commsafe.periods import MonthLike, as_month, month_label, month_range
from commsafe.profiles.interventions import month_of_rows

__all__ = ["DEFAULT_BANDS", "band_trajectory", "early_warnings", "premises_scores"]

#: default score thresholds: the highest band whose threshold a score reaches
DEFAULT_BANDS: Mapping[str, float] = {"low": 0, "medium": 3, "high": 6}

_REQUIRED = ("premises_id", "premises_name", "date", "violent")
_SCORE_COLUMNS = ("premises_id", "premises_name", "month", "score", "band")
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


def _check_frame(frame: object, required: Iterable[str], where: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{where}: expected a pandas DataFrame, got {type(frame).__name__}.")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"{where}: missing column(s) {', '.join(missing)}; the table has "
                         f"{', '.join(map(str, frame.columns)) or 'no columns'}. Fix: rename "
                         f"or add them (needed: {', '.join(required)}).")
    return frame


def _ordered_bands(bands: Mapping[str, float] | None, where: str) -> list[tuple[str, float]]:
    """Bands as (name, threshold) from lowest to highest threshold, checked."""
    chosen = DEFAULT_BANDS if bands is None else bands
    if not isinstance(chosen, Mapping) or not chosen:
        raise InputError(f"{where}: bands {bands!r} must be a non-empty mapping of band name "
                         "to score threshold, e.g. {'low': 0, 'medium': 3, 'high': 6}.")
    items: list[tuple[str, float]] = []
    for name, threshold in chosen.items():
        if isinstance(threshold, bool) or not isinstance(threshold, Real) \
                or not math.isfinite(float(threshold)):
            raise InputError(f"{where}: band {name!r} has threshold {threshold!r}, not a "
                             "finite number. Fix: give each band its lowest score.")
        items.append((str(name), float(threshold)))
    items.sort(key=lambda item: item[1])
    thresholds = [t for _, t in items]
    if len(set(thresholds)) != len(thresholds):
        raise InputError(f"{where}: two bands share a threshold in {dict(chosen)!r}. "
                         "Fix: give each band a different lowest score.")
    if thresholds[0] > 0:
        raise InputError(f"{where}: the lowest band {items[0][0]!r} starts at {thresholds[0]:g}, "
                         "so a score of 0 would have no band. Fix: make the lowest threshold 0.")
    return items


def _band_of(score: float, bands: list[tuple[str, float]]) -> str:
    name = bands[0][0]
    for band, threshold in bands:
        if score >= threshold:
            name = band
    return name


def _violent(frame: pd.DataFrame, where: str) -> list[bool]:
    flags = []
    for position, value in enumerate(frame["violent"].tolist()):
        flag: bool | None = None
        if isinstance(value, bool | np.bool_):
            flag = bool(value)
        elif isinstance(value, Integral) and int(value) in (0, 1):
            flag = bool(int(value))
        elif isinstance(value, Real) and float(value) in (0.0, 1.0):
            flag = float(value) == 1.0
        elif isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            flag = value.strip().lower() in _TRUE
        if flag is None:
            raise InputError(f"{where}: row {position + 1} (index {frame.index[position]!r}), "
                             f"column 'violent', value {value!r} is not true or false. Fix: "
                             "use True/False (or yes/no, 1/0) on every row.")
        flags.append(flag)
    return flags


def _weights(frame: pd.DataFrame, column: str, where: str) -> list[float]:
    values = []
    for position, value in enumerate(frame[column].tolist()):
        if isinstance(value, bool) or not isinstance(value, Real) \
                or not math.isfinite(float(value)) or float(value) < 0:
            raise InputError(f"{where}: row {position + 1} (index {frame.index[position]!r}), "
                             f"column {column!r}, value {value!r} is not a number ≥ 0. Fix: "
                             "give every incident a weight, or score by count (weight=None).")
        values.append(float(value))
    return values


def _index(month: date) -> int:
    return month.year * 12 + month.month - 1


def premises_scores(incidents: pd.DataFrame, *, window_months: int = 6,
                    bands: Mapping[str, float] | None = None,
                    months: Iterable[MonthLike] | None = None,
                    weight: str | None = None) -> pd.DataFrame:
    """One row per premises × month: the rolling violent-incident score and its band.

    Columns ``premises_id, premises_name, month`` (first of the month, a ``date``), ``score``
    (violent incidents in the ``window_months`` months ending that month), ``band`` and
    ``full_window``. ``months`` are the months to score (default: every month from the first
    to the last incident). ``attrs['bands']`` keeps the thresholds for :func:`early_warnings`.
    """
    where = "premises_scores"
    frame = _check_frame(incidents, _REQUIRED + ((weight,) if weight else ()), where)
    if isinstance(window_months, bool) or not isinstance(window_months, Integral) \
            or int(window_months) < 1:
        raise InputError(f"{where}: window_months {window_months!r} must be a whole number ≥ 1."
                         " Fix: pass e.g. 6.")
    window = int(window_months)
    ordered = _ordered_bands(bands, where)
    if len(frame) == 0:
        raise InputError(f"{where}: there are no incidents (the table has no rows). Fix: pass "
                         "the incidents attributed to licensed premises.")
    row_months = month_of_rows(frame, "date", where)
    violent = _violent(frame, where)
    values = _weights(frame, weight, where) if weight else [1.0] * len(frame)
    first, last = min(row_months), max(row_months)
    wanted = month_range(first, last) if months is None else sorted({as_month(m)
                                                                     for m in months})
    if not wanted:
        raise InputError(f"{where}: months is empty. Fix: pass the months to score, e.g. "
                         "month_range('2024-01', '2024-12'), or leave it out for all.")

    ids = frame["premises_id"].tolist()
    names: dict[Any, tuple[date, int, str]] = {}
    totals: dict[Any, dict[int, float]] = {}
    for position, (pid, month, is_violent, value) in enumerate(
            zip(ids, row_months, violent, values, strict=True)):
        if pid is None or (isinstance(pid, float) and math.isnan(pid)):
            raise InputError(f"{where}: row {position + 1} (index {frame.index[position]!r}) "
                             "has no premises_id. Fix: attribute every incident to a premises.")
        name = frame["premises_name"].iat[position]
        if isinstance(name, str) and name.strip():
            seen = names.get(pid)
            if seen is None or (month, position) >= seen[:2]:
                names[pid] = (month, position, name.strip())
        by_month = totals.setdefault(pid, {})
        if is_violent:
            key = _index(month)
            by_month[key] = by_month.get(key, 0.0) + value

    first_index, last_index = _index(first), _index(last)
    rows = []
    for pid in sorted(totals, key=str):
        by_month = totals[pid]
        name = names[pid][2] if pid in names else str(pid)
        for month in wanted:
            end = _index(month)
            score = sum(by_month.get(k, 0.0) for k in range(end - window + 1, end + 1))
            rows.append((pid, name, month, score, _band_of(score, ordered),
                         end - window + 1 >= first_index and end <= last_index))
    result = pd.DataFrame(rows, columns=[*_SCORE_COLUMNS, "full_window"])
    if weight is None:
        result["score"] = result["score"].astype("int64")
    result.attrs["bands"] = dict(ordered)
    result.attrs["window_months"] = window
    return result


def _scores_bands(scores: pd.DataFrame, bands: Mapping[str, float] | None, where: str
                  ) -> tuple[pd.DataFrame, list[tuple[str, float]]]:
    frame = _check_frame(scores, _SCORE_COLUMNS, where)
    ordered = _ordered_bands(bands if bands is not None else frame.attrs.get("bands"), where)
    known = {name for name, _ in ordered}
    unknown = sorted({str(b) for b in frame["band"].tolist()} - known)
    if unknown:
        raise InputError(f"{where}: band(s) {', '.join(unknown)} are not among "
                         f"{', '.join(known)}. Fix: pass the bands= used for premises_scores.")
    return frame, ordered


def _score_text(score: float) -> str:
    return format_number(score, 0 if float(score).is_integer() else 1)


def early_warnings(scores: pd.DataFrame, *, rise_months: int = 3,
                   bands: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Premises-months flagged for early intervention (see the module docstring).

    Columns ``premises_id, premises_name, month, score, band, reason, new``; ``reason`` says
    why in plain words and ``new`` is True in the first month of a run of flagged months.
    ``bands`` defaults to those ``premises_scores`` used (``scores.attrs['bands']``).
    """
    where = "early_warnings"
    frame, ordered = _scores_bands(scores, bands, where)
    if isinstance(rise_months, bool) or not isinstance(rise_months, Integral) \
            or int(rise_months) < 1:
        raise InputError(f"{where}: rise_months {rise_months!r} must be a whole number ≥ 1. "
                         "Fix: pass e.g. 3.")
    rank = {name: i for i, (name, _) in enumerate(ordered)}
    top_name, top_threshold = ordered[-1]
    if "full_window" in frame.columns:
        frame = frame[frame["full_window"].astype(bool)]
    columns = ["premises_id", "premises_name", "month", "score", "band", "reason", "new"]
    out = []
    for _, group in frame.groupby("premises_id", sort=False):
        history = {_index(as_month(m)): (as_month(m), s, b)
                   for m, s, b in zip(group["month"], group["score"], group["band"],
                                      strict=True)}
        flagged: set[int] = set()
        name = group["premises_name"].iloc[-1]
        for key in sorted(history):
            month, score, band = history[key]
            reasons = []
            earlier = [history[k] for k in range(key - int(rise_months), key) if k in history]
            if earlier:
                low = min(rank[b] for _, _, b in earlier)
                if rank[band] > low:
                    ref_month, ref_score, ref_band = [e for e in earlier if rank[e[2]] == low][-1]
                    reasons.append(
                        f"band rose from {ref_band} in {month_label(ref_month)} (score "
                        f"{_score_text(ref_score)}) to {band} within {rise_months} months")
            if rank[band] < len(ordered) - 1 and score >= top_threshold - 1:
                reasons.append(f"verging on the {top_name} band: score {_score_text(score)}, "
                               f"within 1 of its threshold {_score_text(top_threshold)}")
            if reasons:
                flagged.add(key)
                out.append((group["premises_id"].iloc[0], name, month, score, band,
                            "; ".join(reasons), key - 1 not in flagged))
    result = pd.DataFrame(out, columns=columns)
    result = result.sort_values(["month", "premises_id"], kind="stable",
                                ignore_index=True) if len(result) else result
    result["new"] = result["new"].astype(bool)
    return result


def band_trajectory(scores: pd.DataFrame, premises_id: object, *,
                    bands: Mapping[str, float] | None = None) -> pd.DataFrame:
    """One premises' scores month by month: ``month, score, band, band_change``.

    ``band_change`` is how many bands up (+) or down (−) from the previous month (0 for the
    first month). ``full_window`` is kept when present.
    """
    where = "band_trajectory"
    frame, ordered = _scores_bands(scores, bands, where)
    rank = {name: i for i, (name, _) in enumerate(ordered)}
    mine = frame[frame["premises_id"] == premises_id]
    if len(mine) == 0:
        known = sorted({str(p) for p in frame["premises_id"].tolist()})
        shown = ", ".join(known[:10]) + (" …" if len(known) > 10 else "")
        raise InputError(f"{where}: premises {premises_id!r} is not in the scores. "
                         f"Known premises: {shown or 'none'}.")
    keep = ["month", "score", "band"] + (["full_window"] if "full_window" in mine else [])
    result = mine.sort_values("month", kind="stable")[keep].reset_index(drop=True)
    ranks = result["band"].map(rank).astype("int64")
    result["band_change"] = ranks.diff().fillna(0).astype("int64")
    return result
