"""Charts: files written, sizes, text in the SVG, byte-reproducible SVG, house style."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import matplotlib as mpl
import matplotlib.image as mpimg
import pandas as pd
import pytest
from matplotlib.figure import Figure

from commsafe.errors import InputError
from commsafe.measures.trends import count_and_rate_by_year, yearly_average_monthly
from commsafe.outputs import charts
from commsafe.outputs.charts import (
    DPI,
    FIGSIZE,
    HOUSE,
    OKABE_ITO,
    apply_house_style,
    count_rate_chart,
    trend_chart,
)
from commsafe.periods import month_label, month_range

TITLE = "Violence and sexual offences, Testshire, 2023 to 2024"
SOURCE = "Source: police.uk street-level data, Testshire Constabulary; commsafe"
SVG_NS = "{http://www.w3.org/2000/svg}"


def monthly(missing: tuple[str, ...] = ("2024-05",)) -> pd.DataFrame:
    months = [m for m in month_range("2023-01", "2024-12") if month_label(m) not in missing]
    return pd.DataFrame({"month": months,
                         "count": [100 + 7 * (i % 5) for i in range(len(months))]})


def svg_text(path: Path) -> list[str]:
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG_NS}svg"
    return ["".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")]


def test_module_exports_what_it_documents() -> None:
    assert all(hasattr(charts, name) for name in charts.__all__)


def test_trend_chart_writes_png_and_svg(tmp_path: Path) -> None:
    m = monthly()
    paths = trend_chart(m, yearly_average_monthly(m), title=TITLE, source=SOURCE,
                        out_stem=tmp_path / "out" / "trend.2024")
    assert paths == [tmp_path / "out" / "trend.2024.png", tmp_path / "out" / "trend.2024.svg"]
    image = mpimg.imread(paths[0])
    assert image.shape[:2] == (round(FIGSIZE[1] * DPI), round(FIGSIZE[0] * DPI))
    texts = svg_text(paths[1])
    assert TITLE in texts
    assert SOURCE in texts
    assert "Monthly count" in texts
    assert "No data" in texts  # May 2024 has no data: shaded, not drawn as 0
    # each year labelled with its average; the part year says over how many months
    assert "2024/25" in " ".join(texts)
    assert any("(8 of 12 months)" in t for t in texts)


def test_svg_is_byte_reproducible(tmp_path: Path) -> None:
    m = monthly()
    y = yearly_average_monthly(m)
    first = trend_chart(m, y, title=TITLE, source=SOURCE, out_stem=tmp_path / "a" / "t")
    second = trend_chart(m, y, title=TITLE, source=SOURCE, out_stem=tmp_path / "b" / "t")
    assert first[1].read_bytes() == second[1].read_bytes()
    table = count_and_rate_by_year(m, {2023: 5000.0, 2024: 5100.0})
    a = count_rate_chart(table, title=TITLE, source=SOURCE, out_stem=tmp_path / "a" / "r")
    b = count_rate_chart(table, title=TITLE, source=SOURCE, out_stem=tmp_path / "b" / "r")
    assert a[1].read_bytes() == b[1].read_bytes()
    # a different number gives a different file
    m2 = m.assign(count=m["count"] + 1)
    third = trend_chart(m2, yearly_average_monthly(m2), title=TITLE, source=SOURCE,
                        out_stem=tmp_path / "c" / "t")
    assert third[1].read_bytes() != first[1].read_bytes()


def test_long_series_and_complete_years(tmp_path: Path) -> None:
    months = month_range("2019-04", "2024-03")  # five whole financial years
    m = pd.DataFrame({"month": months, "count": [50 + i for i in range(len(months))]})
    paths = trend_chart(m, yearly_average_monthly(m), title=TITLE, source=SOURCE,
                        out_stem=tmp_path / "long", y_label="Incidents")
    texts = svg_text(paths[1])
    assert "Average per month in the year" in texts
    assert "No data" not in texts
    assert "Part year: average over the months with data" not in texts
    assert {"2020", "2021", "2022", "2023", "2024"} <= set(texts)  # yearly ticks
    assert "Incidents" in texts


def test_count_rate_chart(tmp_path: Path) -> None:
    table = count_and_rate_by_year(monthly(), {2023: 5000.0})
    paths = count_rate_chart(table, title=TITLE, source=SOURCE, out_stem=tmp_path / "rate",
                             count_label="Offences")
    assert [p.suffix for p in paths] == [".png", ".svg"]
    assert mpimg.imread(paths[0]).shape[:2] == (900, 1600)
    texts = svg_text(paths[1])
    assert {TITLE, SOURCE, "2023", "2024", "Offences", "Rate per 1,000 population",
            "Part year (months missing)"} <= set(texts)


def test_charts_refuse_what_they_cannot_draw(tmp_path: Path) -> None:
    empty = pd.DataFrame({"month": [], "count": []})
    with pytest.raises(InputError, match="no months with data"):
        trend_chart(empty, yearly_average_monthly(empty), title=TITLE, source=SOURCE,
                    out_stem=tmp_path / "x")
    with pytest.raises(InputError, match="lacks column"):
        trend_chart(pd.DataFrame({"month": [date(2024, 1, 1)]}), pd.DataFrame(),
                    title=TITLE, source=SOURCE, out_stem=tmp_path / "x")
    with pytest.raises(InputError, match="lacks column"):
        count_rate_chart(pd.DataFrame({"count": [1]}), title=TITLE, source=SOURCE,
                         out_stem=tmp_path / "x")
    assert not list(tmp_path.iterdir())


def test_house_style_is_colour_blind_safe_and_local(tmp_path: Path) -> None:
    assert set(OKABE_ITO.values()) == {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442",
                                       "#0072B2", "#D55E00", "#CC79A7"}
    colours = [c.upper() for c in HOUSE["axes.prop_cycle"].by_key()["color"]]
    assert set(colours) <= set(OKABE_ITO.values())
    before = dict(mpl.rcParams)
    m = monthly()
    trend_chart(m, yearly_average_monthly(m), title=TITLE, source=SOURCE,
                out_stem=tmp_path / "t")
    assert mpl.rcParams["svg.hashsalt"] == before["svg.hashsalt"]  # nothing global changed
    ax = Figure().add_subplot()
    apply_house_style(ax)
    assert not ax.spines["top"].get_visible()
    assert not ax.spines["right"].get_visible()
    assert ax.spines["left"].get_visible()
    assert ax.yaxis.get_major_formatter()(12345.0) == "12,345"
