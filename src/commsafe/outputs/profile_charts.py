"""Charts of when events happen, in the house style of :mod:`commsafe.outputs.charts`.

They draw numbers computed in :mod:`commsafe.measures.timeprofile`; nothing is computed here.
Each writes ``<out_stem>.png`` and ``<out_stem>.svg`` and returns their paths.

- :func:`month_profile_chart`: a bar per calendar month, January to December. When some month
  has data in more than one year the bars are the average per year (otherwise the count); a
  month without data is shaded "No data", never drawn as 0.
- :func:`day_hour_heatmap`: a 7 × 24 grid (Monday … Sunday by hour 0 … 23) shaded on a
  colour-blind-safe sequential scale (cividis). police.uk has no times; this is for local
  police or partner extracts with dates and times.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.patches import Patch

from commsafe.errors import InputError
from commsafe.measures.rounding import format_number
from commsafe.outputs.charts import (
    _BAR,
    _GAP,
    OKABE_ITO,
    _mid,
    _month_ticks,
    _new_figure,
    _thousands,
    _title_and_legend,
    house_style,
    require_columns,
    save_figure,
)

__all__ = ["DAY_NAMES", "cardiff_chart", "day_hour_heatmap", "grouped_bar_chart",
           "line_chart", "month_profile_chart"]

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_profile_chart(frame: pd.DataFrame, *, title: str, source: str,
                        out_stem: Path) -> list[Path]:
    """Bars January to December from a ``time_profile(by="month_of_year")`` table."""
    require_columns(frame, ("month_number", "count", "years_with_data", "average_per_year"),
             "month-of-year table", "Build it with time_profile(by='month_of_year').")
    rows = {int(m): (int(c), int(y), float(a)) for m, c, y, a in
            zip(frame["month_number"], frame["count"], frame["years_with_data"],
                frame["average_per_year"], strict=True)}
    if not any(y for _, y, _ in rows.values()):
        raise InputError(f"{title!r}: no month has data to chart; check the selection and "
                         "what is loaded.")
    averaged = any(y > 1 for _, y, _ in rows.values())
    label = "Average per year" if averaged else "Count"
    x = list(range(12))
    heights = []
    gaps = []
    for i in x:
        count, years, average = rows.get(i + 1, (0, 0, float("nan")))
        if years == 0:
            gaps.append(i)
            heights.append(0.0)
        else:
            heights.append(average if averaged else float(count))
    with house_style():
        fig, ax = _new_figure(source)
        ax.bar([i for i in x if i not in gaps], [h for i, h in enumerate(heights)
                                                 if i not in gaps],
               width=0.7, color=_BAR, linewidth=0, zorder=2)
        handles: list[Any] = [Patch(facecolor=_BAR, label=label)]
        for i in gaps:
            ax.axvspan(i - 0.5, i + 0.5, facecolor=_GAP, edgecolor="none", zorder=1)
        if gaps:
            handles.append(Patch(facecolor=_GAP, label="No data"))
        ax.set_xticks(x, list(_MONTHS))
        ax.set_xlim(-0.6, 11.6)
        ax.set_ylabel(label)
        top = max(heights)
        ax.set_ylim(0, top * 1.15 if top > 0 else 1)
        _title_and_legend(ax, title, handles)
        return save_figure(fig, out_stem)


def _matrix(matrix: Any) -> np.ndarray:
    if isinstance(matrix, pd.DataFrame):
        values = matrix.to_numpy(dtype=float, na_value=np.nan)
    else:
        try:
            values = np.asarray(matrix, dtype=float)
        except (TypeError, ValueError):
            raise InputError("day-hour matrix: give 7 rows (Monday … Sunday) of 24 numbers "
                             "(hours 0 … 23).") from None
    if values.shape != (7, 24):
        raise InputError(f"day-hour matrix has shape {values.shape}; it must be 7 rows "
                         "(Monday … Sunday) by 24 columns (hours 0 … 23).")
    if np.any(values[np.isfinite(values)] < 0):
        raise InputError("day-hour matrix has negative values; give counts or rates ≥ 0.")
    return values


def day_hour_heatmap(matrix: pd.DataFrame | Sequence[Sequence[float]] | np.ndarray, *,
                     title: str, source: str, out_stem: Path,
                     value_label: str = "Count") -> list[Path]:
    """A day-of-week × hour heatmap: rows Monday … Sunday, columns hours 0 … 23.

    NaN cells (no data) are shaded grey and named in the legend; never drawn as 0.
    """
    values = _matrix(matrix)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise InputError(f"{title!r}: the day-hour matrix has no values to chart.")
    cmap = colormaps["cividis"].with_extremes(bad=_GAP)
    with house_style():
        fig, ax = _new_figure(source)
        ax.grid(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, aspect="auto",
                          interpolation="nearest", vmin=0, vmax=max(float(finite.max()), 1e-9))
        ax.set_xticks(range(24), [f"{h:02d}" for h in range(24)])
        ax.set_yticks(range(7), [d[:3] for d in DAY_NAMES])
        ax.tick_params(length=0)
        ax.set_xlabel("Hour of the day")
        bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
        bar.set_label(value_label)
        bar.outline.set_visible(False)
        bar.ax.yaxis.set_major_formatter(_thousands)
        handles: list[Any] = []
        if np.isnan(values).any():
            handles.append(Patch(facecolor=_GAP, label="No data"))
        peak = np.unravel_index(int(np.nanargmax(values)), values.shape)
        top = float(values[peak])
        handles.append(Patch(facecolor=cmap(1.0), label=(
            f"Highest: {DAY_NAMES[int(peak[0])]} {int(peak[1]):02d}:00 "
            f"({format_number(top, 0 if top >= 100 or top.is_integer() else 1)})")))
        _title_and_legend(ax, title, handles)
        return save_figure(fig, out_stem)


def cardiff_chart(scores: pd.DataFrame, *, premises: Sequence[object], bands: dict[str, float],
                  title: str, source: str, out_stem: Path) -> list[Path]:
    """Each chosen premises' rolling score month by month as a line, with the band
    thresholds as dashed horizontal lines (the numbers come from
    :func:`commsafe.profiles.cardiff.premises_scores`)."""
    require_columns(scores, ("premises_id", "premises_name", "month", "score"),
                    "Cardiff scores", "Score the premises first (premises_scores).")
    chosen = scores[scores["premises_id"].isin(list(premises))]
    if chosen.empty:
        raise InputError(f"{title!r}: none of the premises {list(premises)!r} has scores; "
                         "check the premises ids.")
    colours = [OKABE_ITO[k] for k in ("vermillion", "blue", "bluish_green", "orange",
                                      "reddish_purple", "sky_blue")]
    with house_style():
        fig, ax = _new_figure(source)
        handles: list[Any] = []
        for i, (pid, rows) in enumerate(chosen.groupby("premises_id", sort=False)):
            rows = rows.sort_values("month")
            colour = colours[i % len(colours)]
            (line,) = ax.plot([_mid(m) for m in rows["month"]], rows["score"], color=colour,
                              linewidth=2.2, marker="o", markersize=4,
                              label=f"{rows['premises_name'].iloc[-1]} ({pid})")
            handles.append(line)
        for name, threshold in sorted(bands.items(), key=lambda kv: kv[1]):
            if threshold > 0:
                ax.axhline(threshold, color="#555555", linewidth=1, linestyle=(0, (4, 3)))
                ax.annotate(f"{name} from {format_number(threshold, 0)}",
                            (1.0, threshold), xycoords=("axes fraction", "data"),
                            xytext=(-4, 3), textcoords="offset points", ha="right",
                            fontsize=9, color="#555555")
        months = sorted(chosen["month"].unique())
        _month_ticks(ax, months[0], months[-1])
        ax.set_ylabel("Violent incidents in the rolling window")
        ax.set_ylim(0, max(float(chosen["score"].max()), max(bands.values())) * 1.15 + 1)
        _title_and_legend(ax, title, handles)
        return save_figure(fig, out_stem)


_SERIES = ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue")


def grouped_bar_chart(table: pd.DataFrame, *, x: str, group: str, value: str, title: str,
                      source: str, out_stem: Path, y_label: str = "Count") -> list[Path]:
    """Bars of ``value`` for each ``x`` (e.g. quarter), one bar per ``group`` (e.g. district)
    side by side, in the order the table gives them."""
    require_columns(table, (x, group, value), "chart table", "Give a long table.")
    if table.empty:
        raise InputError(f"{title!r}: nothing to chart.")
    xs = list(dict.fromkeys(table[x].astype(str)))
    groups = list(dict.fromkeys(table[group].fillna("(none)").astype(str)))
    if len(groups) > len(_SERIES):
        raise InputError(f"{title!r}: {len(groups)} groups is more than a bar chart can show "
                         f"clearly (at most {len(_SERIES)}); choose fewer.")
    width = 0.8 / len(groups)
    with house_style():
        fig, ax = _new_figure(source)
        handles: list[Any] = []
        lookup = {(str(a), str(b)): float(v) for a, b, v in
                  zip(table[x], table[group].fillna("(none)"), table[value], strict=True)}
        for j, g in enumerate(groups):
            pos = [i + (j - (len(groups) - 1) / 2) * width for i in range(len(xs))]
            bars = ax.bar(pos, [lookup.get((xv, g), 0.0) for xv in xs], width=width * 0.95,
                          color=OKABE_ITO[_SERIES[j]], label=g, zorder=2)
            handles.append(bars)
        ax.set_xticks(range(len(xs)), xs)
        ax.set_ylabel(y_label)
        ax.yaxis.set_major_formatter(_thousands)
        _title_and_legend(ax, title, handles)
        return save_figure(fig, out_stem)


def line_chart(table: pd.DataFrame, *, x: str, series: str, value: str, title: str,
               source: str, out_stem: Path, y_label: str) -> list[Path]:
    """One line of ``value`` over ``x`` (e.g. academic years) per ``series`` (e.g. school)."""
    require_columns(table, (x, series, value), "chart table", "Give a long table.")
    if table.empty:
        raise InputError(f"{title!r}: nothing to chart.")
    names = list(dict.fromkeys(table[series].astype(str)))
    if len(names) > len(_SERIES):
        raise InputError(f"{title!r}: {len(names)} lines is more than a chart can show "
                         f"clearly (at most {len(_SERIES)}); choose fewer.")
    xs = sorted(set(table[x].astype(str)))
    with house_style():
        fig, ax = _new_figure(source)
        handles: list[Any] = []
        for j, name in enumerate(names):
            rows = table[table[series].astype(str) == name]
            points = {str(a): float(v) for a, v in zip(rows[x], rows[value], strict=True)}
            (line,) = ax.plot([xs.index(k) for k in xs if k in points],
                              [points[k] for k in xs if k in points], marker="o",
                              linewidth=2.2, color=OKABE_ITO[_SERIES[j]], label=name)
            handles.append(line)
        ax.set_xticks(range(len(xs)), xs)
        ax.set_ylabel(y_label)
        ax.set_ylim(bottom=0)
        _title_and_legend(ax, title, handles)
        return save_figure(fig, out_stem)

