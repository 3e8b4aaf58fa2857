"""Age and sex pyramids in the house style. They draw :func:`commsafe.profiles.pyramids.pyramid`
tables; they compute nothing.

Males to the left, females to the right of a symmetric axis labelled with positive numbers,
youngest band at the bottom; a comparison (e.g. the whole force, or residents) is drawn as an
outline over the bars; victims and offenders as two panels side by side on one scale.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from commsafe.errors import InputError
from commsafe.measures.rounding import format_number
from commsafe.outputs.charts import (
    FIGSIZE,
    OKABE_ITO,
    SOURCE_WRAP,
    TITLE_WRAP,
    apply_house_style,
    house_style,
    require_columns,
    save_figure,
)
from commsafe.profiles.pyramids import BANDS

__all__ = ["VALUE_LABELS", "pyramid_chart"]

Value = Literal["count", "share", "rate_per_1000"]

#: x-axis label of each value a pyramid can show
VALUE_LABELS: Final[dict[str, str]] = {
    "count": "People",
    "share": "Share of the people of known age and sex",
    "rate_per_1000": "Rate per 1,000 residents of the same age and sex",
}

_MALE: Final = OKABE_ITO["blue"]
_FEMALE: Final = OKABE_ITO["orange"]
_OUTLINE: Final = OKABE_ITO["black"]
_TEXT: Final = "#333333"
_MUTED: Final = "#666666"
_GRID: Final = "#DDDDDD"


def _values(table: pd.DataFrame, value: str, sex: str) -> np.ndarray:
    """``value`` for ``sex`` in band order (NaN where the table has no row)."""
    rows = table[table["sex"] == sex].set_index("age_band")[value]
    return np.array([float(rows.get(b, math.nan)) for b in BANDS])


def _formatter(value: str) -> FuncFormatter:
    def label(x: float, _pos: object = None) -> str:
        size = abs(x)
        if value == "share":
            return f"{format_number(size * 100, 0 if (size * 100).is_integer() else 1)}%"
        return format_number(size, 0 if float(size).is_integer() else 1)
    return FuncFormatter(label)


def _check(table: pd.DataFrame, value: str, what: str) -> None:
    require_columns(table, ("age_band", "sex", value), what, "Build it with pyramid().")
    finite = pd.to_numeric(table[value], errors="coerce").dropna()
    if finite.empty:
        hint = (" Load a population by age and sex, or chart value='count' or 'share'."
                if value == "rate_per_1000" else " Check the selection.")
        raise InputError(f"pyramid chart: the {what} has no {value} to draw.{hint}")


def _panel(ax: Axes, table: pd.DataFrame, value: str, comparison: pd.DataFrame | None,
           heading: str | None) -> None:
    apply_house_style(ax)
    ax.grid(False, axis="y")
    ax.grid(True, axis="x", color=_GRID, linewidth=0.6)
    y = np.arange(len(BANDS))
    for sex, colour, sign in (("male", _MALE, -1.0), ("female", _FEMALE, 1.0)):
        values = _values(table, value, sex)
        drawn = ~np.isnan(values)
        ax.barh(y[drawn], sign * values[drawn], height=0.8, color=colour, linewidth=0,
                zorder=2)
        if comparison is not None:
            other = _values(comparison, value, sex)
            edges = np.arange(len(BANDS) + 1) - 0.5
            ax.stairs(sign * np.nan_to_num(other), edges, orientation="horizontal",
                      baseline=None, color=_OUTLINE, linewidth=1.3, zorder=3)
    ax.axvline(0, color=_MUTED, linewidth=0.8, zorder=3)
    ax.set_yticks(y, list(BANDS))
    ax.tick_params(axis="y", length=0, labelsize=7)
    ax.set_ylim(-0.6, len(BANDS) - 0.4)
    ax.xaxis.set_major_formatter(_formatter(value))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6, symmetric=True))
    ax.text(0.02, 0.98, "Male", transform=ax.transAxes, ha="left", va="top",
            color=_MALE, fontweight="bold", fontsize=9)
    ax.text(0.98, 0.98, "Female", transform=ax.transAxes, ha="right", va="top",
            color=_FEMALE, fontweight="bold", fontsize=9)
    ax.set_xlabel(VALUE_LABELS[value])
    shown, left_out = table.attrs.get("shown"), table.attrs.get("left_out")
    if shown is not None:  # the caveat travels with the chart
        note = f"n = {format_number(shown, 0)}"
        if left_out:  # on a second line, clear of the panel's heading
            note += f"\n{format_number(left_out, 0)} with unknown age or sex not shown"
        ax.set_title(note, loc="right", fontsize=7.5, fontweight="normal", color=_MUTED,
                     pad=4)
    if heading:
        ax.set_title(heading, loc="left", fontsize=10, fontweight="bold", pad=4)


def pyramid_chart(victims: pd.DataFrame, offenders: pd.DataFrame | None = None, *,
                  value: Value = "count", comparison: pd.DataFrame | None = None,
                  offender_comparison: pd.DataFrame | None = None,
                  comparison_label: str = "Comparison", title: str, source: str,
                  out_stem: Path, panel_titles: tuple[str, str] = ("Victims", "Offenders"),
                  ) -> list[Path]:
    """An age and sex pyramid of ``victims`` (and ``offenders`` beside it, on the same scale).

    Each table is a :func:`~commsafe.profiles.pyramids.pyramid` table; ``value`` is the column
    drawn (``count``, ``share`` or ``rate_per_1000``). ``comparison`` (and
    ``offender_comparison`` for the offenders' panel) is a pyramid table of the same ``value``
    drawn as a black outline, named ``comparison_label`` in the legend; compare shares or
    rates, as counts of areas of different size do not compare. Writes ``out_stem.png`` and
    ``out_stem.svg`` and returns their paths.
    """
    if value not in VALUE_LABELS:
        raise InputError(f"pyramid chart: value {value!r} is not one of "
                         f"{', '.join(VALUE_LABELS)}. Fix: pick one of those.")
    _check(victims, value, "victims table")
    panels: list[tuple[pd.DataFrame, pd.DataFrame | None, str | None]] = []
    if offenders is None:
        if offender_comparison is not None:
            raise InputError("pyramid chart: an offender comparison without offenders. "
                             "Fix: pass the offenders' pyramid too, or drop the comparison.")
        panels.append((victims, comparison, None))
    else:
        _check(offenders, value, "offenders table")
        panels += [(victims, comparison, panel_titles[0]),
                   (offenders, offender_comparison, panel_titles[1])]
    outlines = [c for _, c, _ in panels if c is not None]
    for other in outlines:
        _check(other, value, "comparison table")
    everything = [t for t, _, _ in panels] + outlines
    top = max(float(np.nanmax(np.abs(pd.to_numeric(t[value], errors="coerce"))))
              for t in everything)
    limit = top * 1.12 if top > 0 else 1.0
    with house_style():
        fig = Figure(figsize=FIGSIZE, layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, len(panels), squeeze=False)[0]
        for ax, (table, outline, heading) in zip(axes, panels, strict=True):
            _panel(ax, table, value, outline, heading)
            ax.set_xlim(-limit, limit)
        # the title heads the legend (left-aligned), so the layout keeps room for both
        handles: list[Any] = []
        if outlines:
            handles.append(Line2D([], [], color=_OUTLINE, linewidth=1.3,
                                  label=f"Outline: {comparison_label}"))
        legend = fig.legend(handles=handles, loc="outside upper left", alignment="left",
                            title=textwrap.fill(title, TITLE_WRAP), handlelength=1.8,
                            title_fontproperties={"size": 12, "weight": "bold"},
                            borderaxespad=0.2)
        legend.get_title().set_color(_TEXT)
        legend.get_title().set_multialignment("left")
        if source:  # none when the caller prints it beside the image
            fig.supxlabel(textwrap.fill(source, SOURCE_WRAP), x=0.01, ha="left",
                          fontsize=7.5, color=_MUTED, multialignment="left")
        return save_figure(fig, out_stem)
