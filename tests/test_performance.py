"""The performance table against published figures, and its rules."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from commsafe.cli import main
from commsafe.errors import InputError
from commsafe.measures.performance import (
    NO_CALC,
    PerformanceSpec,
    performance_table,
    spec_from_text,
)
from commsafe.sources.counts import read_counts

# Published CSP performance table (MISSION.md): 2017/18 → 2018/19
VAP = [
    ("All violence against the person", 2995, 3038),
    ("Homicides", 4, 3),
    ("Death or serious injury – unlawful driving", 0, 2),
    ("Violence with injury", 814, 828),
    ("Violence without injury", 1773, 1693),
    ("Stalking and harassment", 404, 512),
]


def write_counts(path: Path, rows: list[tuple[str, str, int]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["category", "period", "count"])
        w.writerows(rows)
    return path


@pytest.fixture
def vap_file(tmp_path: Path) -> Path:
    rows = [(c, "2017/18", a) for c, a, _ in VAP] + [(c, "2018/19", b) for c, _, b in VAP]
    return write_counts(tmp_path / "vap.csv", rows)


def test_published_violence_figures(vap_file: Path) -> None:
    frame = performance_table(counts=read_counts(vap_file),
                              spec=spec_from_text(None, "2017/18,2018/19", None, 5))
    got = {r["category"]: (r["2017/18"], r["2018/19"], r["change"], r["pct_change"])
           for r in frame.to_dict("records")}
    assert got == {
        "All violence against the person": (2995, 3038, 43, 1),
        "Homicides": (4, 3, -1, NO_CALC),
        "Death or serious injury – unlawful driving": (0, 2, 2, NO_CALC),
        "Violence with injury": (814, 828, 14, 2),
        "Violence without injury": (1773, 1693, -80, -5),
        "Stalking and harassment": (404, 512, 108, 27),
    }
    # hierarchy order: the group first, then its subgroups as published
    assert list(frame["category"]) == [c for c, _, _ in VAP]
    sig = dict(zip(frame["category"], frame["significant"], strict=True))
    p = dict(zip(frame["category"], frame["p_value"], strict=True))
    assert sig["Homicides"] == "no significant change" and p["Homicides"] > 0.5
    assert sig["Stalking and harassment"] == "significant increase"
    assert p["Stalking and harassment"] < 0.001


def test_published_domestic_abuse_changes(tmp_path: Path) -> None:
    f = write_counts(tmp_path / "da.csv", [("Domestic abuse incidents", "2016/17", 1968),
                                           ("Domestic abuse incidents", "2017/18", 1895),
                                           ("Domestic abuse incidents", "2018/19", 1987)])
    counts = read_counts(f)
    later = performance_table(counts=counts, spec=spec_from_text(None, "2017/18,2018/19",
                                                                 None, 5))
    earlier = performance_table(counts=counts, spec=spec_from_text(None, "2016/17,2017/18",
                                                                   None, 5))
    assert (later.loc[0, "change"], later.loc[0, "pct_change"]) == (92, 5)
    assert (earlier.loc[0, "change"], earlier.loc[0, "pct_change"]) == (-73, -4)
    assert later.attrs["not_in_hierarchy"] == ["Domestic abuse incidents"]


def test_average_skips_missing_periods_and_rounds_half_away(tmp_path: Path) -> None:
    # 2013/14 missing entirely for Robbery: averaged over the 4 years that have data
    rows = [("Robbery", "2014/15", 57), ("Robbery", "2015/16", 57),
            ("Robbery", "2016/17", 57), ("Robbery", "2017/18", 58),
            ("Burglary", "2013/14", 10), ("Burglary", "2014/15", 10),
            ("Burglary", "2015/16", 10), ("Burglary", "2016/17", 10),
            ("Burglary", "2017/18", 11), ("Robbery", "2018/19", 60), ("Burglary", "2018/19", 9)]
    frame = performance_table(
        counts=read_counts(write_counts(tmp_path / "a.csv", rows)),
        spec=spec_from_text("2013/14:2018/19", "2017/18,2018/19", "2013/14:2017/18", 5))
    robbery = frame.set_index("category").loc["Robbery"]
    assert pd.isna(robbery["2013/14"])  # not available, not zero
    assert robbery["average"] == 57.3  # 229 / 4 = 57.25 → 57.3 (half away from zero)
    assert frame.set_index("category").loc["Burglary", "average"] == 10.2


def test_defaults_are_announced(vap_file: Path) -> None:
    frame = performance_table(counts=read_counts(vap_file), spec=PerformanceSpec())
    notes = " ".join(frame.attrs["notes"])
    assert "below 5 (the default)" in notes
    assert "compare: 2017/18 with 2018/19" in notes


def test_comparison_period_absent_is_an_error(vap_file: Path) -> None:
    with pytest.raises(InputError, match="2019/20: this period is absent from the data"):
        performance_table(counts=read_counts(vap_file),
                          spec=spec_from_text(None, "2018/19,2019/20", None, 5))


@pytest.mark.parametrize(("body", "message"), [
    ("category,period\nRobbery,2018/19\n", "missing column(s) count"),
    ("category,period,count\nRobbery,2018/19,1.5\n", "line 2, column 'count', value '1.5'"),
    ("category,period,count\nRobbery,2018/19,-3\n", "negative"),
    ("category,period,count\nRobbery,2018/19,3\nBurglary,2018/19,4\nRobbery,2018/19,5\n",
     "lines 2 and 4 both give the count for 'Robbery' in 2018/19"),
    ("category,period,count\nRobbery,FY18,3\n", "Accepted forms"),
    ("category,period,count\nRobbery,2018/19,3\nRobbery,2019,4\n", "different kinds"),
])
def test_bad_counts_files(tmp_path: Path, body: str, message: str) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_counts(f)
    assert message in str(err.value) and "bad.csv" in str(err.value)


def test_cli_csv_contract_and_xlsx(vap_file: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["table", "performance", "--counts", str(vap_file), "--periods",
                 "2017/18:2018/19", "--compare", "2017/18,2018/19", "--average",
                 "2017/18:2017/18", "--min-base", "5", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == ["category", "2017/18", "2018/19", "average", "change",
                             "pct_change", "p_value", "significant"]
    homicides = next(r for r in rows if r["category"] == "Homicides")
    assert (homicides["pct_change"], homicides["average"]) == ("No calc", "4.0")
    out = tmp_path / "perf.xlsx"
    assert main(["table", "performance", "--counts", str(vap_file), "--format", "xlsx",
                 "--out", str(out)]) == 0
    book = pd.read_excel(out, header=2, engine="openpyxl")
    assert list(book.columns[:3]) == ["category", "2017/18", "2018/19"]
    assert book.loc[book["category"] == "Stalking and harassment", "change"].item() == 108


def test_harm_columns_beside_counts(vap_file: Path, tmp_path: Path) -> None:
    from commsafe.measures.harm import load_weights

    weights = tmp_path / "w.csv"
    weights.write_text("category,weight\nHomicides,5475\nStalking and harassment,30\n",
                       encoding="utf-8")
    frame = performance_table(counts=read_counts(vap_file),
                              spec=spec_from_text(None, "2017/18,2018/19", None, 5),
                              harm=load_weights(weights))
    rows = frame.set_index("category")
    assert rows.loc["Homicides", "harm_2017/18"] == 4 * 5475
    assert rows.loc["Stalking and harassment", "harm_change"] == (512 - 404) * 30
    assert pd.isna(rows.loc["Violence with injury", "harm_2018/19"])
    assert any("no harm weight" in n and "Violence with injury" in n
               for n in frame.attrs["notes"])
    # the counts columns keep their contract order, harm follows
    assert list(frame.columns[:8]) == ["category", "2017/18", "2018/19", "average", "change",
                                       "pct_change", "p_value", "significant"]


def test_xlsx_counts_file_gives_the_same_table(tmp_path: Path, vap_file: Path) -> None:
    import xlsxwriter

    xlsx = tmp_path / "vap.xlsx"
    book = xlsxwriter.Workbook(str(xlsx))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Category", "Period", "Count"])
    for i, (c, a, b) in enumerate(VAP):
        sheet.write_row(1 + 2 * i, 0, [c, "2017/18", a])
        sheet.write_row(2 + 2 * i, 0, [c, "2018/19", b])
    book.close()
    spec = spec_from_text(None, "2017/18,2018/19", None, 5)
    from_xlsx = performance_table(counts=read_counts(xlsx), spec=spec)
    from_csv = performance_table(counts=read_counts(vap_file), spec=spec)
    pd.testing.assert_frame_equal(from_xlsx, from_csv)
