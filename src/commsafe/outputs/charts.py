"""Charts in the house style. They draw numbers computed in ``commsafe.measures``; none here.

House style (:data:`HOUSE`, :func:`apply_house_style`): the Okabe–Ito colour-blind-safe
palette, a light horizontal grid behind the data, no top or right spines (except a twin axis'
right spine), the title left-aligned above the plot, the legend under the title and a source
line under each chart. Every chart is written twice, ``<out_stem>.png`` (200 dpi, 1600 × 900
pixels) and ``<out_stem>.svg`` (text kept as text, so it can be searched and edited), and the
SVG is byte-for-byte reproducible: same numbers, same file.

Figures are built with :class:`matplotlib.figure.Figure` directly (rendered by the Agg
backend), never through ``pyplot``, so nothing global is changed and no window is opened.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

import matplotlib as mpl
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter
from matplotlib.typing import RcKeyType

from commsafe.errors import InputError
from commsafe.measures.rounding import format_number
from commsafe.periods import add_months, as_month, month_range

__all__ = [
    "DPI",
    "FIGSIZE",
    "HOUSE",
    "OKABE_ITO",
    "SOURCE_WRAP",
    "TITLE_WRAP",
    "apply_house_style",
    "count_rate_chart",
    "figure_renderer",
    "house_style",
    "require_columns",
    "save_figure",
    "trend_chart",
]

#: Okabe & Ito (2008), "Color Universal Design": distinguishable with any colour vision
OKABE_ITO: Final[dict[str, str]] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

_TEXT = "#333333"
_MUTED = "#666666"
_GRID = "#DDDDDD"

FIGSIZE: Final = (8.0, 4.5)
# characters that fit across the figure: longer titles and source lines wrap
TITLE_WRAP: Final = 72
SOURCE_WRAP: Final = 130
DPI: Final = 200

#: matplotlib rcParams of the house style (used by :func:`house_style`)
HOUSE: Final[dict[RcKeyType, Any]] = {
    # DejaVu Sans ships with matplotlib, so the PNG looks the same everywhere; an SVG keeps
    # its text as text and names fallbacks for viewers without it
    "font.family": ["sans-serif"],
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9,
    "text.color": _TEXT,
    "axes.labelcolor": _TEXT,
    "axes.edgecolor": _MUTED,
    "axes.linewidth": 0.8,
    "axes.titlelocation": "left",
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlepad": 8,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "axes.prop_cycle": cycler(color=[
        OKABE_ITO[k] for k in ("blue", "orange", "bluish_green", "vermillion",
                               "reddish_purple", "sky_blue", "yellow", "black")
    ]),
    "grid.color": _GRID,
    "grid.linewidth": 0.6,
    "xtick.color": _MUTED,
    "ytick.color": _MUTED,
    "xtick.labelcolor": _TEXT,
    "ytick.labelcolor": _TEXT,
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "figure.figsize": FIGSIZE,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "svg.fonttype": "none",
    "svg.hashsalt": "commsafe",
    "path.simplify": True,
}

_BAR = OKABE_ITO["sky_blue"]
_AVERAGE = OKABE_ITO["vermillion"]
_RATE = OKABE_ITO["vermillion"]
_GAP = "#EEEEEE"


@contextmanager
def house_style() -> Iterator[None]:
    """Apply :data:`HOUSE` for the duration of a ``with`` block (restored afterwards)."""
    with mpl.rc_context(HOUSE):
        yield


def apply_house_style(ax: Axes, *, right_spine: bool = False) -> None:
    """Give ``ax`` the house look: light y grid behind the data, no top (or right) spine."""
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(right_spine)
    ax.set_axisbelow(True)
    ax.grid(True, axis="y", color=_GRID, linewidth=0.6)
    ax.grid(False, axis="x")
    ax.tick_params(colors=_MUTED, labelcolor=_TEXT)
    ax.yaxis.set_major_formatter(FuncFormatter(_thousands))


def _thousands(value: float, _pos: object = None) -> str:
    return format_number(value, 0) if float(value).is_integer() else format_number(value, 1)


def _new_figure(source: str) -> tuple[Figure, Axes]:
    fig = Figure(figsize=FIGSIZE, layout="constrained")
    FigureCanvasAgg(fig)  # render with Agg; measuring text needs its renderer
    ax = fig.add_subplot()
    apply_house_style(ax)
    # the source line: a figure-level label, so that constrained layout keeps room for it
    # (none when the caller prints the source beside the image, as the document does)
    if source:
        fig.supxlabel(textwrap.fill(source, SOURCE_WRAP), x=0.01, ha="left", fontsize=7.5,
                      color=_MUTED, multialignment="left")
    return fig, ax


def figure_renderer(fig: Figure) -> Any:
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    return canvas.get_renderer()


def _stem_path(out_stem: Path, suffix: str) -> Path:
    return out_stem.parent / f"{out_stem.name}{suffix}"


def save_figure(fig: Figure, out_stem: Path) -> list[Path]:
    out_stem = Path(out_stem)
    out_stem.parent.mkdir(parents=True, exist_ok=True)
    png, svg = _stem_path(out_stem, ".png"), _stem_path(out_stem, ".svg")
    fig.savefig(png, dpi=DPI, metadata={"Software": None})
    fig.savefig(svg, metadata={"Date": None})
    return [png, svg]


def require_columns(frame: pd.DataFrame, columns: tuple[str, ...], what: str, hint: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{what} lacks column(s) {', '.join(missing)}; it has "
            f"{', '.join(map(str, frame.columns)) or 'none'}. {hint}"
        )


def _title_and_legend(ax: Axes, title: str, handles: list[Any]) -> None:
    """The legend in one row under the title (two or more rows when too wide), then the title.

    The legend sits between the title and the plot; the title is padded to clear it.
    """
    fig = ax.get_figure()
    assert isinstance(fig, Figure)
    ncols = len(handles)
    while True:
        legend = ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0),
                           ncols=ncols, borderaxespad=0.3, handlelength=1.8,
                           columnspacing=1.5)
        width = legend.get_window_extent(figure_renderer(fig)).width
        if ncols == 1 or width <= fig.bbox.width * 0.95:
            break
        ncols = -(-ncols // 2)  # halve, rounding up
    height_pt = legend.get_window_extent(figure_renderer(fig)).height * 72 / fig.dpi
    ax.set_title(textwrap.fill(title, TITLE_WRAP), loc="left", pad=height_pt + 4)


def _month_ticks(ax: Axes, first: date, last: date) -> None:
    """Ticks in the middle of months: every month up to 2 years, then quarterly or yearly."""
    months = month_range(first, last)
    step = 1 if len(months) <= 24 else 3 if len(months) <= 60 else 12
    if step == 12:
        chosen = [m for m in months if m.month == 1] or months[:1]
    else:
        chosen = [m for m in months if (m.month - 1) % step == 0] or months[:1]
    labels = []
    for i, m in enumerate(chosen):
        if step == 12:
            labels.append(f"{m:%Y}")
        elif i == 0 or m.month <= step:
            labels.append(f"{m:%b}\n{m:%Y}")
        else:
            labels.append(f"{m:%b}")
    ax.set_xticks([_mid(m) for m in chosen], labels)
    ax.tick_params(axis="x", which="major", length=3)
    if step > 1:
        ax.set_xticks([_mid(m) for m in months], minor=True)
        ax.tick_params(axis="x", which="minor", length=1.5)


def _mid(month: date) -> float:
    return float(date2num(month + timedelta(days=15)))


def _edge(month: date) -> float:
    return float(date2num(month))


_DASHED: Final = (0, (4, 2))
_LABEL_SIZE: Final = 7.5


def _year_labels(ax: Axes, labels: list[tuple[float, float, str]]) -> float:
    """Write each year's label centred over its months at the top of the plot.

    Labels are measured once the layout is settled; those too close to fit side by side go
    on a second (third…) row. Returns the axes fraction below which the data must stay.
    """
    if not labels:
        return 1.0
    fig = ax.get_figure()
    assert isinstance(fig, Figure)
    fig.draw_without_rendering()  # settle the constrained layout: the plot's final width
    renderer = figure_renderer(fig)
    box = ax.get_window_extent(renderer)
    left, right = ax.get_xlim()
    per_px = (right - left) / box.width
    gap_px = 8 * fig.dpi / 72
    rows: list[float] = []  # right edge of the last label on each row
    placed = []
    tallest = 0.0
    for start, stop, text in labels:
        label = ax.text((start + stop) / 2, 0.99, text, transform=ax.get_xaxis_transform(),
                        ha="center", va="top", fontsize=_LABEL_SIZE, color=_AVERAGE,
                        linespacing=1.15, zorder=4)
        extent = label.get_window_extent(renderer)
        tallest = max(tallest, extent.height / box.height)
        half = (extent.width / 2 + 4 * fig.dpi / 72) * per_px  # keep clear of the spines
        centre = min(max((start + stop) / 2, left + half), right - half)
        label.set_x(centre)
        row = next((i for i, edge in enumerate(rows) if edge + gap_px * per_px <= centre - half),
                   len(rows))
        if row == len(rows):
            rows.append(centre + half)
        else:
            rows[row] = centre + half
        placed.append((label, row))
    row_height = tallest + 4 * fig.dpi / 72 / box.height
    for label, row in placed:
        label.set_y(0.99 - row * row_height)
    return 0.99 - len(rows) * row_height


def trend_chart(monthly: pd.DataFrame, yearly: pd.DataFrame, *, title: str, source: str,
                out_stem: Path, y_label: str = "Count") -> list[Path]:
    """Monthly counts as bars, each year's average monthly count as a step over its months.

    ``monthly`` is a :func:`~commsafe.measures.trends.monthly_counts` table and ``yearly`` a
    :func:`~commsafe.measures.trends.yearly_average_monthly` table. Months without data are
    shaded "No data" (not drawn as 0); a year with missing months is drawn dashed and labelled
    with the number of months its average covers. Writes ``out_stem.png`` and
    ``out_stem.svg`` and returns their paths.
    """
    require_columns(monthly, ("month", "count"), "monthly table", "Build it with monthly_counts().")
    require_columns(yearly, ("period", "start", "end", "months_with_data", "average_monthly",
                      "complete"), "yearly table", "Build it with yearly_average_monthly().")
    if monthly.empty:
        raise InputError(f"{title!r}: there are no months with data to chart; "
                         "check the selection (where, categories) and what is loaded.")
    months = [as_month(m) for m in monthly["month"]]
    counts = [int(c) for c in monthly["count"]]
    first, last = min(months), max(months)
    after_last = add_months(last, 1)
    with house_style():
        fig, ax = _new_figure(source)
        ax.bar([_mid(m) for m in months], counts, width=24, color=_BAR, linewidth=0,
               zorder=2)
        handles: list[Any] = [Patch(facecolor=_BAR, label="Monthly count")]
        present = set(months)
        gaps = [m for m in month_range(first, last) if m not in present]
        for m in gaps:
            ax.axvspan(_edge(m), _edge(add_months(m, 1)), facecolor=_GAP, edgecolor="none",
                       zorder=1)
        styles = set()
        labels: list[tuple[float, float, str]] = []  # (left, right) in data units, text
        for _, year in yearly.iterrows():
            # the step spans the year's months with data (a part year is not drawn over the
            # months it has no data for)
            inside = [m for m in months
                      if as_month(year["start"]) <= m <= as_month(year["end"])]
            if not inside:
                continue
            start, stop = min(inside), add_months(max(inside), 1)
            complete = bool(year["complete"])
            styles.add(complete)
            average = float(year["average_monthly"])
            ax.hlines(average, _edge(start), _edge(stop), colors=_AVERAGE, linewidth=2.2,
                      linestyles="solid" if complete else _DASHED, zorder=3)
            lines = [str(year["period"]),
                     f"{format_number(average, 0 if abs(average) >= 100 else 1)} a month"]
            if not complete:
                lines.append(f"({int(year['months_with_data'])} of 12 months)")
            labels.append((_edge(start), _edge(stop), "\n".join(lines)))
        if True in styles:
            handles.append(Line2D([], [], color=_AVERAGE, linewidth=2.2,
                                  label="Average per month in the year"))
        if False in styles:
            handles.append(Line2D([], [], color=_AVERAGE, linewidth=2.2, linestyle=_DASHED,
                                  label="Part year: average over the months with data"))
        if gaps:
            handles.append(Patch(facecolor=_GAP, label="No data"))
        left, right = _edge(first) - 5, _edge(after_last) + 5
        ax.set_xlim(left, right)
        ax.set_ylabel(y_label)
        _month_ticks(ax, first, last)
        _title_and_legend(ax, title, handles)
        top = max(max(counts), float(yearly["average_monthly"].max()) if len(yearly) else 0)
        ax.set_ylim(0, top * 1.25 if top > 0 else 1)  # provisional, for the layout
        band = _year_labels(ax, labels)
        # keep bars and steps below the band of year labels at the top of the plot
        ax.set_ylim(0, top / (band - 0.03) if top > 0 else 1)
        return save_figure(fig, out_stem)


def count_rate_chart(table: pd.DataFrame, *, title: str, source: str, out_stem: Path,
                     count_label: str = "Count",
                     rate_label: str = "Rate per 1,000 population") -> list[Path]:
    """Counts as bars on the left axis and the rate per 1,000 as a line on the right, by year.

    ``table`` is a :func:`~commsafe.measures.trends.count_and_rate_by_year` table (``period``
    or ``year``, ``count``, ``rate_per_1000``; ``complete`` optional). Part years are hatched
    and named in the legend; a year without a population has no rate point (not 0).
    """
    require_columns(table, ("count", "rate_per_1000"), "count and rate table",
             "Build it with count_and_rate_by_year().")
    label_column = "period" if "period" in table.columns else "year"
    require_columns(table, (label_column,), "count and rate table",
             "Build it with count_and_rate_by_year().")
    if table.empty:
        raise InputError(f"{title!r}: there are no years with data to chart; "
                         "check the selection and what is loaded.")
    labels = [str(v) for v in table[label_column]]
    counts = [int(c) for c in table["count"]]
    rates = [float(r) for r in table["rate_per_1000"]]
    complete = [bool(c) for c in table["complete"]] if "complete" in table.columns else (
        [True] * len(labels))
    x = list(range(len(labels)))
    with house_style():
        fig, ax = _new_figure(source)
        bars = ax.bar(x, counts, width=0.6, color=_BAR, linewidth=0, zorder=2)
        for bar, whole in zip(bars, complete, strict=True):
            if not whole:
                bar.set_hatch("///")
                bar.set_edgecolor("white")
        ax.set_ylabel(count_label)
        ax.set_ylim(0, max(max(counts), 1) * 1.15)
        ax.set_xticks(x, labels)
        ax.set_xlim(-0.6, len(labels) - 0.4)
        rate_ax = ax.twinx()
        apply_house_style(rate_ax, right_spine=True)
        rate_ax.grid(False)
        rate_ax.plot(x, rates, color=_RATE, linewidth=2.0, zorder=3)
        # part years get an open marker: their rate covers only the months with data
        rate_ax.scatter(x, rates, s=28, zorder=4, linewidths=1.5, edgecolors=_RATE,
                        facecolors=[_RATE if whole else "white" for whole in complete])
        finite = [r for r in rates if r == r]
        rate_top = max(finite) if finite else 0.0
        rate_ax.set_ylim(0, rate_top * 1.15 if rate_top > 0 else 1.0)
        rate_ax.set_ylabel(rate_label, color=_RATE)
        rate_ax.tick_params(axis="y", colors=_RATE, labelcolor=_RATE)
        rate_ax.spines["right"].set_color(_RATE)
        handles: list[Any] = [Patch(facecolor=_BAR, label=f"{count_label} (left axis)"),
                              Line2D([], [], color=_RATE, linewidth=2.0, marker="o",
                                     markersize=4.5, label=f"{rate_label} (right axis)")]
        if not all(complete):
            handles.append(Patch(facecolor=_BAR, hatch="///", edgecolor="white",
                                 label="Part year (months missing)"))
        _title_and_legend(ax, title, handles)
        return save_figure(fig, out_stem)


def funnel_chart(frame: pd.DataFrame, *, category: str, highlight: str, title: str,
                 source: str, out_stem: Path) -> list[Path]:
    """A funnel plot of one ``category`` of a :func:`~commsafe.measures.context.context_table`
    frame: each CSP a point at (residents, rate per 1,000), ``highlight`` (code or name)
    emphasised and labelled, its force's rate as a horizontal line, and the 95% and 99.8%
    limits of :func:`~commsafe.measures.context.funnel_limits` as curves (widened by the φ in
    ``frame.attrs['overdispersion']`` when the table used one). CSPs without population are
    left out."""
    import numpy as np

    from commsafe.measures.context import funnel_limits

    require_columns(frame, ("level", "area_code", "area_name", "category", "residents",
                            "rate_per_1000"), "countywide table", "Build it with context_table().")
    rows = frame[frame["category"] == category]
    key = highlight.strip().lower()
    mine = rows[(rows["level"] == "csp") & ((rows["area_code"].str.lower() == key)
                                            | (rows["area_name"].fillna("").str.lower() == key))]
    pfa_rows = rows[rows["level"] == "pfa"]
    if mine.empty or pfa_rows.empty:
        raise InputError(f"{title!r}: no CSP {highlight!r} and force row for {category!r} in the "
                         "table; check the category and the partnership.")
    # the force whose block of rows holds the highlighted CSP (rows follow their pfa row)
    pfa_index = [i for i in pfa_rows.index if i < mine.index[0]][-1]
    force = rows.loc[pfa_index]
    after = rows.loc[pfa_index:].iloc[1:]
    nxt = after.index[after["level"] == "pfa"]
    csps = after.loc[: nxt[0] - 1] if len(nxt) else after
    csps = csps[csps["residents"].notna() & csps["rate_per_1000"].notna()]
    target = float(force["rate_per_1000"])
    phi = frame.attrs.get("overdispersion", {}).get((force["area_code"], category))
    pops = [float(p) for p in csps["residents"]]
    xs = np.linspace(max(min(pops) * 0.5, 1.0), max(pops) * 1.1, 200)
    lim = funnel_limits(target, xs, overdispersion=phi)
    with house_style():
        fig, ax = _new_figure(source)
        ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.axhline(target, color=_MUTED, linewidth=1.2, zorder=2)
        for name, style in (("95", "--"), ("998", ":")):
            for side in ("lower", "upper"):
                ax.plot(xs, lim[f"{side}_{name}"], color=OKABE_ITO["blue"], linestyle=style,
                        linewidth=1.2, zorder=2)
        others = csps[csps.index != mine.index[0]]
        ax.scatter(others["residents"], others["rate_per_1000"], s=28, color=_BAR, zorder=3)
        me = mine.iloc[0]
        ax.scatter([me["residents"]], [me["rate_per_1000"]], s=60, color=_AVERAGE, zorder=4)
        ax.annotate(str(me["area_name"] or me["area_code"]),
                    (float(me["residents"]), float(me["rate_per_1000"])),
                    xytext=(6, 4), textcoords="offset points", fontsize=8.5, color=_TEXT)
        ax.set_xlabel("Residents")
        ax.set_ylabel("Rate per 1,000 residents")
        top = max([*csps["rate_per_1000"], float(np.nanmax(lim["upper_998"]))])
        ax.set_ylim(0, top * 1.1 if top > 0 else 1.0)
        wide = f" (widened for overdispersion, φ = {phi:.1f})" if phi else ""
        handles: list[Any] = [
            Line2D([], [], color=_MUTED, linewidth=1.2,
                   label=f"{force['area_name'] or force['area_code']} rate"),
            Line2D([], [], color=OKABE_ITO["blue"], linestyle="--", label="95% limits" + wide),
            Line2D([], [], color=OKABE_ITO["blue"], linestyle=":", label="99.8% limits"),
            Line2D([], [], color=_BAR, marker="o", linestyle="", label="Other CSPs"),
            Line2D([], [], color=_AVERAGE, marker="o", linestyle="",
                   label=str(me["area_name"] or me["area_code"])),
        ]
        _title_and_legend(ax, title, handles)
        return save_figure(fig, out_stem)
